"""Fan-out: each event owed to webhooks becomes a `Delivery` per webhook that wants it.

Each event is claimed with one conditional UPDATE (`dispatched_at` null → now) in the same
transaction that writes its deliveries, so two dispatchers never fan one event out twice (and
the (webhook, event) unique constraint would stop a second row anyway). A webhook receives
the events that happened after it was registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from files.models import Delivery, Event, Webhook

BATCH = 500
# Events, with their deliveries, are kept this long once nothing is owed on them.
KEPT = timedelta(days=30)


def dispatch(now: datetime | None = None) -> int:
    """Make the deliveries of up to BATCH events still owed; how many events it handled."""
    now = now or timezone.now()
    handled = 0
    pending = Event.objects.filter(dispatched_at__isnull=True).order_by("created_at")[:BATCH]
    for event in pending:
        with transaction.atomic():
            claimed = Event.objects.filter(pk=event.pk, dispatched_at__isnull=True).update(
                dispatched_at=now
            )
            if not claimed:
                continue
            handled += 1
            hooks = Webhook.objects.filter(
                owner_id=event.owner_id, active=True, created_at__lte=event.created_at
            )
            Delivery.objects.bulk_create(
                [
                    Delivery(webhook=hook, event=event, next_attempt_at=now)
                    for hook in hooks
                    if event.type in hook.events
                ],
                ignore_conflicts=True,
            )
    return handled


def due(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Deliveries to attempt now: pending ones whose time came, and claimed ones whose lease
    ran out (their worker died, or its answer was never recorded)."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING),
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def prune(now: datetime | None = None) -> int:
    """Delete events older than KEPT on which no delivery is owed; how many."""
    now = now or timezone.now()
    owed = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).values("event_id")
    old = Event.objects.filter(created_at__lt=now - KEPT, dispatched_at__isnull=False)
    _, deleted = old.exclude(pk__in=owed).delete()
    return deleted.get(Event._meta.label, 0)
