"""An owner's ready files, newest first, a page at a time (for `GET /api/files`).

Pages follow a keyset cursor (confirmed time and id of the last file shown), so a page costs
one indexed query however deep the caller has gone, and files confirmed meanwhile never
shift what the next page holds.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Q

from files.errors import InvalidRequest
from files.models import Upload


@dataclass(frozen=True)
class Page:
    files: list[Upload]
    next_cursor: str | None


def encode_cursor(upload: Upload) -> str:
    assert upload.confirmed_at is not None
    return encode_position(upload.confirmed_at, upload.id)


def encode_position(when: datetime, ident: uuid.UUID) -> str:
    """A cursor after the row with this time and id (share links' pages use it too)."""
    raw = f"{when.isoformat()}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        return datetime.fromisoformat(when), uuid.UUID(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest(
            "That cursor is not one Chute gave out; use the “next” value of a previous page."
        ) from None


def ready_files(owner: User, *, cursor: str | None = None, limit: int = 50) -> Page:
    files = Upload.objects.filter(owner=owner, status=Upload.Status.READY)
    if cursor:
        confirmed_at, ident = decode_cursor(cursor)
        files = files.filter(
            Q(confirmed_at__lt=confirmed_at) | Q(confirmed_at=confirmed_at, id__lt=ident)
        )
    found = list(files.order_by("-confirmed_at", "-id")[: limit + 1])
    more = len(found) > limit
    shown = found[:limit]
    return Page(files=shown, next_cursor=encode_cursor(shown[-1]) if more else None)
