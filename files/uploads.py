"""The upload protocol's rules: validation, key naming, presigning, confirm and delete.

Views call one function here; S3 calls go through files/s3.py.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.http import content_disposition_header

from files import quotas, s3
from files.models import Upload

MAX_NAME_LENGTH = 200  # characters kept of a client's file name
MAX_UPLOAD_URL_TTL = 24 * 3600  # far below SigV4's 7-day ceiling
MAX_DOWNLOAD_URL_TTL = 60
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# Types a browser may render in place; everything else is served as an attachment.
# Never HTML, SVG, XML or JavaScript: they run script in the bucket's origin.
INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "video/mp4",
        "video/webm",
        "audio/mpeg",
        "audio/ogg",
    }
)
# Types that are served as opaque bytes even as attachments, so no browser renders them.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/ecmascript",
        "text/ecmascript",
    }
)

_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


# --- Errors -------------------------------------------------------------------------------


class UploadError(Exception):
    """Raised when Chute refuses an upload request; carries an error code and a sentence."""

    status = 400
    code = "invalid_request"
    message = "The request could not be understood."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.message
        super().__init__(self.message)


class InvalidUpload(UploadError):
    """Raised when the declared name, size, type or checksum is not acceptable."""

    code = "invalid_upload"


class UploadNotFound(UploadError):
    """Raised when the id does not name an upload of the signed-in user."""

    status = 404
    code = "not_found"
    message = "There is no such upload."


class NotUploaded(UploadError):
    """Raised when confirm finds nothing in the bucket yet."""

    status = 409
    code = "not_uploaded"
    message = "The file has not arrived in the bucket yet. Finish the upload, then confirm."


class UploadClosed(UploadError):
    """Raised when an upload was cancelled or deleted and cannot continue."""

    status = 409
    code = "upload_closed"
    message = "This upload was cancelled. Start a new upload to send the file."


class UploadMismatch(UploadError):
    """Raised when what landed in the bucket differs from what was declared."""

    status = 422
    code = "mismatch"


class QuotaExceeded(UploadError):
    """Raised when an upload would take the user over their storage quota."""

    status = 413
    code = "quota_exceeded"


# --- Requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRequest:
    name: str
    size: int
    content_type: str
    sha256: str = ""


def sanitize_name(raw: str) -> str:
    """A display name: the last path component, no control or bidi characters, length-capped."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1].replace("\t", " ")
    name = "".join(
        char
        for char in name
        # Cc: control characters (NUL, CR, LF, ...); Cf: format characters (RTL overrides, ...).
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH].rstrip()
    return name


def normalize_content_type(raw: str) -> str:
    value = raw.split(";", 1)[0].strip().lower() or DEFAULT_CONTENT_TYPE
    if not _CONTENT_TYPE.match(value):
        raise InvalidUpload(f"“{raw[:80]}” is not a valid content type such as image/png.")
    return value


def content_type_allowed(content_type: str) -> bool:
    patterns = settings.CHUTE_ALLOWED_CONTENT_TYPES
    if not patterns:
        return True
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == content_type or (
            pattern.endswith("/*") and content_type.startswith(pattern[:-1])
        ):
            return True
    return False


def normalize_sha256(raw: str) -> str:
    """Base64 of a SHA-256 digest, accepting hex too."""
    if _HEX_SHA256.match(raw):
        return base64.b64encode(bytes.fromhex(raw)).decode()
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise InvalidUpload("sha256 must be a SHA-256 digest in base64 (44 characters) or hex.")
    return base64.b64encode(digest).decode()


def parse_request(data: Any) -> UploadRequest:
    """Validate a `POST /api/uploads` body; raises InvalidUpload with a sentence."""
    if not isinstance(data, dict):
        raise InvalidUpload("Send a JSON object with name, size and content_type.")
    missing = [name for name in ("name", "size", "content_type") if name not in data]
    if missing:
        raise InvalidUpload(
            f"Missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}."
        )

    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise InvalidUpload("name must be the file's name as text.")

    size = data["size"]
    if isinstance(size, bool) or not isinstance(size, int):
        raise InvalidUpload("size must be the file's size in bytes, as a whole number.")
    if size <= 0:
        raise InvalidUpload("The file is empty; there is nothing to upload.")
    limit = settings.CHUTE_MAX_UPLOAD_SIZE
    if size > limit:
        raise InvalidUpload(
            f"The file is {format_size(size)}; the largest file accepted is {format_size(limit)}."
        )

    raw_type = data["content_type"]
    if not isinstance(raw_type, str):
        raise InvalidUpload("content_type must be text such as image/png.")
    content_type = normalize_content_type(raw_type)
    if not content_type_allowed(content_type):
        raise InvalidUpload(f"Files of type {content_type} are not accepted here.")

    sha256 = data.get("sha256") or ""
    if not isinstance(sha256, str):
        raise InvalidUpload("sha256 must be text.")
    if sha256:
        sha256 = normalize_sha256(sha256)

    return UploadRequest(
        name=sanitize_name(name), size=size, content_type=content_type, sha256=sha256
    )


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


