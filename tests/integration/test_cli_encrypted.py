"""`chute upload --encrypt` and `chute get '<link>#<key>'` against the live server and SeaweedFS.

The real console script (with this branch's client on PYTHONPATH), the real bucket, real
parts: what arrives is byte-exact, and nothing the server keeps holds the plaintext, the
name or the key.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests
from chute_client import ece
from django.db import connection

from files import s3
from files.models import Upload
from tests.integration import test_cli, test_logging
from tests.integration.test_cli import (
    CHUTE,
    PART,
    SENT,
    Cli,
    MiB,
    one_line,
    stored_parts,
    wait_for_parts,
    write,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The fixtures those files define: the live server's CLI, 5 MiB parts, the captured log.
chute = test_cli.chute
small_parts = test_cli.small_parts
console_log = test_logging.console_log

CHUNK = ece.RECORD_SIZE - ece.OVERHEAD


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def upload(chute: Cli, state: Path, *args: str | Path) -> list[list[str]]:
    done = chute.run("upload", "--encrypt", *args, CHUTE_STATE_DIR=str(state))
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


def get(chute: Cli, *args: str | Path, cwd: Path | None = None, **env: str):
    """`chute get` as a recipient: no token and no server address."""
    return subprocess.run(
        [CHUTE, "get", *map(str, args)],
        capture_output=True,
        text=True,
        env={**chute.env(CHUTE_TOKEN="", CHUTE_URL=""), **env},
        cwd=cwd,
        timeout=300,
    )


def every_database_value() -> str:
    """Every column of every row of every table, as text."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # our own table names
            found.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(found)


def assert_nothing_kept_reveals(secrets: list[bytes | str], log: str) -> None:
    database = every_database_value()
    objects = [s3.get_bytes(row.file.name) for row in Upload.objects.exclude(file="")]
    for secret in secrets:
        text = secret.decode(errors="replace") if isinstance(secret, bytes) else secret
        assert text not in database and text not in log
        raw = secret if isinstance(secret, bytes) else secret.encode()
        assert all(raw not in data for data in objects)


@pytest.mark.parametrize(
    "size", [0, 1000, CHUNK, 2 * PART + 12_345], ids=["empty", "small", "one-record", "multipart"]
)
def test_an_encrypted_file_arrives_byte_exact_and_nothing_kept_reveals_it(
    chute, state, tmp_path, small_parts, console_log, size
):
    data = os.urandom(size)
    name = f"quarterly-secret-{size}.pdf"
    [[file_id, shown, link]] = upload(chute, state, write(tmp_path / name, data))
    assert shown == name and link.startswith(f"{chute.url}/s/") and "#" in link
    key = link.rsplit("#", 1)[1]
    row = Upload.objects.get(pk=file_id)
    assert (row.encrypted, row.name, row.size) == (
        True,
        "Encrypted file",
        ece.ciphertext_size(size),
    )
    assert row.content_type == "application/octet-stream"
    assert name.encode() not in ece.from_b64url(row.meta)  # meta is ciphertext, not just base64
    assert row.method == ("multipart" if size > PART else "post")
    assert not list(state.iterdir())  # the state file (with the key) went once the link was made

    out = tmp_path / "out"
    out.mkdir()
    done = get(chute, link, cwd=out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / name)
    assert (out / name).read_bytes() == data
    assert sorted(p.name for p in out.iterdir()) == [name]  # no temporary file left

    secrets: list[bytes | str] = [name, key, ece.b64url(ece.from_b64url(key))]
    if size:
        secrets.append(data[size // 2 : size // 2 + 32])
    assert_nothing_kept_reveals(secrets, console_log.getvalue())


def test_a_batch_gets_one_link_that_opens_every_file(chute, state, tmp_path):
    first, second = os.urandom(5000), os.urandom(7000)
    lines = upload(
        chute,
        state,
        *("--share", "2h", "--max-downloads", "2"),
        write(tmp_path / "a.txt", first),
        write(tmp_path / "b.bin", second),
    )
    assert [line[1] for line in lines] == ["a.txt", "b.bin"]
    assert lines[0][2] == lines[1][2]  # one link, printed on each file's line
    page = requests.get(lines[0][2].split("#")[0], timeout=30).text
    assert "a.txt" not in page and page.count("data-encrypted") == 2

    (tmp_path / "down").mkdir()
    done = get(chute, lines[0][2], "-o", tmp_path / "down")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "down" / "a.txt").read_bytes() == first
    assert (tmp_path / "down" / "b.bin").read_bytes() == second


def encrypted_link(chute: Cli, state: Path, tmp_path: Path, data: bytes) -> tuple[Upload, str]:
    [[file_id, _, link]] = upload(chute, state, write(tmp_path / "secret.txt", data))
    return Upload.objects.get(pk=file_id), link


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "integrity check"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 0x40]), "integrity check"),
        (lambda b: b[: 21 + ece.RECORD_SIZE], "cut short"),
        (lambda b: b[:-5], "integrity check|cut short"),
    ],
    ids=["flipped byte", "flipped tag", "last record missing", "truncated"],
)
def test_a_damaged_object_is_refused_with_a_sentence_and_no_file(
    chute, state, tmp_path, damage, words
):
    upload_row, link = encrypted_link(chute, state, tmp_path, os.urandom(CHUNK + 500))
    stored = s3.get_bytes(upload_row.file.name)
    s3.put_bytes(upload_row.file.name, damage(stored), content_type="application/octet-stream")
    out = tmp_path / "out"
    out.mkdir()
    done = get(chute, link, cwd=out)
    assert done.returncode == 1
    sentence = one_line(done.stderr)
    assert "secret.txt was not saved" in sentence
    assert any(word in sentence for word in words.split("|")), sentence
    assert list(out.iterdir()) == []


