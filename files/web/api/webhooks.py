"""`/api/webhooks…`: an owner's webhooks: register one (its secret shown once), list them with
their latest deliveries, delete one."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from ninja import Router, Status

from files.web.api.schemas import ErrorOut
from files.web.api.webhook_schemas import NewWebhookOut, WebhookIn, WebhookListOut, WebhookOut
from files.web.http import AuthenticatedRequest
from files.webhooks import registration

router = Router(tags=["webhooks"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404)}


@router.post("/webhooks", url_name="webhooks", response={201: NewWebhookOut, **ERRORS})
def create_webhook(request: AuthenticatedRequest, body: WebhookIn) -> Status:
    """Send these events to this URL, signed; the signing secret is in this answer only."""
    new = registration.create(request.user, url=body.url, events=body.events)
    return Status(
        201, NewWebhookOut(**WebhookOut.model_validate(new.row).model_dump(), secret=new.secret)
    )


@router.get("/webhooks", url_name="webhooks", response={200: WebhookListOut, **ERRORS})
def list_webhooks(request: AuthenticatedRequest) -> Any:
    """Your webhooks, each with its latest deliveries and the answers they got."""
    return {
        "webhooks": [
            {**WebhookOut.model_validate(item.row).model_dump(), "deliveries": item.deliveries}
            for item in registration.webhooks_of(request.user)
        ]
    }


@router.delete(
    "/webhooks/{uuid_any:webhook_id}", url_name="webhook-api", response={204: None, **ERRORS}
)
def delete_webhook(request: AuthenticatedRequest, webhook_id: uuid.UUID) -> HttpResponse:
    """Delete a webhook: nothing more is sent to it."""
    registration.delete(registration.get_owned(request.user, webhook_id))
    return HttpResponse(status=204)
