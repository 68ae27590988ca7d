"""`/api/files`: the caller's ready files, newest first, paginated by cursor; one file."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from ninja import Router

from files.uploads import listing, start
from files.web.api.schemas import ErrorOut, FileListOut, FileOut
from files.web.http import AuthenticatedRequest

router = Router(tags=["files"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 404)}


@router.get("/files", url_name="files", response={200: FileListOut, **ERRORS})
def list_files(request: AuthenticatedRequest, cursor: str | None = None) -> Any:
    """Your ready files, newest first; follow `next` (a cursor) for the following page."""
    page = listing.ready_files(request.user, cursor=cursor, limit=settings.CHUTE_PAGE_SIZE)
    return {"files": page.files, "next": page.next_cursor}


@router.get("/files/{uuid_any:upload_id}", url_name="file", response={200: FileOut, **ERRORS})
def get_file(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """One of your ready files."""
    return start.get_ready(request.user, upload_id)
