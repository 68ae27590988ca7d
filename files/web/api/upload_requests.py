"""`/api/requests…`: an owner's upload requests: make one, list them with what came in, close one."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from ninja import Router, Status

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
    return Status(201, new)


@router.get("/requests", url_name="upload-requests", response={200: UploadRequestListOut, **ERRORS})
def list_requests(request: AuthenticatedRequest) -> Any:
    """Your requests, newest first: state, totals, and each file received (who sent what, when)."""
    return {"requests": owners.overview(request.user)}


@router.delete(
    "/requests/{uuid_any:request_id}", url_name="upload-request-api", response={204: None, **ERRORS}
)
def close_request(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    """Stop a request from taking files; the files it received stay. Idempotent."""
    owners.close(owners.get_owned(request.user, request_id))
    return HttpResponse(status=204)
