"""End-to-end encrypted uploads: what the server checks of bytes and metadata it cannot read.

The client encrypts with RFC 8188 `aes128gcm` (64 KiB records, docs/security.md); the key lives
only in the uploader and in the link's fragment. The server keeps the ciphertext's size, a
neutral label for the name, and `meta`: an opaque base64url blob (the encrypted name, type and
plaintext size) that it checks for shape and size only.
"""

from __future__ import annotations

import re

from files.errors import InvalidUpload
from files.sizes import format_size

LABEL = "Encrypted file"  # the name shown wherever the server must name an encrypted file
CONTENT_TYPE = "application/octet-stream"
MAX_META_LENGTH = 4096  # characters of base64url: the encrypted name, type and size
RECORD_SIZE = 65536  # rs: ciphertext bytes in every record but the last
HEADER_SIZE = 21  # salt (16) | rs (4) | idlen (1), with an empty key id
TAG_SIZE = 16
MIN_SIZE = HEADER_SIZE + TAG_SIZE + 1  # an empty file: one record holding its delimiter

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def check_meta(meta: str) -> str:
    """`meta` as stored: base64url without padding, at most MAX_META_LENGTH characters."""
    if not meta:
        raise InvalidUpload(
            "An encrypted upload needs meta: its encrypted name, type and size in base64url."
        )
    if len(meta) > MAX_META_LENGTH:
        raise InvalidUpload(
            f"meta holds {len(meta)} characters; at most {MAX_META_LENGTH} are kept. "
            "Shorten the file's name."
        )
    if not _BASE64URL.match(meta) or len(meta) % 4 == 1:
        raise InvalidUpload("meta must be base64url text (A-Z, a-z, 0-9, - and _, no padding).")
    return meta


def is_stream_size(size: int) -> bool:
    """Whether `size` bytes can be an aes128gcm stream of 64 KiB records with no padding.

    Every record but the last is full (RECORD_SIZE bytes); the last holds at least its tag
    and delimiter, and at least one byte of content when it is not the only record.
    """
    body = size - HEADER_SIZE
    if body < TAG_SIZE + 1:
        return False
    last = body - (body - 1) // RECORD_SIZE * RECORD_SIZE
    return last >= TAG_SIZE + 1 + (0 if body <= RECORD_SIZE else 1)


def check_size(size: int) -> None:
    if not is_stream_size(size):
        raise InvalidUpload(
            f"{size} bytes ({format_size(max(size, 0))}) is no size an aes128gcm stream with "
            "64 KiB records can have: size is the ciphertext's bytes, header included."
        )
