"""`chute upload --encrypt`: one key for the batch, each file sent encrypted, one link printed.

The key, each file's salt and encrypted meta, its upload id and the part checksums already
computed live in a state file (mode 0600) until the batch's link is made, so running the same
command again after an interruption continues each unfinished upload with the same bytes and
sends only the parts the bucket lacks. The state file is deleted once the link is printed.
State files live in $CHUTE_STATE_DIR, else $XDG_STATE_HOME/chute, else ~/.local/state/chute.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chute_client import ece
from chute_client.api import Api, ChuteError
from chute_client.parts import Part
from chute_client.sources import SealedSource
from chute_client.upload import DECLARE_SHA256_UP_TO, Uploaded, Uploader, content_type

OCTET_STREAM = "application/octet-stream"
STATE_VERSION = 1
SAVE_EVERY = 1.0  # seconds between saves of part checksums while hashing


@dataclass
class Entry:
    """One file of the batch and how far it got."""

    path: str
    size: int
    mtime_ns: int
    salt: str  # base64url
    meta: str
    upload_id: str = ""
    file_id: str = ""
    checksums: dict[str, str] = field(default_factory=dict)  # part number → SHA-256


def state_dir() -> Path:
    explicit = os.environ.get("CHUTE_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "chute"


def new_entry(path: Path, key: bytes) -> Entry:
    stat = path.stat()
    try:
        meta = ece.encrypt_meta(key, path.name, content_type(path), stat.st_size)
    except ValueError as exc:
        raise ChuteError(str(exc)) from None
    return Entry(
        path=str(path),
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        salt=ece.b64url(ece.new_salt()),
        meta=meta,
    )


class Batch:
    """The state of one `upload --encrypt` invocation, kept on disk until its link exists."""

    def __init__(self, where: Path, key: bytes, entries: list[Entry]) -> None:
        self.where = where
        self.key = key
        self.entries = entries
        self._lock = threading.Lock()
        self._saved = 0.0

    @classmethod
    def open(cls, server: str, paths: list[Path]) -> tuple[Batch, list[Entry]]:
        """The batch for these files on this server: continued if a state file exists.

        Answers the batch and the entries of files that changed since (to be started again).
        """
        resolved = [path.resolve() for path in paths]
        name = hashlib.sha256(json.dumps([server, [str(p) for p in resolved]]).encode())
        where = state_dir() / f"encrypted-{name.hexdigest()[:32]}.json"
        try:
            saved = json.loads(where.read_text())
            key = ece.from_b64url(saved["key"])
            old = {entry["path"]: Entry(**entry) for entry in saved["entries"]}
            assert saved["version"] == STATE_VERSION and len(key) == ece.KEY_SIZE
        except FileNotFoundError:
            key, old = ece.new_key(), {}
        except (ValueError, KeyError, TypeError, AssertionError):
            raise ChuteError(
                f"The resume state {where} is damaged; delete it to start the upload again."
            ) from None
        entries, changed = [], []
        for path in resolved:
            stat = path.stat()
            entry = old.get(str(path))
            if entry and (entry.size, entry.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                changed.append(entry)
                entry = None
            entries.append(entry or new_entry(path, key))
        batch = cls(where, key, entries)
        batch.save(force=True)
        return batch, changed

    def save(self, *, force: bool = False) -> None:
        """Write the state (0600, atomically); while hashing, at most once every SAVE_EVERY."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._saved < SAVE_EVERY:
                return
            self._saved = now
            state = {
                "version": STATE_VERSION,
                "key": ece.b64url(self.key),
                "entries": [asdict(entry) for entry in self.entries],
            }
            self.where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = self.where.with_suffix(".tmp")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump(state, out)
            os.replace(temporary, self.where)

    def remember(self, entry: Entry, number: int, sha256: str) -> None:
        """Keep a part's checksum (hashing threads call this), saved now and then."""
        with self._lock:
            entry.checksums[str(number)] = sha256
        self.save()

    def delete(self) -> None:
        self.where.unlink(missing_ok=True)


def resumable(api: Api, upload_id: str) -> dict[str, Any] | None:
    """The unfinished multipart upload `upload_id` as Chute lists it, if it still waits."""
    if not upload_id:
        return None
    for upload in api.get("api/uploads/resumable")["uploads"]:
        if upload["id"] == upload_id:
            return dict(upload)
    return None


def send_file(api: Api, uploader: Uploader, batch: Batch, entry: Entry) -> Uploaded:
    started = time.monotonic()
    path = Path(entry.path)

    with path.open("rb") as file:
        source = SealedSource(
            file,
            entry.size,
            batch.key,
            ece.from_b64url(entry.salt),
            known={int(n): sha256 for n, sha256 in entry.checksums.items()},
            hashed=lambda number, sha256: batch.remember(entry, number, sha256),
        )
        declaration: dict[str, Any] = {
            "encrypted": True,
            "size": source.size,
            "meta": entry.meta,
            "content_type": OCTET_STREAM,
        }
        if source.size <= DECLARE_SHA256_UP_TO:
            declaration["sha256"] = source.sha256(Part(1, 0, source.size))
        issued = resumable(api, entry.upload_id)
        if issued is not None:
            uploader.report(f"{path.name}: continuing its unfinished encrypted upload")
        else:
            issued = api.post("api/uploads", declaration)
            issued["fresh"] = True  # nothing stored yet: no parts to list
            entry.upload_id = issued["id"]
            batch.save(force=True)
        done = uploader.send(source, declaration, issued, started=started, name=path.name)
    entry.file_id = done.id
    batch.save(force=True)
    return done


def upload_batch(
    api: Api,
    uploader: Uploader,
    paths: list[Path],
    make_link: Callable[[list[str]], str],
    sent: Callable[[Uploaded], None] = lambda done: None,
) -> tuple[list[tuple[str, str]], str]:
    """Upload `paths` encrypted with one new key (or the interrupted run's); answers each file's
    (id, local name) and the batch's link with its key as the fragment."""
    batch, changed = Batch.open(api.base_url, paths)
    for old in changed:  # the file changed since: its partial upload is of other bytes
        if old.upload_id and not old.file_id:
            with contextlib.suppress(ChuteError):
                api.delete(f"api/uploads/{old.upload_id}")
    for entry in batch.entries:
        if not entry.file_id:
            sent(send_file(api, uploader, batch, entry))
    ids = [entry.file_id for entry in batch.entries]
    url = make_link(ids)
    batch.delete()
    files = [(entry.file_id, Path(entry.path).name) for entry in batch.entries]
    return files, f"{url}#{ece.b64url(batch.key)}"
