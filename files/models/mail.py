"""A link sent by email, kept only until the mail is sent (files/mail/links.py).

The recipients' addresses wait here for the task that sends the mail (task arguments hold only
this row's id); the task empties `recipients` once the mail is out, leaving who sent which link
when, to how many people.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class LinkMail(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    share = models.ForeignKey("files.Share", on_delete=models.CASCADE, related_name="mails")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="link_mails"
    )
    # One address a line, until sent; then empty.
    recipients = models.TextField(blank=True)
    count = models.PositiveSmallIntegerField()
    message = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link {self.share_id} to {self.count} recipient(s)"

    @property
    def addresses(self) -> list[str]:
        return [line for line in self.recipients.splitlines() if line]
