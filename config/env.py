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


# The key `make run` and the tests sign with. Known to everyone, so never accepted with DEBUG off.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105
_MAKE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


def env_secret_key(name: str, *, debug: bool) -> str:
    """The key that signs sessions and links: any in development; outside it, a long random one of your own."""
    raw = os.environ.get(name, "")
    if debug:
        return raw or DEVELOPMENT_SECRET_KEY
    if not raw:
        raise ConfigError(name, f"must be set when DEBUG is off (make one with: {_MAKE_KEY})")
    if raw == DEVELOPMENT_SECRET_KEY or raw.startswith("django-insecure") or len(raw) < 50 or len(set(raw)) < 5:
        raise ConfigError(name, f"must be a random string of 50 characters or more when DEBUG is off ({_MAKE_KEY})")
    return raw


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """The header a TLS proxy sets on HTTPS requests, as Django wants it: "X-Forwarded-Proto" becomes
    ("HTTP_X_FORWARDED_PROTO", "https"); "Header: value" names the value too. None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, _sep, value = (part.strip() for part in raw.partition(":"))
    return _meta_name(name, header, raw), value or "https"


def env_header(name: str) -> str:
    """A request header's name as it appears in request.META ("X-Forwarded-For": "HTTP_X_FORWARDED_FOR"),
    or "" when unset."""
    raw = os.environ.get(name, "").strip()
    return _meta_name(name, raw, raw) if raw else ""


def _meta_name(name: str, header: str, raw: str) -> str:
    if not header or not all(c.isalnum() or c == "-" for c in header):
        raise ConfigError(name, f"must be a header name such as X-Forwarded-Proto, got {raw!r}")
    return "HTTP_" + header.upper().replace("-", "_")


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
    return _database(name, raw)


def _database(name: str, raw: str) -> dict:
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


def env_database_replicas(name: str, primary: dict) -> dict[str, dict]:
    """Streaming replicas of the primary, from comma-separated postgres:// URLs: {"replica1": config, …}
    ({} when unset). Each names the primary's database (a streaming replica holds all of them)."""
    urls = env_list(name, [])
    if not urls:
        return {}
    if primary["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigError(name, "needs DATABASE_URL on PostgreSQL: replicas are PostgreSQL's streaming replicas")
    replicas = {}
    for number, url in enumerate(urls, start=1):
        scheme = urlsplit(url).scheme
        if scheme not in {"postgres", "postgresql", "pgsql"}:
            raise ConfigError(name, f"must be postgres:// URLs separated by commas, got scheme {scheme!r}")
        config = _database(name, url)
        if config["NAME"] != primary["NAME"]:
            raise ConfigError(
                name, f"must name the primary's database {primary['NAME']!r} (a streaming replica holds the same)"
            )
        # A replica that doesn't answer costs a request at most this much before reads go to the primary.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
        # Tests never create a database there: a replica can't, and it holds the primary's anyway.
        config["TEST"] = {"MIRROR": "default"}
        replicas[f"replica{number}"] = config
    return replicas


def is_testing() -> bool:
    return "pytest" in sys.modules
