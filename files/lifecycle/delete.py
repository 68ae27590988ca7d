"""Ending a file's life: delete (what owners and the API do) and purge (bytes, links, row).

The one module that joins uploads and share links: deleting a file revokes its links before
its bytes go, so a link never hands out a URL to bytes that are being removed.
"""

from __future__ import annotations

from django.utils import timezone

from files import s3
from files.models import Upload
from files.shares import single
from files.uploads import policy, thumbnails


def delete(upload: Upload) -> None:
    """Abort a pending upload or delete a ready file, bytes first.

    The row is hidden (ABORTED) before the bucket is touched; if the bucket fails, the row
    stays ABORTED for a retry or the cleanup command, so bytes never outlive their row.
    A presigned POST or PUT cannot be revoked: while it can still write, the hidden row is
    kept (its size still counts against the quota) and the cleanup purges it again later.
    """
    Upload.objects.filter(pk=upload.pk).update(
        status=Upload.Status.ABORTED, updated_at=timezone.now()
    )
    upload.status = Upload.Status.ABORTED
    if url_may_still_write(upload):
        remove_bytes(upload)
    else:
        purge(upload)


def url_may_still_write(upload: Upload) -> bool:
    """Whether a presigned POST/PUT issued for the upload's key may still store bytes."""
    if upload.method == Upload.Method.MULTIPART:
        return False  # its part URLs die with the multipart upload (aborted or completed)
    return timezone.now() < upload.expires_at + policy.URL_GRACE


def remove_bytes(upload: Upload) -> None:
    """Revoke the upload's share links, then remove its bytes, thumbnail and multipart state."""
    single.revoke_for_upload(upload)  # its share links answer 410 before the bytes go
    if upload.multipart_upload_id:
        s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)
    s3.delete(upload.key)
    # Whether or not it was confirmed: a thumbnail POST may have stored one.
    s3.delete(thumbnails.key_for(upload))
    if upload.file and upload.file.name != upload.key:
        s3.delete(upload.file.name)  # the confirmed copy of a single-request upload


def purge(upload: Upload) -> None:
    """Remove an upload's bytes (and multipart state) from the bucket, then its row."""
    remove_bytes(upload)
    upload.delete()
