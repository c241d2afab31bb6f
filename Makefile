# Two commands matter: `make run` (demo on SQLite) and `make test` (the whole suite).
# DATABASE_URL=postgres://... switches both to PostgreSQL.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint format messages bench lock clean

$(VENV)/.installed: requirements.lock
	@python=$$(scripts/find-python) && { [ -x $(PY) ] || $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	@touch $@

setup: $(VENV)/.installed
	$(PY) manage.py compile_catalogues
	$(PY) manage.py migrate --noinput -v 0

run: setup
	$(PY) manage.py seed_demo --site-url http://$(HOST):$(PORT)/
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed node_modules/.installed
	$(PY) manage.py compile_catalogues
	$(PY) -m pytest $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

messages:
	scripts/messages.sh

# Benchmarks print server-side timings beside a trivial view's. Meant for PostgreSQL (DATABASE_URL=...).
bench: setup
	DEV_TOOLS=true $(PY) manage.py bench_timeline $(BENCH_ARGS)
	DEV_TOOLS=true $(PY) manage.py bench_profile

lock:
	$(PY) -m pip freeze --exclude-editable | sed '1i # Pinned runtime and test dependencies (the whole resolved set). Regenerate with "make lock".' > requirements.lock

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles
