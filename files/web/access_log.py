"""One log line per request: method, path (never the query string), status, duration, request
id and the client's address; the request id is echoed in the response.

The platform's router sends X-Request-ID (Heroku does; the id is in its router log too);
without one, or with one that is not a plain id, a new one is made. The client's address is
X-Forwarded-For's entry appended by the outermost trusted proxy (CHUTE_TRUSTED_PROXIES,
files/web/http.py's client_address). Link and API tokens in the path are redacted by the log
handler's filter (project/logging.py).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from files.web.http import client_address

logger = logging.getLogger("chute.access")

HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,200}")


def request_id(request: HttpRequest) -> str:
    """The router's X-Request-ID when it is a plain id, else a new one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if _VALID_ID.fullmatch(given) else uuid.uuid4().hex


class AccessLogMiddleware:
    """First in MIDDLEWARE: sees every request, and every answer (Django's error pages too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        rid = request_id(request)
        request.request_id = rid  # type: ignore[attr-defined]  # for views that report errors
        response = self.get_response(request)
        response[HEADER] = rid
        took = (time.monotonic() - started) * 1000
        logger.info(
            "%s %s %s %.0fms id=%s client=%s",
            request.method,
            request.path,  # the path only: query strings may hold signatures or tokens
            response.status_code,
            took,
            rid,
            client_address(request) or "-",
        )
        return response