# --- Starting an upload -------------------------------------------------------------------


def build_key(owner_id: Any, upload_id: uuid.UUID) -> str:
    """Server-chosen, unique, under the owner's prefix; never derived from the file name."""
    return f"users/{owner_id}/{upload_id.hex}"


def upload_url_ttl() -> int:
    return min(settings.CHUTE_UPLOAD_URL_TTL, MAX_UPLOAD_URL_TTL)


@dataclass
class Issued:
    """A new PENDING upload with what the browser needs to send its bytes."""

    upload: Upload
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {**upload_json(self.upload), **self.extra}


def upload_json(upload: Upload) -> dict[str, Any]:
    from django.urls import reverse

    from files.multipart import MAX_PARTS_PER_SIGN

    answer = {
        "id": str(upload.id),
        "key": upload.key,
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "status": upload.status,
        "method": upload.method,
        "expires_at": upload.expires_at.isoformat(),
        # Where the client goes next and the server's limits, so no client copies them.
        "links": {
            "self": reverse("delete-upload", args=[upload.id]),
            "confirm": reverse("confirm-upload", args=[upload.id]),
            "parts": reverse("upload-parts", args=[upload.id]),
            "complete": reverse("complete-upload", args=[upload.id]),
        },
        "limits": {
            "parts_per_request": MAX_PARTS_PER_SIGN,
            "parallel_parts": settings.CHUTE_PARALLEL_PARTS,
        },
    }
    if upload.method == Upload.Method.MULTIPART:
        answer |= {"part_size": upload.part_size, "part_count": upload.part_count}
    return answer


def single_request_method() -> str:
    method = settings.CHUTE_UPLOAD_METHOD
    return Upload.Method.PUT if method == "put" else Upload.Method.POST


