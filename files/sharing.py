"""Share links: tokens, creation, revocation and the atomic download check.

A token is 256 random bits from `secrets`, shown once when the link is made. Only its SHA-256
is stored (plus a short prefix to recognise it), so a copy of the database cannot be turned
into working links; a plain hash is enough because the input is random, not a password.

Views call one function here; presigned GETs come from `uploads.download_url`.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Min, Q
from django.urls import reverse
from django.utils import timezone

from files import uploads
from files.models import Share, ShareAttempt, Upload

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
# secrets.token_urlsafe(32) is exactly 43 URL-safe base64 characters.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
PREFIX_LENGTH = 6
MAX_PASSWORD_LENGTH = 128
MAX_DOWNLOADS_LIMIT = 1_000_000

# Wrong passwords allowed per link and client within the window, then a pause.
PASSWORD_FAILURES = 5
PASSWORD_WINDOW = timedelta(minutes=15)
# Ceiling per link over all clients: bounds guessing by someone who rotates addresses.
LINK_PASSWORD_FAILURES = 50

DEFAULT_EXPIRY = 7 * 24 * 3600
# Expiry choices offered in the dialog (seconds, label); those over the cap are hidden.
EXPIRY_PRESETS = [
    (3600, "1 hour"),
    (24 * 3600, "1 day"),
    (7 * 24 * 3600, "7 days"),
    (30 * 24 * 3600, "30 days"),
]


# --- Errors -------------------------------------------------------------------------------


class ShareError(uploads.UploadError):
    """Raised when Chute refuses a share request; the API maps it like upload errors."""

    code = "invalid_share"
    message = "The share link request could not be understood."


class FileNotShareable(ShareError):
    """Raised when the file is not (or no longer) a ready file."""

    status = 409
    code = "not_ready"
    message = "Only files that finished uploading can be shared."


class ShareNotFound(ShareError):
    """Raised when a share id or token names no link (of this owner)."""

    status = 404
    code = "not_found"
    message = "There is no such share link."


class LinkGone(Exception):
    """Raised when a link exists but no longer hands out its file (expired, used up, revoked)."""

    def __init__(self, share: Share, state: Share.State) -> None:
        self.share = share
        self.state = state
        super().__init__(state.label)


class PasswordRefused(Exception):
    """Raised when a password-protected link was opened without the right password."""

    status = 403

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class TooManyAttempts(PasswordRefused):
    """Raised when a client guessed wrong too often on one link; says when to try again."""

    status = 429

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        self.retry_after = max(math.ceil((retry_at - now).total_seconds()), 1)
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            "Too many wrong passwords for this link. Try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''} "
            f"(at {retry_at.astimezone(UTC):%H:%M} UTC)."
        )


# --- Tokens -------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_path(token: str) -> str:
    return reverse("share", args=[token])


# --- Creating, listing, revoking ----------------------------------------------------------


@dataclass(frozen=True)
class ShareRequest:
    expires_in: int
    max_downloads: int | None = None
    password: str = ""


@dataclass(frozen=True)
class NewShare:
    """A link just made: the only moment its token exists outside the visitor's hands."""

    share: Share
    token: str

    @property
    def path(self) -> str:
        return share_path(self.token)


def max_expiry() -> int:
    return settings.CHUTE_SHARE_MAX_EXPIRY


def format_duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def expiry_presets() -> list[tuple[int, str]]:
    presets = [(seconds, label) for seconds, label in EXPIRY_PRESETS if seconds <= max_expiry()]
    # A cap below the shortest preset still leaves one choice: the cap itself.
    return presets or [(max_expiry(), format_duration(max_expiry()))]


