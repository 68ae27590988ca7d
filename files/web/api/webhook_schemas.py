"""Webhooks' shapes (files/web/api/webhooks.py), beside the rest of the contract in schemas.py."""

from __future__ import annotations

from typing import Any, ClassVar

from ninja import Field, Schema
from pydantic import StrictStr

from files.models import Delivery
from files.web.api.schemas import BODY_SCHEMAS
from files.web.api.shapes import Id, Time


class WebhookIn(Schema):
    """`POST /api/webhooks`: where to send events, and which."""

    shape: ClassVar[str] = 'such as {"url": "https://example.com/hooks", "events": ["file.ready"]}'
    error_code: ClassVar[str] = "invalid_webhook"  # a malformed body's code

    url: StrictStr = Field(description="an https:// address on a public host")
    events: list[StrictStr] = Field(
        description="event types: file.ready, request.received, share.downloaded"
    )


class DeliveryOut(Schema):
    # The event's webhook-id (the same on every attempt) and type.
    event_id: str
    type: str
    status: str = Field(description="pending, sending, succeeded or failed")
    attempts: int
    last_attempt_at: Time | None
    next_attempt_at: Time | None = Field(description="when it is tried again, if it will be")
    last_status_code: int | None = Field(description="the receiver's last answer, if any")
    last_error: str = Field(description="why the last attempt failed, or empty")

    @staticmethod
    def resolve_event_id(delivery: Delivery) -> str:
        return delivery.event.webhook_id

    @staticmethod
    def resolve_type(delivery: Delivery) -> str:
        return delivery.event.type

    @staticmethod
    def resolve_next_attempt_at(delivery: Delivery) -> Any:
        waiting = delivery.status in (Delivery.Status.PENDING, Delivery.Status.SENDING)
        return delivery.next_attempt_at.isoformat() if waiting else None


class WebhookOut(Schema):
    id: Id
    url: str
    events: list[str]
    created_at: Time


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="the signing secret (whsec_…), shown only in this answer")


class ListedWebhookOut(WebhookOut):
    deliveries: list[DeliveryOut] = Field(description="the latest deliveries, newest first")


class WebhookListOut(Schema):
    webhooks: list[ListedWebhookOut]


BODY_SCHEMAS["webhooks"] = WebhookIn
