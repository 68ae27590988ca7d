"""Attempts counted per client in the database, so a limit holds across workers and servers.

Sign-ups, guests' upload starts and link passwords (files/links/passwords.py) all count rows of
`Attempt`, each under its own scope. An attempt is recorded *before* counting, so concurrent
ones see one another.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.utils import timezone

from files.models import Attempt


def client_id(address: str) -> str:
    """SHA-256 of the client's address: enough to tell clients apart, without keeping IPs."""
    return hashlib.sha256(address.encode()).hexdigest()


def hit(
    scope: str, address: str, *, limit: int, window: timedelta, now: datetime | None = None
) -> datetime | None:
    """Count one attempt by `address` under `scope`; None while within `limit` per `window`.

    Past the limit the attempt is not kept, and the answer is when the client may try again:
    when its oldest counted attempt leaves the window.
    """
    now = now or timezone.now()
    client = client_id(address)
    window_start = now - window
    Attempt.objects.filter(scope=scope, created_at__lte=window_start).delete()
    attempt = Attempt.objects.create(scope=scope, client=client, created_at=now)
    recent = Attempt.objects.filter(scope=scope, client=client, created_at__gt=window_start)
    if recent.count() <= limit:
        return None
    attempt.delete()
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    return (oldest or now) + window
