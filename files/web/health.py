"""GET /healthz: is the database answering, is the bucket? For platform probes and monitors.

Answered by the first middleware, before the HTTPS redirect and the ALLOWED_HOSTS check: a
platform's probe comes over plain HTTP with an internal Host header. It reveals nothing but
"ok"/"unavailable" for each part. The bucket's answer is kept for a few seconds per process
and its check gives up after a short timeout of its own, so probes during a hanging bucket
do not hold the workers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from files import s3
from files.errors import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)

PATH = "/healthz"
# Seconds a bucket answer is reused, and seconds the bucket check waits (connect, then read).
BUCKET_CACHE_SECONDS = 5.0
BUCKET_TIMEOUT_SECONDS = 2.0

_bucket_lock = threading.Lock()
# (bucket, endpoint, access key, secret) -> (when, "ok"/"unavailable")
_bucket_answer: dict[tuple[str, ...], tuple[float, str]] = {}


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        logger.warning("Health check: the database did not answer (%s)", type(error).__name__)
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
