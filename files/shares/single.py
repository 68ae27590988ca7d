"""Links to one file: creation, expiry presets, revocation and the atomic download check.

Tokens are made and matched by files/links/tokens.py. Views call one function here; presigned
GETs come from `downloads.download_url`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from files import text
from files.accounts.tokens import hash_token
from files.errors import (
    FileNotShareable,
    InvalidShare,
    LinkClosed,
    LinkGone,
    ShareNotFound,
)
from files.events import record
from files.links import passwords, tokens
from files.links.passwords import MAX_PASSWORD_LENGTH, format_duration
from files.links.tokens import PREFIX_LENGTH, TOKEN_PATTERN
from files.models import Account, Share, Upload
from files.uploads import downloads, start

MAX_DOWNLOADS_LIMIT = 1_000_000
MAX_MESSAGE_LENGTH = 2000  # as an upload request's message (upload_requests/owners.py)
LINK_SALT = "share"  # what files/links/tokens.py derive mixes into the HMAC

DEFAULT_EXPIRY = 7 * 24 * 3600
# Expiry choices offered in the dialog (seconds, label); those over the cap are hidden.
EXPIRY_PRESETS = [
    (3600, "1 hour"),
    (24 * 3600, "1 day"),
    (7 * 24 * 3600, "7 days"),
    (30 * 24 * 3600, "30 days"),
]


# --- Creating, listing, revoking ----------------------------------------------------------


@dataclass(frozen=True)
class ShareRequest:
    expires_in: int
    max_downloads: int | None = None
    password: str = ""
    message: str = ""
    notify: bool | None = None  # None: the account's choice (resolve_notify)


@dataclass(frozen=True)
class NewShare:
    """A link just made: the only moment its token exists outside the visitor's hands."""

    share: Share
    token: str


def max_expiry() -> int:
    return settings.CHUTE_SHARE_MAX_EXPIRY


def expiry_presets() -> list[tuple[int, str]]:
    presets = [(seconds, label) for seconds, label in EXPIRY_PRESETS if seconds <= max_expiry()]
    # A cap below the shortest preset still leaves one choice: the cap itself.
    return presets or [(max_expiry(), format_duration(max_expiry()))]


def default_expiry() -> int:
    """The dialog's preselected expiry: 7 days, or the longest preset the cap allows."""
    allowed = [seconds for seconds, _ in expiry_presets() if seconds <= DEFAULT_EXPIRY]
    return allowed[-1] if allowed else max_expiry()


def validate(request: ShareRequest) -> ShareRequest:
    """Range checks shared by the JSON API, the dialog and direct callers."""
    if request.expires_in <= 0:
        raise InvalidShare("expires_in must be a positive number of seconds.")
    if request.expires_in > max_expiry():
        raise InvalidShare(
            f"Share links can last at most {format_duration(max_expiry())} "
            f"(expires_in ≤ {max_expiry()})."
        )
    if request.max_downloads is not None and not (
        1 <= request.max_downloads <= MAX_DOWNLOADS_LIMIT
    ):
        raise InvalidShare(
            f"max_downloads must be between 1 and {MAX_DOWNLOADS_LIMIT:,}, or left out for no limit."
        )
    if len(request.password) > MAX_PASSWORD_LENGTH:
        raise InvalidShare(f"The password can be at most {MAX_PASSWORD_LENGTH} characters.")
    # Refused when too long, not cut: the owner is typing it and can shorten it.
    message = text.clean(request.message, multiline=True)
    if len(message) > MAX_MESSAGE_LENGTH:
        raise InvalidShare(f"The message can be at most {MAX_MESSAGE_LENGTH} characters.")
    return replace(request, message=message)


def new_link(share_id: uuid.UUID) -> dict[str, str]:
    """A new link's token columns: the hash and prefix of the token derived from its id."""
    token = tokens.derive(LINK_SALT, share_id)
    return {"token_hash": hash_token(token), "token_prefix": token[:PREFIX_LENGTH]}


@dataclass(frozen=True)
class NotifyChoice:
    """The dialog's "Tell me when it is downloaded": ticked or not, or why it cannot be."""

    default: bool
    refusal: str  # empty when the owner can be told


