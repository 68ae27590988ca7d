"""The project's production settings plus the benchmark-only URLs (baselines).

The baseline views live in bench/ so they never ship with the app. Everything else is
exactly what production runs, apart from what plain HTTP on loopback forces (no TLS proxy
in front, so cookies cannot be Secure and nothing redirects to https).
"""

import os

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The benchmark serves http://127.0.0.1:<port> directly; a browser refuses Secure cookies there.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# collectstatic output for this run, so concurrent runs and the repo's staticfiles/ stay apart.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(STATIC_ROOT))  # noqa: F405
# Where the classic baseline's 1 GiB request bodies spill to disk.
FILE_UPLOAD_TEMP_DIR = os.environ.get("BENCH_UPLOAD_TEMP_DIR") or None
