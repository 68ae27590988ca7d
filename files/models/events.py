"""The event outbox: what happened, written in the transaction that made it happen.

An `Event` row is written beside the state change that causes it (an upload becoming READY, a
counted share download), so an event exists exactly when the change committed. Consumers
(webhooks, notifications) read the rows, each marking what it took in; `data` holds ids and
names only, never a URL or a token.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.Model):
    class Type(models.TextChoices):
        FILE_READY = "file.ready", "A file is ready"
        REQUEST_RECEIVED = "request.received", "A file arrived through an upload request"
        SHARE_DOWNLOADED = "share.downloaded", "A share link was downloaded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    data = models.JSONField(default=dict, help_text="Ids and names only: never a URL or token.")
    created_at = models.DateTimeField(default=timezone.now)
    # When the event's webhook deliveries were made (files/webhooks/dispatch.py); null: owed.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # When notifications (files/notifications/collect.py) took the event in; null: not yet.
    noticed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["dispatched_at", "created_at"], name="event_pending"),
            models.Index(fields=["noticed_at", "created_at"], name="event_unnoticed"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks `webhook-id`: the same on every delivery of this event."""
        return f"evt_{self.id.hex}"
