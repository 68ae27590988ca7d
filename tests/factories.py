"""Test data with real bytes in the (SeaweedFS) bucket."""

from __future__ import annotations

from files import confirm, declarations, s3, uploads
from files.models import Upload


def ready_file(
    owner,
    data: bytes = b"hello world",
    *,
    name: str = "report.pdf",
    content_type: str = "application/pdf",
) -> Upload:
    """A READY file whose bytes are in the bucket. The name is used as given (not sanitised)."""
    issued = uploads.start_upload(
        owner, declarations.Declaration(name=name, size=len(data), content_type=content_type)
    )
    s3.put_bytes(issued.upload.key, data, content_type=content_type)
    return confirm.confirm(issued.upload)


def in_bucket(key: str) -> bool:
    try:
        s3.head(key)
    except s3.ObjectNotFound:
        return False
    return True