def default_expiry() -> int:
    """The dialog's preselected expiry: 7 days, or the longest preset the cap allows."""
    allowed = [seconds for seconds, _ in expiry_presets() if seconds <= DEFAULT_EXPIRY]
    return allowed[-1] if allowed else max_expiry()


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate(request: ShareRequest) -> ShareRequest:
    """Range checks shared by the JSON API, the dialog and direct callers."""
    if request.expires_in <= 0:
        raise ShareError("expires_in must be a positive number of seconds.")
    if request.expires_in > max_expiry():
        raise ShareError(
            f"Share links can last at most {format_duration(max_expiry())} "
            f"(expires_in ≤ {max_expiry()})."
        )
    if request.max_downloads is not None and not (
        1 <= request.max_downloads <= MAX_DOWNLOADS_LIMIT
    ):
        raise ShareError(
            f"max_downloads must be between 1 and {MAX_DOWNLOADS_LIMIT:,}, or left out for no limit."
        )
    if len(request.password) > MAX_PASSWORD_LENGTH:
        raise ShareError(f"The password can be at most {MAX_PASSWORD_LENGTH} characters.")
    return request


def parse_request(data: Any) -> ShareRequest:
    """Validate a `POST /api/files/<id>/shares` body; raises ShareError with a sentence."""
    if not isinstance(data, dict):
        raise ShareError('Send a JSON object such as {"expires_in": 86400}.')
    if "expires_in" not in data:
        raise ShareError("Missing field: expires_in (seconds until the link expires).")
    expires_in = data["expires_in"]
    if not _whole_number(expires_in):
        raise ShareError("expires_in must be a whole number of seconds, such as 86400.")
    max_downloads = data.get("max_downloads")
    if max_downloads is not None and not _whole_number(max_downloads):
        raise ShareError("max_downloads must be a whole number, or null for no limit.")
    password = data.get("password")
    if password is None:
        password = ""
    if not isinstance(password, str):
        raise ShareError("password must be text.")
    return validate(
        ShareRequest(expires_in=expires_in, max_downloads=max_downloads, password=password)
    )


def parse_form(data: Any, now: datetime | None = None) -> ShareRequest:
    """Validate the dialog's form: a preset (seconds) or a date, optional count and password."""
    now = now or timezone.now()
    choice = (data.get("expires") or "").strip()
    if choice == "date":
        expires_in = math.ceil((_form_date(data) - now).total_seconds())
        if expires_in <= 0:
            raise ShareError("Choose an expiry date in the future.")
    elif choice.isdigit():
        expires_in = int(choice)
    else:
        raise ShareError("Choose when the link expires.")
    raw_count = (data.get("max_downloads") or "").strip()
    if raw_count and not raw_count.isdigit():
        raise ShareError("Maximum downloads must be a whole number, or empty for no limit.")
    return validate(
        ShareRequest(
            expires_in=expires_in,
            max_downloads=int(raw_count) if raw_count else None,
            password=data.get("password") or "",
        )
    )


def _form_date(data: Any) -> datetime:
    # The page's script sends the chosen local time as ISO 8601 with an offset (expires_at);
    # without it, the datetime-local value (expires_on) is read as UTC.
    raw = (data.get("expires_at") or data.get("expires_on") or "").strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ShareError("Choose the expiry date and time.") from None
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def create_share(
    upload: Upload,
    *,
    expires_in: int = 24 * 3600,
    max_downloads: int | None = None,
    password: str = "",
) -> NewShare:
    """Make a link to a ready file. Tests and benchmarks call this directly."""
    request = validate(
        ShareRequest(expires_in=expires_in, max_downloads=max_downloads, password=password)
    )
    if upload.status != Upload.Status.READY:
        raise FileNotShareable()
    token = new_token()
    share = Share.objects.create(
        upload=upload,
        owner_id=upload.owner_id,
        token_hash=hash_token(token),
        token_prefix=token[:PREFIX_LENGTH],
        name=upload.name,
        password=make_password(request.password) if request.password else "",
        expires_at=timezone.now() + timedelta(seconds=request.expires_in),
        max_downloads=request.max_downloads,
    )
    return NewShare(share=share, token=token)


def get_shareable(owner: AbstractBaseUser, upload_id: Any) -> Upload:
    """The owner's ready file; UploadNotFound for anyone else's or a missing one."""
    upload = uploads.get_upload(owner, upload_id)
    if upload.status != Upload.Status.READY:
        raise uploads.UploadNotFound()
    return upload


def shares_of(upload: Upload) -> list[Share]:
    return list(Share.objects.filter(upload=upload).order_by("-created_at"))


