import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[1]


def _manage(*args, **env) -> subprocess.CompletedProcess:
    """manage.py in a fresh process, with this one's environment (less its database and debug) and `env`."""
    # Less what the browser tests set for themselves (DJANGO_ALLOW_ASYNC_UNSAFE), which no deployment has.
    ignored = {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored} | {
        "DJANGO_SETTINGS_MODULE": "config.settings"
    }
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=BASE, env=environment | env, capture_output=True, text=True
    )


def _check(**env) -> subprocess.CompletedProcess:
    return _manage("check", **env)


def _production_env() -> dict[str, str]:
    """The variables production.env.example documents, with a real secret key in place of its placeholder."""
    lines = (BASE / "production.env.example").read_text().splitlines()
    variables = dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return variables | {"SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": ""}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/helpdesk"),
        ("DATABASE_URL", "postgres://"),
        ("DEBUG", "maybe"),
        ("EMAIL_BACKEND", "carrier-pigeon"),
        ("EMAIL_PORT", "twenty-five"),
        ("DATABASE_REPLICA_URLS", "postgres://replica.internal/helpdesk"),  # the primary is SQLite here
        ("REPLICA_MAX_LAG_SECONDS", "0"),
        ("REPLICA_PIN_SECONDS", "2"),  # shorter than the most a replica may lag (4) and its check (1)
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(variable, value):
    result = _check(**{variable: value})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_good_settings_start_cleanly():
    result = _check()

    assert result.returncode == 0, result.stderr


def test_debug_is_off_unless_turned_on():
    result = _manage("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DEBUG)")

    assert result.stdout.strip() == "False", result.stderr


def test_debug_off_without_a_secret_key_stops_start_up_naming_it():
    result = _check(SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("key", ["dev-only-insecure-key-change-me", "django-insecure-" + "x" * 50, "short-but-not-50"])
def test_debug_off_refuses_a_known_or_weak_secret_key(key):
    result = _check(SECRET_KEY=key)

    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_development_may_run_on_the_known_key():
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DEBUG="true",
        SECRET_KEY="",
    )

    assert result.stdout.strip() == "dev-only-insecure-key-change-me"


def test_the_deploy_check_is_clean_with_the_documented_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production_env())

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_without_them():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr


@pytest.mark.parametrize("value", ["X Forwarded", ":https"])
def test_a_malformed_proxy_header_stops_start_up(value):
    result = _check(SECURE_PROXY_SSL_HEADER=value)

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr


def test_a_django_log_line_is_printed_once_in_development():
    # The dev server's "Watching for file changes…" came out twice: Django's own console handler and the root's.
    said = _manage(
        "shell", "-c", "import logging; logging.getLogger('django.utils.autoreload').info('said once')", DEBUG="true"
    )

    assert said.returncode == 0, said.stderr
    assert said.stderr.count("said once") == 1


def _postgres_server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL=postgres://… (a server where its user may create databases)")
    return url.rsplit("/", 1)[0]


def test_create_database_makes_the_database_database_url_names_when_it_is_missing_then_leaves_it():
    server = _postgres_server_url()
    name = f"helpdesk_created_{secrets.token_hex(4)}"
    url = f"{server}/{name}"
    try:
        created = _manage("create_database", DATABASE_URL=url, DEBUG="true")
        again = _manage("create_database", DATABASE_URL=url, DEBUG="true")
        migrated = _manage("migrate", "--noinput", "-v", "0", DATABASE_URL=url, DEBUG="true")
    finally:
        _manage("shell", "-c", _DROP % name, DATABASE_URL=f"{server}/postgres", DEBUG="true")

    assert (created.returncode, created.stdout) == (0, f"Created the database {name}.\n"), created.stderr
    assert (again.returncode, again.stdout) == (0, ""), again.stderr
    assert migrated.returncode == 0, migrated.stderr


_DROP = "from django.db import connection; connection.cursor().execute('DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)')"


def test_create_database_does_nothing_on_sqlite():
    said = _manage("create_database", DATABASE_URL="", DEBUG="true")

    assert (said.returncode, said.stdout, said.stderr) == (0, "", "")


def test_create_database_says_why_when_the_server_refuses():
    server = _postgres_server_url()

    said = _manage("create_database", DATABASE_URL=f"{_without_user(server)}/helpdesk", DEBUG="true")

    assert said.returncode == 1
    assert "Can't connect to the database" in said.stderr


def _without_user(server: str) -> str:
    scheme, rest = server.split("://", 1)
    return f"{scheme}://nobody-here:wrong@{rest.rsplit('@', 1)[-1]}"