def start_upload(owner: AbstractBaseUser, request: UploadRequest) -> Issued:
    """Register a PENDING upload and presign the request(s) that carry its bytes."""
    upload_id = uuid.uuid4()
    ttl = upload_url_ttl()
    upload = Upload(
        id=upload_id,
        owner=owner,
        key=build_key(owner.pk, upload_id),
        name=request.name,
        size=request.size,
        content_type=request.content_type,
        sha256=request.sha256,
        method=single_request_method(),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    if upload.size >= settings.CHUTE_MULTIPART_THRESHOLD:
        return _start_multipart(upload)
    if upload.method == Upload.Method.PUT:
        put = s3.presign_put(
            upload.key,
            content_type=upload.content_type,
            size=upload.size,
            expires_in=ttl,
            sha256=upload.sha256,
        )
        extra = {"put": {"url": put.url, "headers": put.headers}}
    else:
        post = s3.presign_post(
            upload.key, content_type=upload.content_type, size=upload.size, expires_in=ttl
        )
        extra = {"post": {"url": post.url, "fields": post.fields}}
    # Presigning is local; the row is saved last so a failure leaves nothing behind.
    quotas.save_within_quota(upload)
    return Issued(upload=upload, extra=extra)


# --- Multipart sizing (the part calls live in files/multipart.py) -------------------------


def part_plan(size: int) -> tuple[int, int]:
    """(part size, part count) for a file of `size` bytes, within S3's multipart limits.

    Parts are CHUTE_PART_SIZE (clamped to 5 MiB..5 GiB) unless that would need more than
    10,000 parts; then the part size grows, in whole MiB, just enough to fit.
    """
    if not 0 < size <= s3.MAX_OBJECT_SIZE:
        raise ValueError(f"{size} bytes is outside S3's 1 byte..5 TiB object limits.")
    part_size = min(max(settings.CHUTE_PART_SIZE, s3.MIN_PART_SIZE), s3.MAX_PART_SIZE)
    if size > part_size * s3.MAX_PARTS:
        smallest = -(-size // s3.MAX_PARTS)
        part_size = -(-smallest // s3.MiB) * s3.MiB
    return part_size, -(-size // part_size)


def expected_part_size(upload: Upload, number: int) -> int:
    """Bytes in part `number`: the part size, except for a shorter last part."""
    assert upload.part_size and upload.part_count
    if number < upload.part_count:
        return upload.part_size
    return upload.size - upload.part_size * (upload.part_count - 1)


def _start_multipart(upload: Upload) -> Issued:
    upload.method = Upload.Method.MULTIPART
    upload.part_size, upload.part_count = part_plan(upload.size)
    upload.multipart_upload_id = s3.create_multipart(upload.key, content_type=upload.content_type)
    try:
        quotas.save_within_quota(upload)
    except BaseException:
        # No row means nothing would ever abort it: do it now rather than wait for lifecycle.
        s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)
        raise
    return Issued(
        upload=upload, extra={"part_size": upload.part_size, "part_count": upload.part_count}
    )


# --- Confirm and delete -------------------------------------------------------------------


def get_upload(owner: AbstractBaseUser, upload_id: Any) -> Upload:
    """The owner's upload (any status but a purged one); UploadNotFound otherwise."""
    try:
        return Upload.objects.get(pk=upload_id, owner=owner)
    except (Upload.DoesNotExist, ValueError):
        raise UploadNotFound() from None


def confirm(upload: Upload) -> Upload:
    """Check the object in the bucket against the declaration and mark the upload READY.

    Idempotent, and safe against concurrent confirms: the PENDING -> READY switch is one
    conditional UPDATE, so exactly one caller registers the file.
    """
    if upload.status == Upload.Status.READY:
        return upload
    if upload.status == Upload.Status.ABORTED:
        raise UploadClosed()
    try:
        info = s3.head(upload.key)
    except s3.ObjectNotFound:
        raise NotUploaded() from None

    problem = _mismatch(upload, info)
    if problem:
        s3.delete(upload.key)
        Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
            status=Upload.Status.ABORTED, updated_at=timezone.now()
        )
        upload.status = Upload.Status.ABORTED
        raise UploadMismatch(
            f"{problem} The stored copy was deleted; please upload the file again."
        )

    now = timezone.now()
    won = Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
        status=Upload.Status.READY,
        file=upload.key,
        etag=info.etag[:128],
        checksum_sha256=info.checksum_sha256[:128],
        confirmed_at=now,
        updated_at=now,
    )
    upload.refresh_from_db()
    if not won and upload.status != Upload.Status.READY:
        raise UploadClosed()
    return upload


def _mismatch(upload: Upload, info: s3.ObjectInfo) -> str:
    if info.size != upload.size:
        return (
            f"The bucket received {format_size(info.size)} but {format_size(upload.size)} "
            "were declared."
        )
    stored_type = info.content_type.split(";", 1)[0].strip().lower()
    if stored_type and stored_type != upload.content_type:
        return f"The bucket stored type {stored_type} but {upload.content_type} was declared."
    whole_object = info.checksum_sha256 and "-" not in info.checksum_sha256
    if upload.sha256 and whole_object and info.checksum_sha256 != upload.sha256:
        return "The file's SHA-256 in the bucket differs from the one declared."
    return ""


def delete(upload: Upload) -> None:
    """Abort a pending upload or delete a ready file, bytes first.

    The row is hidden (ABORTED) before the bucket is touched; if the bucket fails, the row
    stays ABORTED for a retry or the cleanup command, so bytes never outlive their row.
    """
    Upload.objects.filter(pk=upload.pk).update(
        status=Upload.Status.ABORTED, updated_at=timezone.now()
    )
    upload.status = Upload.Status.ABORTED
    purge(upload)


def purge(upload: Upload) -> None:
    """Remove an upload's bytes (and multipart state) from the bucket, then its row."""
    from files import sharing  # imported here: sharing builds on this module

    sharing.revoke_for_upload(upload)  # its share links answer 410 before the bytes go
    if upload.multipart_upload_id:
        s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)
    s3.delete(upload.key)
    upload.delete()


# --- Downloads ----------------------------------------------------------------------------


def download_url(upload: Upload, *, inline: bool = False) -> str:
    """A presigned GET (at most 60 s) that saves the file under its name."""
    as_attachment = not (inline and upload.content_type in INLINE_TYPES)
    content_type = upload.content_type
    if content_type in ACTIVE_TYPES:
        content_type = DEFAULT_CONTENT_TYPE
    return s3.presign_get(
        upload.key,
        disposition=content_disposition_header(as_attachment, upload.name) or "attachment",
        content_type=content_type,
        expires_in=min(settings.CHUTE_DOWNLOAD_URL_TTL, MAX_DOWNLOAD_URL_TTL),
    )
