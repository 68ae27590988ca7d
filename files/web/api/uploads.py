"""`/api/uploads…`: start, sign parts, list parts, complete, confirm, delete, resumable."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt, StrictStr

from files.lifecycle import delete
from files.models import Upload
from files.uploads import confirm, declarations, multipart, policy, resume, start, thumbnails
from files.web.api.schemas import (
    BODY_SCHEMAS,
    INTEGER_MAX,
    CompleteIn,
    ConfirmedOut,
    ErrorOut,
    PresignedPostOut,
    ResumableListOut,
    SignedPartsOut,
    SignPartsIn,
    StoredPartsOut,
    UploadIn,
    UploadOut,
)
from files.web.http import AuthenticatedRequest

router = Router(tags=["uploads"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 410, 413, 422, 503)}


Links = Callable[[Upload], dict[str, str]]


def api_links(upload: Upload) -> dict[str, str]:
    """Where the owner's clients go next with an upload (/api/uploads/<id>/…)."""
    return {
        "self": reverse("api:delete-upload", args=[upload.id]),
        "confirm": reverse("api:confirm-upload", args=[upload.id]),
        "parts": reverse("api:upload-parts", args=[upload.id]),
        "complete": reverse("api:complete-upload", args=[upload.id]),
        "thumbnail": reverse("api:upload-thumbnail", args=[upload.id]),
    }


def upload_json(upload: Upload, links: Links = api_links) -> dict[str, Any]:
    """An upload as the API shows it: its state, where to go next and the server's limits.

    `links` names the next calls: the uploader follows them, so the same browser code serves
    the owner (/api/uploads/…) and a request's guests (/r/<token>/uploads/…).
    """
    answer: dict[str, Any] = {
        "id": str(upload.id),
        "key": upload.key,
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "status": upload.status,
        "method": upload.method,
        "expires_at": upload.expires_at.isoformat(),
        "links": links(upload),
        "limits": {
            "parts_per_request": policy.MAX_PARTS_PER_SIGN,
            "parallel_parts": settings.CHUTE_PARALLEL_PARTS,
        },
    }
    if upload.method == Upload.Method.MULTIPART:
        answer |= {"part_size": upload.part_size, "part_count": upload.part_count}
    return answer


def issued_json(issued: start.Issued, links: Links = api_links) -> dict[str, Any]:
    """A new upload's answer: the upload, and the presigned POST or PUT when it has one."""
    answer = upload_json(issued.upload, links) | {"resumed": issued.resumed}
    if issued.post:
        answer["post"] = {"url": issued.post.url, "fields": issued.post.fields}
    if issued.put:
        answer["put"] = {"url": issued.put.url, "headers": issued.put.headers}
    return answer


def signed_parts_json(upload: Upload, body: SignPartsIn) -> dict[str, Any]:
    signed = multipart.sign_parts(upload, [(part.number, part.sha256) for part in body.parts])
    return {
        "urls": {str(number): url for number, url in signed.urls.items()},
        "expires_at": signed.expires_at.isoformat(),
    }


def stored_parts_json(upload: Upload) -> dict[str, Any]:
    """The parts in the bucket, each with the SHA-256 signed for it (to check before skipping).

    A part signed again with other bytes may hold either copy: it is reported with no
    checksum, so the client sends it again rather than trust the wrong one.
    """
    signed = {
        number: sha256
        for number, sha256 in upload.part_checksums.items()
        if number not in upload.resigned_parts
    }
    return {
        "parts": [
            {
                "number": p.number,
                "etag": p.etag,
                "size": p.size,
                "sha256": signed.get(str(p.number)),
            }
            for p in multipart.uploaded_parts(upload)
        ]
    }


@dataclass(frozen=True)
class ResumableRow:
    """A row of the page's resume list: the upload's JSON travels with it for the uploader."""

    resumable: resume.Resumable
    descriptor: str

    @property
    def upload(self) -> Upload:
        return self.resumable.upload

    @property
    def uploaded(self) -> int | None:
        return self.resumable.uploaded

    @property
    def percent(self) -> int:
        return self.resumable.percent


def confirmed(request: AuthenticatedRequest, upload: Upload) -> Any:
    """A READY upload: its file row for htmx, JSON otherwise."""
    if request.htmx:
        response = render(request, "files/home.html#file-row", {"file": upload})
        response["Vary"] = "HX-Request"
        return response
    return upload_json(upload) | {"etag": upload.etag, "checksum_sha256": upload.checksum_sha256}


@router.post(
    "/uploads", url_name="create-upload", response={201: UploadOut, **ERRORS}, exclude_none=True
)
def create_upload(request: AuthenticatedRequest, body: UploadIn) -> Status:
    """Declare a file; answers a PENDING upload with a presigned POST, PUT or multipart plan."""
    return Status(201, issued_json(start.start_upload(request.user, declaration(body))))


def declaration(body: UploadIn) -> declarations.Declaration:
    """What a create call's body declares, checked against the settings (owners and guests)."""
    return declarations.declare(
        name=body.name,
        size=body.size,
        content_type=body.content_type,
        sha256=body.sha256 or "",
        last_modified=body.last_modified,
        path=body.path or "",
    )


