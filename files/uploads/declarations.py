"""What a client declares about a file before sending it: name, size, type and checksum.

`declare()` normalises and checks a declaration against the settings; the API layer has
already checked the JSON's shape. The client's name is display metadata only, never a path.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from django.conf import settings

from files import text
from files.errors import InvalidUpload
from files.sizes import format_size
from files.uploads import encrypted as encryption

MAX_NAME_LENGTH = 200  # characters kept of a client's file name
MAX_FOLDER_LENGTH = 500  # characters kept of the folders a file was chosen in
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class Declaration:
    """A file as its client describes it, normalised: safe name, lower-case type, base64 SHA-256."""

    name: str
    size: int
    content_type: str
    sha256: str = ""
    last_modified: int | None = None  # ms since the epoch, as browsers' File.lastModified
    folder: str = ""  # display only: "photos/2024" for a file chosen as photos/2024/a.jpg
    encrypted: bool = False  # end to end: `size` is the ciphertext's, `name` a neutral label
    meta: str = ""  # an encrypted upload's opaque base64url name, type and size


def _clean_segment(raw: str) -> str:
    """One path segment as display text (files/text.py's rule), without edge dots."""
    return text.clean(raw).strip(" .")


def sanitize_name(raw: str) -> str:
    """A display name: the last path component, cleaned like all typed text, length-capped.

    Capped rather than refused: the name comes from the sender's disk, not from what they
    typed here, and refusing a file over its name would leave them nothing to fix in Chute.
    """
    name = _clean_segment(re.split(r"[/\\]", raw)[-1])
    if not name:
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            stem = text.clean(stem, max_length=MAX_NAME_LENGTH - len(extension) - 1)
            name = stem + "." + extension
        else:
            name = text.clean(name, max_length=MAX_NAME_LENGTH)
    return name


def sanitize_folder(raw_path: str) -> str:
    """The folders of a relative path ("photos/2024/a.jpg" → "photos/2024"), for display only.

    Each folder is cleaned like a name; empty, "." and ".." folders are dropped, so the result
    never climbs anywhere (it names no key: keys are the server's). Folders that would pass
    MAX_FOLDER_LENGTH are left off the end.
    """
    segments = re.split(r"[/\\]", raw_path)[:-1]
    kept: list[str] = []
    length = 0
    for raw in segments:
        segment = text.clean(_clean_segment(raw), max_length=MAX_NAME_LENGTH)
        if not segment:  # "", "." and ".." all clean to nothing
            continue
        length += len(segment) + (1 if kept else 0)
        if length > MAX_FOLDER_LENGTH:
            break
        kept.append(segment)
    return "/".join(kept)


def normalize_content_type(raw: str) -> str:
    value = raw.split(";", 1)[0].strip().lower() or DEFAULT_CONTENT_TYPE
    if not _CONTENT_TYPE.match(value):
        raise InvalidUpload(f"“{raw[:80]}” is not a valid content type such as image/png.")
    return value


def content_type_allowed(content_type: str) -> bool:
    patterns: list[str] = settings.CHUTE_ALLOWED_CONTENT_TYPES
    if not patterns:
        return True
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == content_type or (
            pattern.endswith("/*") and content_type.startswith(pattern[:-1])
        ):
            return True
    return False


def normalize_sha256(raw: str) -> str:
    """Base64 of a SHA-256 digest, accepting hex too."""
    if _HEX_SHA256.match(raw):
        return base64.b64encode(bytes.fromhex(raw)).decode()
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise InvalidUpload("sha256 must be a SHA-256 digest in base64 (44 characters) or hex.")
    return base64.b64encode(digest).decode()


def declare(
    *,
    name: str | None,
    size: int,
    content_type: str,
    sha256: str = "",
    last_modified: int | None = None,
    path: str = "",
) -> Declaration:
    """Check a declaration against the settings; raises InvalidUpload with a sentence.

    `path` is the file's path relative to a chosen folder ("photos/2024/a.jpg"); its folders
    are kept for display. `name` is None only for an encrypted upload (declare_encrypted).
    """
    if name is None or not text.clean(name):  # nothing but spaces, controls or hidden characters
        raise InvalidUpload("name must be the file's name as text.")
    if size <= 0:
        raise InvalidUpload("The file is empty; there is nothing to upload.")
    limit: int = settings.CHUTE_MAX_UPLOAD_SIZE
    if size > limit:
        raise InvalidUpload(
            f"The file is {format_size(size)}; the largest file accepted is {format_size(limit)}."
        )
    normalized_type = normalize_content_type(content_type)
    if not content_type_allowed(normalized_type):
        raise InvalidUpload(f"Files of type {normalized_type} are not accepted here.")
    return Declaration(
        name=sanitize_name(name),
        size=size,
        content_type=normalized_type,
        sha256=normalize_sha256(sha256) if sha256 else "",
        last_modified=last_modified if last_modified and 0 < last_modified < 2**62 else None,
        folder=sanitize_folder(path),
    )


def declare_encrypted(
    *, size: int, content_type: str, meta: str, sha256: str = "", cleartext: tuple[str, ...] = ()
) -> Declaration:
    """An end-to-end encrypted file: ciphertext size, opaque meta, nothing readable in clear.

    `cleartext` names the fields the client sent that would tell the server what the file is
    (name, path, last_modified): refused, since the server must never learn them.
    """
    if cleartext:
        fields = " and ".join(cleartext)
        raise InvalidUpload(
            f"An encrypted upload keeps its name, folders and dates inside meta; leave {fields} out."
        )
    if normalize_content_type(content_type) != encryption.CONTENT_TYPE:
        raise InvalidUpload(
            f"An encrypted upload's content_type is {encryption.CONTENT_TYPE}; its real type "
            "travels inside meta."
        )
    encryption.check_size(size)
    limit: int = settings.CHUTE_MAX_UPLOAD_SIZE
    if size > limit:
        raise InvalidUpload(
            f"The file is {format_size(size)}; the largest file accepted is {format_size(limit)}."
        )
    # No allow-list check: the type a person sees is inside meta, which the server cannot read.
    return Declaration(
        name=encryption.LABEL,
        size=size,
        content_type=encryption.CONTENT_TYPE,
        sha256=normalize_sha256(sha256) if sha256 else "",
        encrypted=True,
        meta=encryption.check_meta(meta),
    )
