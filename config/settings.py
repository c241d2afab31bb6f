"""Settings for the helpdesk. Every knob comes from the environment through helpers that fail loudly."""

from pathlib import Path

import phonenumbers
from django.utils.csp import CSP

from config.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_database,
    env_database_replicas,
    env_header,
    env_int,
    env_list,
    env_proxy_ssl_header,
    env_redis_url,
    env_secret_key,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless the development command (make run) turns it on: a server started any other way is a production one.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret_key("SECRET_KEY", debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [".localhost", "127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Each account is served at <subdomain>.<main domain>. A bare host (one label such as localhost, an IP
# address, or MAIN_DOMAIN itself) serves the default account; an unknown subdomain serves none (a 404).
DEFAULT_ACCOUNT_SUBDOMAIN = env_str("DEFAULT_ACCOUNT_SUBDOMAIN", "demo")
MAIN_DOMAIN = env_str("MAIN_DOMAIN", "").strip().lower().rstrip(".")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "accounts",
    "activity",
    "custom_fields",
    "profiles",
    "tickets",
    "api",
    "demo",
]
# Developer tools (the benchmark commands) are installed for development only: production never loads them.
if env_bool("DEV_TOOLS", DEBUG):
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "config.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.AccountMiddleware",
    "common.replicas.ReplicaPinMiddleware",  # only with replicas: who just wrote reads from the primary
    "accounts.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside the language, time zone and CSP of the request, so the pages they put in place get them too.
    "config.middleware.ErrorPagesMiddleware",
    "config.middleware.QueryNulMiddleware",
    "common.middleware.RecordGoneMiddleware",
    # Last: its refusal page renders in the language, CSP and messages of the request like any view's.
    "accounts.middleware.AssumedIdentityMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Total `date` and `time` filters in place of Django's: no stored time can make a page fail.
            "builtins": ["common.moment_filters"],
        },
    }
]

DATABASES = {"default": env_database("DATABASE_URL", str(BASE_DIR / "db.sqlite3"))}
# Streaming replicas of that database (comma-separated URLs; none by default). With them, the profile page's
# and the API's GET requests read from a healthy replica; every write, transaction and read inside a write,
# and whoever wrote in the last REPLICA_PIN_SECONDS, stay on the primary (common/replicas.py).
DATABASES.update(env_database_replicas("DATABASE_REPLICA_URLS", DATABASES["default"]))
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["common.replicas.ReplicaRouter"]
# A replica whose data is older than this (or that doesn't answer) is skipped until it catches up; each
# process checks at most once a second. Whoever wrote reads from the primary this long after, so it must
# cover the most a replica may lag plus that second: nobody ever reads a replica that hasn't their write.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 4)
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", REPLICA_MAX_LAG_SECONDS + 1)
if REPLICA_MAX_LAG_SECONDS < 1:
    raise ConfigError("REPLICA_MAX_LAG_SECONDS", f"must be 1 or more seconds, not {REPLICA_MAX_LAG_SECONDS}")
if REPLICA_PIN_SECONDS < REPLICA_MAX_LAG_SECONDS + 1:
    raise ConfigError(
        "REPLICA_PIN_SECONDS",
        f"must be at least REPLICA_MAX_LAG_SECONDS + 1 ({REPLICA_MAX_LAG_SECONDS + 1}), not {REPLICA_PIN_SECONDS}: "
        "else someone could read a replica that hasn't got their write yet",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountEmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Emails are unique per account, not globally: the account-scoped backend enforces it.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a TLS-terminating proxy: the header it sets on HTTPS requests ("X-Forwarded-Proto" means
# X-Forwarded-Proto: https), so forms pass the CSRF origin check and emailed links start with https://.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
# Every account is a subdomain served over the same TLS setup, so the policy covers them all.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict policy: scripts only from this origin or carrying the per-request nonce; no inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]  # each in its own name
LOCALE_PATHS = [BASE_DIR / "locale"]  # templates/ and shared code; each app also has its own locale/
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

_MAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_mail_backend = env_choice("EMAIL_BACKEND", "console" if DEBUG else "smtp", set(_MAIL_BACKENDS))
_smtp_options = {
    "host": env_str("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 25),
    "username": env_str("EMAIL_HOST_USER", ""),
    "password": env_str("EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("EMAIL_USE_TLS", False),
}
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKENDS[_mail_backend],
        "OPTIONS": _smtp_options if _mail_backend == "smtp" else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@helpdesk.localhost")
# Slow work (emails) runs outside requests: queued in the database, in the request's own transaction, and
# run by `manage.py db_worker`. "immediate" runs each task as it is queued (development and tests).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
_task_backend = env_choice("TASKS_BACKEND", "immediate" if DEBUG else "database", set(_TASK_BACKENDS))
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend]}}
# How long a "verify your email" link stays valid.
EMAIL_VERIFICATION_LINK_DAYS = env_int("EMAIL_VERIFICATION_LINK_DAYS", 7)
# Region assumed for phone numbers typed without a "+country" prefix; empty means "+" is required.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "FR").upper()
if PHONE_DEFAULT_REGION and PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ConfigError(
        "PHONE_DEFAULT_REGION", f"must be a region code such as FR or US (or empty), got {PHONE_DEFAULT_REGION!r}"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})},
    # Django's own default logging gives "django" a console handler of its own while DEBUG is on; its records
    # also reach the root's, so each line (the dev server's "Watching for file changes…") printed twice.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# Behind a proxy, the header it writes the client's address in (X-Forwarded-For: its last entry); unset,
# the address is the connection's. Throttles count per client address, so a proxy must say whose it is.
CLIENT_ADDRESS_HEADER = env_header("CLIENT_ADDRESS_HEADER")
# Failed sign-ins allowed per window, for one email on one account and from one client address; beyond,
# sign-in is refused (429) until the window ends. 0: no limit.
SIGN_IN_FAILURES_PER_EMAIL = env_int("SIGN_IN_FAILURES_PER_EMAIL", 10)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("SIGN_IN_FAILURES_PER_ADDRESS", 30)
SIGN_IN_THROTTLE_MINUTES = env_int("SIGN_IN_THROTTLE_MINUTES", 15)
# Requests a minute with a missing, wrong or revoked API token, per client address, before they get 429s.
API_AUTH_FAILURES_PER_MINUTE = env_int("API_AUTH_FAILURES_PER_MINUTE", 30)

# Requests a minute each API token may make (0: unlimited). Counted in Redis when REDIS_URL is set (every
# process shares the budget), else in each process's own memory.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 2500)
REDIS_URL = env_redis_url("REDIS_URL")
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "helpdesk")  # keys of this app's, on a Redis others may share
# Event ingestion (the events API, imports) commits without waiting for the disk: a database crash may
# lose the last fraction of a second of acknowledged events, never half a batch. Off = every commit waits.
EVENTS_ASYNCHRONOUS_COMMIT = env_bool("EVENTS_ASYNCHRONOUS_COMMIT", True)
# The event store keeps this month and this many before it (0: everything). Older months leave whole, as
# their partitions are dropped by `manage.py event_partitions` (PostgreSQL); older events are refused.
EVENT_RETENTION_MONTHS = env_int("EVENT_RETENTION_MONTHS", 0)
if EVENT_RETENTION_MONTHS < 0:
    raise ConfigError(
        "EVENT_RETENTION_MONTHS", f"must be 0 (keep all) or a number of months, not {EVENT_RETENTION_MONTHS}"
    )
