"""`/api/uploads…`: start, sign parts, list parts, complete, confirm, delete, resumable."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from django.http import HttpResponse
from django.shortcuts import render
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt, StrictStr

from files.errors import InvalidUpload
from files.lifecycle import delete
from files.models import Upload
from files.uploads import confirm, declarations, multipart, resume, start, thumbnails
from files.web.api.schemas import (
    BODY_SCHEMAS,
    INTEGER_MAX,
    BaseUploadOut,
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
    return upload


@router.post(
    "/uploads", url_name="create-upload", response={201: UploadOut, **ERRORS}, exclude_none=True
)
def create_upload(request: AuthenticatedRequest, body: UploadIn) -> Status:
    """Declare a file; answers a PENDING upload with a presigned POST, PUT or multipart plan."""
    # With the first parts' checksums, their URLs too ("create and sign in one call").
    declared, parts = declaration(body), first_parts(body)
    start.check_first_parts(declared, parts)
    issued = start.start_upload(request.user, declared)
    return Status(201, start.sign_first_parts(issued, parts))


def first_parts(body: UploadIn) -> list[tuple[int, str]]:
    """The (number, SHA-256) parts a create call carried to be signed at once."""
    return [(part.number, part.sha256) for part in body.parts or []]


def declaration(body: UploadIn) -> declarations.Declaration:
    """What a create call's body declares, checked against the settings (owners and guests)."""
    if body.encrypted:
        sent = {"name": body.name, "path": body.path, "last_modified": body.last_modified}
        return declarations.declare_encrypted(
            size=body.size,
            content_type=body.content_type,
            meta=body.meta or "",
            sha256=body.sha256 or "",
            cleartext=tuple(field for field, value in sent.items() if value is not None),
        )
    if body.meta is not None:
        raise InvalidUpload("meta belongs to encrypted uploads only: send encrypted: true too.")
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
    upload = start.get_upload(request.user, upload_id)
    return multipart.sign_parts(upload, [(part.number, part.sha256) for part in body.parts])


@router.get(
    "/uploads/{uuid_any:upload_id}/parts",
    url_name="upload-parts",
    response={200: StoredPartsOut, **ERRORS},
)
def list_parts(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """The parts already in the bucket (for resuming)."""
    return {"parts": multipart.stored_parts(start.get_upload(request.user, upload_id))}


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
        rows = [ResumableRow(item, descriptor(request, item.upload)) for item in found]
        response = render(request, "files/home.html#resumable-uploads", {"resumable": rows})
        response["Vary"] = "HX-Request"
        return response
    return {"uploads": found}


def descriptor(request: AuthenticatedRequest, upload: Upload) -> str:
    """The upload as the API shows it, for the page's uploader to resume (keys with values)."""
    shown = BaseUploadOut.model_validate(upload, context={"request": request})
    return json.dumps(shown.model_dump(exclude_none=True))


# --- Previews -----------------------------------------------------------------------------
# Their shapes live here while schemas.py is at the 400-line limit (tests/unit/test_layers.py).


class ThumbnailIn(Schema):
    """`POST /api/uploads/<id>/thumbnail`: the preview the browser made of a ready file."""

    shape: ClassVar[str] = '{"content_type": "image/webp", "size": 12345}'

    content_type: StrictStr = Field(description='text: "image/webp" or "image/jpeg"')
    size: StrictInt = Field(le=INTEGER_MAX, description="the thumbnail's bytes, a whole number")


class ThumbnailPostOut(Schema):
    post: PresignedPostOut


class ThumbnailOut(Schema):  # reads the upload
    thumbnail: str | None = Field(description="a short-lived URL showing it, or null")
    resolve_thumbnail: ClassVar[Any] = staticmethod(thumbnails.url)


BODY_SCHEMAS.update({"upload-thumbnail": ThumbnailIn, "guest-upload-thumbnail": ThumbnailIn})


def thumbnail_post(upload: Upload, body: ThumbnailIn) -> dict[str, Any]:
    """The presigned POST for the preview, under the answer's one key (ThumbnailPostOut)."""
    return {"post": thumbnails.issue(upload, content_type=body.content_type, size=body.size)}


@router.post(
    "/uploads/{uuid_any:upload_id}/thumbnail",
    url_name="upload-thumbnail",
    response={201: ThumbnailPostOut, **ERRORS},
)
def thumbnail(request: AuthenticatedRequest, upload_id: uuid.UUID, body: ThumbnailIn) -> Status:
    """A presigned POST for a ready file's preview (image/webp or image/jpeg, ≤ 64 KiB)."""
    return Status(201, thumbnail_post(start.get_upload(request.user, upload_id), body))


@router.post(
    "/uploads/{uuid_any:upload_id}/thumbnail/confirm",
    url_name="confirm-thumbnail",
    response={200: ThumbnailOut, **ERRORS},
)
def confirm_thumbnail(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """Register the preview once the bucket holds it (its size and type as declared)."""
    return thumbnails.confirm(start.get_upload(request.user, upload_id))
