# Two commands matter: `make run` (demo on SQLite) and `make test` (the whole suite); `make serve` runs it in
# production. DATABASE_URL=postgres://... switches them to PostgreSQL.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve worker test setup lint format messages bench lock clean

$(VENV)/.installed: requirements.lock
	@python=$$(scripts/find-python) && { [ -x $(PY) ] || $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	@touch $@

# DEBUG is off unless a development command turns it on: these do (and sign with a development key).
setup run messages bench: export DEBUG ?= true

setup: $(VENV)/.installed
	$(PY) manage.py compile_catalogues
	$(PY) manage.py create_database
	$(PY) manage.py migrate --noinput -v 0

run: setup
	$(PY) manage.py seed_demo --site-url http://$(HOST):$(PORT)/
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production: DEBUG off, on PostgreSQL (DATABASE_URL and SECRET_KEY required; see production.env.example).
# Migrates, collects static files, then runs gunicorn (a worker process per core and one) beside the task
# worker that sends emails. SERVE_WORKER=false runs gunicorn alone (the container recipe runs the worker apart).
serve: $(VENV)/.installed
	HOST=$(HOST) PORT=$(PORT) scripts/serve

worker: $(VENV)/.installed
	$(PY) manage.py db_worker --no-reload

test: $(VENV)/.installed node_modules/.installed
	DEBUG=true $(PY) manage.py compile_catalogues
	$(PY) -m pytest $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

messages:
	scripts/messages.sh

# Benchmarks print server-side timings beside a trivial view's. Meant for PostgreSQL (DATABASE_URL=...).
bench: setup
	DEV_TOOLS=true $(PY) manage.py bench $(BENCH_ARGS)
	DEV_TOOLS=true $(PY) manage.py bench_merge --compare-update

lock:
	$(PY) -m pip freeze --exclude-editable | sed '1i # Pinned runtime and test dependencies (the whole resolved set). Regenerate with "make lock".' > requirements.lock

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles
