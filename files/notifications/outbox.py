"""Who may be told, and one attempt at one notification: claim, build, send, record.

The claim is a conditional UPDATE that turns a due row into SENDING with a lease (`due_at` =
now + LEASE): of two workers handed the same notification, one sends it. The lease outlasts
every SMTP step the mail can take (each bounded by EMAIL_TIMEOUT), so a live worker has
always finished before another may claim the row again; a worker killed mid-send leaves it
SENDING and the sweep hands it out once the lease ends. A mail server that accepted nothing
from the killed worker (its answer never came) then gets the mail once; only a kill in the
instant between the server's acceptance and the row's update can repeat it, and then with the
same Message-ID. Only the attempt that still holds the claim records its outcome.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from files.mail import notices
from files.models import Account, Notification, Share, Upload, UploadRequest
from files.tasks.mail import MAIL_BACKOFF

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

# The account switch each kind of notification obeys.
SWITCHES = {
    Kind.REQUEST_FILES: "notify_request_files",
    Kind.FIRST_DOWNLOAD: "notify_share_downloads",
    Kind.USED_UP: "notify_share_downloads",
    Kind.EXPIRING: "notify_expiring",
}


@dataclass(frozen=True)
class Outcome:
    sent: bool
    summary: str
    next_attempt_at: datetime | None = None  # None: no retry


def lease() -> timedelta:
    """Connect, TLS, login, envelope and data: each SMTP step waits EMAIL_TIMEOUT at most."""
    return timedelta(seconds=8 * (settings.EMAIL_TIMEOUT or 30) + 10)


def account_of(owner_id: int) -> Account | None:
    return Account.objects.select_related("user").filter(user_id=owner_id).first()


def refusal(account: Account | None, kind: str) -> str:
    """Why the owner may not be told about `kind` now; empty when they may."""
    if account is None or not account.is_verified:
        return "The owner has no confirmed email address."
    if not account.user.is_active:
        return "The account is deactivated."
    if not getattr(account, SWITCHES[Kind(kind)]):
        return "The owner switched these mails off."
    return ""


def wants(owner_id: int, kind: str) -> bool:
    return not refusal(account_of(owner_id), kind)


def used_up(share: Share) -> bool:
    """Every download the link allows was made (each file's, for a link to several)."""
    if share.max_downloads is None:
        return False
    if share.multi:
        left = share.entries.filter(upload__status=Upload.Status.READY)
        return left.exists() and not left.filter(downloads__lt=share.max_downloads).exists()
    return share.downloads >= share.max_downloads


def due(now: datetime | None = None, limit: int = 1000) -> list[uuid.UUID]:
    """Notifications to attempt now: pending ones whose time came, claimed ones whose lease
    ran out (their worker died)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=Status.PENDING) | Q(status=Status.SENDING), due_at__lte=now
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def to_forget(cutoff: datetime) -> QuerySet[Notification]:
    """Notifications finished (sent, skipped, given up) before `cutoff` (the prune job,
    files/tasks/prune.py). A link's first-download and used-up rows are also what tells each
    once (the unique (share, kind) constraint): they stay until the link ended (revoked or
    expired) before `cutoff` too. A link given more time after that cannot be told again:
    its first download and its used-up count are spent."""
    return (
        Notification.objects.filter(
            status__in=[Status.SENT, Status.SKIPPED, Status.FAILED],
            due_at__lt=cutoff,
            created_at__lt=cutoff,
        )
        .filter(
            Q(share__isnull=True)
            | Q(share__revoked_at__lt=cutoff)
            | Q(share__expires_at__lt=cutoff)
        )
        .order_by("due_at")
    )


def claim(notification_id: uuid.UUID | str, now: datetime) -> Notification | None:
    claimed = Notification.objects.filter(
        pk=notification_id, status__in=[Status.PENDING, Status.SENDING], due_at__lte=now
    ).update(status=Status.SENDING, due_at=now + lease(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Notification.objects.select_related("owner", "request", "share").get(pk=notification_id)


def record(notification: Notification, status: str, due_at: datetime, error: str = "") -> bool:
    """Write the outcome, if this attempt still holds the claim; whether it did."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk, status=Status.SENDING, attempts=notification.attempts
        ).update(
            status=status,
            due_at=due_at,
            last_error=error[:200],
            sent_at=timezone.now() if status == Status.SENT else None,
        )
    )


def origin_for(account: Account) -> str:
    """Where links point: CHUTE_ORIGIN, else where the owner confirmed their address."""
    return settings.CHUTE_ORIGIN or account.origin


def message(notification: Notification, account: Account) -> EmailMultiAlternatives | None:
    """The notification's mail, or None when nothing is left to tell."""
    user, origin, data = account.user, origin_for(account), notification.data
    if notification.kind == Kind.REQUEST_FILES:
        assert notification.request is not None  # the row goes with its request
        files = [notices.Arrived(f["name"], int(f["size"]), f["sender"]) for f in data["files"]]
        return notices.request_files(notification.id, user, notification.request, files, origin)
    if notification.kind in (Kind.FIRST_DOWNLOAD, Kind.USED_UP):
        share = notification.share
        assert share is not None
        if not share.notify:
            return None
        if notification.kind == Kind.USED_UP:
            return notices.link_used_up(notification.id, user, share, origin)
        return notices.link_downloaded(
            notification.id,
            user,
            share,
            downloaded_at=datetime.fromisoformat(data["downloaded_at"]),
            used_up=bool(data.get("used_up")),
            origin=origin,
        )
    # EXPIRING: what is still open of what it announced.
    now = timezone.now()
    shares = list(
        Share.objects.filter(
            pk__in=data["shares"], owner=user, revoked_at__isnull=True, expires_at__gt=now
        ).order_by("expires_at")
    )
    requests = list(
        UploadRequest.objects.filter(
            pk__in=data["requests"], owner=user, closed_at__isnull=True, expires_at__gt=now
        ).order_by("expires_at")
    )
    if not shares and not requests:
        return None
    return notices.expiring(notification.id, user, shares, requests, origin)


def attempt(notification_id: uuid.UUID | str, now: datetime | None = None) -> Outcome | None:
    """Make one attempt if the notification is due and claimed here; None if it is not ours."""
    now = now or timezone.now()
    notification = claim(notification_id, now)
    if notification is None:
        return None
    account = account_of(notification.owner_id)
    why_not = refusal(account, notification.kind)
    mail = message(notification, account) if account and not why_not else None
    if mail is None:
        why_not = why_not or "Nothing is left to tell."
        record(notification, Status.SKIPPED, now, why_not)
        return Outcome(False, f"skipped: {why_not}")
    try:
        mail.send()
    except Exception as error:  # SMTP refusals, a server that is down, a provider's API error
        sentence = f"{type(error).__name__}: {error}"
        if MAIL_BACKOFF.gives_up_after(notification.attempts):
            record(notification, Status.FAILED, now, sentence)
            logger.error("Notification %s failed for good: %s", notification.pk, sentence)
            return Outcome(False, f"gave up: {sentence}")
        retry_at = timezone.now() + MAIL_BACKOFF.delay(notification.attempts)
        record(notification, Status.PENDING, retry_at, sentence)
        logger.warning("Notification %s failed, retrying at %s", notification.pk, retry_at)
        return Outcome(False, f"failed: {sentence}", retry_at)
    record(notification, Status.SENT, now)
    return Outcome(True, "sent")
