"""Confirm trusts the bucket, not the client: HEAD the object, pin it, and register it once.

Used after a single-request upload's bytes landed and after CompleteMultipartUpload.

What a download serves is what was confirmed. A presigned POST or PUT keeps working until
it expires (S3 cannot revoke one), so a single-request upload's bytes are copied, on the
condition that they are still the ones checked (CopySourceIfMatch), to a key no URL can
write (`policy.confirmed_key`); the file is registered there and the upload key is emptied.
A multipart upload's key needs no copy: its part URLs die with the upload id when it is
completed, and no other URL is ever signed for it.
"""

from __future__ import annotations

import contextlib
import dataclasses

from django.db import transaction
from django.utils import timezone

from files import s3
from files.errors import FileMissing, NotUploaded, UploadChanged, UploadClosed, UploadMismatch
from files.events import record
from files.models import Upload
from files.sizes import format_size
from files.uploads import policy


def confirm(upload: Upload) -> Upload:
    """Check the object in the bucket against the declaration and mark the upload READY.

    Idempotent, and safe against concurrent confirms: the PENDING -> READY switch is one
    conditional UPDATE, so exactly one caller registers the file. Confirming a READY file
    again checks that its bytes are still in the bucket (FileMissing otherwise).
    """
    if upload.status == Upload.Status.READY:
        return ensure_stored(upload)
    if upload.status == Upload.Status.ABORTED:
        raise UploadClosed()
    try:
        info = s3.head(upload.key)
    except s3.ObjectNotFound:
        return _already_confirmed(upload)
    if problem := mismatch(upload, info):
        _refuse(upload, problem)

    if upload.method == Upload.Method.MULTIPART:
        return _register(upload, upload.key, info)
    final = policy.confirmed_key(upload.key)
    try:
        s3.copy(upload.key, final, if_match=info.etag, content_type=upload.content_type)
    except s3.ObjectChanged:
        return _already_confirmed(upload, otherwise=UploadChanged())
    except s3.ObjectNotFound:
        return _already_confirmed(upload)
    if upload.sha256 and not _whole_object_checksum(info):
        # The bucket had no checksum for the upload; AWS computes one for the copy.
        copied = s3.head(final)
        info = dataclasses.replace(info, checksum_sha256=copied.checksum_sha256)
        if problem := sha256_mismatch(upload, info):
            s3.delete(final)
            _refuse(upload, problem)
    try:
        registered = _register(upload, final, info)
    except UploadClosed:
        s3.delete(final)  # certain: the UPDATE matched no PENDING row
        raise
    # Any other failure (the database, a worker's timeout) may come after the UPDATE that
    # points the row at `final` committed: the copy stays, and the cleanup keeps it if a
    # row accounts for it and removes it otherwise (cleanup._strays).
    if registered.file.name != final:
        s3.delete(final)  # another confirm registered its own copy first
    # If the bucket fails here, the cleanup removes bytes at keys no row accounts for.
    with contextlib.suppress(s3.StorageUnavailable):
        s3.delete(upload.key)
    return registered


def ensure_stored(upload: Upload) -> Upload:
    """`upload` (READY) when the bucket still holds its confirmed bytes; FileMissing if not."""
    try:
        s3.head(upload.file.name)
    except s3.ObjectNotFound:
        raise FileMissing() from None
    return upload


def _already_confirmed(upload: Upload, otherwise: Exception | None = None) -> Upload:
    """The row, when a concurrent confirm registered it (and emptied the upload key)."""
    upload.refresh_from_db()
    if upload.status == Upload.Status.READY:
        return ensure_stored(upload)
    raise otherwise or NotUploaded()


def _register(upload: Upload, key: str, info: s3.ObjectInfo) -> Upload:
    now = timezone.now()
    # The switch and its events commit together: exactly one `file.ready` per file.
    with transaction.atomic():
        won = Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
            status=Upload.Status.READY,
            file=key,
            etag=info.etag[:128],
            checksum_sha256=info.checksum_sha256[:128],
            confirmed_at=now,
            updated_at=now,
        )
        upload.refresh_from_db()
        if won:
            record.file_ready(upload)
    if not won and upload.status != Upload.Status.READY:
        raise UploadClosed()
    return upload


def _refuse(upload: Upload, problem: str) -> None:
    s3.delete(upload.key)
    Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
        status=Upload.Status.ABORTED, updated_at=timezone.now()
    )
    upload.refresh_from_db()
    raise UploadMismatch(f"{problem} The stored copy was deleted; please upload the file again.")


def _whole_object_checksum(info: s3.ObjectInfo) -> bool:
    # A multipart object's checksum is a composite ("…-3"), not the file's SHA-256.
    return bool(info.checksum_sha256) and "-" not in info.checksum_sha256


def mismatch(upload: Upload, info: s3.ObjectInfo) -> str:
    """A sentence saying how the stored object differs from the declaration, or ""."""
    if info.size != upload.size:
        return (
            f"The bucket received {format_size(info.size)} but {format_size(upload.size)} "
            "were declared."
        )
    stored_type = info.content_type.split(";", 1)[0].strip().lower()
    if stored_type and stored_type != upload.content_type:
        return f"The bucket stored type {stored_type} but {upload.content_type} was declared."
    if info.content_encoding.strip().lower() not in {"", "identity"}:
        # Browsers would decode it on download: other bytes than the ones stored (or a bomb).
        return (
            f"The file was stored with Content-Encoding {info.content_encoding[:40]}; "
            "Chute stores files exactly as they are."
        )
    if upload.method == Upload.Method.MULTIPART or _whole_object_checksum(info):
        return sha256_mismatch(upload, info)
    return ""  # checked on the confirmed copy, which S3 checksums itself


def sha256_mismatch(upload: Upload, info: s3.ObjectInfo) -> str:
    """A sentence when a declared SHA-256 is not the one the bucket vouches for, or ""."""
    if not upload.sha256:
        return ""
    if not _whole_object_checksum(info):
        return (
            "The bucket did not record the file's SHA-256, so the declared one cannot be checked."
        )
    if info.checksum_sha256 != upload.sha256:
        return "The file's SHA-256 in the bucket differs from the one declared."
    return ""
