"""Upload requests: links through which people without an account send files to an owner.

The guest's bytes go straight to the bucket like the owner's: the same protocol, keys under the
owner's prefix chosen by the server, the owner's quota. A request's limits (files, bytes) are
reserved when an upload is issued, under a lock on the request's row, so two guests racing for
the last slot get one success. Tokens are stored hashed, like share links.

Just over 300 lines: a request's whole life (its wording checked, made, listed, filled by
guests, closed) reads in one place.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from files import passwords, policy, quotas, resume, text, throttle, uploads
from files.declarations import Declaration
from files.errors import (
    InvalidUploadRequest,
    OverRequestLimit,
    TooManyGuestUploads,
    UploadNotFound,
    UploadRequestGone,
    UploadRequestNotFound,
)
from files.models import Upload, UploadRequest
from files.sharing import TOKEN_PATTERN, hash_token
from files.sizes import format_size

MAX_TITLE_LENGTH = 200
MAX_MESSAGE_LENGTH = 2000
MAX_SENDER_NAME = 100
MAX_EXPIRY = 90 * 24 * 3600
GUEST_UPLOAD_WINDOW = timedelta(hours=1)
State = UploadRequest.State


@dataclass(frozen=True)
class NewUploadRequest:
    """A request just made: the only moment its token exists outside the guests' hands."""

    row: UploadRequest
    token: str


@dataclass(frozen=True)
class Received:
    """What a request has taken so far: files and bytes (ready, or on their way)."""

    files: int
    bytes: int


def create(
    owner: User,
    *,
    title: str,
    expires_in: int,
    message: str = "",
    max_files: int | None = None,
    max_bytes: int | None = None,
    password: str = "",
) -> NewUploadRequest:
    title = clean_title(title)
    message = clean_message(message)
    if not 0 < expires_in <= MAX_EXPIRY:
        raise InvalidUploadRequest(
            f"expires_in must be between 1 and {MAX_EXPIRY} seconds ("
            f"{passwords.format_duration(MAX_EXPIRY)})."
        )
    if max_files is not None and not 1 <= max_files <= 10_000:
        raise InvalidUploadRequest("max_files must be between 1 and 10,000, or left out.")
    if max_bytes is not None and max_bytes < 1:
        raise InvalidUploadRequest("max_bytes must be a positive number of bytes, or left out.")
    if len(password) > passwords.MAX_PASSWORD_LENGTH:
        raise InvalidUploadRequest(
            f"The password can be at most {passwords.MAX_PASSWORD_LENGTH} characters."
        )
    token = secrets.token_urlsafe(32)
    row = UploadRequest.objects.create(
        owner=owner,
        title=title,
        message=message,
        token_hash=hash_token(token),
        token_prefix=token[:6],
        password=make_password(password) if password else "",
        expires_at=timezone.now() + timedelta(seconds=expires_in),
        max_files=max_files,
        max_bytes=max_bytes,
    )
    return NewUploadRequest(row=row, token=token)


# Title and message are refused when too long: the owner is typing them and can shorten them,
# where a cut sentence would reach guests unnoticed. A guest's name is cut: they have no
# account to fix it from, and it is no reason to turn away the files they came to deliver.
def clean_title(raw: str) -> str:
    title = text.clean(raw)
    if not title:
        raise InvalidUploadRequest("Give the request a title that tells guests what to send.")
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidUploadRequest(f"The title can be at most {MAX_TITLE_LENGTH} characters.")
    return title


def clean_message(raw: str) -> str:
    message = text.clean(raw, multiline=True)
    if len(message) > MAX_MESSAGE_LENGTH:
        raise InvalidUploadRequest(f"The message can be at most {MAX_MESSAGE_LENGTH} characters.")
    return message


def clean_sender_name(raw: str) -> str:
    return text.clean(raw, max_length=MAX_SENDER_NAME)


def requests_of(owner: User) -> QuerySet[UploadRequest]:
    return UploadRequest.objects.filter(owner=owner).order_by("-created_at")


@dataclass(frozen=True)
class Summary:
    """One of an owner's requests as their list shows it: state, totals, the files received."""

    row: UploadRequest
    state: str
    taken: Received
    files: list[Upload]


def overview(owner: User, now: datetime | None = None) -> list[Summary]:
    """The owner's requests, newest first, each with what it took: three queries in all."""
    now = now or timezone.now()
    totals = {
        item["request"]: Received(files=item["files"], bytes=item["bytes"] or 0)
        for item in Upload.objects.filter(request__owner=owner)
        .filter(quotas.reserving(now))
        .values("request")
        .annotate(files=Count("pk"), bytes=Sum("size"))
    }
    ready = Upload.objects.filter(status=Upload.Status.READY).order_by("-confirmed_at")
    rows = requests_of(owner).prefetch_related(Prefetch("uploads", ready, to_attr="ready"))
    summaries = []
    for row in rows:
        taken = totals.get(row.pk, Received(files=0, bytes=0))
        summaries.append(Summary(row, state(row, now, taken), taken, row.ready))
    return summaries


def get_owned(owner: User, request_id: uuid.UUID | str) -> UploadRequest:
    try:
        return UploadRequest.objects.get(pk=request_id, owner=owner)
    except (UploadRequest.DoesNotExist, ValueError, ValidationError):
        raise UploadRequestNotFound() from None


