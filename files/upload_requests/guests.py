"""Upload requests, for their guests: the request a token opens, its state, and the uploads sent.

The guest's bytes go straight to the bucket like the owner's: the same protocol, keys under the
owner's prefix chosen by the server, the owner's quota. A request's limits (files, bytes) are
reserved when an upload is issued, under a lock on the request's row, so two guests racing for
the last slot get one success.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from files import text
from files.accounts import throttle
from files.accounts.tokens import hash_token
from files.errors import (
    OverRequestLimit,
    TooManyGuestUploads,
    UploadNotFound,
    UploadRequestGone,
    UploadRequestNotFound,
)
from files.links import passwords
from files.links.tokens import TOKEN_PATTERN
from files.models import Upload, UploadRequest
from files.sizes import format_size
from files.uploads import policy, quotas, resume, start
from files.uploads.declarations import Declaration

MAX_SENDER_NAME = 100
GUEST_UPLOAD_WINDOW = timedelta(hours=1)
State = UploadRequest.State


@dataclass(frozen=True)
class Received:
    """What a request has taken so far: files and bytes (ready, or on their way)."""

    files: int
    bytes: int


def clean_sender_name(raw: str) -> str:
    return text.clean(raw, max_length=MAX_SENDER_NAME)


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
) -> start.Issued:
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
                return start.Issued(upload=unfinished, resumed=True)
        taken = received(locked, now)
        if locked.max_files is not None and taken.files + 1 > locked.max_files:
            raise OverRequestLimit("This request has received all the files it asked for.")
        if locked.max_bytes is not None and taken.bytes + declared.size > locked.max_bytes:
            left = max(locked.max_bytes - taken.bytes, 0)
            raise OverRequestLimit(
                f"This file is {format_size(declared.size)}, but the request takes only "
                f"{format_size(left)} more."
            )
        return start.start_upload(
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
