"""Resuming: an owner's unfinished multipart uploads, listed for the page and matched when the
same file is started again (from any browser, device or the CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from files import s3
from files.models import Upload, UploadRequest
from files.uploads.declarations import Declaration

MAX_RESUMABLE_LISTED = 20  # unfinished uploads offered for resume (each costs one ListParts)


@dataclass(frozen=True)
class Resumable:
    """An unfinished multipart upload and how much of it the bucket holds."""

    upload: Upload
    uploaded: int | None  # bytes in the bucket; None when the bucket did not answer

    @property
    def percent(self) -> int:
        return int(100 * (self.uploaded or 0) / self.upload.size)


def resumable_uploads(owner: User) -> list[Resumable]:
    """The owner's unfinished multipart uploads that the bucket still holds, newest first."""
    pending = Upload.objects.filter(
        owner=owner, status=Upload.Status.PENDING, method=Upload.Method.MULTIPART
    ).order_by("-created_at")[:MAX_RESUMABLE_LISTED]
    found: list[Resumable] = []
    bucket_answers = True
    for upload in pending:
        if not bucket_answers:
            # One timeout is enough: asking again for each upload would hold the page.
            found.append(Resumable(upload=upload, uploaded=None))
            continue
        try:
            parts = s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)
        except s3.UploadNotFound:
            continue  # aborted in the bucket; the cleanup command removes the row
        except s3.StorageUnavailable:
            bucket_answers = False
            found.append(Resumable(upload=upload, uploaded=None))
            continue
        found.append(Resumable(upload=upload, uploaded=sum(part.size for part in parts)))
    return found


def find_unfinished(
    owner: User,
    declared: Declaration,
    *,
    request: UploadRequest | None = None,
    guest_key: str = "",
) -> Upload | None:
    """The owner's unfinished multipart upload of this same file, if the bucket still holds it.

    Same name, size, type and declared modification time: any client (another browser, the
    CLI) that starts the file again continues it instead of sending every byte again. A
    guest (`request` and their `guest_key`) continues only their own uploads to that request;
    the owner never continues a guest's.
    """
    if declared.last_modified is None or (request is not None and not guest_key):
        return None
    candidates = Upload.objects.filter(
        owner=owner,
        request=request,
        guest_key=guest_key if request is not None else "",
        status=Upload.Status.PENDING,
        method=Upload.Method.MULTIPART,
        name=declared.name,
        size=declared.size,
        content_type=declared.content_type,
        last_modified=declared.last_modified,
    ).order_by("-created_at")
    for upload in candidates[:3]:
        try:
            s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)
        except s3.UploadNotFound:
            continue  # aborted in the bucket; the cleanup command removes the row
        return upload
    return None
