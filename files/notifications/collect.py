"""Taking events in: what each event means for its owner's mail, decided once.

Each event is claimed with one conditional UPDATE (`noticed_at` null → now) in the transaction
that writes what it causes, so two collectors never take one event in twice:

- `request.received`: the file joins its request's digest that was still collecting when the
  file arrived (its due time not yet past), and the digest then waits CHUTE_DIGEST_WINDOW
  seconds after this file; otherwise the file starts a new digest.
- `share.downloaded` of a link with "Tell me" on: the first-download notification (from the
  event that counted 1), and the used-up one once every download it allows was made. The unique (share, kind)
  constraint keeps each to one row however the events race; when the first download is also
  the last, the first mail says both and the used-up row is skipped.

Events of owners who are not to be told (no confirmed address, switched off) are taken in and
cause nothing; `file.ready` causes nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from files.models import Event, Notification, Share, UploadRequest
from files.notifications import outbox

BATCH = 500

Kind = Notification.Kind


@dataclass(frozen=True)
class Touched:
    """A notification an event made or moved, and when it is due."""

    id: str
    due_at: datetime


def window() -> timedelta:
    return timedelta(seconds=settings.CHUTE_DIGEST_WINDOW)


def collect(now: datetime | None = None) -> list[Touched]:
    """Take in up to BATCH events not taken in yet; the notifications they made or moved."""
    now = now or timezone.now()
    touched: dict[str, Touched] = {}
    pending = Event.objects.filter(noticed_at__isnull=True).order_by("created_at")[:BATCH]
    for event in pending:
        with transaction.atomic():
            # First statement of the transaction: on SQLite it takes the write lock too.
            if not Event.objects.filter(pk=event.pk, noticed_at__isnull=True).update(
                noticed_at=now
            ):
                continue  # another collector has it
            for notification in take_in(event, now):
                touched[str(notification.pk)] = Touched(str(notification.pk), notification.due_at)
    return list(touched.values())


def take_in(event: Event, now: datetime) -> list[Notification]:
    if event.type == Event.Type.REQUEST_RECEIVED:
        digest = into_digest(event)
        return [digest] if digest else []
    if event.type == Event.Type.SHARE_DOWNLOADED:
        return link_notices(event, now)
    return []


def into_digest(event: Event) -> Notification | None:
    request = UploadRequest.objects.filter(pk=event.data["request"]["id"]).first()
    if request is None or not outbox.wants(request.owner_id, Kind.REQUEST_FILES):
        return None
    arrived = {
        "id": event.data["file"]["id"],
        "name": event.data["file"]["name"],
        "size": event.data["file"]["size"],
        "sender": event.data.get("sender_name") or "",
    }
    due_at = event.created_at + window()
    # Locked, so a sender cannot claim it between this read and the write below (PostgreSQL;
    # SQLite holds the whole database since the claim above).
    digest = (
        Notification.objects.select_for_update()
        .filter(
            kind=Kind.REQUEST_FILES,
            request=request,
            status=Notification.Status.PENDING,
            due_at__gte=event.created_at,
        )
        .order_by("-due_at")
        .first()
    )
    if digest is None:
        return Notification.objects.create(
            owner_id=request.owner_id,
            kind=Kind.REQUEST_FILES,
            request=request,
            data={"files": [arrived]},
            due_at=due_at,
        )
    if all(entry["id"] != arrived["id"] for entry in digest.data["files"]):
        digest.data["files"].append(arrived)
    digest.due_at = max(digest.due_at, due_at)
    digest.save(update_fields=["data", "due_at"])
    return digest


def once(share: Share, kind: str, now: datetime, data: dict[str, object]) -> Notification | None:
    """The link's notification of `kind`, made now; None if it already existed."""
    notification, made = Notification.objects.get_or_create(
        share=share, kind=kind, defaults={"owner_id": share.owner_id, "data": data, "due_at": now}
    )
    return notification if made else None


def link_notices(event: Event, now: datetime) -> list[Notification]:
    share = Share.objects.filter(pk=event.data["share"]["id"], notify=True).first()
    if share is None or not outbox.wants(share.owner_id, Kind.FIRST_DOWNLOAD):
        return []
    made = []
    first = None
    # The first download is the event that counted 1 (written with the count, so exactly one
    # event has it); an owner who switched the mails on later is not told of a later one.
    if event.data["share"]["downloads"] == 1:
        data: dict[str, object] = {"downloaded_at": event.created_at.isoformat()}
        first = once(share, Kind.FIRST_DOWNLOAD, now, data)
    if first is not None:
        made.append(first)
    if outbox.used_up(share):
        end = once(share, Kind.USED_UP, now, {"downloads": share.downloads})
        if end is not None and first is not None:
            # One download in all: the first mail says it is used up too.
            first.data["used_up"] = True
            first.save(update_fields=["data"])
            Notification.objects.filter(pk=end.pk).update(
                status=Notification.Status.SKIPPED,
                last_error="Told in the first download's mail.",
            )
        elif end is not None:
            made.append(end)
    return made
