"""Making, listing and deleting an owner's webhooks, with the rules a webhook follows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from files.models import Delivery, Event, Webhook
from files.webhooks import signing, targets
from files.webhooks.errors import InvalidWebhook, WebhookNotFound

EVENT_TYPES = [choice.value for choice in Event.Type]
MAX_WEBHOOKS = 10  # per owner
RECENT_DELIVERIES = 10  # listed per webhook


@dataclass(frozen=True)
class NewWebhook:
    row: Webhook
    secret: str  # shown once


@dataclass(frozen=True)
class Listed:
    row: Webhook
    deliveries: list[Delivery]


def clean_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise InvalidWebhook(f"Name at least one event: {', '.join(EVENT_TYPES)}.")
    unknown = [name for name in events if name not in EVENT_TYPES]
    if unknown:
        raise InvalidWebhook(
            f"Unknown event {unknown[0][:50]!r}: the events are {', '.join(EVENT_TYPES)}."
        )
    return list(dict.fromkeys(events))


def create(owner: User, *, url: str, events: Sequence[str]) -> NewWebhook:
    url = url.strip()
    targets.resolve(url)  # InvalidWebhook or WebhookTargetRefused, with a sentence
    wanted = clean_events(events)
    with transaction.atomic():
        # Serialises one owner's registrations, so the cap holds under concurrent calls.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if Webhook.objects.filter(owner=owner).count() >= MAX_WEBHOOKS:
            raise InvalidWebhook(
                f"You have {MAX_WEBHOOKS} webhooks, the most an account may have; delete one first."
            )
        row = Webhook.objects.create(owner=owner, url=url, events=wanted)
    return NewWebhook(row=row, secret=signing.secret(row))


def get_owned(owner: User, webhook_id: uuid.UUID | str) -> Webhook:
    try:
        return Webhook.objects.get(owner=owner, pk=webhook_id)
    except (Webhook.DoesNotExist, ValueError, ValidationError):
        raise WebhookNotFound() from None


def delete(webhook: Webhook) -> None:
    """Delete it with its deliveries: nothing more is sent to it."""
    webhook.delete()


def webhooks_of(owner: User) -> list[Listed]:
    """The owner's webhooks, each with its latest deliveries: two queries however many."""
    recent = Prefetch(
        "deliveries",
        # A sliced prefetch: Django takes each webhook's latest with one windowed query.
        queryset=Delivery.objects.select_related("event").order_by("-event__created_at")[
            :RECENT_DELIVERIES
        ],
        to_attr="recent",
    )
    rows = Webhook.objects.filter(owner=owner).prefetch_related(recent)
    return [Listed(row=row, deliveries=row.recent) for row in rows]
