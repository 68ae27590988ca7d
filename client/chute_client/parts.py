"""A file's parts: planned as Chute planned them, read and hashed at their offsets, and
matched against what the bucket already holds (so a resumed upload skips only what is there).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from chute_client.api import ChuteError

MiB = 1024 * 1024
CHUNK = 1 * MiB  # read, hash, throttle and report progress this much at a time


@dataclass(frozen=True)
class Part:
    number: int
    offset: int
    size: int


def plan_parts(size: int, part_size: int, part_count: int) -> list[Part]:
    """The parts of a `size`-byte file, as Chute planned them (part_size each, the last less)."""
    if part_size <= 0 or -(-size // part_size) != part_count:
        raise ChuteError(
            f"Chute planned {part_count} parts of {part_size} bytes for a {size}-byte file."
        )
    return [
        Part(number=i + 1, offset=offset, size=min(part_size, size - offset))
        for i, offset in enumerate(range(0, size, part_size))
    ]


# Chute's default part plan (files/uploads/policy.py: CHUTE_MULTIPART_THRESHOLD, CHUTE_PART_SIZE,
# at least 8 parts, S3's limits). The first parts are hashed with it before the file is declared,
# so their URLs come back with the declaration ("create and sign in one call"); a server
# configured otherwise (these two variables tell the CLI) costs one more call, nothing else.
FEWEST_PARTS = 8
MIN_PART, MAX_PART, MAX_PARTS = 5 * MiB, 5 * 1024 * MiB, 10_000


def expected_plan(size: int) -> tuple[int, int] | None:
    """(part size, part count) Chute will most likely plan for `size` bytes; None: one request."""
    threshold = int(os.environ.get("CHUTE_MULTIPART_THRESHOLD") or 64 * MiB)
    if size < threshold:
        return None
    whole_mib = lambda n: -(-n // MiB) * MiB  # noqa: E731
    part_size = min(max(int(os.environ.get("CHUTE_PART_SIZE") or 64 * MiB), MIN_PART), MAX_PART)
    part_size = min(part_size, max(MIN_PART, whole_mib(-(-size // FEWEST_PARTS))))
    if size > part_size * MAX_PARTS:
        part_size = whole_mib(-(-size // MAX_PARTS))
    return part_size, -(-size // part_size)


def batches(parts: list[Part], size: int) -> list[list[Part]]:
    return [parts[i : i + size] for i in range(0, len(parts), max(1, size))]


def stored_parts(listed: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The listed parts by number, leaving out numbers listed twice.

    A part sent again can be listed under both ETags (SeaweedFS 4.48) with the SHA-256 signed
    last for either: which entry holds which bytes is unknown, so such a part is sent again.
    """
    seen: dict[int, int] = {}
    for p in listed:
        seen[p["number"]] = seen.get(p["number"], 0) + 1
    return {p["number"]: p for p in listed if seen[p["number"]] == 1}


def already_stored(part: Part, sha256: str, stored: dict[str, Any] | None) -> bool:
    """The bucket holds this part with the same size and the same signed SHA-256."""
    return bool(stored and stored.get("size") == part.size and stored.get("sha256") == sha256)


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def read_part(fd: int, part: Part) -> bytes:
    chunks = []
    done = 0
    while done < part.size:
        chunk = os.pread(fd, part.size - done, part.offset + done)
        if not chunk:
            raise ChuteError("The file became shorter while it was being sent.")
        chunks.append(chunk)
        done += len(chunk)
    return b"".join(chunks)


def hash_part(fd: int, part: Part) -> str:
    """The part's SHA-256 (base64), read a chunk at a time."""
    digest = hashlib.sha256()
    done = 0
    while done < part.size:
        chunk = os.pread(fd, min(CHUNK, part.size - done), part.offset + done)
        if not chunk:
            raise ChuteError("The file became shorter while it was being sent.")
        digest.update(chunk)
        done += len(chunk)
    return base64.b64encode(digest.digest()).decode()
