"""What expires within 24 hours: one notification per owner per look, each item told once.

For owners who asked (`notify_expiring`, a confirmed address): links still working (not
revoked, files there, downloads left) and open upload requests whose expiry falls within the
next HORIZON and that were not announced yet. Each item is claimed by a conditional UPDATE of
its `expiry_announced_at` in the transaction that writes the notification listing it, so two
looks at once never announce one twice. Giving a link a new expiry clears its mark
(files/shares/single.py), so the new one is announced in its turn.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from files.models import Notification, Share, Upload, UploadRequest
from files.notifications import outbox

HORIZON = timedelta(hours=24)


def _asking(rows: QuerySet[Share] | QuerySet[UploadRequest]) -> QuerySet:
    """Rows whose owner asked to be told and may be mailed."""
    return (
        rows.filter(
            owner__is_active=True,
            owner__account__notify_expiring=True,
            owner__account__verified_email=F("owner__email"),
        )
        .exclude(owner__email="")
        .order_by("expires_at")
    )


def candidates(now: datetime) -> dict[int, tuple[list[Share], list[UploadRequest]]]:
    """By owner: the links and requests to announce now."""
    window = {"expires_at__gt": now, "expires_at__lte": now + HORIZON}
    shares = _asking(
        Share.objects.filter(
            revoked_at__isnull=True, expiry_announced_at__isnull=True, **window
        ).filter(Q(multi=True) | Q(upload__isnull=False))
    )
    requests = _asking(
        UploadRequest.objects.filter(
            closed_at__isnull=True, expiry_announced_at__isnull=True, **window
        )
    )
    found: dict[int, tuple[list[Share], list[UploadRequest]]] = defaultdict(lambda: ([], []))
    for share in shares:
        if share.multi and not share.entries.filter(upload__status=Upload.Status.READY).exists():
            continue  # its files were deleted: it works no more
        if not outbox.used_up(share):
            found[share.owner_id][0].append(share)
    for request in requests:
        found[request.owner_id][1].append(request)
    return found


def announce(now: datetime | None = None) -> list[Notification]:
    """Write this look's notifications (one per owner with something new); they are due now."""
    now = now or timezone.now()
    made = []
    for owner_id, (shares, requests) in candidates(now).items():
        with transaction.atomic():
            claimed_shares = [
                str(share.pk)
                for share in shares
                if Share.objects.filter(pk=share.pk, expiry_announced_at__isnull=True).update(
                    expiry_announced_at=now
                )
            ]
            claimed_requests = [
                str(request.pk)
                for request in requests
                if UploadRequest.objects.filter(
                    pk=request.pk, expiry_announced_at__isnull=True
                ).update(expiry_announced_at=now)
            ]
            if not claimed_shares and not claimed_requests:
                continue  # another look announced them
            made.append(
                Notification.objects.create(
                    owner_id=owner_id,
                    kind=Notification.Kind.EXPIRING,
                    data={"shares": claimed_shares, "requests": claimed_requests},
                    due_at=now,
                )
            )
    return made
