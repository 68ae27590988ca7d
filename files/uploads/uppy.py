"""Uploads through Uppy's Companion S3 protocol (`@uppy/aws-s3` with `companionEndpoint`).

The same core as Chute's own protocol: server-chosen keys, quotas, confirm. What differs is
what Uppy 6 sends with configuration alone:

- No per-part checksum: these multipart uploads are created without ChecksumAlgorithm and
  each part URL signs the part's exact length instead.
- Uppy picks its own chunks, so the part plan is Uppy's default: parts of
  max(ceil(size / 10,000), 5 MiB) (S3Uploader#getChunkSize in @uppy/aws-s3 6.x).
- The size is declared only when the file's Uppy metadata carries `size`. Without it, a
  single file reserves the most it may hold (the size limit, the quota left) and gets a POST
  policy allowing 1 byte up to that. A multipart upload is refused (issue 24): Uppy's signPart
  call names no part length, so the last part of a file of unknown size could not be signed.
- Nothing tells Chute when a single-request (POST) upload landed; `confirm_landed` registers
  them on the owner's next Uppy call and from the cleanup command.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import DateTimeField, F, JSONField, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from files import s3
from files.errors import (
    ChuteError,
    InvalidUpload,
    NotUploaded,
    QuotaExceeded,
    SizeRequired,
    UploadClosed,
    UploadNotFound,
)
from files.models import Upload
from files.sizes import format_size
from files.text import whole_number
from files.uploads import multipart, policy, quotas, start
from files.uploads.confirm import confirm
from files.uploads.declarations import declare

UPPY_MIN_CHUNK = s3.MIN_PART_SIZE  # @uppy/aws-s3: MIN_CHUNK_SIZE = 5 MiB
SINGLE_REQUEST_LIMIT = 5 * s3.GiB  # S3's largest PutObject/POST
LANDED_CHECKED_PER_CALL = 10  # HEADs one Uppy call may spend on confirming earlier POSTs


def uppy_part_plan(size: int) -> tuple[int, int]:
    """(part size, part count) as @uppy/aws-s3 6.x cuts a file of `size` bytes by default."""
    if not 0 < size <= s3.MAX_OBJECT_SIZE:
        raise ValueError(f"{size} bytes is outside S3's 1 byte..5 TiB object limits.")
    chunk = max(-(-size // s3.MAX_PARTS), UPPY_MIN_CHUNK)
    return chunk, -(-size // chunk)


def parse_size(raw: object) -> int | None:
    """The size Uppy's metadata declares (a string or a number), or None when absent."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    try:
        return whole_number(text, max_digits=20)
    except ValueError:
        raise InvalidUpload(
            f"metadata size must be the file's size in bytes as a whole number, not “{text[:40]}”."
        ) from None


def _room(owner: User) -> int:
    """The most a single file of unknown size may hold: the size limit, S3's, the quota left."""
    room = min(int(settings.CHUTE_MAX_UPLOAD_SIZE), SINGLE_REQUEST_LIMIT)
    quota = int(settings.CHUTE_USER_QUOTA)
    if quota > 0:
        left = quota - quotas.usage(owner.pk)
        if left <= 0:
            raise QuotaExceeded(f"Your {format_size(quota)} storage quota is used up.")
        room = min(room, left)
    return room


def _new_upload(owner: User, *, name: str, content_type: str, size: int, declared: bool) -> Upload:
    checked = declare(name=name, size=size, content_type=content_type)
    return start.new_upload(
        owner, checked, method=Upload.Method.POST, via=Upload.Via.UPPY, size_declared=declared
    )


def start_single(
    owner: User, *, name: str, content_type: str, size: int | None
) -> tuple[Upload, s3.PresignedPost]:
    """A PENDING single-request upload and its POST policy (exact size, or 1 byte up to room)."""
    declared = size is not None
    if size is not None and size > SINGLE_REQUEST_LIMIT:
        raise InvalidUpload(
            f"A file of {format_size(size)} cannot go in one request (S3 allows "
            f"{format_size(SINGLE_REQUEST_LIMIT)}); let Uppy use multipart for it."
        )
    reserved = size if size is not None else _room(owner)
    upload = _new_upload(
        owner, name=name, content_type=content_type, size=reserved, declared=declared
    )
    ttl = policy.upload_url_ttl()
    post = s3.presign_post(
        upload.key,
        content_type=upload.content_type,
        size=upload.size,
        expires_in=ttl,
        exact=declared,  # an undeclared size may be anything up to the room reserved
    )
    quotas.save_within_quota(upload)
    return upload, post


