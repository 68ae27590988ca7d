"""The JSON upload API: validate, call one function in files/uploads.py, answer."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from files import multipart, s3, uploads
from files.models import Upload

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def error_response(code: str, message: str, status: int, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": code, "message": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def api(view: View) -> View:
    """JSON API conventions: sign-in required, domain errors mapped to {"error","message"}."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return error_response("unauthenticated", "Sign in to use this API.", 401)
        try:
            response = view(request, *args, **kwargs)
        except uploads.UploadError as error:
            return error_response(error.code, error.message, error.status)
        except s3.StorageUnavailable as error:
            return error_response("storage_unavailable", str(error), 503, Retry_After="30")
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def read_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise uploads.InvalidUpload("The request body is not valid JSON.") from None


# --- Upload API ---------------------------------------------------------------------------


@require_POST
@api
def create_upload(request: HttpRequest) -> HttpResponse:
    declared = uploads.parse_request(read_json(request))
    issued = uploads.start_upload(request.user, declared)
    return JsonResponse(issued.as_json(), status=201)


@require_POST
@api
@vary_on_headers("HX-Request")
def confirm_upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    upload = uploads.confirm(uploads.get_upload(request.user, upload_id))
    return confirmed_response(request, upload)


def confirmed_response(request: HttpRequest, upload: Upload) -> HttpResponse:
    """A READY upload: its file row for htmx, JSON otherwise."""
    if request.htmx:
        return render(request, "files/home.html#file-row", {"file": upload})
    return JsonResponse(
        uploads.upload_json(upload)
        | {"etag": upload.etag, "checksum_sha256": upload.checksum_sha256}
    )


@require_http_methods(["DELETE"])
@api
def delete_upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    uploads.delete(uploads.get_upload(request.user, upload_id))
    # htmx does not swap on 204; an empty 200 removes the row it targets.
    return HttpResponse(status=200 if request.htmx else 204)


# --- Multipart API ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@api
def upload_parts(request: HttpRequest, upload_id: str) -> HttpResponse:
    """POST signs a batch of part URLs; GET lists the parts already in the bucket."""
    upload = uploads.get_upload(request.user, upload_id)
    if request.method == "POST":
        return JsonResponse(multipart.sign_parts(upload, read_json(request)))
    parts = multipart.uploaded_parts(upload)
    return JsonResponse(
        {"parts": [{"number": p.number, "etag": p.etag, "size": p.size} for p in parts]}
    )


@require_POST
@api
@vary_on_headers("HX-Request")
def complete_upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    upload = uploads.get_upload(request.user, upload_id)
    return confirmed_response(request, multipart.complete(upload, read_json(request)))


@require_GET
@api
@vary_on_headers("HX-Request")
def resumable_uploads(request: HttpRequest) -> HttpResponse:
    """Unfinished multipart uploads: the page's resume list for htmx, JSON otherwise."""
    found = multipart.resumable_uploads(request.user)
    if request.htmx:
        for item in found:
            # The row carries the upload's JSON (links, limits, part plan) for the uploader.
            item.upload.descriptor = json.dumps(uploads.upload_json(item.upload))
        return render(request, "files/home.html#resumable-uploads", {"resumable": found})
    return JsonResponse(
        {
            "uploads": [
                uploads.upload_json(item.upload)
                | {
                    "part_size": item.upload.part_size,
                    "part_count": item.upload.part_count,
                    "uploaded": item.uploaded,
                }
                for item in found
            ]
        }
    )
