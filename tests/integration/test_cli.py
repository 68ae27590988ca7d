"""The real `chute` console script against the live server and the session's SeaweedFS."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from files import s3
from files.accounts import tokens
from files.models import Upload
from tests import helpers

MiB = 1024 * 1024
PART = 5 * MiB  # S3's smallest non-final part
CHUTE = Path(sys.executable).with_name("chute")  # installed into .venv by bin/setup
SENT = re.compile(r"sent (\d+) of (\d+) parts")

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Cli:
    url: str
    token: str

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "CHUTE_URL": self.url, "CHUTE_TOKEN": self.token, **extra}

    def run(self, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [CHUTE, *map(str, args)],
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert self.token not in output
        assert "X-Amz-Signature" not in output  # presigned URLs stay private
        assert "Traceback" not in output
        return done

    def ok(self, *args: str | Path) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str | Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [CHUTE, *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )


@pytest.fixture
def chute(live_server, user) -> Cli:
    return Cli(url=live_server.url, token=tokens.create(user, name="CLI tests").token)


@pytest.fixture
def small_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = PART
    settings.CHUTE_PART_SIZE = PART


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].endswith("."), stderr
    return lines[0]


@pytest.mark.parametrize("method", ["post", "put"])
def test_upload_prints_id_and_name_and_get_returns_the_same_bytes(
    chute, tmp_path, settings, method
):
    settings.CHUTE_UPLOAD_METHOD = method
    data = os.urandom(300_000)
    out = chute.ok("upload", write(tmp_path / "notes.txt", data))
    file_id, name = out.rstrip("\n").split("\t")
    assert name == "notes.txt"
    upload = Upload.objects.get(pk=file_id)
    assert upload.status == Upload.Status.READY
    assert upload.content_type == "text/plain"
    assert s3.get_bytes(upload.file.name) == data

    chute.ok("get", file_id, "-o", tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_bytes() == data


def test_multipart_upload_sends_every_part_and_completes(chute, tmp_path, small_parts):
    data = os.urandom(2 * PART + 4321)
    done = chute.run("upload", "--verbose", write(tmp_path / "movie.mkv", data))
    assert done.returncode == 0, done.stderr
    file_id, name = done.stdout.rstrip("\n").split("\t")
    assert name == "movie.mkv"
    assert SENT.search(done.stderr).groups() == ("3", "3")
    upload = Upload.objects.get(pk=file_id)
    assert (upload.status, upload.method, upload.part_count) == ("ready", "multipart", 3)
    assert s3.get_bytes(upload.file.name) == data

    (tmp_path / "down").mkdir()
    subprocess.run([CHUTE, "get", file_id], cwd=tmp_path / "down", env=chute.env(), check=True)
    assert (tmp_path / "down" / "movie.mkv").read_bytes() == data


def test_several_files_print_one_line_each_and_ls_follows_cursors(chute, tmp_path, user, settings):
    settings.CHUTE_PAGE_SIZE = 2
    paths = [write(tmp_path / f"f{i}.bin", os.urandom(100 + i)) for i in range(5)]
    lines = chute.ok("upload", *paths).splitlines()
    assert [line.split("\t")[1] for line in lines] == [p.name for p in paths]
    listed = [line.split("\t") for line in chute.ok("ls").splitlines()]
    assert sorted(listed) == sorted(
        [line.split("\t")[0], str(100 + i), f"f{i}.bin"] for i, line in enumerate(lines)
    )


def test_upload_with_share_prints_a_link_that_opens(chute, tmp_path):
    out = chute.ok(
        "upload",
        *("--share", "7d", "--max-downloads", "3", "--message", "The scan you asked for"),
        write(tmp_path / "a.pdf", b"%PDF"),
    )
    file_id, name, url = out.rstrip("\n").split("\t")
    assert name == "a.pdf"
    assert url.startswith(f"{chute.url}/s/")
    landing = requests.get(url, timeout=30)
    assert landing.status_code == 200
    assert "The scan you asked for" in landing.text

    again = chute.ok("share", file_id, "--expires", "30m").strip()
    assert again.startswith(f"{chute.url}/s/") and again != url
    assert requests.get(again, timeout=30).status_code == 200


def test_rm_deletes_the_file_and_its_bytes(chute, tmp_path):
    file_id = chute.ok("upload", write(tmp_path / "gone.txt", b"bye")).split("\t")[0]
    upload = Upload.objects.get(pk=file_id)
    assert chute.ok("rm", file_id) == ""
    # The row may stay hidden (ABORTED) while the upload URL could still write; never listed.
    assert not Upload.objects.filter(pk=file_id, status=Upload.Status.READY).exists()
    assert not helpers.in_bucket(upload.file.name)
    assert not helpers.in_bucket(upload.key)
    missing = chute.run("get", file_id, "-o", tmp_path / "x")
    assert missing.returncode == 1
    one_line(missing.stderr)
    assert not (tmp_path / "x").exists()


def test_get_refuses_bytes_that_do_not_match_the_files_sha256(chute, tmp_path):
    file_id = chute.ok("upload", write(tmp_path / "a.txt", b"the real bytes")).split("\t")[0]
    upload = Upload.objects.get(pk=file_id)
    assert upload.sha256  # the CLI declared it
    s3.put_bytes(upload.file.name, b"the fake bytes")  # same size, other bytes
    done = chute.run("get", file_id, "-o", tmp_path / "b.txt")
    assert done.returncode == 1
    assert "SHA-256" in one_line(done.stderr)
    assert not (tmp_path / "b.txt").exists()


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["ls"], {"CHUTE_TOKEN": "chute_not-a-real-token"}, "token"),
        (["ls"], {"CHUTE_TOKEN": ""}, "CHUTE_TOKEN"),
        (["ls"], {"CHUTE_URL": "http://127.0.0.1:9"}, "Could not reach"),
        (["get", "not-an-id"], {}, "not a file id"),
        (["upload", "/no/such/file"], {}, "not a file"),
        (["share", "00000000-0000-0000-0000-000000000000", "--expires", "soon"], {}, "duration"),
        (["rm", "00000000-0000-0000-0000-000000000000"], {}, ""),
    ],
)
def test_failures_exit_1_with_one_sentence(chute, args, env, words):
    done = chute.run(*args, **env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert words in one_line(done.stderr)


def test_progress_with_speed_and_eta_goes_to_stderr_only_on_a_terminal(chute, tmp_path):
    path = write(tmp_path / "tty.bin", os.urandom(3 * MiB))
    assert chute.run("upload", path).stderr == ""  # a pipe: no progress
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    shown = bytearray()

    def drain() -> None:  # read the terminal while the command writes to it
        with contextlib.suppress(OSError):  # EIO: the command closed the terminal
            while chunk := os.read(controller, 65536):
                shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    process = subprocess.Popen(
        [CHUTE, "upload", "--limit-rate", "2M", path],
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env=chute.env(),
    )
    os.close(terminal)
    stdout, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(controller)
    assert process.returncode == 0
    assert stdout.count("\t") == 1  # stdout keeps its one line
    text = bytes(shown).decode(errors="replace")
    assert "tty.bin" in text and "B/s" in text and "ETA" in text


def test_urls_about_to_expire_are_signed_again(chute, tmp_path, small_parts, settings):
    settings.CHUTE_UPLOAD_URL_TTL = 3
    settings.CHUTE_PARALLEL_PARTS = 1
    data = os.urandom(5 * PART)
    done = chute.run("upload", "--verbose", "--limit-rate", "8M", write(tmp_path / "slow", data))
    assert done.returncode == 0, done.stderr
    assert re.search(r"signed [1-9]\d* part URLs again", done.stderr)
    upload = Upload.objects.get(pk=done.stdout.split("\t")[0])
    assert s3.get_bytes(upload.file.name) == data


# --- Killed and restarted ---------------------------------------------------------------------


def stored_parts(upload: Upload) -> list[s3.PartInfo]:
    return s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)


def wait_for_parts(user, process: subprocess.Popen, at_least: int) -> Upload:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        upload = Upload.objects.filter(owner=user, status=Upload.Status.PENDING).first()
        # The CLI drops an upload it declared with parts of another plan than Chute's (a
        # server configured with other part sizes): that one may vanish while looked at.
        with contextlib.suppress(s3.UploadNotFound):
            if upload and upload.multipart_upload_id and len(stored_parts(upload)) >= at_least:
                return upload
        time.sleep(0.05)
    raise AssertionError("no parts reached the bucket")


@pytest.mark.parametrize("change_a_sent_part", [False, True])
def test_a_killed_upload_resumes_sending_only_the_missing_parts(
    chute, user, tmp_path, small_parts, change_a_sent_part
):
    data = bytearray(os.urandom(100 * MiB + 12_345))  # 21 parts, the last one short
    path = write(tmp_path / "big.iso", data)
    total = -(-len(data) // PART)

    first = chute.start("upload", "--limit-rate", "20M", path)
    upload = wait_for_parts(user, first, at_least=3)
    first.kill()
    first.communicate()
    time.sleep(0.5)  # let the bucket finish with the connections the kill cut
    stored = [p for p in stored_parts(upload) if p.size == PART]
    assert 3 <= len(stored) < total
    resend = total - len(stored)
    if change_a_sent_part:
        stat = path.stat()
        offset = (stored[0].number - 1) * PART + 1000
        data[offset] ^= 0xFF
        with path.open("r+b") as file:
            file.seek(offset)
            file.write(bytes([data[offset]]))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same last_modified
        resend += 1

    done = chute.run("upload", "--verbose", path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\t")[0] == str(upload.id)  # the same upload, continued
    assert SENT.search(done.stderr).groups() == (str(resend), str(total))
    upload.refresh_from_db()
    assert upload.status == Upload.Status.READY
    stored_bytes = s3.get_bytes(upload.file.name)
    assert hashlib.sha256(stored_bytes).digest() == hashlib.sha256(data).digest()


# --- Links of several files, `chute links`, readable `ls` -----------------------------------


def test_share_of_several_ids_makes_one_link_that_links_lists(chute, tmp_path, settings):
    settings.CHUTE_PAGE_SIZE = 1  # `links` follows the cursors
    ids = [
        chute.ok("upload", write(tmp_path / name, b"data " + name.encode())).split("\t")[0]
        for name in ("one.txt", "two.txt")
    ]
    url = chute.ok(
        "share", *ids, "--expires", "2h", "--max-downloads", "2", "--message", "Both <files>"
    ).strip()
    page = requests.get(url, timeout=30).text
    assert "one.txt" in page and "two.txt" in page and "Both &lt;files&gt;" in page
    single_url = chute.ok("share", ids[0]).strip()  # --expires defaults to 7 days

    lines = [line.split("\t") for line in chute.ok("links").splitlines()]
    assert [(fields[1], fields[3], fields[4]) for fields in lines] == [
        ("active", single_url, "one.txt"),
        ("active", url, "one.txt, two.txt"),
    ]
    link_id, expires = lines[1][0], datetime.strptime(lines[1][2], "%Y-%m-%d %H:%M")
    assert timedelta(minutes=118) < expires - datetime.now() <= timedelta(hours=2)

    requests.delete(
        f"{chute.url}/api/shares/{link_id}",
        headers={"Authorization": f"Bearer {chute.token}"},
        timeout=30,
    ).raise_for_status()
    assert chute.ok("links").splitlines()[1].split("\t")[1] == "revoked"


def test_ls_keeps_its_columns_when_piped_and_reads_well_with_human(chute, tmp_path):
    file_id = chute.ok("upload", write(tmp_path / "big.bin", os.urandom(1_500_000))).split("\t")[0]
    assert chute.ok("ls").splitlines() == [f"{file_id}\t1500000\tbig.bin"]
    (line,) = chute.ok("ls", "--human").splitlines()
    listed_id, size, date, name = line.split("\t")
    assert (listed_id, size, name) == (file_id, "1.5 MB", "big.bin")
    assert abs(datetime.strptime(date, "%Y-%m-%d %H:%M") - datetime.now()) < timedelta(minutes=2)
