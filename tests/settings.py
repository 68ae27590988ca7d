"""Test settings: the project's settings with development defaults and plain static files.

The S3 endpoint is set by the SeaweedFS session fixture in conftest.py.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")

from project.settings import *  # noqa: F403

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests serve static files through the finders; there is no collectstatic output.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Concurrent test sessions on one PostgreSQL server each get their own test database.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_chute_{os.getpid()}"}  # noqa: F405
