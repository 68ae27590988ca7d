"""The notifications' mails (files/notifications/): what arrived, what was downloaded, what
expires. Each is built from values the notification's row and its links hold, for an owner
whose address is verified.

They link to the owner's own pages (files, links, requests), never to a share link or a
bucket URL: whoever reads the mail must sign in to see more. Each carries a Message-ID made
from its notification's id, the same on every attempt, so a mail program can tell a copy sent
again after a worker died from a new mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.urls import reverse

from files.mail.messages import absolute, build
from files.models import Share, UploadRequest
from files.sizes import format_size


@dataclass(frozen=True)
class Arrived:
    """One file of a digest, as its event recorded it."""

    name: str
    size: int
    sender: str  # the name the guest gave, or empty


def message_id(notification_id: uuid.UUID) -> str:
    return f"<notification.{notification_id.hex}@{DNS_NAME}>"


def _mail(
    notification_id: uuid.UUID, name: str, subject: str, user: User, context: dict[str, Any]
) -> EmailMultiAlternatives:
    message = build(name, subject, user.email, {"user": user, **context})
    message.extra_headers["Message-ID"] = message_id(notification_id)
    return message


def senders(files: Sequence[Arrived]) -> str:
    """Who sent them, in words: "Bea", "Bea and Carl", "Bea, Carl and someone", "someone"."""
    names = list(dict.fromkeys(file.sender for file in files if file.sender))
    if any(not file.sender for file in files):
        names.append("someone")
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"


def request_files(
    notification_id: uuid.UUID,
    user: User,
    request: UploadRequest,
    files: Sequence[Arrived],
    origin: str,
) -> EmailMultiAlternatives:
    """The digest of the files that arrived through one upload request."""
    who = senders(files)
    subject = f"{who[:1].upper()}{who[1:]} sent {_files(len(files))} through “{request.title}”"
    return _mail(
        notification_id,
        "request_files",
        subject,
        user,
        {
            "who": who,
            "count": _files(len(files)),
            "total": format_size(sum(file.size for file in files)),
            "request": request,
            # Who sent each file, when not all came from one sender.
            "files": [
                {
                    "name": file.name,
                    "size": format_size(file.size),
                    "sender": (file.sender or "someone") if " and " in who else "",
                }
                for file in files
            ],
            "files_url": absolute(origin, "/"),
            "requests_url": absolute(origin, reverse("upload-requests")),
            "account_url": absolute(origin, reverse("account")),
        },
    )


def link_downloaded(
    notification_id: uuid.UUID,
    user: User,
    share: Share,
    *,
    downloaded_at: datetime,
    used_up: bool,
    origin: str,
) -> EmailMultiAlternatives:
    """A link's first download (and, for a link of one download, its end too)."""
    subject = f"Your link to {share.name} was downloaded" + (
        " and is used up" if used_up else " for the first time"
    )
    return _mail(
        notification_id,
        "link_downloaded",
        subject,
        user,
        {
            "share": share,
            "downloaded_at": downloaded_at,
            "used_up": used_up,
            "links_url": absolute(origin, reverse("links")),
            "account_url": absolute(origin, reverse("account")),
        },
    )


def link_used_up(
    notification_id: uuid.UUID, user: User, share: Share, origin: str
) -> EmailMultiAlternatives:
    """A link whose downloads are used up: nobody can download through it any more."""
    return _mail(
        notification_id,
        "link_used_up",
        f"Your link to {share.name} is used up",
        user,
        {
            "share": share,
            "links_url": absolute(origin, reverse("links")),
            "account_url": absolute(origin, reverse("account")),
        },
    )


def expiring(
    notification_id: uuid.UUID,
    user: User,
    shares: Sequence[Share],
    requests: Sequence[UploadRequest],
    origin: str,
) -> EmailMultiAlternatives:
    """What of the owner's expires within a day and was not announced before."""
    parts = []
    if shares:
        parts.append("1 link" if len(shares) == 1 else f"{len(shares)} links")
    if requests:
        parts.append("1 upload request" if len(requests) == 1 else f"{len(requests)} requests")
    what = " and ".join(parts)
    verb = "expires" if len(shares) + len(requests) == 1 else "expire"
    return _mail(
        notification_id,
        "expiring",
        f"{what[:1].upper()}{what[1:]} of yours {verb} within 24 hours",
        user,
        {
            "what": what,
            "verb": verb,
            "shares": shares,
            "requests": requests,
            "links_url": absolute(origin, reverse("links")),
            "requests_url": absolute(origin, reverse("upload-requests")),
            "account_url": absolute(origin, reverse("account")),
        },
    )
