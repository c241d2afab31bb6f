"""Test tweaks: fast hashing, in-memory mail, no debug toolbar-ish noise."""

import os
import secrets

# Tests run as production does (DEBUG off), so they need a key of their own: a new random one each run.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if "devtools" not in INSTALLED_APPS:  # noqa: F405 - the benchmark commands have smoke tests
    INSTALLED_APPS.append("devtools")  # noqa: F405

# On SQLite, a file (not an in-memory database) for tests: the browser tests' live server answers each
# request in its own thread, and an in-memory database shared across threads trips Django's checks.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}  # noqa: F405
