"""The shapes of an owner's links: `GET /api/shares` and `PATCH /api/shares/<id>`.

Beside schemas.py (the rest of the contract) to keep each module readable in one sitting.
`LinkOut` serialises `files.shares.listing.Link`: the link, its recomputed token, its files
and its state; `url` is built from the token for the request's origin.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import reverse
from ninja import Field, Schema
from pydantic import StrictInt, StrictStr

from files.web.api.schemas import BODY_SCHEMAS, INTEGER_MAX
from files.web.api.shapes import encrypted_meta

# --- The owner's links (files/web/api/shares.py, files/shares/listing.py) ----------------------


class ShareExpiryIn(Schema):
    """`PATCH /api/shares/<id>`: the link's new lifetime, counted from now."""

    shape: ClassVar[str] = 'such as {"expires_in": 86400}'

    expires_in: StrictInt = Field(
        le=INTEGER_MAX,
        description="a whole number of seconds, such as 86400 (seconds from now until it expires)",
    )


class LinkFileOut(Schema):
    id: str
    name: str
    size: int
    encrypted: bool
    meta: str | None = Field(description="an encrypted file's opaque metadata, else null")
    resolve_meta: ClassVar[Any] = staticmethod(encrypted_meta)

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return str(obj.id)


class LinkOut(Schema):
    """One link as `files.shares.listing.Link` holds it; `url` is null when it cannot be known."""

    id: str
    url: str | None = Field(description="the link's address, or null for links made before 2027")
    files: list[LinkFileOut]
    message: str
    created_at: str
    expires_at: str
    max_downloads: int | None
    downloads: int
    has_password: bool
    state: str = Field(description="active, expired, used_up, revoked or files_deleted")
    notify: bool = Field(description="whether you are mailed at its first download and its end")

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return str(obj.share.id)

    @staticmethod
    def resolve_url(obj: Any, context: Any) -> str | None:
        if obj.token is None:
            return None
        return str(context["request"].build_absolute_uri(reverse("share", args=[obj.token])))

    @staticmethod
    def resolve_message(obj: Any) -> str:
        return str(obj.share.message)

    @staticmethod
    def resolve_created_at(obj: Any) -> str:
        return str(obj.share.created_at.isoformat())

    @staticmethod
    def resolve_expires_at(obj: Any) -> str:
        return str(obj.share.expires_at.isoformat())

    @staticmethod
    def resolve_max_downloads(obj: Any) -> int | None:
        return obj.share.max_downloads

    @staticmethod
    def resolve_downloads(obj: Any) -> int:
        return int(obj.share.downloads)

    @staticmethod
    def resolve_has_password(obj: Any) -> bool:
        return bool(obj.share.has_password)

    @staticmethod
    def resolve_state(obj: Any) -> str:
        return str(obj.state)

    @staticmethod
    def resolve_notify(obj: Any) -> bool:
        return bool(obj.share.notify)


class LinkListOut(Schema):
    shares: list[LinkOut]
    next: str | None = Field(description="the cursor of the next page, or null on the last one")


# --- Send a link by email (files/mail/links.py) -------------------------------------------------


class LinkMailIn(Schema):
    """`POST /api/shares/<id>/send`: up to 10 addresses and an optional message."""

    shape: ClassVar[str] = 'such as {"to": ["ann@example.com"], "message": "The photos"}'
    error_code: ClassVar[str] = "invalid_recipients"

    to: list[StrictStr] = Field(description="1 to 10 email addresses, each once")
    message: StrictStr | None = Field(
        None, description="text for the mail (several lines, at most 2000 characters), or left out"
    )


class LinkMailOut(Schema):
    recipients: int = Field(description="how many addresses the link is being mailed to")


# PATCH /api/shares/<id> (DELETE on the same URL name takes no body).
BODY_SCHEMAS["share-api"] = ShareExpiryIn
BODY_SCHEMAS["share-send"] = LinkMailIn
