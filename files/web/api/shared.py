"""`GET /api/s/<token>`: what a share link holds, for its recipient; no sign-in needed.

The same facts the link's page shows (files/web/pages/shares.py), as JSON for programs such as
`chute get`: each file's id, name, size and, for an end-to-end encrypted file, its opaque
`meta` that the key in the link's fragment decrypts. Opening it counts no download; the bytes
come from the page's download route (`POST /s/<token>/download`, `file` naming one of them).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from files.shares import multi, single
from files.web.api.schemas import ErrorOut
from files.web.api.shapes import Id, Time, encrypted_meta

router = Router(tags=["share links"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (404, 410)}


class SharedFileOut(Schema):
    id: Id
    name: str = Field(description='an encrypted file\'s is a label: "Encrypted file"')
    size: int = Field(description="bytes the download sends (an encrypted file's ciphertext)")
    encrypted: bool
    meta: str | None = Field(description="an encrypted file's opaque metadata, else null")
    resolve_meta: ClassVar[Any] = staticmethod(encrypted_meta)


class SharedLinkOut(Schema):
    files: list[SharedFileOut]
    has_password: bool = Field(description="true: the download route needs `password`")
    expires_at: Time
    download: str = Field(description="POST here (form fields file, password) for a 302")


@router.get(
    "/s/{token}",
    url_name="shared-link",
    auth=None,
    response={200: SharedLinkOut, **ERRORS},
)
def shared_link(request: HttpRequest, token: str) -> Any:
    """The files a share link hands out; 404 for an unknown token, 410 once it stopped working."""
    share = single.find(token)
    multi.ensure_open(share)
    return {
        "files": multi.files_of(share),
        "has_password": share.has_password,
        "expires_at": share.expires_at,
        "download": request.build_absolute_uri(reverse("share-download", args=[token])),
    }
