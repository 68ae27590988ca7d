"""Resume from anywhere: starting the same file again continues its unfinished upload."""

from __future__ import annotations

import pytest
from django.test import Client

from files import s3
from files.models import Upload
from tests import helpers
from tests.helpers import post_json
from tests.integration.test_multipart import PART, b64sha, complete, send_parts, three_parts

MODIFIED = 1_764_000_000_123  # File.lastModified, ms since the epoch


@pytest.fixture(autouse=True)
def small_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = PART
    settings.CHUTE_PART_SIZE = PART


def start(client: Client, size: int, **extra) -> dict:
    return helpers.start(
        client, name="movie.mkv", size=size, content_type="video/x-matroska", **extra
    )


@pytest.mark.django_db
def test_another_client_starting_the_same_file_continues_its_upload(user, alice):
    data, parts = three_parts()
    first = start(alice, len(data), last_modified=MODIFIED)
    send_parts(alice, first["id"], {1: parts[1]})

    elsewhere = Client()  # another browser or device, same account, nothing remembered
    elsewhere.force_login(user)
    again = start(elsewhere, len(data), last_modified=MODIFIED)
    assert again["id"] == first["id"]
    assert (first["resumed"], again["resumed"]) == (False, True)
    assert (again["part_size"], again["part_count"]) == (first["part_size"], 3)
    stored = elsewhere.get(again["links"]["parts"]).json()["parts"]
    assert [(p["number"], p["sha256"]) for p in stored] == [(1, b64sha(parts[1]))]

    etags = send_parts(elsewhere, again["id"], {2: parts[2], 3: parts[3]})
    etags[1] = stored[0]["etag"]
    assert complete(elsewhere, again["id"], etags).status_code == 200
    upload = Upload.objects.get(pk=first["id"])
    assert upload.status == Upload.Status.READY
    assert s3.get_bytes(upload.key) == data
    assert Upload.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [{"last_modified": MODIFIED + 1}, {"name": "other.mkv"}, {"last_modified": None}],
)
def test_a_different_or_undated_file_starts_a_new_upload(alice, change):
    data, _ = three_parts()
    first = start(alice, len(data), last_modified=MODIFIED)
    body = {"name": "movie.mkv", "last_modified": MODIFIED, **change}
    name = body.pop("name")
    again = helpers.start(alice, name=name, size=len(data), content_type="video/x-matroska", **body)
    assert again["id"] != first["id"]


@pytest.mark.django_db
def test_another_users_unfinished_upload_is_never_resumed(alice, mallory):
    data, _ = three_parts()
    first = start(alice, len(data), last_modified=MODIFIED)
    assert start(mallory, len(data), last_modified=MODIFIED)["id"] != first["id"]


@pytest.mark.django_db
def test_an_upload_the_bucket_no_longer_holds_is_not_resumed(alice):
    data, _ = three_parts()
    first = start(alice, len(data), last_modified=MODIFIED)
    upload = Upload.objects.get(pk=first["id"])
    s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)
    assert start(alice, len(data), last_modified=MODIFIED)["id"] != first["id"]


@pytest.mark.django_db
def test_a_part_signed_again_with_other_bytes_is_reported_without_a_checksum(alice):
    """A part re-signed with a new SHA-256 whose new bytes never landed holds the old bytes:
    a resuming client must not be told the new checksum, or it would skip a wrong part."""
    data, parts = three_parts()
    first = start(alice, len(data), last_modified=MODIFIED)
    send_parts(alice, first["id"], {1: parts[1], 2: parts[2]})
    changed = b"X" + parts[2][1:]
    resigned = post_json(
        alice,
        first["links"]["parts"],
        {"parts": [{"number": 2, "sha256": b64sha(changed)}]},
    )
    assert resigned.status_code == 200  # signed, but the browser closed before sending it

    stored = {p["number"]: p for p in alice.get(first["links"]["parts"]).json()["parts"]}

    assert stored[1]["sha256"] == b64sha(parts[1])
    assert stored[2]["sha256"] is None
