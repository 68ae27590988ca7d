"""Fan-out: each event owed to webhooks becomes a `Delivery` per webhook that wants it.

Each event is claimed with one conditional UPDATE (`dispatched_at` null → now) in the same
transaction that writes its deliveries, so two dispatchers never fan one event out twice (and
the (webhook, event) unique constraint would stop a second row anyway). A webhook receives
the events that happened after it was registered.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from files.models import Delivery, Event, Webhook
from files.webhooks.registration import RECENT_DELIVERIES

BATCH = 500
FINISHED = [Delivery.Status.SUCCEEDED, Delivery.Status.FAILED]


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


def deliveries_to_forget(cutoff: datetime) -> QuerySet[Delivery]:
    """Deliveries finished (delivered or given up) on events older than `cutoff`, except each
    webhook's newest RECENT_DELIVERIES, which its page lists (the prune job, files/tasks/prune.py)."""
    nth_newest = (
        Delivery.objects.filter(webhook=OuterRef("webhook"))
        .order_by("-event__created_at")
        .values("event__created_at")[RECENT_DELIVERIES - 1 : RECENT_DELIVERIES]
    )
    return (
        Delivery.objects.filter(status__in=FINISHED, event__created_at__lt=cutoff)
        # A webhook with fewer deliveries has no nth newest: NULL, and none of its goes.
        .alias(nth_newest=Subquery(nth_newest))
        .filter(event__created_at__lt=F("nth_newest"))
        .order_by("event__created_at")
    )


def events_to_forget(cutoff: datetime) -> QuerySet[Event]:
    """Events older than `cutoff` that every consumer took in (fanned out to webhooks, taken
    in by notifications) and that no delivery still needs: none owed, none listed (those
    outlive the prune of deliveries, which runs first)."""
    return Event.objects.filter(
        created_at__lt=cutoff,
        dispatched_at__isnull=False,
        noticed_at__isnull=False,
        deliveries__isnull=True,
    ).order_by("created_at")
