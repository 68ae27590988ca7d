"""`chute get '<share link>[#key]'`: every file of a share link, as its recipient, with no token.

The link's files are listed by `GET /api/s/<token>` and each is fetched through the link's own
download route (one download counted each, as on its page). Encrypted files are decrypted as
they arrive into a hidden temporary file beside the target, which becomes the file only once
its last record verified; anything else (a changed byte, a cut-short object) leaves no file.
An existing file is never overwritten.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from chute_client import ece
from chute_client.api import USER_AGENT, ChuteError, describe, error_from
from chute_client.progress import bar

READ_CHUNK = 1024 * 1024
MAX_NAME_BYTES = 255  # most file systems' limit for one name
PASSWORD_VARIABLE = "CHUTE_LINK_PASSWORD"  # noqa: S105  # the variable's name, not a password


@dataclass(frozen=True)
class Link:
    base: str  # the server's address, ending in "/"
    token: str
    key: bytes | None  # from the fragment: the files are encrypted


@dataclass(frozen=True)
class Wanted:
    id: str
    name: str
    size: int  # bytes once saved (the plaintext's)
    encrypted: bool
    target: Path


def is_link(text: str) -> bool:
    return text.startswith(("http://", "https://")) and "/s/" in text


def parse_link(text: str) -> Link:
    parts = urlsplit(text.strip())
    base, found, token = parts.path.rpartition("/s/")
    if parts.scheme not in ("http", "https") or not found or not token or "/" in token:
        raise ChuteError(f"“{text[:60]}” is not a share link such as https://host/s/<token>.")
    key = ece.parse_key(parts.fragment) if parts.fragment else None
    return Link(f"{parts.scheme}://{parts.netloc}{base}/", token, key)


def safe_name(name: str) -> str:
    """A file name that stays in its folder: no separators, controls, or "." and ".." names."""
    name = unicodedata.normalize("NFC", name)
    name = re.sub(r"[/\\\0-\x1f\x7f]", "_", name).strip()
    while len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:-1]}.{extension}" if dot and stem and len(extension) < 16 else name[:-1]
    return "download" if name in ("", ".", "..") else name


def describe_file(item: dict[str, Any], key: bytes | None) -> tuple[str, int]:
    """The file's name and size: decrypted from its meta when it is encrypted."""
    if not item["encrypted"]:
        return str(item["name"]), int(item["size"])
    if key is None:
        raise ChuteError(
            "This link's files are encrypted: give the whole link, with its key after #, in quotes."
        )
    try:
        meta = ece.decrypt_meta(key, item["meta"])
    except ece.DecryptError as exc:
        raise ChuteError(str(exc)) from None
    if ece.plaintext_size(int(item["size"])) != meta["size"]:
        raise ChuteError("A file's stored size does not match its encrypted size; it was altered.")
    return str(meta["name"]), int(meta["size"])


def targets(files: list[dict[str, Any]], key: bytes | None, output: str | None) -> list[Wanted]:
    folder = Path(output) if output else Path.cwd()
    single_target = output is not None and len(files) == 1 and not folder.is_dir()
    if output is not None and not single_target and not folder.is_dir():
        raise ChuteError(f"{output} is not a folder; a link of several files needs one with -o.")
    wanted: list[Wanted] = []
    for listed in files:
        name, size = describe_file(listed, key)
        target = folder if single_target else folder / safe_name(name)
        wanted.append(Wanted(str(listed["id"]), name, size, bool(listed["encrypted"]), target))
    seen: set[Path] = set()
    for item in wanted:
        if not item.target.parent.is_dir():
            raise ChuteError(f"{item.target.parent} is not a folder to save {item.name} in.")
        if item.target.exists() or item.target.is_symlink():
            raise ChuteError(
                f"{item.target} already exists; chute never overwrites a file. "
                "Move it away or choose another folder with -o."
            )
        if item.target in seen:
            raise ChuteError(f"The link holds two files named {item.target.name}; use -o DIR.")
        seen.add(item.target)
    return wanted


