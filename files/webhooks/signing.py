"""The signing secret of a webhook, and the Standard Webhooks headers of a delivery.

The secret is `whsec_` + base64 of an HMAC-SHA256 of the webhook's id under a key made from
SECRET_KEY (as share tokens are, files/links/tokens.py): nothing to store or leak from the
database, shown once when the webhook is made. While SECRET_KEY rotates, deliveries carry a
signature under the current key and one under each SECRET_KEY_FALLBACKS entry (the spec lets
`webhook-signature` list several), so a receiver holding the old secret keeps verifying.
"""

from __future__ import annotations

import base64
from datetime import datetime

from django.conf import settings
from django.utils.crypto import salted_hmac
from standardwebhooks.webhooks import Webhook as Signer

from files.models import Webhook


def secret(webhook: Webhook, key: str | bytes | None = None) -> str:
    digest = salted_hmac(
        "chute.webhooks.secret", str(webhook.id), secret=key, algorithm="sha256"
    ).digest()
    return "whsec_" + base64.b64encode(digest).decode()


def headers(webhook: Webhook, message_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    signatures = [
        Signer(secret(webhook, key)).sign(msg_id=message_id, timestamp=sent_at, data=body)
        for key in keys
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "Chute-Webhooks",
    }
