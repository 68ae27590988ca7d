"""The API's request and response shapes: the declared contract (docs/api.md).

Each input field's `description` finishes the sentence "<field> must be …" that a client sees
when the field has the wrong type, so the OpenAPI document and the error messages agree.
Over 300 lines on purpose: the whole contract's shapes read as one reference, declarations
only; how a domain value is written (times, ids) is files/web/api/shapes.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, StrictStr

from files.s3 import MAX_PARTS
from files.uploads import thumbnails
from files.web.api.shapes import (
    Id,
    Time,
    declared_sha256,
    encrypted_meta,
    part_urls,
    read_through,
    share_state,
    share_url,
    token_prefix,
    upload_limits,
    upload_links,
)

# --- Bounds -------------------------------------------------------------------------------
# Every whole number a call takes declares the most it can ever be (`le`): what its column
# holds, or S3's or JavaScript's own limit. Past it a value would overflow the database; the
# error sentence and the OpenAPI document both name it. Tighter limits, and the lower ones,
# are the domain's to check, in words naming the deployment's setting or the upload's parts.
INTEGER_MAX = 2**31 - 1  # PositiveIntegerField: PostgreSQL's integer (seconds: 68 years)
BIGINT_MAX = 2**63 - 1  # (Positive)BigIntegerField: PostgreSQL's bigint, SQLite's integer
TIME_VALUE_MAX = 8_640_000_000_000_000  # ms from the epoch: JavaScript's Date range (ECMA-262)

# --- Uploads ------------------------------------------------------------------------------


class PartChecksumIn(Schema):
    number: StrictInt = Field(le=MAX_PARTS, description="the part's number, a whole number from 1")
    sha256: StrictStr = Field(description="the part's SHA-256 in base64, as text")


class UploadIn(Schema):
    """`POST /api/uploads`: what the client declares about the file it is about to send."""

    shape: ClassVar[str] = "with name, size and content_type"
    error_code: ClassVar[str] = "invalid_upload"  # a malformed body's code

    name: StrictStr | None = Field(
        None, description="the file's name as text (left out for an encrypted file)"
    )
    size: StrictInt = Field(
        le=BIGINT_MAX,
        description="the file's size in bytes, as a whole number (an encrypted file's: the "
        "ciphertext's)",
    )
    content_type: StrictStr = Field(description="text such as image/png")
    sha256: StrictStr | None = Field(
        None, description="the file's SHA-256 as text (base64 or hex), or left out"
    )
    last_modified: StrictInt | None = Field(
        None,
        ge=-TIME_VALUE_MAX,
        le=TIME_VALUE_MAX,
        description="the file's modification time in ms since the epoch, or left out; "
        "with name and size it resumes your unfinished upload of the same file",
    )
    path: StrictStr | None = Field(
        None,
        description="the file's path within a folder you chose, such as photos/2024/a.jpg, "
        "or left out; its folders are shown with the file",
    )
    encrypted: StrictBool | None = Field(
        None, description="true or false: true when the bytes are end-to-end encrypted"
    )
    meta: StrictStr | None = Field(
        None, description="text: an encrypted file's name, type and size, encrypted, in base64url"
    )

    parts: list[PartChecksumIn] | None = Field(
        None,
        description="for a multipart upload, the first parts' SHA-256 (at most "
        "limits.parts_per_request), or left out: the answer then holds their URLs as urls",
    )


class SignPartsIn(Schema):
    """`POST /api/uploads/<id>/parts`: the parts to sign, each with its SHA-256."""

    shape: ClassVar[str] = '{"parts": [{"number": 1, "sha256": "<base64>"}, ...]}'
    error_code: ClassVar[str] = "invalid_upload"  # a malformed body's code

    parts: list[PartChecksumIn] = Field(
        description='a list of parts such as {"number": 1, "sha256": "<base64>"}'
    )


class PartEtagIn(Schema):
    number: StrictInt = Field(le=MAX_PARTS, description="the part's number, a whole number from 1")
    etag: StrictStr = Field(description="the ETag the bucket answered for the part, as text")


class CompleteIn(Schema):
    """`POST /api/uploads/<id>/complete`: every part with the ETag the bucket answered."""

    shape: ClassVar[str] = '{"parts": [{"number": 1, "etag": "<ETag>"}, ...]}'
    error_code: ClassVar[str] = "invalid_upload"  # a malformed body's code

    parts: list[PartEtagIn] = Field(
        description='a list of parts such as {"number": 1, "etag": "<ETag>"}'
    )


class PresignedPostOut(Schema):
    url: str
    fields: dict[str, str]


class PresignedPutOut(Schema):
    url: str
    headers: dict[str, str]


class UploadLinks(Schema):
    self: str = Field(description="DELETE aborts the upload or deletes the file")
    confirm: str
    parts: str
    complete: str
    thumbnail: str | None = Field(None, description="POST a preview once the file is ready")


class UploadLimits(Schema):
    parts_per_request: int = Field(description="most parts signed by one call to links.parts")
    parallel_parts: int = Field(description="parts a client should keep in flight")


class BaseUploadOut(Schema):
    # An upload (read from the row): its state, where to go next (links) and the server's limits.
    id: Id
    key: str
    name: str
    size: int
    content_type: str
    status: str
    encrypted: bool
    meta: str | None = Field(description="an encrypted file's opaque metadata, else null")
    method: str = Field(description='"post", "put" or "multipart"')
    expires_at: Time
    links: UploadLinks
    limits: UploadLimits
    post: PresignedPostOut | None = None
    put: PresignedPutOut | None = None
    part_size: int | None = None
    part_count: int | None = None
    resumed: bool | None = Field(
        None,
        description="true when this continues your unfinished upload of the same file: "
        "list its parts (links.parts) and send only the missing ones",
    )
    resolve_meta: ClassVar[Any] = staticmethod(encrypted_meta)
    resolve_links: ClassVar[Any] = staticmethod(upload_links)
    resolve_limits: ClassVar[Any] = staticmethod(upload_limits)


class UploadOut(BaseUploadOut):
    # A new upload (start.Issued): with its presigned POST or PUT, if it has one.
    urls: dict[str, str] | None = Field(
        None, description="the URLs of the parts the call carried, as links.parts answers them"
    )
    _flat = read_through("upload")

    @staticmethod
    def resolve_urls(issued: Any) -> dict[str, str] | None:
        signed = getattr(issued, "signed", None)
        return part_urls(signed) if signed is not None else None


class ConfirmedOut(BaseUploadOut):
    etag: str
    checksum_sha256: str


class ResumableOut(BaseUploadOut):  # reads resume.Resumable
    uploaded: int | None = Field(description="bytes in the bucket; null when it did not answer")
    _flat = read_through("upload")


class ResumableListOut(Schema):
    uploads: list[ResumableOut]


class SignedPartsOut(Schema):
    urls: dict[str, str]
    expires_at: Time
    resolve_urls: ClassVar[Any] = staticmethod(part_urls)


class StoredPartOut(Schema):  # reads multipart.StoredPart
    number: int
    etag: str
    size: int
    sha256: str | None = Field(
        description="the SHA-256 (base64) signed for this part: compare your bytes before skipping"
    )


class StoredPartsOut(Schema):
    parts: list[StoredPartOut]


# --- Share links --------------------------------------------------------------------------


class ShareIn(Schema):
    """`POST /api/files/<id>/shares`: how long the link lives, how often and with what password."""

    shape: ClassVar[str] = 'such as {"expires_in": 86400}'
    error_code: ClassVar[str] = "invalid_share"  # a malformed body's code

    expires_in: StrictInt = Field(
        le=INTEGER_MAX,
        description="a whole number of seconds, such as 86400 (seconds until the link expires)",
    )
    max_downloads: StrictInt | None = Field(
        None, le=INTEGER_MAX, description="a whole number, or null for no limit"
    )
    password: StrictStr | None = Field(None, description="text")
    message: StrictStr | None = Field(
        None, description="text shown on the link's page (several lines), or left out"
    )
    notify: StrictBool | None = Field(
        None,
        description=(
            "true or false: mail you at the first download and when the downloads are used "
            "up (needs a confirmed address); left out: your account's choice"
        ),
    )


class NewShareOut(Schema):  # reads single.NewShare: a link just made, with its full URL
    id: Id
    url: str
    expires_at: Time
    max_downloads: int | None
    resolve_url: ClassVar[Any] = staticmethod(share_url)
    _flat = read_through("share")


class ShareOut(Schema):
    id: Id
    prefix: str
    state: str
    expires_at: Time
    max_downloads: int | None
    downloads: int
    has_password: bool
    created_at: Time
    revoked_at: Time | None
    resolve_prefix: ClassVar[Any] = staticmethod(token_prefix)
    resolve_state: ClassVar[Any] = staticmethod(share_state)


class ShareListOut(Schema):
    shares: list[ShareOut]


class ErrorOut(Schema):
    error: str = Field(description="a code for programs, such as invalid_upload")
    message: str = Field(description="a sentence for people")


# --- Files and API tokens -----------------------------------------------------------------


class FileOut(Schema):
    id: Id
    name: str
    size: int
    content_type: str
    sha256: str | None = Field(description="the SHA-256 (base64) declared and verified, if any")
    confirmed_at: Time | None
    path: str = Field(description="the name with the folders it was uploaded in: photos/a.jpg")
    thumbnail: str | None = Field(None, description="a short-lived URL of its preview, or null")
    encrypted: bool = Field(description="true: name is a label; the real one is inside meta")
    meta: str | None = Field(description="an encrypted file's opaque metadata, else null")
    resolve_meta: ClassVar[Any] = staticmethod(encrypted_meta)
    resolve_sha256: ClassVar[Any] = staticmethod(declared_sha256)
    resolve_thumbnail: ClassVar[Any] = staticmethod(thumbnails.url)


class FileListOut(Schema):
    files: list[FileOut]
    next: str | None = Field(description="cursor for the next page (?cursor=…), null at the end")


class TokenIn(Schema):
    """`POST /api/tokens`: a name saying what the token is for, and an optional lifetime."""

    shape: ClassVar[str] = 'such as {"name": "laptop CLI", "expires_in": 2592000}'
    error_code: ClassVar[str] = "invalid_token_request"  # a malformed body's code

    name: StrictStr = Field(description="text saying what the token is for")
    expires_in: StrictInt | None = Field(
        None, le=INTEGER_MAX, description="a whole number of seconds, or left out for no expiry"
    )


class TokenOut(Schema):
    id: Id
    name: str
    created_at: Time
    last_used_at: Time | None
    expires_at: Time | None


class NewTokenOut(TokenOut):
    token: str = Field(description="the token itself, shown only in this answer")


class TokenListOut(Schema):
    tokens: list[TokenOut]


# The body each operation takes, by its URL name: error sentences quote its shape and fields.
BODY_SCHEMAS: dict[str, type[Schema]] = {
    "create-upload": UploadIn,
    "upload-parts": SignPartsIn,
    "complete-upload": CompleteIn,
    "file-shares-api": ShareIn,
    "tokens": TokenIn,
}


# --- Uppy's Companion S3 routes (files/web/api/uppy.py) -----------------------------------------
# Field names are Uppy's (@uppy/aws-s3 6.x, CompanionS3.ts), not Chute's.


class UppyCreateIn(Schema):
    """`POST /api/uppy/s3/multipart`: what @uppy/aws-s3 sends to start a multipart upload."""

    shape: ClassVar[str] = '{"filename": "…", "type": "…", "metadata": {"size": "…"}}'
    error_code: ClassVar[str] = "invalid_upload"  # a malformed body's code

    filename: StrictStr = Field(description="the file's name as text")
    type: StrictStr = Field("", description="the file's type as text, such as image/png")
    metadata: dict[str, object] = Field(
        default_factory=dict,
        description='an object of the file\'s Uppy metadata, such as {"size": "1048576"}',
    )


class UppyPartIn(Schema):
    PartNumber: StrictInt = Field(
        le=MAX_PARTS, description="the part's number, a whole number from 1"
    )
    ETag: StrictStr = Field(description="the ETag the bucket answered for the part, as text")


class UppyCompleteIn(Schema):
    """`POST /api/uppy/s3/multipart/<uploadId>/complete?key=`: every part and its ETag."""

    shape: ClassVar[str] = '{"parts": [{"PartNumber": 1, "ETag": "<ETag>"}, ...]}'
    error_code: ClassVar[str] = "invalid_upload"  # a malformed body's code

    parts: list[UppyPartIn] = Field(
        description='a list of parts such as {"PartNumber": 1, "ETag": "<ETag>"}'
    )


BODY_SCHEMAS.update({"uppy-create-upload": UppyCreateIn, "uppy-complete-upload": UppyCompleteIn})


# --- Shares of several files (files/web/api/shares.py) ------------------------------------------


class MultiShareIn(ShareIn):
    """`POST /api/shares`: one link to several of the caller's ready files."""

    shape: ClassVar[str] = 'such as {"files": ["<id>", "<id>"], "expires_in": 86400}'

    files: list[StrictStr] = Field(description="a list of file ids (text), one or more")


BODY_SCHEMAS.update({"shares": MultiShareIn})