def password_for(link: dict[str, Any]) -> str:
    if not link["has_password"]:
        return ""
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        return getpass.getpass("This link is protected by a password. Password: ")
    raise ChuteError(f"This link is protected by a password: set {PASSWORD_VARIABLE}.")


def claim(client: httpx.Client, download: str, file_id: str, password: str) -> str:
    """Count one download of the file through the link; answers the bucket URL (keep it private)."""
    try:
        response = client.post(download, data={"file": file_id, "password": password})
    except httpx.TransportError as exc:
        raise ChuteError(f"Could not reach the link's server ({describe(exc)}).") from None
    location = response.headers.get("Location")
    if response.is_redirect and location:
        return location
    words = {
        403: "The link's password was not accepted.",
        404: "There is no share link at this address.",
        410: "This link no longer works: it expired, was used up or was revoked.",
        429: "Too many wrong passwords for this link; try again later.",
    }
    raise ChuteError(words.get(response.status_code) or str(error_from(response)))


def save(client: httpx.Client, url: str, item: Wanted, key: bytes | None) -> None:
    """Stream the file into a temporary file beside its target; rename it once all verified."""
    handle, temporary = tempfile.mkstemp(
        dir=item.target.parent, prefix=".chute-", suffix=".partial"
    )
    written = 0
    progress = bar(item.name, item.size)
    try:
        with os.fdopen(handle, "wb") as out:
            decryptor = ece.Decryptor(key) if item.encrypted and key else None
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ChuteError(f"The bucket answered {response.status_code} for {item.name}.")
                for chunk in response.iter_bytes(READ_CHUNK):
                    plain = decryptor.feed(chunk) if decryptor else chunk
                    out.write(plain)
                    written += len(plain)
                    progress.update(len(plain))
            if decryptor:
                last = decryptor.finish()
                out.write(last)
                written += len(last)
            if written != item.size:
                raise ChuteError(
                    f"Received {written} bytes of {item.name}, but it has {item.size}."
                )
            out.flush()
            os.fsync(out.fileno())
        place(Path(temporary), item.target)
    except ece.DecryptError as exc:
        raise ChuteError(f"{item.name} was not saved: {exc}") from None
    except httpx.TransportError as exc:
        raise ChuteError(f"The download of {item.name} failed ({describe(exc)}).") from None
    finally:
        progress.close()
        Path(temporary).unlink(missing_ok=True)


def place(temporary: Path, target: Path) -> None:
    """Give the finished file its name, never replacing one that appeared meanwhile."""
    try:
        os.link(temporary, target)  # fails if target exists
    except FileExistsError:
        raise ChuteError(f"{target} appeared meanwhile; chute never overwrites a file.") from None
    except OSError:  # no hard links here (some network or FAT file systems)
        if target.exists():
            raise ChuteError(
                f"{target} appeared meanwhile; chute never overwrites a file."
            ) from None
        os.replace(temporary, target)


def get_link(text: str, output: str | None) -> list[Path]:
    """Save every file of the link; answers where each went."""
    if output == "-":
        raise ChuteError("A share link's files are saved to files; -o - works with a file id.")
    link = parse_link(text)
    with httpx.Client(
        headers={"User-Agent": USER_AGENT}, timeout=httpx.Timeout(60, connect=10)
    ) as client:
        try:
            response = client.get(f"{link.base}api/s/{link.token}")
        except httpx.TransportError as exc:
            raise ChuteError(f"Could not reach {link.base} ({describe(exc)}).") from None
        if response.status_code != 200:
            raise error_from(response)
        listed = response.json()
        wanted = targets(listed["files"], link.key, output)
        password = password_for(listed)
        for item in wanted:
            save(client, claim(client, listed["download"], item.id, password), item, link.key)
    return [item.target for item in wanted]
