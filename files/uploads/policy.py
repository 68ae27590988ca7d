"""The protocol's rules that hold for every upload: key naming, URL lifetimes, part sizing.

Pure functions of the settings and S3's published limits; no database, no network.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings

from files import s3

MAX_UPLOAD_URL_TTL = 24 * 3600  # far below SigV4's 7-day ceiling
MAX_DOWNLOAD_URL_TTL = 60
MAX_PARTS_PER_SIGN = 100  # parts signed per `POST /api/uploads/<id>/parts`; keeps answers small
# A file is cut into at least this many parts (while they stay ≥ 5 MiB), so a file just above
# the multipart threshold still has parts to send side by side.
FEWEST_PARTS = 8
# How long after its URLs expired an upload's key may still receive bytes: clock skew between
# Django and the bucket, and a last request still streaming when its URL expired.
URL_GRACE = timedelta(minutes=15)


def build_key(owner_id: Any, upload_id: uuid.UUID) -> str:
    """Server-chosen, unique, under the owner's prefix; never derived from the file name."""
    return f"users/{owner_id}/{upload_id.hex}"


def confirmed_key(upload_key: str) -> str:
    """Where confirm puts a single-request upload's bytes: a key no presigned URL can write.

    Upload URLs are signed for `upload_key` only and cannot be revoked, so the confirmed
    copy lives next to it under a fresh random suffix (one per confirm attempt, so two
    concurrent confirms never write the same key).
    """
    return f"{upload_key}.{secrets.token_hex(8)}"


def resume_window() -> timedelta:
    """How long an unfinished multipart upload waits for its owner (CHUTE_RESUME_DAYS)."""
    return timedelta(days=int(settings.CHUTE_RESUME_DAYS))


def abort_incomplete_after_days() -> int:
    """The bucket's abort-incomplete lifecycle rule: a day longer than the resume window.

    The cleanup command aborts what outlived the window; the rule is the backstop for uploads
    no row knows, and must never abort one its owner may still resume.
    """
    return int(settings.CHUTE_RESUME_DAYS) + 1


def upload_url_ttl() -> int:
    return min(int(settings.CHUTE_UPLOAD_URL_TTL), MAX_UPLOAD_URL_TTL)


def download_url_ttl() -> int:
    return min(int(settings.CHUTE_DOWNLOAD_URL_TTL), MAX_DOWNLOAD_URL_TTL)


def is_multipart(size: int) -> bool:
    return size >= settings.CHUTE_MULTIPART_THRESHOLD


def part_plan(size: int) -> tuple[int, int]:
    """(part size, part count) for a file of `size` bytes, within S3's multipart limits.

    Parts are CHUTE_PART_SIZE (clamped to 5 MiB..5 GiB): large ones, since fewer, larger
    parts send fastest (README, "Performance": two 64 MiB parts hashed ahead were the
    fastest multipart way measured from Chromium). A smaller file gets smaller parts, in whole
    MiB, so it still has FEWEST_PARTS to send side by side; a file that would need more than
    10,000 parts gets larger ones, just enough to fit.
    """
    if not 0 < size <= s3.MAX_OBJECT_SIZE:
        raise ValueError(f"{size} bytes is outside S3's 1 byte..5 TiB object limits.")
    part_size = min(max(int(settings.CHUTE_PART_SIZE), s3.MIN_PART_SIZE), s3.MAX_PART_SIZE)
    part_size = min(part_size, max(s3.MIN_PART_SIZE, _whole_mib(-(-size // FEWEST_PARTS))))
    if size > part_size * s3.MAX_PARTS:
        part_size = _whole_mib(-(-size // s3.MAX_PARTS))
    return part_size, -(-size // part_size)


def _whole_mib(size: int) -> int:
    return -(-size // s3.MiB) * s3.MiB


def part_length(size: int, part_size: int, part_count: int, number: int) -> int:
    """Bytes in part `number`: the part size, except for a shorter last part."""
    if number < part_count:
        return part_size
    return size - part_size * (part_count - 1)
