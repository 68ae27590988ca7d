"""GET /healthz: is the database answering, is the bucket? For platform probes and monitors.

Answered by the first middleware, before the HTTPS redirect and the ALLOWED_HOSTS check: a
platform's probe comes over plain HTTP with an internal Host header. It reveals nothing but
"ok"/"unavailable" for each part. The bucket's answer is kept for a few seconds per process
and its check gives up after a short timeout of its own, so probes during a hanging bucket
do not hold the workers. The database's check has its own timeout too, kept by the database:
PostgreSQL's statement_timeout for the probe's transaction alone (connecting is bounded by
the connection's connect_timeout, project/settings.py), SQLite's busy timeout for the probe's
query alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from files import s3
from files.errors import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)

PATH = "/healthz"
# Seconds a bucket answer is reused, and seconds the bucket check waits (connect, then read).
BUCKET_CACHE_SECONDS = 5.0
BUCKET_TIMEOUT_SECONDS = 2.0
# Seconds the database check's query may wait (for a lock, for a busy server).
DATABASE_TIMEOUT_SECONDS = 2.0
# The probe reads a table every migrated Chute database has: one whose tables are held locked
# (a migration, a stuck writer) does not answer the pages either. SELECT 1 would not notice.
PROBE = "SELECT 1 FROM django_migrations LIMIT 1"

_bucket_lock = threading.Lock()
# (bucket, endpoint, access key, secret) -> (when, "ok"/"unavailable")
_bucket_answer: dict[tuple[str, ...], tuple[float, str]] = {}


def _probe_postgresql(db: BaseDatabaseWrapper) -> None:
    milliseconds = str(max(round(DATABASE_TIMEOUT_SECONDS * 1000), 1))
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        # SET LOCAL, as a function so it takes a parameter: the timeout ends with the probe's
        # transaction, and a persistent connection's next request does not inherit it.
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [milliseconds])
        cursor.execute(PROBE)


def _busy_timeout(cursor: CursorWrapper, milliseconds: int | None = None) -> int:
    if milliseconds is None:
        cursor.execute("PRAGMA busy_timeout")
        return int(cursor.fetchone()[0])
    cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    return milliseconds


def _probe_sqlite(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        # The connection waits CHUTE_SQLITE_TIMEOUT for a lock (writes need that patience);
        # the probe waits its own, shorter, and gives the connection its own back.
        before = _busy_timeout(cursor)
        _busy_timeout(cursor, max(round(DATABASE_TIMEOUT_SECONDS * 1000), 1))
        try:
            cursor.execute(PROBE)
        finally:
            _busy_timeout(cursor, before)


def database_state(db: BaseDatabaseWrapper = connection) -> str:
    """The database's state (`db`: the default one): "ok" when the probe had its row in time."""
    try:
        if db.vendor == "postgresql":
            _probe_postgresql(db)
        elif db.vendor == "sqlite":
            _probe_sqlite(db)
        else:
            with db.cursor() as cursor:
                cursor.execute(PROBE)
    except Exception as error:
        logger.warning(
            "Health check: the database did not answer (%s; the probe waits %g s)",
            type(error).__name__,
            DATABASE_TIMEOUT_SECONDS,
        )
        return "unavailable"
    return "ok"


def _ask_bucket() -> str:
    try:
        s3.ping(timeout=BUCKET_TIMEOUT_SECONDS)
    except Exception as error:
        # A refused credential (s3.AccessRefused) says what to fix; an outage, what it was.
        logger.warning(
            "Health check: the bucket did not answer (%s: %s)", type(error).__name__, error
        )
        return "unavailable"
    return "ok"


def bucket_state() -> str:
    """The bucket's state, asked at most once every BUCKET_CACHE_SECONDS per process."""
    storage = s3.storage()
    name = (storage.bucket_name, storage.endpoint_url, storage.access_key, storage.secret_key)
    with _bucket_lock:  # threads of one process wait for one answer rather than each asking
        cached = _bucket_answer.get(name)
        if cached and time.monotonic() - cached[0] < BUCKET_CACHE_SECONDS:
            return cached[1]
        state = _ask_bucket()
        _bucket_answer[name] = (time.monotonic(), state)
        return state


def forget() -> None:
    """Drop the cached bucket answer (tests; a configuration change)."""
    _bucket_answer.clear()


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_state(), "bucket": bucket_state()}
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    """Answer GET/HEAD /healthz before the HTTPS redirect and the host check; first in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == PATH and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return self.get_response(request)
