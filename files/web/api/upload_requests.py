"""`/api/requests…`: an owner's upload requests: make one, list them with what came in, close one."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Status

from files.models import Upload
from files.upload_requests import owners
from files.web.api.schemas import ErrorOut
from files.web.api.upload_request_schemas import (
    NewUploadRequestOut,
    UploadRequestIn,
    UploadRequestListOut,
)
from files.web.http import AuthenticatedRequest

router = Router(tags=["upload requests"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404)}


def received_file_json(upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.id),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "sender_name": upload.sender_name,
        "confirmed_at": upload.confirmed_at.isoformat() if upload.confirmed_at else None,
    }


def summary_json(summary: owners.Summary) -> dict[str, Any]:
    row = summary.row
    return {
        "id": str(row.id),
        "prefix": row.token_prefix,
        "title": row.title,
        "message": row.message,
        "state": summary.state,
        "expires_at": row.expires_at.isoformat(),
        "max_files": row.max_files,
        "max_bytes": row.max_bytes,
        "has_password": row.has_password,
        "created_at": row.created_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "received_files": summary.taken.files,
        "received_bytes": summary.taken.bytes,
        "files": [received_file_json(upload) for upload in summary.files],
    }


@router.post("/requests", url_name="upload-requests", response={201: NewUploadRequestOut, **ERRORS})
def create_request(request: AuthenticatedRequest, body: UploadRequestIn) -> Status:
    """Make a link through which people without an account send you files; its URL is shown once."""
    new = owners.create(
        request.user,
        title=body.title,
        message=body.message or "",
        expires_in=body.expires_in,
        max_files=body.max_files,
        max_bytes=body.max_bytes,
        password=body.password or "",
    )
    return Status(
        201,
        {
            "id": str(new.row.id),
            "url": request.build_absolute_uri(reverse("upload-request", args=[new.token])),
            "expires_at": new.row.expires_at.isoformat(),
            "max_files": new.row.max_files,
            "max_bytes": new.row.max_bytes,
        },
    )


@router.get("/requests", url_name="upload-requests", response={200: UploadRequestListOut, **ERRORS})
def list_requests(request: AuthenticatedRequest) -> Any:
    """Your requests, newest first: state, totals, and each file received (who sent what, when)."""
    return {"requests": [summary_json(summary) for summary in owners.overview(request.user)]}


@router.delete(
    "/requests/{uuid_any:request_id}", url_name="upload-request-api", response={204: None, **ERRORS}
)
def close_request(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    """Stop a request from taking files; the files it received stay. Idempotent."""
    owners.close(owners.get_owned(request.user, request_id))
    return HttpResponse(status=204)
