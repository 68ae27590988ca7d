"""The one JSON error shape, `{"error": code, "message": sentence}`, for every /api/ answer."""

from __future__ import annotations

import re

from django.http import HttpRequest, JsonResponse

from files.errors import ChuteError

# Django's CSRF failure page, ninja's CSRF refusal and the Uppy routes' session check say this.
CSRF_REFUSED = "The request was refused because its CSRF token is missing or wrong."
CSRF_REFUSED_RELOAD = f"{CSRF_REFUSED} Reload the page and try again."


def error_response(code: str, message: str, status: int, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": code, "message": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def not_found_response() -> JsonResponse:
    return error_response("not_found", "There is nothing at this address.", 404)


def chute_error_response(error: ChuteError) -> JsonResponse:
    return error_response(error.code, error.message, error.status, **error.headers)


# The guests' protocol under an upload request's link (files/web/api/guests.py); the token may
# be anything a client sent, even an encoded slash or newline.
_GUEST_API = re.compile(r"/r/.+/uploads(?:/|$)", re.DOTALL)


def wants_json(request: HttpRequest) -> bool:
    """Answers under /api/ and /r/<token>/uploads are JSON, whatever went wrong."""
    return request.path.startswith("/api/") or bool(_GUEST_API.match(request.path))
