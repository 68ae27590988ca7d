"""Confirm trusts the bucket, not the client: HEAD the object and register it once.

Used after a single-request upload's bytes landed and after CompleteMultipartUpload.
"""

from __future__ import annotations

from django.utils import timezone

from files import s3
from files.errors import NotUploaded, UploadClosed, UploadMismatch
from files.models import Upload
from files.sizes import format_size


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

    problem = mismatch(upload, info)
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
    whole_object = info.checksum_sha256 and "-" not in info.checksum_sha256
    if upload.sha256 and whole_object and info.checksum_sha256 != upload.sha256:
        return "The file's SHA-256 in the bucket differs from the one declared."
    return ""
