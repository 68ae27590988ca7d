"""Create and sign in one call: `POST /api/uploads` (and /r/<token>/uploads) carrying the first
parts' checksums answers their URLs too, so a GiB costs Django few requests."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
import requests
from django.core.signals import request_started

from files.accounts import tokens
from files.models import Upload
from tests.helpers import post_json, start
from tests.integration.test_cli import Cli
from tests.integration.test_requests import Guest, make_request

MiB = 1024 * 1024
PART = 5 * MiB  # S3's smallest non-final part: 16 of them are "a GiB" of 64 MiB parts


@pytest.fixture
def small_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = PART
    settings.CHUTE_PART_SIZE = PART


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def first_parts(data: bytes, count: int) -> list[dict]:
    return [{"number": n + 1, "sha256": sha(data[n * PART : (n + 1) * PART])} for n in range(count)]


@pytest.mark.django_db
def test_the_create_call_answers_the_first_parts_urls_and_they_take_those_parts(alice, small_parts):
    data = os.urandom(3 * PART)
    issued = start(alice, name="a.bin", size=len(data), parts=first_parts(data, 2))

    assert issued["method"] == "multipart" and issued["part_count"] == 3
    assert sorted(issued["urls"]) == ["1", "2"]
    part = data[:PART]
    wrong = requests.put(
        issued["urls"]["2"], data=part, headers={"x-amz-checksum-sha256": sha(part)}, timeout=30
    )
    assert wrong.status_code >= 400  # part 2's URL is signed for part 2's bytes only
    right = requests.put(
        issued["urls"]["1"], data=part, headers={"x-amz-checksum-sha256": sha(part)}, timeout=30
    )
    assert right.status_code == 200, right.text
    assert Upload.objects.get(pk=issued["id"]).part_checksums == {
        "1": sha(part),
        "2": sha(data[PART : 2 * PART]),
    }


@pytest.mark.django_db
def test_without_parts_or_for_one_request_the_answer_has_no_urls(alice, small_parts):
    assert "urls" not in start(alice, name="a.bin", size=3 * PART)
    small = start(alice, name="b.txt", size=5, parts=[{"number": 1, "sha256": sha(b"hello")}])
    assert "urls" not in small and small["method"] == "post"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "parts, sentence",
    [
        ([{"number": 4, "sha256": "x"}], "Part 4 does not exist"),
        ([{"number": 1, "sha256": sha(b"a")}] * 2, "listed twice"),
        ([{"number": n, "sha256": "x"} for n in range(1, 102)], "at most 100"),
    ],
)
def test_parts_that_cannot_be_signed_are_refused_before_anything_is_created(
    alice, small_parts, parts, sentence
):
    body = {"name": "a.bin", "size": 3 * PART, "content_type": "text/plain", "parts": parts}
    answer = post_json(alice, "/api/uploads", body)
    assert answer.status_code == 400
    assert sentence in answer.json()["message"]
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_guest_creates_and_signs_in_one_call(user, small_parts):
    _, token = make_request(user)
    data = os.urandom(2 * PART)
    answer = Guest(token).start(size=len(data), parts=first_parts(data, 2))
    assert answer.status_code == 201, answer.content
    assert sorted(answer.json()["urls"]) == ["1", "2"]


@pytest.fixture
def django_requests():
    """The paths of the requests Django serves meanwhile (the live server is in this process)."""
    seen: list[str] = []

    def count(sender, environ, **kwargs):
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    request_started.connect(count)
    yield seen
    request_started.disconnect(count)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("parts", "calls"), [(16, 2), (80, 3)], ids=["52-or-fewer", "more"])
def test_the_cli_sends_a_file_in_two_or_three_requests_to_django(
    live_server, user, small_parts, tmp_path, django_requests, parts, calls
):
    """The declaration carries the first 256 MiB of parts (52 of 5 MiB here; 4 of Chute's
    64 MiB parts), which leave while the rest is hashed, then signed in one call: a file
    within that first batch costs create-and-sign and complete, a larger one a signing call
    more (a GiB or 5 GiB in 64 MiB parts: three)."""
    cli = Cli(url=live_server.url, token=tokens.create(user, name="count").token)
    path = Path(tmp_path / "big.bin")
    path.write_bytes(os.urandom(parts * PART))

    done = cli.run("upload", path, CHUTE_PART_SIZE=str(PART), CHUTE_MULTIPART_THRESHOLD=str(PART))

    assert done.returncode == 0, done.stderr
    assert Upload.objects.get().status == Upload.Status.READY
    paths = [line.split()[1] for line in django_requests]
    assert len(paths) == calls, django_requests
    assert paths[0] == "/api/uploads" and paths[-1].endswith("/complete"), django_requests


@pytest.mark.django_db(transaction=True)
def test_a_cli_that_guessed_another_plan_starts_again_clean_and_uploads(
    live_server, user, small_parts, tmp_path, django_requests
):
    cli = Cli(url=live_server.url, token=tokens.create(user, name="count").token)
    path = Path(tmp_path / "big.bin")
    path.write_bytes(os.urandom(16 * PART))

    # Chute's defaults assumed (64 MiB): 8 parts of 10 MiB hashed for nothing.
    done = cli.run("upload", path, CHUTE_MULTIPART_THRESHOLD=str(PART))

    assert done.returncode == 0, done.stderr
    ready = Upload.objects.get(status=Upload.Status.READY)
    assert not ready.resigned_parts  # no checksum of a part it does not have was kept
    # create (signed for the wrong parts), delete it, create, sign, complete
    assert [line.split()[0] for line in django_requests] == [
        "POST",
        "DELETE",
        "POST",
        "POST",
        "POST",
    ], django_requests
