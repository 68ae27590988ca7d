"""What a download serves: the confirmed file, as an attachment, through a URL living ≤ 60 s.

The URL comes from the model's FileField on django-storages' S3 storage, so the storage's own
settings (public endpoint, custom domain, CloudFront key pair) apply to every download.
"""

from __future__ import annotations

from django.utils.http import content_disposition_header

from files import s3
from files.models import Upload
from files.uploads import policy
from files.uploads.declarations import DEFAULT_CONTENT_TYPE

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
        "audio/wav",
        "audio/webm",
        "audio/mp4",
        "audio/flac",
        # Browsers sniff text/plain only for binary, never into HTML (WHATWG MIME Sniffing §7.1).
        "text/plain",
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


def opens_inline(upload: Upload) -> bool:
    """Whether "Open" shows the file in the browser (else it is served as a download).

    Never an encrypted file: its bytes are ciphertext, readable only after decryption.
    """
    return not upload.encrypted and upload.content_type in INLINE_TYPES


def response_headers(upload: Upload, *, inline: bool = False) -> dict[str, str]:
    """The bucket's response overrides: disposition, a safe type and no caching."""
    as_attachment = not (inline and opens_inline(upload))
    content_type = upload.content_type
    if content_type in ACTIVE_TYPES:
        content_type = DEFAULT_CONTENT_TYPE
    return {
        "ResponseContentDisposition": content_disposition_header(as_attachment, upload.name)
        or "attachment",
        "ResponseContentType": content_type,
        "ResponseCacheControl": "private, no-store",
        # Confirm refuses encoded objects; this also holds for anything stored another way:
        # a browser must never decode the bytes into others (or inflate a gzip bomb).
        "ResponseContentEncoding": "identity",
    }


def ensure_servable(upload: Upload) -> None:
    """Raise s3.StorageUnavailable unless the bucket answers for the file's bytes right now.

    For counted downloads (share links): a count must not be spent on a redirect to a bucket
    that is down. One HEAD; the bucket may still fail in the seconds the URL lives.
    """
    try:
        s3.head(upload.file.name)
    except s3.ObjectNotFound:
        raise s3.StorageUnavailable(
            "The shared file cannot be read from the storage bucket right now. "
            "Please try again later."
        ) from None


def download_url(upload: Upload, *, inline: bool = False) -> str:
    """A presigned GET (at most 60 s) that saves the file under its name."""
    if not upload.file:
        raise ValueError(f"Upload {upload.pk} has no confirmed file to download.")
    return str(
        upload.file.storage.url(
            upload.file.name,
            parameters=response_headers(upload, inline=inline),
            expire=policy.download_url_ttl(),
        )
    )
