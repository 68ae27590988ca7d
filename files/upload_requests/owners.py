"""Upload requests, for their owner: made, listed with what each took, closed.

A request is a link through which people without an account send files to its owner
(files/upload_requests/guests.py is the guests' side). Tokens are stored hashed, like share
links.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from files import text
from files.accounts.tokens import hash_token
from files.errors import InvalidUploadRequest, UploadRequestNotFound
from files.links import passwords
from files.links.tokens import PREFIX_LENGTH, new_token
from files.models import Upload, UploadRequest
from files.upload_requests.guests import Received, state
from files.uploads import quotas

MAX_TITLE_LENGTH = 200
MAX_MESSAGE_LENGTH = 2000
MAX_EXPIRY = 90 * 24 * 3600


@dataclass(frozen=True)
class NewUploadRequest:
    """A request just made: the only moment its token exists outside the guests' hands."""

    row: UploadRequest
    token: str


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
    token = new_token()
    row = UploadRequest.objects.create(
        owner=owner,
        title=title,
        message=message,
        token_hash=hash_token(token),
        token_prefix=token[:PREFIX_LENGTH],
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