@router.post(
    "/uploads/{uuid_any:upload_id}/confirm",
    url_name="confirm-upload",
    response={200: ConfirmedOut, **ERRORS},
)
def confirm_upload(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """HEAD the object; size, type and SHA-256 must match the declaration. Idempotent."""
    upload = confirm.confirm(start.get_upload(request.user, upload_id))
    return confirmed(request, upload)


@router.delete(
    "/uploads/{uuid_any:upload_id}", url_name="delete-upload", response={204: None, **ERRORS}
)
def delete_upload(request: AuthenticatedRequest, upload_id: uuid.UUID) -> HttpResponse:
    """Abort a pending upload (its bytes and parts go) or delete a ready file."""
    delete.delete(start.get_upload(request.user, upload_id))
    # htmx does not swap on 204; an empty 200 removes the row it targets.
    return HttpResponse(status=200 if request.htmx else 204)


@router.post(
    "/uploads/{uuid_any:upload_id}/parts",
    url_name="upload-parts",
    response={200: SignedPartsOut, **ERRORS},
)
def sign_parts(request: AuthenticatedRequest, upload_id: uuid.UUID, body: SignPartsIn) -> Any:
    """Presigned UploadPart URLs for up to 100 parts, each part's SHA-256 signed in."""
    return signed_parts_json(start.get_upload(request.user, upload_id), body)


@router.get(
    "/uploads/{uuid_any:upload_id}/parts",
    url_name="upload-parts",
    response={200: StoredPartsOut, **ERRORS},
)
def list_parts(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """The parts already in the bucket (for resuming)."""
    return stored_parts_json(start.get_upload(request.user, upload_id))


@router.post(
    "/uploads/{uuid_any:upload_id}/complete",
    url_name="complete-upload",
    response={200: ConfirmedOut, **ERRORS},
)
def complete_upload(request: AuthenticatedRequest, upload_id: uuid.UUID, body: CompleteIn) -> Any:
    """Check the part list against the bucket, assemble the object, then confirm it."""
    upload = start.get_upload(request.user, upload_id)
    done = multipart.complete(upload, [(part.number, part.etag) for part in body.parts])
    return confirmed(request, done)


@router.get(
    "/uploads/resumable", url_name="resumable-uploads", response={200: ResumableListOut, **ERRORS}
)
def resumable_uploads(request: AuthenticatedRequest) -> Any:
    """Unfinished multipart uploads: the page's resume list for htmx, JSON otherwise."""
    found = resume.resumable_uploads(request.user)
    if request.htmx:
        rows = [ResumableRow(item, json.dumps(upload_json(item.upload))) for item in found]
        response = render(request, "files/home.html#resumable-uploads", {"resumable": rows})
        response["Vary"] = "HX-Request"
        return response
    return {"uploads": [upload_json(item.upload) | {"uploaded": item.uploaded} for item in found]}


# --- Previews -----------------------------------------------------------------------------
# Their shapes live here while schemas.py is at the 400-line limit (tests/unit/test_layers.py).


class ThumbnailIn(Schema):
    """`POST /api/uploads/<id>/thumbnail`: the preview the browser made of a ready file."""

    shape: ClassVar[str] = '{"content_type": "image/webp", "size": 12345}'

    content_type: StrictStr = Field(description='text: "image/webp" or "image/jpeg"')
    size: StrictInt = Field(le=INTEGER_MAX, description="the thumbnail's bytes, a whole number")


class ThumbnailPostOut(Schema):
    post: PresignedPostOut


class ThumbnailOut(Schema):
    thumbnail: str | None = Field(description="a short-lived URL showing it, or null")


BODY_SCHEMAS.update({"upload-thumbnail": ThumbnailIn, "guest-upload-thumbnail": ThumbnailIn})


def thumbnail_post_json(upload: Upload, body: ThumbnailIn) -> dict[str, Any]:
    post = thumbnails.issue(upload, content_type=body.content_type, size=body.size)
    return {"post": {"url": post.url, "fields": post.fields}}


@router.post(
    "/uploads/{uuid_any:upload_id}/thumbnail",
    url_name="upload-thumbnail",
    response={201: ThumbnailPostOut, **ERRORS},
)
def thumbnail(request: AuthenticatedRequest, upload_id: uuid.UUID, body: ThumbnailIn) -> Status:
    """A presigned POST for a ready file's preview (image/webp or image/jpeg, ≤ 64 KiB)."""
    return Status(201, thumbnail_post_json(start.get_upload(request.user, upload_id), body))


@router.post(
    "/uploads/{uuid_any:upload_id}/thumbnail/confirm",
    url_name="confirm-thumbnail",
    response={200: ThumbnailOut, **ERRORS},
)
def confirm_thumbnail(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """Register the preview once the bucket holds it (its size and type as declared)."""
    upload = thumbnails.confirm(start.get_upload(request.user, upload_id))
    return {"thumbnail": thumbnails.url(upload)}
