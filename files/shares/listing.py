"""An owner's share links, one-file and several-file, newest first, a page at a time.

For `GET /api/shares` and the links page. A page costs two queries however many links and
files it shows: the links with their one file, then every several-file link's files still
there (a prefetch). Pages follow a keyset cursor (creation time and id of the last link
shown), as files/uploads/listing.py does for files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from files.errors import ShareNotFound
from files.models import Share, ShareFile, Upload
from files.shares import single
from files.uploads.listing import decode_cursor, encode_position


@dataclass(frozen=True)
class Link:
    """One link as its owner sees it: the link, its address (when known), files and state."""

    share: Share
    token: str | None  # None: made before tokens were derived (files/links/tokens.py)
    files: list[Upload]
    state: Share.State

    @property
    def names(self) -> str:
        """What the link holds, in words: its files' names, or what it held."""
        if not self.files:
            return self.share.name
        return ", ".join(upload.name for upload in self.files)


@dataclass(frozen=True)
class Page:
    links: list[Link]
    next_cursor: str | None


def state_of(share: Share, entries: list[ShareFile], now: datetime) -> Share.State:
    """Revoked, files deleted, used up, expired or active, in that order.

    `entries` are a several-file link's files still there; a one-file link has none.
    """
    if share.revoked_at is not None and (share.multi or share.upload_id is not None):
        return Share.State.REVOKED
    # A deleted file's one-file link is revoked and detached; a several-file link empties.
    if (share.multi and not entries) or (not share.multi and share.upload_id is None):
        return Share.State.FILES_DELETED
    if share.max_downloads is not None:
        # Several files: used up once every file was fetched that often (shares/multi.py).
        used = min(entry.downloads for entry in entries) if share.multi else share.downloads
        if used >= share.max_downloads:
            return Share.State.USED_UP
    if share.expires_at <= now:
        return Share.State.EXPIRED
    return Share.State.ACTIVE


def _links(owner: User) -> QuerySet[Share]:
    ready_entries = ShareFile.objects.filter(upload__status=Upload.Status.READY).select_related(
        "upload"
    )
    return (
        Share.objects.filter(owner=owner)
        .select_related("upload")
        .prefetch_related(Prefetch("entries", queryset=ready_entries, to_attr="ready_entries"))
    )


def _link(share: Share, now: datetime) -> Link:
    entries: list[ShareFile] = share.ready_entries  # type: ignore[attr-defined]  # prefetched
    if share.multi:
        files = [entry.upload for entry in entries]
    else:
        files = [share.upload] if share.upload is not None else []
    return Link(
        share=share,
        token=single.token_of(share),
        files=files,
        state=state_of(share, entries if share.multi else [], now),
    )


def owned(
    owner: User, *, cursor: str | None = None, limit: int = 50, now: datetime | None = None
) -> Page:
    """The owner's links, newest first; `next_cursor` continues after the last one."""
    now = now or timezone.now()
    links = _links(owner)
    if cursor:
        created_at, ident = decode_cursor(cursor)
        links = links.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=ident))
    found = list(links.order_by("-created_at", "-id")[: limit + 1])
    shown = found[:limit]
    more = len(found) > limit
    return Page(
        links=[_link(share, now) for share in shown],
        next_cursor=encode_position(shown[-1].created_at, shown[-1].id) if more else None,
    )


def one(owner: User, share_id: Any, now: datetime | None = None) -> Link:
    """One of the owner's links, as the list shows it; ShareNotFound for anyone else's."""
    try:
        share = _links(owner).get(pk=share_id)
    except (Share.DoesNotExist, ValueError, ValidationError):  # ValidationError: not a UUID
        raise ShareNotFound() from None
    return _link(share, now or timezone.now())
