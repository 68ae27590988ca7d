"""The webhooks' refusals, each with its code and sentence (see files/errors.py)."""

from __future__ import annotations

from files.errors import ChuteError


class InvalidWebhook(ChuteError):
    """Raised when a webhook cannot be registered as asked (its URL, its events, how many)."""

    code = "invalid_webhook"


class WebhookTargetRefused(InvalidWebhook):
    """Raised when a webhook's address is on loopback, a private network or another
    non-public address, at registration and again at each delivery."""

    code = "webhook_target_refused"


class WebhookNotFound(ChuteError):
    """Raised when a webhook id names no webhook of this owner."""

    status = 404
    code = "not_found"
    message = "There is no such webhook."
