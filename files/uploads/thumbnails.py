"""Thumbnails: small previews the uploader's browser makes and sends next to a ready file.

The bytes never pass through Django: `issue` answers a presigned POST for the file's one
thumbnail key (type and exact size pinned in the policy), `confirm` checks what the bucket
holds, and `url` signs a short-lived GET that shows it as the image it was confirmed as.

A POST cannot be revoked: while it lives (THUMBNAIL_POST_TTL), it may replace the thumbnail
with another image of the same pinned type and size. The GET forces the stored type, so the
worst it can show is another picture the uploader chose.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from files import s3
from files.errors import InvalidThumbnail, ThumbnailMismatch, UploadNotFound
from files.models import Upload
from files.sizes import format_size
from files.uploads import policy

MAX_SIZE = 64 * 1024  # a preview, not a copy: 320 px WebP or JPEG fits easily
TYPES = frozenset({"image/webp", "image/jpeg"})
# The thumbnail's key: next to the upload's own, so the cleanup finds its row by the upload key
# (files/lifecycle/cleanup.py), and never a confirmed copy's `<key>.<hex>` (policy.confirmed_key).
SUFFIX = ".thumb"
THUMBNAIL_POST_TTL = 300
# Long enough for a lazily loaded image scrolled to a minute later; shown, never downloaded.
THUMBNAIL_URL_TTL = 600


def key_for(upload: Upload) -> str:
    return upload.key + SUFFIX


def upload_key_of(thumbnail_key: str) -> str | None:
    """The upload key a thumbnail key belongs to, or None when `thumbnail_key` is no thumbnail's."""
    return thumbnail_key.removesuffix(SUFFIX) if thumbnail_key.endswith(SUFFIX) else None


def post_ttl() -> int:
    # Never longer than an upload's URLs: the cleanup judges leftovers by that lifetime.
    return min(THUMBNAIL_POST_TTL, policy.upload_url_ttl())


def issue(upload: Upload, *, content_type: str, size: int) -> s3.PresignedPost:
    """A presigned POST for `upload`'s thumbnail: the key, type and exact size pinned."""
    if upload.status != Upload.Status.READY:
        raise UploadNotFound("There is no such file: thumbnails follow a confirmed upload.")
    if upload.encrypted:
        raise InvalidThumbnail(
            "Encrypted files have no thumbnail: a preview would show what the encryption hides."
        )
    if content_type not in TYPES:
        raise InvalidThumbnail("A thumbnail is image/webp or image/jpeg.")
    if not 0 < size <= MAX_SIZE:
        raise InvalidThumbnail(f"A thumbnail holds 1 byte to {format_size(MAX_SIZE)}.")
    post = s3.presign_post(
        key_for(upload), content_type=content_type, size=size, expires_in=post_ttl()
    )
    # The cleanup looks under the upload's key once this POST expired (lifecycle/sweeps.py).
    sweep_after = timezone.now() + timedelta(seconds=post_ttl()) + policy.URL_GRACE
    Upload.objects.filter(pk=upload.pk).update(
        thumbnail_type=content_type, thumbnail_size=size, sweep_after=sweep_after
    )
    upload.thumbnail_type, upload.thumbnail_size = content_type, size
    return post


def confirm(upload: Upload) -> Upload:
    """Register the thumbnail once the bucket holds what the last POST declared.

    A mismatch deletes the object and unregisters the thumbnail: no preview beats a wrong one.
    """
    if upload.status != Upload.Status.READY:
        raise UploadNotFound()
    if not upload.thumbnail_type:
        raise ThumbnailMismatch("Ask for a thumbnail upload first, then confirm it.")
    key = key_for(upload)
    try:
        info = s3.head(key)
    except s3.ObjectNotFound:
        raise ThumbnailMismatch(
            "The thumbnail has not arrived in the bucket. Send it, then confirm."
        ) from None
    stored_type = info.content_type.split(";", 1)[0].strip().lower()
    problem = ""
    if info.size != upload.thumbnail_size:
        problem = f"The bucket holds {info.size} bytes but {upload.thumbnail_size} were declared."
    elif stored_type != upload.thumbnail_type:
        problem = f"The bucket stored type {stored_type} but {upload.thumbnail_type} was declared."
    if problem:
        s3.delete(key)
        Upload.objects.filter(pk=upload.pk).update(thumbnail="")
        upload.thumbnail.name = ""
        raise ThumbnailMismatch(f"{problem} The thumbnail was deleted.")
    Upload.objects.filter(pk=upload.pk, status=Upload.Status.READY).update(thumbnail=key)
    upload.thumbnail.name = key
    return upload


def url(upload: Upload) -> str | None:
    """A short-lived signed GET showing the confirmed thumbnail inline, or None (no bucket call)."""
    if not upload.thumbnail or upload.thumbnail_type not in TYPES:
        return None
    return str(
        upload.thumbnail.storage.url(
            upload.thumbnail.name,
            parameters={
                "ResponseContentType": upload.thumbnail_type,
                "ResponseContentDisposition": "inline",
                "ResponseCacheControl": f"private, max-age={THUMBNAIL_URL_TTL}",
                "ResponseContentEncoding": "identity",
            },
            expire=THUMBNAIL_URL_TTL,
        )
    )