def start_multipart(owner: User, *, name: str, content_type: str, size: int | None) -> Upload:
    """A PENDING multipart upload without checksums, planned as Uppy will cut the file."""
    if size is None:
        raise SizeRequired()
    upload = _new_upload(owner, name=name, content_type=content_type, size=size, declared=True)
    return multipart.start(upload, plan=uppy_part_plan(upload.size), checksums=False)


def find(owner: User, *, upload_id: str, key: str) -> Upload:
    """The owner's Uppy multipart upload with this id AND this key; UploadNotFound otherwise.

    Uppy sends the key back on every call; it names nothing by itself, it must match.
    """
    found = Upload.objects.filter(
        owner=owner, via=Upload.Via.UPPY, multipart_upload_id=upload_id, key=key
    ).first()
    if not upload_id or not key or found is None or found.status == Upload.Status.ABORTED:
        raise UploadNotFound()
    return found


def sign_part(upload: Upload, number: int) -> tuple[str, int]:
    """A part URL, the part's exact length signed in, and its lifetime."""
    if upload.status != Upload.Status.PENDING:
        raise UploadClosed(
            "This upload is already complete; its parts cannot change."
            if upload.status == Upload.Status.READY
            else None
        )
    if not upload.size_declared:
        # Started before unsized multipart uploads were refused: its plan is the room it
        # reserved, not the file, so its last part could never be signed right.
        raise UploadClosed(
            "This upload was started without the file's size and cannot take parts. "
            + SizeRequired.message
        )
    count = upload.part_count or 0
    if not 1 <= number <= count:
        raise InvalidUpload(f"Part {number} does not exist: this upload has parts 1 to {count}.")
    ttl = policy.upload_url_ttl()
    url = s3.presign_part(
        upload.key,
        upload_id=upload.multipart_upload_id,
        number=number,
        sha256="",  # Uppy sends none
        expires_in=ttl,
        size=multipart.expected_part_size(upload, number),
    )
    # Record the part as signed (with no checksum: complete sends none) and keep the
    # upload alive while Uppy keeps asking, as multipart.sign_parts does.
    expires_at = timezone.now() + timedelta(seconds=ttl)
    updated = Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
        part_checksums=multipart.JSONMerge(
            F("part_checksums"), Value({str(number): ""}, JSONField())
        ),
        expires_at=Greatest(F("expires_at"), Value(expires_at, DateTimeField())),
        updated_at=timezone.now(),
    )
    if not updated:
        raise UploadClosed()
    return url, ttl


def confirm_single(upload: Upload) -> Upload:
    """Confirm a POSTed upload; one of unknown size takes the size that landed (within room)."""
    if upload.status == Upload.Status.PENDING and not upload.size_declared:
        try:
            info = s3.head(upload.key)
        except s3.ObjectNotFound:
            raise NotUploaded() from None
        if 0 < info.size <= upload.size:  # the POST policy allowed no more
            Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(size=info.size)
            upload.size = info.size
    return confirm(upload)


def confirm_landed(owner: User | None = None, *, limit: int = LANDED_CHECKED_PER_CALL) -> int:
    """Confirm Uppy's single-request uploads whose bytes are in the bucket; returns how many.

    Uppy says nothing after its POST, so Chute looks: on the owner's next Uppy call (for
    `owner`) and from the cleanup command (every owner, before stale uploads are removed).
    """
    pending = Upload.objects.filter(
        via=Upload.Via.UPPY, method=Upload.Method.POST, status=Upload.Status.PENDING
    ).order_by("created_at")
    if owner is not None:
        pending = pending.filter(owner=owner)
    confirmed = 0
    for upload in pending[:limit]:
        try:
            confirm_single(upload)
        except s3.StorageUnavailable:
            break
        except ChuteError:
            continue  # not there yet, or refused (confirm deleted it and said why)
        confirmed += 1
    return confirmed
