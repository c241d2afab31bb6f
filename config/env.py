"""Environment helpers that fail loudly: a bad value stops start-up with one line naming it."""

import os
import sys
from urllib.parse import urlsplit

import dj_database_url


class ConfigError(SystemExit):
    """Raised for bad configuration; exits with a one-line message instead of a traceback."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"Configuration error: {name} {problem}")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ConfigError(name, f"must be one of {', '.join(sorted(choices))}, got {value!r}")
    return value


def env_redis_url(name: str) -> str:
    """A Redis URL (redis://, rediss:// or unix://), or "" when unset."""
    raw = os.environ.get(name, "").strip()
    if raw and urlsplit(raw).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(name, f"must be a redis://, rediss:// or unix:// URL, got {raw!r}")
    return raw


def env_database(name: str, sqlite_path: str) -> dict:
    raw = os.environ.get(name)
    if not raw:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path}
    scheme = urlsplit(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError(name, f"must be a postgres:// or sqlite:// URL, got scheme {scheme!r}")
    try:
        # Connections are kept for a minute; no health check before each request (a round trip every time):
        # Django drops a connection that failed at the end of its request instead.
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=False)
    except Exception as exc:  # the library raises several types for malformed URLs
        raise ConfigError(name, f"is malformed ({exc})") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigError(name, "must name a database (postgres://user@host:5432/dbname)")
    # Parameters travel apart from the SQL, so a query run again and again (every request's account, token
    # and event statements) is planned once per connection and then only executed. Behind a pooler in
    # transaction mode (PgBouncer before 1.21), set DATABASE_PREPARED_STATEMENTS=false.
    if scheme != "sqlite" and env_bool("DATABASE_PREPARED_STATEMENTS", True):
        config.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=3)
    return config


def is_testing() -> bool:
    return "pytest" in sys.modules
