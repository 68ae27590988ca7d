from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from files import s3
from files.views.api import error_response


class StorageUnavailableMiddleware:
    """Answer 503 with Retry-After, in words, when the bucket does not answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, s3.StorageUnavailable):
            return None

        if request.path.startswith("/api/"):
            return error_response("storage_unavailable", str(exception), 503, Retry_After="30")
        response = render(
            request,
            "error.html",
            {"title": "Storage unavailable", "message": str(exception)},
            status=503,
        )
        response["Retry-After"] = "30"
        return response
