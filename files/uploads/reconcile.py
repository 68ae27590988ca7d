"""Finished bytes are registered, not deleted: settle unfinished uploads from the bucket's view.

A tab that closed after its bytes landed but before confirm, or a multipart upload whose every
part arrived but whose complete call never did, is still a whole file. Before the cleanup
removes an unfinished upload, and when its owner opens the page, Chute asks the bucket: a
single-request object that matches its declaration is confirmed; a multipart upload whose
parts are all present, with their planned sizes and the checksums Chute signed, is completed.
Only what cannot be a correct file is left for the cleanup to remove.
"""

from __future__ import annotations

import copy

from django.contrib.auth.models import User
from django.utils import timezone

from files import s3
from files.errors import ChuteError
from files.models import Upload
from files.uploads import confirm, multipart, uppy

SETTLED_PER_PAGE_VIEW = 5  # each costs the bucket a HEAD or a ListParts


def settle(upload: Upload, *, dry_run: bool = False) -> bool:
    """Register `upload` when the bucket holds all of it; True when it is READY now.

    With `dry_run`, nothing changes: True when the bucket holds all of it, so that a real
    run would register it (the cleanup's --dry-run reports what the real run does).
    Raises s3.StorageUnavailable when the bucket does not answer.
    """
    if upload.status != Upload.Status.PENDING:
        return upload.status == Upload.Status.READY
    if dry_run:
        if upload.method == Upload.Method.MULTIPART:
            return _whole_parts(upload) is not None
        return _landed_whole(upload)
    try:
        if upload.method == Upload.Method.MULTIPART:
            return _complete_if_whole(upload)
        if upload.via == Upload.Via.UPPY:
            uppy.confirm_single(upload)
        else:
            confirm.confirm(upload)
    except ChuteError:
        # Not there (yet), or refused: confirm deleted a wrong object and closed the upload.
        return False
    return True


def _landed_whole(upload: Upload) -> bool:
    """Whether a single-request upload's object is in the bucket and matches what was declared."""
    try:
        info = s3.head(upload.key)
    except s3.ObjectNotFound:
        return False
    if upload.via == Upload.Via.UPPY and not upload.size_declared and 0 < info.size <= upload.size:
        upload = copy.copy(upload)
        upload.size = info.size  # as uppy.confirm_single takes it
    return not confirm.mismatch(upload, info)


def _whole_parts(upload: Upload) -> list[tuple[int, str]] | None:
    """(number, ETag) of every planned part when the bucket holds them all as planned."""
    if upload.via == Upload.Via.UPPY and not upload.size_declared:
        return None  # an unsized Uppy upload from before they were refused: no plan to check
    count = upload.part_count or 0
    stored = {part.number: part for part in multipart.uploaded_parts(upload)}
    whole = count > 0 and all(
        number in stored
        and stored[number].size == multipart.expected_part_size(upload, number)
        and (str(number) in upload.part_checksums or upload.via == Upload.Via.UPPY)
        for number in range(1, count + 1)
    )
    return [(number, stored[number].etag) for number in range(1, count + 1)] if whole else None


def _complete_if_whole(upload: Upload) -> bool:
    parts = _whole_parts(upload)
    if parts is None:
        return False
    multipart.complete(upload, parts)
    return True


def settle_stale(owner: User, *, limit: int = SETTLED_PER_PAGE_VIEW) -> int:
    """Settle the owner's unfinished uploads whose URLs have expired; returns how many are READY.

    Called when the owner opens the page, so a file whose tab closed early shows up there.
    A bucket that does not answer leaves everything for the next time.
    """
    stale = Upload.objects.filter(
        owner=owner, status=Upload.Status.PENDING, expires_at__lt=timezone.now()
    ).order_by("-created_at")[:limit]
    settled = 0
    for upload in stale:
        try:
            settled += settle(upload)
        except s3.StorageUnavailable:
            break
    return settled
