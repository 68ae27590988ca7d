"""Notifications: a mail owed to an owner about their files (files/notifications/).

A `Notification` is one mail: a digest of the files that arrived through an upload request,
a link's first download, a link used up, or what expires within a day. Its row says what is
owed and when (`status`, `due_at`), so the worker's sweep sends what a dead worker left; the
row is claimed (SENDING, with `due_at` as the end of the lease) before the mail goes out.
`data` holds ids, names and sizes only, never an address, a URL or a token.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    class Kind(models.TextChoices):
        REQUEST_FILES = "request_files", "Files arrived through an upload request"
        FIRST_DOWNLOAD = "first_download", "A link was downloaded for the first time"
        USED_UP = "used_up", "A link's downloads are used up"
        EXPIRING = "expiring", "Links or requests expire within 24 hours"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # due at due_at (a digest still collects until then)
        SENDING = "sending", "Sending"  # claimed until due_at (a lease)
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"  # no verified address, switched off, or said elsewhere
        FAILED = "failed", "Failed"  # gave up after the last attempt

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    request = models.ForeignKey(
        "files.UploadRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    share = models.ForeignKey(
        "files.Share", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    data = models.JSONField(default=dict, help_text="Ids, names and sizes: never a URL or token.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A link's first download and its end are each told once, whatever races.
            models.UniqueConstraint(
                fields=["share", "kind"],
                condition=Q(share__isnull=False),
                name="one_notification_per_link_and_kind",
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="notification_due")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.owner_id} ({self.status})"
