"""Answer 503 with Retry-After, in words, when the bucket or the database does not answer.

JSON under /api/ (and the guests' /r/<token>/uploads), a page elsewhere.
"""

from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from files import s3
from files.errors import ChuteError, DatabaseDown, StorageDown
from files.web.errors import chute_error_response, error_response, wants_json


class ServiceUnavailableMiddleware:
    """Answer 503 with Retry-After, in words, when the bucket or the database does not answer.

    A database error is an OperationalError (connection lost, locked, a timeout) or an
    InterfaceError (a connection already closed); integrity and data errors are bugs and stay
    500s.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        error: ChuteError
        if isinstance(exception, s3.StorageUnavailable):
            error = StorageDown(str(exception))
        elif isinstance(exception, OperationalError | InterfaceError):
            error = DatabaseDown()
        else:
            return None
        if wants_json(request):
            return chute_error_response(error)
        response = render(
            request,
            "error.html",
            {"title": "Temporarily unavailable", "message": error.message},
            status=error.status,
        )
        for name, value in error.headers.items():
            response[name] = value
        return response


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
