"""RFC 8188 `aes128gcm` encrypted content coding, as Chute's encrypted uploads use it.

The key (the RFC's IKM) is 16 random bytes, one per batch, carried in a share link's fragment
as base64url. Each file is one stream: a 21-byte header (salt, record size 65536, no key id),
then records of at most 65519 plaintext bytes plus a delimiter (0x01, 0x02 in the last) and a
16-byte tag; every record but the last is full and nothing is padded. Records are independent,
so `encrypt_range` makes any byte range of the ciphertext on its own (a multipart part), and
the same key and salt always give the same bytes. AES-GCM and HKDF come from `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_SIZE = 16  # the IKM in the link's fragment: 22 base64url characters
SALT_SIZE = 16
RECORD_SIZE = 65536  # rs: ciphertext bytes of every record but the last
HEADER_SIZE = SALT_SIZE + 4 + 1  # salt | rs (uint32 BE) | idlen (0): no key id
TAG_SIZE = 16
OVERHEAD = TAG_SIZE + 1  # tag and delimiter, per record
MAX_RECORD_SIZE = 1 << 24  # the most a header may declare that we will buffer
MAX_META_LENGTH = 4096  # base64url characters the server keeps
CEK_INFO = b"Content-Encoding: aes128gcm\0"
NONCE_INFO = b"Content-Encoding: nonce\0"


class DecryptError(Exception):
    """Raised when bytes are not an intact aes128gcm stream for this key; says why in a sentence."""


# --- Text forms ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url text") from None


def new_key() -> bytes:
    return os.urandom(KEY_SIZE)


def new_salt() -> bytes:
    return os.urandom(SALT_SIZE)


def parse_key(text: str) -> bytes:
    """A link fragment's key: 22 base64url characters holding 16 bytes."""
    text = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{22}", text) or len(key := from_b64url(text)) != KEY_SIZE:
        raise DecryptError(
            "The link's key (after #) must be 22 characters of base64url; copy the whole link."
        )
    return key


# --- Keys and sizes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """One stream's content-encryption key and nonce base (RFC 8188, section 2.2 and 2.3)."""

    aead: AESGCM
    nonce_base: int

    @classmethod
    def derive(cls, ikm: bytes, salt: bytes) -> Keys:
        cek = _hkdf(ikm, salt, CEK_INFO, 16)
        nonce = _hkdf(ikm, salt, NONCE_INFO, 12)
        return cls(AESGCM(cek), int.from_bytes(nonce, "big"))

    def nonce(self, seq: int) -> bytes:
        return (self.nonce_base ^ seq).to_bytes(12, "big")


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def header(salt: bytes, rs: int = RECORD_SIZE) -> bytes:
    return salt + struct.pack(">IB", rs, 0)


