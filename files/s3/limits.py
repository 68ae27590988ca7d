"""S3's own limits, named once for the whole app, and the check every presigned URL's lifetime passes."""

from __future__ import annotations

MiB = 1024 * 1024
GiB = 1024 * MiB
MIN_PART_SIZE = 5 * MiB  # S3 rejects smaller non-final parts
MAX_PART_SIZE = 5 * GiB  # S3's largest part
MAX_PARTS = 10_000  # S3's part-number limit
MAX_OBJECT_SIZE = 5 * 1024 * GiB  # S3's largest object (5 TiB)
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 refuses longer-lived URLs


def lifetime(seconds: int) -> int:
    """`seconds`, when SigV4 can sign a URL that lives that long; ValueError otherwise."""
    if not 0 < seconds < MAX_PRESIGN_SECONDS:
        raise ValueError(f"URL lifetime {seconds}s is outside SigV4's 1s..7d range.")
    return seconds
