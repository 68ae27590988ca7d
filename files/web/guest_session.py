"""What a guest's session holds for an upload request: unlocked or not, their name, their uploads.

The request's page (files/web/pages/upload_requests.py) and the guests' upload calls
(files/web/api/guests.py) both read it; it lives here so neither imports the other.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from files.models import Upload, UploadRequest
from files.upload_requests import guests

GUEST_SECRET = "chute:guest"  # noqa: S105 (the session key, not a secret)


def _entry(session: SessionBase, row: UploadRequest) -> dict[str, Any]:
    return dict(session.get(f"chute:request:{row.pk}", {}))


def _save(session: SessionBase, row: UploadRequest, entry: dict[str, Any]) -> None:
    session[f"chute:request:{row.pk}"] = entry


def unlock(session: SessionBase, row: UploadRequest) -> None:
    _save(session, row, _entry(session, row) | {"unlocked": True})


def is_unlocked(session: SessionBase, row: UploadRequest) -> bool:
    return not row.has_password or bool(_entry(session, row).get("unlocked"))


def set_sender_name(session: SessionBase, row: UploadRequest, name: str) -> None:
    _save(session, row, _entry(session, row) | {"name": guests.clean_sender_name(name)})


def sender_name(session: SessionBase, row: UploadRequest) -> str:
    return str(_entry(session, row).get("name", ""))


def guest_key(session: SessionBase) -> str:
    """The key this guest's uploads carry: the SHA-256 of a secret kept in their session.

    Set when the guest opens the request's page, before any upload starts, so uploads the
    page starts at once all carry it (a list of ids in the session would lose some: each
    concurrent request saves its own copy of the session).
    """
    if GUEST_SECRET not in session:
        session[GUEST_SECRET] = secrets.token_urlsafe(32)
    return hashlib.sha256(str(session[GUEST_SECRET]).encode()).hexdigest()


def sent_files(session: SessionBase, row: UploadRequest) -> list[Upload]:
    """The files this session delivered through the request, newest first (the "Sent" list)."""
    return list(
        Upload.objects.filter(
            request=row, guest_key=guest_key(session), status=Upload.Status.READY
        ).order_by("-confirmed_at")
    )
