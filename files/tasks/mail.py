"""The mail tasks: every mail Chute sends goes out here, from the worker, never in a request.

Arguments are ids and the origin links should use, never an address, a token or a link: the
database queue stores them. Each task reads its rows again, so a retry (SMTP down) or a second
run after a worker died finds what is left to do: a verified address needs no mail, a link mail
whose addresses were cleared was sent. At worst a mail goes twice, never to the wrong person.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.mail import get_connection
from django.utils import timezone
from django_tasks import task

from files.mail import addresses, links, messages
from files.tasks.retry import Backoff, retried_task

# A mail server that is down usually comes back within the hour; try for about a day.
MAIL_BACKOFF = Backoff(attempts=10, first=timedelta(seconds=30), cap=timedelta(hours=4))
# How long after its last retry was due a link mail that never went keeps its addresses: the
# margin lets a queue that runs late make that last attempt.
LAST_RETRY_MARGIN = timedelta(hours=1)


@retried_task(MAIL_BACKOFF)
def send_verification(user_id: int, origin: str) -> bool:
    """Mail the account's address a link that verifies it; False when there is nothing to do."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or addresses.is_verified(user):
        return False
    messages.verification(user, origin).send()
    return True


@retried_task(MAIL_BACKOFF)
def send_password_reset(user_id: int, origin: str) -> bool:
    """Mail a password-reset link, to a verified address only."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not addresses.verified_address(user):
        return False
    messages.password_reset(user, origin).send()
    return True


@retried_task(MAIL_BACKOFF)
def send_link_mail(mail_id: str, origin: str) -> int:
    """Send a link to the addresses its LinkMail row holds, then forget them; the mails sent."""
    pending = links.pending(mail_id)
    if pending is None:
        return 0
    with get_connection() as connection:
        sent = connection.send_messages(messages.link_mails(pending, origin)) or 0
    links.mark_sent(pending.mail)
    return sent


def unsent_horizon() -> timedelta:
    """The age past which a link mail's last retry is over (about 5 hours)."""
    return MAIL_BACKOFF.span() + LAST_RETRY_MARGIN


@task()
def forget_unsent_link_mails() -> int:
    """Empty the addresses of link mails whose every retry failed; how many (periodic job)."""
    return links.forget_unsent(timezone.now() - unsent_horizon())
