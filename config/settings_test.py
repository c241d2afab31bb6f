"""Test tweaks: fast hashing, in-memory mail, no debug toolbar-ish noise."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if "devtools" not in INSTALLED_APPS:  # noqa: F405 - the benchmark commands have smoke tests
    INSTALLED_APPS.append("devtools")  # noqa: F405

# On SQLite, a file (not an in-memory database) for tests: the browser tests' live server answers each
# request in its own thread, and an in-memory database shared across threads trips Django's checks.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}  # noqa: F405
