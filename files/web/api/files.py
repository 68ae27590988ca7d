"""`/api/files`: the caller's ready files, newest first, paginated by cursor; one file."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from ninja import Router

from files.models import Upload
from files.uploads import listing, start, thumbnails
from files.web.api.schemas import ErrorOut, FileListOut, FileOut
from files.web.http import AuthenticatedRequest

router = Router(tags=["files"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 404)}


def file_json(upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.id),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "sha256": upload.sha256 or None,
        "confirmed_at": upload.confirmed_at.isoformat() if upload.confirmed_at else None,
        "path": upload.path,
        "thumbnail": thumbnails.url(upload),
    }


@router.get("/files", url_name="files", response={200: FileListOut, **ERRORS})
def list_files(request: AuthenticatedRequest, cursor: str | None = None) -> Any:
    """Your ready files, newest first; follow `next` (a cursor) for the following page."""
    page = listing.ready_files(request.user, cursor=cursor, limit=settings.CHUTE_PAGE_SIZE)
    return {"files": [file_json(upload) for upload in page.files], "next": page.next_cursor}


@router.get("/files/{uuid_any:upload_id}", url_name="file", response={200: FileOut, **ERRORS})
def get_file(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """One of your ready files."""
    return file_json(start.get_ready(request.user, upload_id))