def close(row: UploadRequest) -> None:
    """Stop a request from taking files; idempotent. Files already received stay."""
    UploadRequest.objects.filter(pk=row.pk, closed_at__isnull=True).update(closed_at=timezone.now())
    row.refresh_from_db(fields=["closed_at"])


def find(token: str) -> UploadRequest:
    """The request a token opens; UploadRequestNotFound for anything else, whatever its shape."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise UploadRequestNotFound()
    try:
        return UploadRequest.objects.select_related("owner").get(token_hash=hash_token(token))
    except UploadRequest.DoesNotExist:
        raise UploadRequestNotFound() from None


def counted(row: UploadRequest, now: datetime | None = None) -> QuerySet[Upload]:
    """Uploads that use up the request's limits: the same rule as the owner's quota.

    Ready files, and uploads still on their way: a multipart upload keeps its place for the
    whole resume window, since its part URLs are signed again on demand; were it to lapse
    earlier, another guest could take its place and both finish, past the limit.
    """
    return Upload.objects.filter(request=row).filter(quotas.reserving(now))


def received(row: UploadRequest, now: datetime | None = None) -> Received:
    totals = counted(row, now).aggregate(files=Count("pk"), bytes=Sum("size"))
    return Received(files=totals["files"] or 0, bytes=totals["bytes"] or 0)


def state(row: UploadRequest, now: datetime | None = None, taken: Received | None = None) -> str:
    now = now or timezone.now()
    if row.closed_at is not None:
        return State.CLOSED
    if row.expires_at <= now:
        return State.EXPIRED
    taken = taken or received(row, now)
    if (row.max_files is not None and taken.files >= row.max_files) or (
        row.max_bytes is not None and taken.bytes >= row.max_bytes
    ):
        return State.FULL
    return State.OPEN


GONE_MESSAGES = {
    State.CLOSED: "{owner} closed this request; it takes no more files.",
    State.EXPIRED: "This request expired on {expires:%B %-d, %Y at %H:%M} UTC.",
    State.FULL: "This request has received all the files it asked for.",
}


def ensure_open(row: UploadRequest, now: datetime | None = None) -> None:
    current = state(row, now)
    if current != State.OPEN:
        raise UploadRequestGone(
            current,
            GONE_MESSAGES[State(current)].format(
                owner=row.owner.get_username(), expires=row.expires_at
            ),
        )


def ensure_not_closed(row: UploadRequest) -> None:
    """Uploads already reserved may finish after expiry or once full, not once closed."""
    if row.closed_at is not None:
        raise UploadRequestGone(
            State.CLOSED, GONE_MESSAGES[State.CLOSED].format(owner=row.owner.get_username())
        )


def check_upload_rate(address: str, now: datetime | None = None) -> None:
    """Count one guest upload start from `address`; TooManyGuestUploads past the hourly limit.

    Counted across all requests, so one client cannot fill many owners' quotas with
    reservations.
    """
    now = now or timezone.now()
    retry_at = throttle.hit(
        "guest-upload",
        address,
        limit=settings.CHUTE_GUEST_UPLOADS_PER_HOUR,
        window=GUEST_UPLOAD_WINDOW,
        now=now,
    )
    if retry_at:
        raise TooManyGuestUploads(retry_at, now)


def verify_password(row: UploadRequest, password: str, address: str) -> None:
    passwords.verify(
        f"request:{row.pk}",
        row.password,
        password,
        address,
        prompt="This request is protected by a password. Enter it to send files.",
    )


def start_guest_upload(
    row: UploadRequest, declared: Declaration, *, sender_name: str = "", guest_key: str = ""
) -> uploads.Issued:
    """Issue an upload into the owner's files, within the request's limits and their quota.

    The request's row is locked while its limits are checked and the upload is saved, so
    concurrent guests cannot together exceed them.
    """
    with transaction.atomic():
        locked = UploadRequest.objects.select_for_update().select_related("owner").get(pk=row.pk)
        now = timezone.now()
        ensure_open(locked, now)
        if policy.is_multipart(declared.size):
            # The same guest starting the same file again (after a reload) continues it.
            unfinished = resume.find_unfinished(
                locked.owner, declared, request=locked, guest_key=guest_key
            )
            if unfinished:
                return uploads.Issued(upload=unfinished, resumed=True)
        taken = received(locked, now)
        if locked.max_files is not None and taken.files + 1 > locked.max_files:
            raise OverRequestLimit("This request has received all the files it asked for.")
        if locked.max_bytes is not None and taken.bytes + declared.size > locked.max_bytes:
            left = max(locked.max_bytes - taken.bytes, 0)
            raise OverRequestLimit(
                f"This file is {format_size(declared.size)}, but the request takes only "
                f"{format_size(left)} more."
            )
        return uploads.start_upload(
            locked.owner,
            declared,
            request=locked,
            sender_name=clean_sender_name(sender_name),
            guest_key=guest_key,
        )


def get_guest_upload(row: UploadRequest, upload_id: uuid.UUID | str, guest_key: str) -> Upload:
    """An upload this guest started through this request (`guest_key` from their session)."""
    if not guest_key:
        raise UploadNotFound()
    try:
        return Upload.objects.get(pk=upload_id, request=row, guest_key=guest_key)
    except (Upload.DoesNotExist, ValueError, ValidationError):
        raise UploadNotFound() from None