def notify_choice(owner_id: int) -> NotifyChoice:
    account = Account.objects.select_related("user").filter(user_id=owner_id).first()
    if account is None or not account.is_verified:
        return NotifyChoice(
            False,
            "Being told about downloads needs a confirmed email address: add one on your "
            "account page and open the link Chute mails you.",
        )
    if not account.notify_share_downloads:
        return NotifyChoice(
            False,
            "Mails about downloads are switched off on your account page; switch them on "
            "there to be told.",
        )
    return NotifyChoice(True, "")


def resolve_notify(owner_id: int, notify: bool | None) -> bool:
    """Whether a new link tells its owner of its downloads: as asked (refused when they cannot
    be told), else the account's choice."""
    choice = notify_choice(owner_id)
    if notify is None:
        return choice.default
    if notify and choice.refusal:
        raise InvalidShare(choice.refusal)
    return notify


def token_of(share: Share) -> str | None:
    """The link's token, computed again; None for links made before tokens were derived."""
    return tokens.recover(LINK_SALT, share.pk, share.token_hash)


def create_share(
    upload: Upload,
    *,
    expires_in: int = 24 * 3600,
    max_downloads: int | None = None,
    password: str = "",
    message: str = "",
    notify: bool | None = False,
) -> NewShare:
    """Make a link to a ready file. Tests and benchmarks call this directly.

    `notify`: mail the owner at its first download and when used up; None: the account's
    choice (files/notifications/)."""
    request = validate(
        ShareRequest(
            expires_in=expires_in, max_downloads=max_downloads, password=password, message=message
        )
    )
    if upload.status != Upload.Status.READY:
        raise FileNotShareable()
    notify = resolve_notify(upload.owner_id, notify)
    share_id = uuid.uuid4()
    share = Share.objects.create(
        id=share_id,
        upload=upload,
        owner_id=upload.owner_id,
        **new_link(share_id),
        name=upload.name,
        password=make_password(request.password) if request.password else "",
        expires_at=timezone.now() + timedelta(seconds=request.expires_in),
        max_downloads=request.max_downloads,
        message=request.message,
        notify=notify,
    )
    token = token_of(share)
    assert token is not None  # derived just now under SECRET_KEY
    return NewShare(share=share, token=token)


def get_shareable(owner: User, upload_id: Any) -> Upload:
    """The owner's ready file; UploadNotFound for anyone else's or a missing one."""
    return start.get_ready(owner, upload_id)


def shares_of(upload: Upload) -> list[Share]:
    return list(Share.objects.filter(upload=upload).order_by("-created_at"))


def get_owned_share(owner: User, share_id: Any) -> Share:
    try:
        return Share.objects.get(pk=share_id, owner=owner)
    except (Share.DoesNotExist, ValueError, ValidationError):  # ValidationError: not a UUID
        raise ShareNotFound() from None


def revoke(share: Share) -> Share:
    """Stop a link from handing out its file; idempotent (the first revocation time stays)."""
    now = timezone.now()
    Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=now)
    share.refresh_from_db(fields=["revoked_at"])
    return share


def change_expiry(share: Share, expires_in: int, now: datetime | None = None) -> Share:
    """Move a link's expiry to `expires_in` seconds from now, within the creation limits.

    Expired or used-up links may be given more time; revoked ones (and those whose files were
    deleted) stay closed. The UPDATE re-checks revocation, so a concurrent Revoke wins.
    """
    validate(ShareRequest(expires_in=expires_in))
    now = now or timezone.now()
    if share.upload_id is None and not share.multi:
        raise LinkClosed("The shared file was deleted, so this link can no longer change.")
    if share.multi and not share.entries.filter(upload__status=Upload.Status.READY).exists():
        raise LinkClosed("The shared files were deleted, so this link can no longer change.")
    expires_at = now + timedelta(seconds=expires_in)
    # A new expiry is announced in its turn (files/notifications/expiring.py).
    if not Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(
        expires_at=expires_at, expiry_announced_at=None
    ):
        raise LinkClosed()
    share.expires_at = expires_at
    return share


