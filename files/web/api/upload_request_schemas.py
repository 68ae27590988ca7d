"""Upload requests' shapes: the owner's calls (files/web/api/upload_requests.py) and the
guests' create call (files/web/api/guests.py), beside the rest of the contract in schemas.py."""

from __future__ import annotations

from typing import Any, ClassVar

from ninja import Field, Schema
from pydantic import StrictInt, StrictStr

from files.web.api.schemas import (
    BIGINT_MAX,
    BODY_SCHEMAS,
    INTEGER_MAX,
    CompleteIn,
    SignPartsIn,
    UploadIn,
)
from files.web.api.shapes import Id, Time, read_through, token_prefix, upload_request_url


class UploadRequestIn(Schema):
    """`POST /api/requests`: what to ask guests for, for how long, within what limits."""

    shape: ClassVar[str] = 'such as {"title": "Photos from the trip", "expires_in": 604800}'
    error_code: ClassVar[str] = "invalid_upload_request"  # a malformed body's code

    title: StrictStr = Field(description="text telling guests what to send")
    message: StrictStr | None = Field(None, description="text shown to guests, or left out")
    expires_in: StrictInt = Field(
        le=INTEGER_MAX,
        description="a whole number of seconds, such as 604800 (seconds until the link expires)",
    )
    max_files: StrictInt | None = Field(
        None, le=INTEGER_MAX, description="a whole number of files, or left out for no limit"
    )
    max_bytes: StrictInt | None = Field(
        None, le=BIGINT_MAX, description="a whole number of bytes in all, or left out for no limit"
    )
    password: StrictStr | None = Field(None, description="text guests must enter, or left out")


class NewUploadRequestOut(Schema):  # reads owners.NewUploadRequest, a request just made
    id: Id
    url: str = Field(description="the page guests open, <origin>/r/<token>; shown only here")
    expires_at: Time
    max_files: int | None
    max_bytes: int | None
    resolve_url: ClassVar[Any] = staticmethod(upload_request_url)
    _flat = read_through("row")


class ReceivedFileOut(Schema):
    id: Id
    name: str
    size: int
    content_type: str
    sender_name: str = Field(description="the name the guest gave, or empty")
    confirmed_at: Time | None


class UploadRequestOut(Schema):  # reads owners.Summary: the row, its state, totals, files
    id: Id
    prefix: str = Field(description="the token's first characters, to recognise the link")
    title: str
    message: str
    state: str = Field(description='"open", "full", "expired" or "closed"')
    expires_at: Time
    max_files: int | None
    max_bytes: int | None
    has_password: bool
    created_at: Time
    closed_at: Time | None
    received_files: int = Field(description="files received or on their way")
    received_bytes: int = Field(description="bytes received or reserved by uploads on their way")
    files: list[ReceivedFileOut] = Field(description="the files received, newest first")
    resolve_prefix: ClassVar[Any] = staticmethod(token_prefix)
    resolve_received_files: ClassVar[Any] = staticmethod(lambda summary: summary.taken.files)
    resolve_received_bytes: ClassVar[Any] = staticmethod(lambda summary: summary.taken.bytes)
    _flat = read_through("row")


class UploadRequestListOut(Schema):
    requests: list[UploadRequestOut]


class GuestUploadIn(UploadIn):
    """`POST /r/<token>/uploads`: the file a guest is about to send, and optionally who they are."""

    sender_name: StrictStr | None = Field(
        None, description="text: the name the owner sees next to the file, or left out"
    )


BODY_SCHEMAS.update(
    {
        "upload-requests": UploadRequestIn,
        "guest-create-upload": GuestUploadIn,
        "guest-upload-parts": SignPartsIn,
        "guest-complete-upload": CompleteIn,
    }
)