def test_a_link_without_its_key_or_with_another_key_saves_nothing(chute, state, tmp_path):
    _, link = encrypted_link(chute, state, tmp_path, b"private words")
    (tmp_path / "out").mkdir()
    bare = get(chute, link.split("#")[0], cwd=tmp_path / "out")
    assert bare.returncode == 1 and "key after #" in one_line(bare.stderr)
    wrong = get(chute, link.split("#")[0] + "#" + ece.b64url(bytes(16)), cwd=tmp_path / "out")
    assert wrong.returncode == 1 and "key is not this link's" in one_line(wrong.stderr)
    assert list((tmp_path / "out").iterdir()) == []


def test_get_never_overwrites_and_spends_no_download_first(chute, state, tmp_path):
    upload_row, link = encrypted_link(chute, state, tmp_path, b"new words")
    (tmp_path / "out").mkdir()
    existing = write(tmp_path / "out" / "secret.txt", b"keep me")
    done = get(chute, link, cwd=tmp_path / "out")
    assert done.returncode == 1 and "never overwrites" in one_line(done.stderr)
    assert existing.read_bytes() == b"keep me"
    assert upload_row.shares.get().downloads == 0


def test_a_password_link_is_opened_with_the_password_variable(chute, state, tmp_path):
    upload_row, link = encrypted_link(chute, state, tmp_path, b"behind a password")
    token = link.split("/s/")[1].split("#")[0]
    # A second link to the same file, with a password (the owner's API).
    answer = requests.post(
        f"{chute.url}/api/files/{upload_row.id}/shares",
        json={"expires_in": 3600, "password": "open sesame"},
        headers={"Authorization": f"Bearer {chute.token}"},
        timeout=30,
    ).json()
    protected = answer["url"] + "#" + link.split("#")[1]
    assert token not in protected
    (tmp_path / "out").mkdir()
    refused = get(chute, protected, cwd=tmp_path / "out", CHUTE_LINK_PASSWORD="wrong")
    assert refused.returncode == 1 and "password" in one_line(refused.stderr)
    done = get(chute, protected, cwd=tmp_path / "out", CHUTE_LINK_PASSWORD="open sesame")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "secret.txt").read_bytes() == b"behind a password"


def test_an_unencrypted_link_downloads_too(chute, tmp_path):
    data = os.urandom(3000)
    out = chute.ok("upload", "--share", "1h", write(tmp_path / "plain.bin", data))
    link = out.strip().split("\t")[2]
    target = tmp_path / "copy.bin"
    done = get(chute, link, "-o", target)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == data


def test_a_killed_encrypted_upload_resumes_sending_only_the_missing_parts(
    chute, user, state, tmp_path, small_parts
):
    data = os.urandom(60 * MiB + 4321)
    path = write(tmp_path / "big.iso", data)
    total = -(-ece.ciphertext_size(len(data)) // PART)
    first = subprocess.Popen(
        [CHUTE, "upload", "--encrypt", "--limit-rate", "20M", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=chute.env(CHUTE_STATE_DIR=str(state)),
    )
    upload_row = wait_for_parts(user, first, at_least=3)
    first.kill()
    first.communicate()
    time.sleep(0.5)  # let the bucket finish with the connections the kill cut
    [kept] = list(state.iterdir())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    stored = [p for p in stored_parts(upload_row) if p.size == PART]
    assert 3 <= len(stored) < total

    done = chute.run("upload", "--encrypt", "--verbose", path, CHUTE_STATE_DIR=str(state))
    assert done.returncode == 0, done.stderr
    file_id, _, link = done.stdout.strip().split("\t")
    assert file_id == str(upload_row.id)  # the same upload, continued
    assert SENT.search(done.stderr).groups() == (str(total - len(stored)), str(total))
    assert not kept.exists()

    (tmp_path / "out").mkdir()
    got = get(chute, link, cwd=tmp_path / "out")
    assert got.returncode == 0, got.stderr
    back = (tmp_path / "out" / "big.iso").read_bytes()
    assert hashlib.sha256(back).digest() == hashlib.sha256(data).digest()
