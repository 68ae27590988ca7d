"""Webhooks: a program's HTTPS endpoint that receives an owner's events, signed.

The signing secret is derived from the webhook's id and SECRET_KEY (files/webhooks/secrets.py),
never stored. A `Delivery` is one event owed to one webhook; its row says what is still owed
(status, next_attempt_at), so a worker that dies mid-delivery loses nothing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from files.models.events import Event


class Webhook(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.CharField(max_length=2000, help_text="Checked by files/webhooks/targets.py.")
    events = models.JSONField(default=list, help_text="The event types it receives.")
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # due at next_attempt_at
        SENDING = "sending", "Sending"  # claimed until next_attempt_at (a lease)
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"  # gave up

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-next_attempt_at"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.webhook_id} ({self.status})"
