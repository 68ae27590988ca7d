"""Answer 503 with Retry-After, in words, when the bucket or the database does not answer.

JSON under /api/ (and the guests' /r/<token>/uploads), a page elsewhere.
"""

import logging
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from files import s3
from files.errors import DatabaseDown, StorageDown, Unavailable
from files.web.errors import chute_error_response, error_response, wants_json

logger = logging.getLogger(__name__)


def unavailable_response(
    request: HttpRequest, exception: BaseException | None
) -> HttpResponse | None:
    """The 503 for a bucket or database that does not answer, None for any other exception.

    A database error is an OperationalError (connection refused or lost, locked, a timeout) or
    an InterfaceError (a connection already closed); integrity and data errors are bugs and
    stay 500s. One warning line, no traceback: an outage must not print one per request.
    """
    error: Unavailable
    if isinstance(exception, s3.StorageUnavailable):
        error = StorageDown(str(exception))
    elif isinstance(exception, OperationalError | InterfaceError):
        error = DatabaseDown()
    else:
        return None
    cause = str(exception).strip().splitlines()[0] if str(exception).strip() else ""
    logger.warning("%s: %s%s", error.code, type(exception).__name__, f": {cause}" if cause else "")
    if wants_json(request):
        response: HttpResponse = chute_error_response(error)
    else:
        # The page must not ask the database who is signed in.
        request.user = AnonymousUser()
        response = render(
            request,
            "error.html",
            {"title": "Temporarily unavailable", "message": error.message},
            status=error.status,
        )
        for name, value in error.headers.items():
            response[name] = value
        response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own marker
    return response


class ServiceUnavailableMiddleware:
    """A view's bucket or database outage becomes the 503 above.

    An outage met by a middleware (the session, the signed-in user, axes) reaches Django's
    500 handler instead, which answers the same (files/web/pages/home.py's server_error).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request, exception)


class ApiAnswersMiddleware:
    """Every /api/ and /r/ answer is uncached, and a refused method is the JSON error too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.answer(request, self.get_response(request))
        if request.path.startswith("/r/"):
            # An upload request's link, like a share link, must not leak or be indexed
            # (its pages set these too: files/web/pages/shares.py's `public`).
            response["Referrer-Policy"] = "no-referrer"
            response["X-Robots-Tag"] = "noindex, nofollow"
            response["Cache-Control"] = "no-store"
        return response

    def answer(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not wants_json(request):
            return response
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            refused = error_response(
                "method_not_allowed",
                f"{request.method} is not accepted at this address"
                + (f"; use {allowed}." if allowed else "."),
                405,
            )
            if allowed:
                refused["Allow"] = allowed
            return refused
        response.setdefault("Cache-Control", "no-store")
        return response
