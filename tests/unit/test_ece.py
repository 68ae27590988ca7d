"""The CLI's aes128gcm format (client/chute_client/ece.py): RFC 8188's vector, the shared vector
file the browser's module is checked against, and properties of ranges made apart."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from chute_client import ece
from hypothesis import given, settings
from hypothesis import strategies as st

VECTOR_DIR = Path(__file__).resolve().parents[1] / "data" / "ece"
CHUNK = ece.RECORD_SIZE - ece.OVERHEAD  # 65519 plaintext bytes a record
KEY = bytes(range(16))
SALT = bytes(range(16, 32))


def test_rfc_8188_section_3_1_example_encrypts_and_decrypts():
    ikm, salt = ece.from_b64url("yqdlZ-tYemfogSmv7Ws5PQ"), ece.from_b64url("I1BsxtFttlv3u_Oo94xnmw")
    expected = "I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg"
    assert ece.b64url(ece.encrypt(b"I am the walrus", ikm, salt, rs=4096)) == expected
    assert ece.decrypt(ece.from_b64url(expected), ikm) == b"I am the walrus"


def test_the_shared_vector_files_are_what_the_format_makes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_vector", VECTOR_DIR / "make.py")
    assert spec and spec.loader
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    vector, cipher = make.build()
    assert json.loads((VECTOR_DIR / "vector.json").read_text()) == vector
    assert (VECTOR_DIR / "vector.bin").read_bytes() == cipher
    assert vector["records"] == 3 and len(cipher) == ece.ciphertext_size(vector["plaintext_size"])
    key = ece.parse_key(vector["key"])
    assert ece.decrypt(cipher, key) == make.plaintext()
    assert ece.decrypt_meta(key, vector["meta"]["encoded"]) == vector["meta"]["json"]


@pytest.mark.parametrize(
    ("plain", "records"), [(0, 1), (1, 1), (CHUNK, 1), (CHUNK + 1, 2), (3 * CHUNK, 3)]
)
def test_sizes_follow_the_formula(plain, records):
    assert ece.record_count(plain) == records
    assert ece.ciphertext_size(plain) == 21 + plain + 17 * records
    assert ece.plaintext_size(ece.ciphertext_size(plain)) == plain
    assert len(ece.encrypt(os.urandom(plain), KEY, SALT)) == ece.ciphertext_size(plain)


sizes = st.one_of(
    st.integers(0, 3 * CHUNK + 5),
    st.sampled_from([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * 2**20 - 21, 2**20]),
)


@settings(max_examples=40, deadline=None)
@given(size=sizes, data=st.data())
def test_ranges_made_apart_concatenate_to_the_whole_stream(size, data):
    plain = os.urandom(size)
    whole = ece.encrypt(plain, KEY, SALT)
    total = len(whole)
    cuts = sorted(set([*data.draw(st.lists(st.integers(0, total), max_size=6)), 0, total]))

    def read(offset: int, length: int) -> bytes:
        return plain[offset : offset + length]

    pieces = [ece.encrypt_range(read, size, KEY, SALT, a, b) for a, b in itertools.pairwise(cuts)]
    assert b"".join(pieces) == whole
    assert ece.decrypt(whole, KEY) == plain


@settings(max_examples=25, deadline=None)
@given(size=sizes, piece=st.integers(1, 70_000))
def test_decrypting_fed_in_any_pieces_gives_the_plaintext(size, piece):
    plain = os.urandom(size)
    whole = ece.encrypt(plain, KEY, SALT)
    decryptor = ece.Decryptor(KEY)
    out = b"".join(decryptor.feed(whole[i : i + piece]) for i in range(0, len(whole), piece))
    assert out + decryptor.finish() == plain


def damaged(size: int, change) -> bytes:
    return change(ece.encrypt(os.urandom(size), KEY, SALT))


@pytest.mark.parametrize("size", [0, 10, CHUNK, 2 * CHUNK + 7])
@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c: c[:-1] + bytes([c[-1] ^ 1]), "integrity check"),
        (lambda c: c[:30] + bytes([c[30] ^ 0x80]) + c[31:], "integrity check"),
        (lambda c: c[:-20], "cut short|integrity"),
        (lambda c: c + b"\0", "after its last record|integrity"),
        (lambda c: c[:10], "too short"),
    ],
    ids=["flipped tag", "flipped body", "truncated", "extra byte", "header cut"],
)
def test_damaged_streams_are_refused_with_a_sentence(size, change, words):
    with pytest.raises(ece.DecryptError, match=words):
        ece.decrypt(damaged(size, change), KEY)


def test_a_stream_missing_whole_last_records_is_refused_as_cut_short():
    whole = ece.encrypt(os.urandom(2 * CHUNK + 7), KEY, SALT)
    with pytest.raises(ece.DecryptError, match="cut short"):
        ece.decrypt(whole[: 21 + 2 * ece.RECORD_SIZE], KEY)


def test_the_wrong_key_is_refused():
    with pytest.raises(ece.DecryptError, match="key"):
        ece.decrypt(ece.encrypt(b"hello", KEY, SALT), bytes(16))


@pytest.mark.parametrize("text", ["", "short", "A" * 23, "AAECAwQFBgcICQoLDA0OD+", "AAEC/wQ"])
def test_link_keys_must_be_22_base64url_characters(text):
    with pytest.raises(ece.DecryptError, match="22 characters"):
        ece.parse_key(text)


def test_meta_round_trips_and_refuses_names_too_long_to_keep():
    meta = ece.encrypt_meta(KEY, "rapport é.pdf", "application/pdf", 12)
    assert ece.decrypt_meta(KEY, meta) == {
        "name": "rapport é.pdf",
        "type": "application/pdf",
        "size": 12,
    }
    with pytest.raises(ValueError, match="too long"):
        ece.encrypt_meta(KEY, "x" * 4000, "text/plain", 1)
