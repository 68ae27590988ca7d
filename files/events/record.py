"""Writing events: called inside the transaction of the state change they report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from files import events
from files.models import Event, Share, Upload


def _record(rows: list[Event]) -> list[Event]:
    Event.objects.bulk_create(rows)
    ids = [row.id for row in rows]
    # on_commit runs at once outside a transaction, and never when the transaction rolls back.
    transaction.on_commit(lambda: events.recorded.send(sender=Event, events=ids))
    return rows


def file_data(upload: Upload) -> dict[str, Any]:
    return {
        "file": {
            "id": str(upload.id),
            "name": upload.name,
            "size": upload.size,
            "content_type": upload.content_type,
            "sha256": upload.sha256 or None,
        }
    }


def file_ready(upload: Upload) -> list[Event]:
    """`upload` just became READY: `file.ready`, and `request.received` for a guest's file."""
    data = file_data(upload)
    rows = [Event(owner_id=upload.owner_id, type=Event.Type.FILE_READY, data=data)]
    if upload.request_id is not None:
        request = upload.request
        assert request is not None
        received = {
            **data,
            "request": {"id": str(request.id), "title": request.title},
            "sender_name": upload.sender_name,
        }
        rows.append(
            Event(owner_id=request.owner_id, type=Event.Type.REQUEST_RECEIVED, data=received)
        )
    transaction.on_commit(lambda: events.registered.send(sender=Upload, upload=upload))
    return _record(rows)


def share_downloaded(share: Share, files: Iterable[Upload], downloads: int) -> list[Event]:
    """One counted download of `share` (its `files`); `downloads`: the link's count after it."""
    data = {
        "share": {
            "id": str(share.id),
            "downloads": downloads,
            "max_downloads": share.max_downloads,
        },
        "files": [{"id": str(upload.id), "name": upload.name} for upload in files],
    }
    return _record([Event(owner_id=share.owner_id, type=Event.Type.SHARE_DOWNLOADED, data=data)])