def revoke_for_upload(upload: Upload) -> int:
    """Revoke and detach every link to a file that is being deleted (they answer "deleted").

    Links to several files lose just this one: they list only READY files, and the entry
    goes with the row (files/shares/multi.py); they answer "deleted" once none is left.
    """
    return Share.objects.filter(upload=upload).update(
        upload=None, revoked_at=Coalesce(F("revoked_at"), Value(timezone.now()))
    )


# --- Opening a link -----------------------------------------------------------------------


def find(token: str, *, with_owner: bool = False) -> Share:
    """The link a token opens, with its file; ShareNotFound for anything else, whatever its shape."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise ShareNotFound()
    related = ["upload", "owner"] if with_owner else ["upload"]
    try:
        return Share.objects.select_related(*related).get(token_hash=hash_token(token))
    except Share.DoesNotExist:
        raise ShareNotFound() from None


def ensure_open(share: Share, now: datetime | None = None) -> None:
    state = share.state(now)
    if state != Share.State.ACTIVE:
        raise LinkGone(share, state)


def verify_password(share: Share, password: str, client: str, now: datetime | None = None) -> None:
    """Check a link's password, throttled per link and client (files/links/passwords.py)."""
    passwords.verify(
        f"share:{share.pk}",
        share.password,
        password,
        client,
        prompt="This link is protected by a password. Enter it to download.",
        now=now,
    )


def claim_download(share: Share, now: datetime | None = None, *, inline: bool = False) -> str:
    """Count one download atomically and return a presigned GET (≤ 60 s) for the file.

    One conditional UPDATE decides: the row must still be unrevoked, unexpired, attached to
    its file and under its download limit. Every condition is on the share's own columns, so
    PostgreSQL re-checks them against the latest row version when concurrent requests queue
    on the row lock: twenty requests for five downloads yield exactly five URLs. `inline`
    ("Open") shows the allow-listed types in the browser; it counts the same.
    """
    now = now or timezone.now()
    if share.upload is not None:
        downloads.ensure_servable(share.upload)  # before the count is taken
    # The count and its event commit together (no savepoint: nothing in it is caught).
    with transaction.atomic(savepoint=False):
        count = count_download(share, now)
        if count is not None and share.upload is not None:
            record.share_downloaded(share, [share.upload], count)
    if count is None:
        share.refresh_from_db()
        state = share.state(now)
        # Claimed by nobody yet still "active" cannot happen; report it as used up.
        raise LinkGone(share, Share.State.USED_UP if state == Share.State.ACTIVE else state)
    share.downloads += 1
    assert share.upload is not None  # the UPDATE required it
    return downloads.download_url(share.upload, inline=inline)


def count_download(share: Share, now: datetime) -> int | None:
    """Count one download while the link may hand one out (unrevoked, unexpired, attached to its
    file, under its limit: conditions on the row's own columns, see `claim_download`); the
    link's count after it, or None when the row did not match.

    One UPDATE … RETURNING: Django's `update()` answers only how many rows matched, and the
    download's event reports the new count, which a SELECT after the UPDATE costs a query.
    """
    if not connection.features.can_return_columns_from_insert:  # SQLite before 3.35
        return _count_then_read(share, now)
    moment = connection.ops.adapt_datetimefield_value(now)
    share_id = Share._meta.get_field("id").get_db_prep_value(share.pk, connection)
    table = connection.ops.quote_name(Share._meta.db_table)  # the one name not written here
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET downloads = downloads + 1, last_download_at = %s"  # noqa: S608
            " WHERE id = %s AND revoked_at IS NULL AND upload_id IS NOT NULL AND expires_at > %s"
            " AND (max_downloads IS NULL OR downloads < max_downloads) RETURNING downloads",
            [moment, share_id, moment],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _count_then_read(share: Share, now: datetime) -> int | None:
    """`count_download` in two statements, for databases without RETURNING."""
    claimed = (
        Share.objects.filter(
            pk=share.pk, revoked_at__isnull=True, upload__isnull=False, expires_at__gt=now
        )
        .filter(Q(max_downloads__isnull=True) | Q(downloads__lt=F("max_downloads")))
        .update(downloads=F("downloads") + 1, last_download_at=now)
    )
    if not claimed:
        return None
    return Share.objects.values_list("downloads", flat=True).get(pk=share.pk)