def record_count(plain_size: int, rs: int = RECORD_SIZE) -> int:
    return max(1, -(-plain_size // (rs - OVERHEAD)))


def ciphertext_size(plain_size: int, rs: int = RECORD_SIZE) -> int:
    return HEADER_SIZE + plain_size + OVERHEAD * record_count(plain_size, rs)


def plaintext_size(cipher_size: int, rs: int = RECORD_SIZE) -> int | None:
    """The plaintext bytes a stream of `cipher_size` bytes holds, or None if none can."""
    body = cipher_size - HEADER_SIZE
    if body < OVERHEAD:
        return None
    records = -(-body // rs)
    plain = body - OVERHEAD * records
    return plain if plain >= 0 and ciphertext_size(plain, rs) == cipher_size else None


# --- Encrypting ---------------------------------------------------------------------------------


def encrypt_range(
    read: Callable[[int, int], bytes],
    plain_size: int,
    ikm: bytes,
    salt: bytes,
    start: int,
    end: int,
    rs: int = RECORD_SIZE,
    keys: Keys | None = None,
) -> bytearray:
    """Ciphertext bytes [start, end) of the stream, made from the records that overlap them.

    `read(offset, length)` returns plaintext bytes. A record straddling `start` or `end` is
    encrypted whole and trimmed, so ranges made apart concatenate to the whole stream. Records
    are encrypted straight into one buffer: a part costs one allocation of its size.
    """
    total = ciphertext_size(plain_size, rs)
    if not 0 <= start <= end <= total:
        raise ValueError(f"[{start}, {end}) is outside a {total}-byte stream")
    if start == end:
        return bytearray()
    keys = keys or Keys.derive(ikm, salt)
    chunk = rs - OVERHEAD
    count = record_count(plain_size, rs)
    first = 0 if start < HEADER_SIZE else (start - HEADER_SIZE) // rs
    last = -1 if end <= HEADER_SIZE else min(count - 1, (end - 1 - HEADER_SIZE) // rs)
    base = 0 if start < HEADER_SIZE else HEADER_SIZE + first * rs  # offset of made[0]
    records_end = HEADER_SIZE + min(plain_size + OVERHEAD * count, (last + 1) * rs)
    made = bytearray(records_end - base if last >= 0 else HEADER_SIZE)
    record = bytearray(chunk + 1)  # one record's plaintext and delimiter
    with memoryview(made) as out, memoryview(record) as plain:
        position = 0
        if start < HEADER_SIZE:
            out[:HEADER_SIZE] = header(salt, rs)
            position = HEADER_SIZE
        for seq in range(first, last + 1):
            offset = seq * chunk
            size = min(chunk, plain_size - offset)
            data = read(offset, size)
            if len(data) != size:
                raise ValueError(f"read {len(data)} bytes at {offset}, not {size}")
            plain[:size] = data
            plain[size] = 2 if seq == count - 1 else 1
            after = position + size + OVERHEAD
            keys.aead.encrypt_into(keys.nonce(seq), plain[: size + 1], None, out[position:after])
            position = after
    del made[end - base :]
    del made[: start - base]
    return made


def encrypt(plaintext: bytes, ikm: bytes, salt: bytes, rs: int = RECORD_SIZE) -> bytes:
    """The whole stream of `plaintext` (small things: meta, tests)."""
    size = len(plaintext)
    made = encrypt_range(
        lambda offset, length: plaintext[offset : offset + length],
        size,
        ikm,
        salt,
        0,
        ciphertext_size(size, rs),
        rs,
    )
    return bytes(made)


# --- Decrypting ---------------------------------------------------------------------------------


class Decryptor:
    """Decrypts a stream fed in pieces of any size; `finish()` proves it ended where it should.

    Plaintext comes out record by record as each record's tag verifies; a caller writing it
    somewhere must discard it all unless `finish()` returns.
    """

    def __init__(self, ikm: bytes) -> None:
        self.ikm = ikm
        self.buffer = bytearray()
        self.keys: Keys | None = None
        self.rs = 0
        self.seq = 0
        self.ended = False

    def feed(self, data: bytes) -> bytes:
        if self.ended and data:
            raise DecryptError("The file holds bytes after its last record; it was altered.")
        self.buffer += data
        out = []
        if self.keys is None and not self._read_header():
            return b""
        while len(self.buffer) >= self.rs and not self.ended:
            out.append(self._record(bytes(self.buffer[: self.rs])))
            del self.buffer[: self.rs]
        if self.ended and self.buffer:
            raise DecryptError("The file holds bytes after its last record; it was altered.")
        return b"".join(out)

    def finish(self) -> bytes:
        if self.keys is None:
            raise DecryptError("The file is too short to be encrypted; it was cut short.")
        out = b""
        if self.buffer:
            out = self._record(bytes(self.buffer))
            self.buffer.clear()
        if not self.ended:
            raise DecryptError("The file ends before its last record; it was cut short.")
        return out

    def _read_header(self) -> bool:
        if len(self.buffer) < HEADER_SIZE:
            return False
        salt = bytes(self.buffer[:SALT_SIZE])
        rs, idlen = struct.unpack(">IB", self.buffer[SALT_SIZE:HEADER_SIZE])
        if len(self.buffer) < HEADER_SIZE + idlen:
            return False
        if not OVERHEAD < rs <= MAX_RECORD_SIZE:
            raise DecryptError(f"The file's header names a record size ({rs}) no stream uses.")
        self.rs = rs
        self.keys = Keys.derive(self.ikm, salt)
        del self.buffer[: HEADER_SIZE + idlen]
        return True

    def _record(self, record: bytes) -> bytes:
        assert self.keys is not None
        if len(record) < OVERHEAD:
            raise DecryptError("The file ends inside a record; it was cut short.")
        try:
            plain = self.keys.aead.decrypt(self.keys.nonce(self.seq), record, None)
        except InvalidTag:
            raise DecryptError(
                f"Record {self.seq + 1} of the file failed its integrity check: the file was "
                "altered or damaged, or the key is not this link's."
            ) from None
        self.seq += 1
        body = plain.rstrip(b"\0")  # RFC 8188 allows zero padding after the delimiter
        if not body or body[-1] not in (1, 2):
            raise DecryptError("A record of the file has no delimiter; it is not aes128gcm.")
        if body[-1] == 2:
            self.ended = True
        elif len(record) < self.rs:
            raise DecryptError("The file ends before its last record; it was cut short.")
        return body[:-1]


def decrypt(data: bytes, ikm: bytes) -> bytes:
    decryptor = Decryptor(ikm)
    return decryptor.feed(data) + decryptor.finish()


# --- Metadata -----------------------------------------------------------------------------------


def encrypt_meta(
    ikm: bytes, name: str, content_type: str, size: int, salt: bytes | None = None
) -> str:
    """base64url of the encrypted `{"name", "type", "size"}`, under its own random salt."""
    # As JavaScript's JSON.stringify writes it, so both clients make the same bytes.
    fields = {"name": name, "type": content_type, "size": size}
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    meta = b64url(encrypt(text.encode(), ikm, salt or new_salt()))
    if len(meta) > MAX_META_LENGTH:
        raise ValueError(f"The name “{name[:40]}…” is too long to keep encrypted; shorten it.")
    return meta


def decrypt_meta(ikm: bytes, meta: str) -> dict:
    try:
        found = json.loads(decrypt(from_b64url(meta), ikm))
    except (ValueError, UnicodeDecodeError, DecryptError):
        raise DecryptError(
            "A file's encrypted name could not be read: the key is not this link's, "
            "or the name was altered."
        ) from None
    if not (
        isinstance(found, dict)
        and isinstance(found.get("name"), str)
        and isinstance(found.get("size"), int)
    ):
        raise DecryptError("A file's encrypted name and size are not in the expected form.")
    found.setdefault("type", "application/octet-stream")
    return found
