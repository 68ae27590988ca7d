"""Writes the cross-implementation vector (vector.json, vector.bin) from chute_client.ece.

Run from the repository root: `PYTHONPATH=client python tests/data/ece/make.py`.
tests/unit/test_ece.py checks the committed files still equal what this makes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from chute_client import ece

HERE = Path(__file__).parent
KEY = bytes(range(16))  # 000102…0f: never a real key
SALT = bytes(range(0x10, 0x20))
META_SALT = bytes(range(0x20, 0x30))
SIZE = 2 * (ece.RECORD_SIZE - ece.OVERHEAD) + 1000  # two full records and a short third
NAME, TYPE = "Zürich notes 📄.txt", "text/plain"


def plaintext() -> bytes:
    return bytes(i % 251 for i in range(SIZE))


def build() -> tuple[dict, bytes]:
    data = plaintext()
    cipher = ece.encrypt(data, KEY, SALT)
    vector = {
        "about": "aes128gcm (RFC 8188), rs 65536, idlen 0: Chute's encrypted uploads. "
        "plaintext byte i is i % 251; ciphertext is vector.bin. Made by tests/data/ece/make.py.",
        "key": ece.b64url(KEY),
        "salt": ece.b64url(SALT),
        "rs": ece.RECORD_SIZE,
        "plaintext_size": SIZE,
        "plaintext_sha256": hashlib.sha256(data).hexdigest(),
        "ciphertext_size": len(cipher),
        "ciphertext_sha256": hashlib.sha256(cipher).hexdigest(),
        "records": ece.record_count(SIZE),
        "meta": {
            "salt": ece.b64url(META_SALT),
            "json": {"name": NAME, "type": TYPE, "size": SIZE},
            "text": json.dumps(
                {"name": NAME, "type": TYPE, "size": SIZE},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
            "encoded": ece.encrypt_meta(KEY, NAME, TYPE, SIZE, salt=META_SALT),
        },
        "rfc8188_3_1": {
            "note": "RFC 8188 section 3.1; its IKM ends in Ws5PQ (not Ts5yQ)",
            "ikm": "yqdlZ-tYemfogSmv7Ws5PQ",
            "salt": "I1BsxtFttlv3u_Oo94xnmw",
            "rs": 4096,
            "plaintext": "I am the walrus",
            "encoded": "I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg",
        },
    }
    return vector, cipher


if __name__ == "__main__":
    vector, cipher = build()
    (HERE / "vector.json").write_text(json.dumps(vector, indent=2, ensure_ascii=False) + "\n")
    (HERE / "vector.bin").write_bytes(cipher)
