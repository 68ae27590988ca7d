"""Send a link by email: who may send which link to whom, and the row that waits for the mail.

`prepare` checks everything a person can fix (the addresses, the link's state, the hourly
limit) and saves a `LinkMail` holding the addresses; the task (files/tasks/mail.py) sends the
mail from that row and then empties it (`mark_sent`), so no address is kept after sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from files import text
from files.accounts import throttle
from files.mail.errors import InvalidRecipients, LinkMailsThrottled, LinkNotSendable, LinkUnknown
from files.models import LinkMail, Share
from files.shares import listing

MAX_RECIPIENTS = 10
MAX_MESSAGE = 2000
WINDOW = timedelta(hours=1)


def recipients(to: Sequence[str]) -> list[str]:
    """The addresses as given, checked: 1 to 10 of them, each valid, none twice."""
    addresses = [address.strip() for address in to]
    if not addresses or not any(addresses):
        raise InvalidRecipients("Give at least one email address to send the link to.")
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidRecipients(
            f"A link goes to at most {MAX_RECIPIENTS} addresses at once; you gave {len(addresses)}."
        )
    seen: set[str] = set()
    for address in addresses:
        shown = address if len(address) <= 80 else address[:80] + "…"
        try:
            if len(address) > 254 or "\n" in address:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            raise InvalidRecipients(
                f"“{text.clean(shown)}” is not an email address. Write addresses like "
                "name@example.com."
            ) from None
        if address.lower() in seen:
            raise InvalidRecipients(f"{address} is in the list twice; give each address once.")
        seen.add(address.lower())
    return addresses


def split(typed: str) -> list[str]:
    """Addresses typed in one box: separated by commas, semicolons, spaces or lines."""
    return [part for part in typed.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


def sendable(owner: User, share_id: object, now: datetime | None = None) -> listing.Link:
    """The owner's link, if it still works and its address is known; refusals otherwise."""
    link = listing.one(owner, share_id, now)  # ShareNotFound (404) for anyone else's
    if link.state != Share.State.ACTIVE:
        raise LinkNotSendable(
            f"This link no longer works ({link.state.label.lower()}), so it was not sent. "
            "Make a new link to send."
        )
    if link.token is None:
        raise LinkUnknown()
    return link


def prepare(
    owner: User,
    share_id: object,
    to: Sequence[str],
    message: str = "",
    now: datetime | None = None,
) -> LinkMail:
    """Check a link mail and keep it for the task to send; the row, or a refusal."""
    now = now or timezone.now()
    addresses = recipients(to)
    message = text.clean(message or "", multiline=True)
    if len(message) > MAX_MESSAGE:
        raise InvalidRecipients(f"The message can be at most {MAX_MESSAGE} characters long.")
    link = sendable(owner, share_id, now)
    retry_at = throttle.hit(
        "link-mail",
        str(owner.pk),
        limit=settings.CHUTE_LINK_MAILS_PER_HOUR,
        window=WINDOW,
        now=now,
    )
    if retry_at:
        raise LinkMailsThrottled(retry_at, now)
    return LinkMail.objects.create(
        share=link.share,
        sender=owner,
        recipients="\n".join(addresses),
        count=len(addresses),
        message=message,
    )


@dataclass(frozen=True)
class Pending:
    """A link mail the task is about to send: the row and the link as its owner sees it."""

    mail: LinkMail
    link: listing.Link


def pending(mail_id: str) -> Pending | None:
    """The mail still to send, or None: already sent, gone, or its link stopped working
    (then its addresses are dropped at once)."""
    mail = LinkMail.objects.select_related("sender").filter(pk=mail_id).first()
    if mail is None or mail.sent_at is not None:
        return None
    try:
        link = sendable(mail.sender, mail.share_id)
    except (LinkNotSendable, LinkUnknown):
        mark_sent(mail)
        return None
    return Pending(mail=mail, link=link)


def forget_unsent(before: datetime) -> int:
    """Empty the addresses of link mails made before `before` and never sent: every retry
    failed (or was lost), and the addresses are not kept for a mail that will not go."""
    return (
        LinkMail.objects.filter(sent_at__isnull=True, created_at__lt=before)
        .exclude(recipients="")
        .update(recipients="")
    )


def mark_sent(mail: LinkMail) -> None:
    """Forget the addresses: the mail is out (or will never be)."""
    with transaction.atomic():
        LinkMail.objects.filter(pk=mail.pk).update(recipients="", sent_at=timezone.now())