def get_owned_share(owner: AbstractBaseUser, share_id: Any) -> Share:
    try:
        return Share.objects.get(pk=share_id, owner=owner)
    except (Share.DoesNotExist, ValueError):
        raise ShareNotFound() from None


def revoke(share: Share) -> Share:
    """Stop a link from handing out its file; idempotent (the first revocation time stays)."""
    now = timezone.now()
    Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=now)
    share.refresh_from_db(fields=["revoked_at"])
    return share


def revoke_for_upload(upload: Upload) -> int:
    """Revoke every link to a file that is being deleted."""
    return Share.objects.filter(upload=upload, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def share_json(share: Share, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": str(share.id),
        "prefix": share.token_prefix,
        "state": share.state(now),
        "expires_at": share.expires_at.isoformat(),
        "max_downloads": share.max_downloads,
        "downloads": share.downloads,
        "has_password": share.has_password,
        "created_at": share.created_at.isoformat(),
        "revoked_at": share.revoked_at.isoformat() if share.revoked_at else None,
    }


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


def client_id(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def verify_password(share: Share, password: str, client: str, now: datetime | None = None) -> None:
    """Check a link's password, throttled per link and client.

    Each attempt is recorded *before* counting, so concurrent guesses see one another and at
    most PASSWORD_FAILURES of them reach the hasher; a right password removes its record.
    """
    if not share.has_password:
        return
    if not password:
        raise PasswordRefused("This link is protected by a password. Enter it to download.")
    now = now or timezone.now()
    client = client_id(client)
    attempt = ShareAttempt.objects.create(share=share, client=client, created_at=now)
    window_start = now - PASSWORD_WINDOW
    recent = ShareAttempt.objects.filter(share=share, created_at__gt=window_start).aggregate(
        mine=Count("pk", filter=Q(client=client)),
        my_oldest=Min("created_at", filter=Q(client=client)),
        total=Count("pk"),
        oldest=Min("created_at"),
    )
    # `mine` includes this attempt: the (PASSWORD_FAILURES + 1)th within the window is refused.
    if recent["mine"] > PASSWORD_FAILURES or recent["total"] > LINK_PASSWORD_FAILURES:
        attempt.delete()
        oldest = recent["my_oldest"] if recent["mine"] > PASSWORD_FAILURES else recent["oldest"]
        raise TooManyAttempts(oldest + PASSWORD_WINDOW, now)
    if len(password) <= MAX_PASSWORD_LENGTH and check_password(password, share.password):
        attempt.delete()
        return
    ShareAttempt.objects.filter(share=share, created_at__lte=window_start).delete()
    left = PASSWORD_FAILURES - recent["mine"]
    raise PasswordRefused(
        "That password is not right. "
        + (
            f"{left} more attempt{'s' if left != 1 else ''} before a pause."
            if left
            else f"Wait {format_duration(int(PASSWORD_WINDOW.total_seconds()))} before trying again."
        )
    )


def claim_download(share: Share, now: datetime | None = None) -> str:
    """Count one download atomically and return a presigned GET (≤ 60 s) for the file.

    One conditional UPDATE decides: the row must still be unrevoked, unexpired, attached to
    its file and under its download limit. Every condition is on the share's own columns, so
    PostgreSQL re-checks them against the latest row version when concurrent requests queue
    on the row lock: twenty requests for five downloads yield exactly five URLs.
    """
    now = now or timezone.now()
    claimed = (
        Share.objects.filter(
            pk=share.pk, revoked_at__isnull=True, upload__isnull=False, expires_at__gt=now
        )
        .filter(Q(max_downloads__isnull=True) | Q(downloads__lt=F("max_downloads")))
        .update(downloads=F("downloads") + 1, last_download_at=now)
    )
    if not claimed:
        share.refresh_from_db()
        state = share.state(now)
        # Claimed by nobody yet still "active" cannot happen; report it as used up.
        raise LinkGone(share, Share.State.USED_UP if state == Share.State.ACTIVE else state)
    share.downloads += 1
    return uploads.download_url(share.upload)
