"""Ending a file's life: delete (what owners and the API do) and purge (bytes, links, row).

The one module that joins uploads and share links: deleting a file revokes its links before
its bytes go, so a link never hands out a URL to bytes that are being removed.
"""

from __future__ import annotations

from django.utils import timezone

from files import s3, sharing
from files.models import Upload


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
    sharing.revoke_for_upload(upload)  # its share links answer 410 before the bytes go
    if upload.multipart_upload_id:
        s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)
    s3.delete(upload.key)
    upload.delete()
