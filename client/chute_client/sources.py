"""Where an upload's bytes come from: the file as it is, or the file encrypted on the way.

The uploader asks a source for a part's bytes, its SHA-256 and its size; it never reads the
file itself. `SealedSource` makes each part on its own from the records that overlap it
(client/chute_client/ece.py), so parts are encrypted in parallel and a resumed upload makes
again only what it sends, or hashes to compare.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

from chute_client import ece
from chute_client.api import ChuteError
from chute_client.parts import CHUNK, Part, b64sha256, hash_part, read_part


class FileSource:
    """The file's own bytes, read at each part's offset."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self.file = file
        self.fd = file.fileno()
        self.size = size

    def read(self, part: Part) -> bytes:
        return read_part(self.fd, part)

    def sha256(self, part: Part) -> str:
        return hash_part(self.fd, part)

    def chunks(self, part: Part) -> Iterator[bytes]:
        done = 0
        while done < part.size:
            chunk = os.pread(self.fd, min(CHUNK, part.size - done), part.offset + done)
            if not chunk:
                raise ChuteError("The file became shorter while it was being sent.")
            yield chunk
            done += len(chunk)

    def open(self) -> BinaryIO:
        self.file.seek(0)
        return self.file


class SealedSource:
    """The file as one aes128gcm stream (key, salt): `size` counts ciphertext bytes.

    `known` holds part checksums computed before (by number, kept in the resume state): a part
    the bucket already holds is compared with it, not encrypted again. `hashed` hears each
    checksum computed, to keep it.
    """

    def __init__(
        self,
        file: BinaryIO,
        plain_size: int,
        key: bytes,
        salt: bytes,
        *,
        known: dict[int, str] | None = None,
        hashed: Callable[[int, str], None] = lambda number, sha256: None,
    ) -> None:
        self.fd = file.fileno()
        self.plain_size = plain_size
        self.size = ece.ciphertext_size(plain_size)
        self.key, self.salt = key, salt
        self.keys = ece.Keys.derive(key, salt)
        self.known = dict(known or {})
        self.hashed = hashed
        self._lock = threading.Lock()

    def _plain(self, offset: int, length: int) -> bytes:
        return read_part(self.fd, Part(0, offset, length))

    def read(self, part: Part) -> bytes:
        end = part.offset + part.size
        return ece.encrypt_range(
            self._plain, self.plain_size, self.key, self.salt, part.offset, end, keys=self.keys
        )

    def sha256(self, part: Part) -> str:
        with self._lock:
            known = self.known.get(part.number)
        if known:
            return known
        sha256 = b64sha256(self.read(part))
        with self._lock:
            self.known[part.number] = sha256
        self.hashed(part.number, sha256)
        return sha256

    def chunks(self, part: Part) -> Iterator[bytes]:
        data = memoryview(self.read(part))
        for start in range(0, len(data), CHUNK):
            yield bytes(data[start : start + CHUNK])

    def open(self) -> BinaryIO:
        return io.BytesIO(self.read(Part(1, 0, self.size)))


Source = FileSource | SealedSource
