"""Nothing a user sent is lost: finished bytes are registered, unfinished uploads wait days."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta

import pytest

from files import s3
from files.lifecycle import cleanup
from files.models import Upload
from files.uploads import quotas
from tests import helpers
from tests.helpers import post_json, post_to_bucket
from tests.integration.test_multipart import PART, complete, send_parts, three_parts


@pytest.fixture(autouse=True)
def small_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = PART
    settings.CHUTE_PART_SIZE = PART


def hours_pass(upload_id: str, hours: float) -> None:
    """Shift the upload's clock back, as if `hours` had passed since it was started."""
    shift = timedelta(hours=hours)
    upload = Upload.objects.get(pk=upload_id)
    Upload.objects.filter(pk=upload_id).update(
        created_at=upload.created_at - shift, expires_at=upload.expires_at - shift
    )


@pytest.mark.django_db
def test_a_file_sent_but_never_confirmed_is_registered_and_served_byte_exact(alice, user):
    issued = helpers.start(alice, name="notes.txt", size=11, content_type="text/plain")
    assert post_to_bucket(issued, b"hello world").status_code == 201
    hours_pass(issued["id"], 2)  # the tab closed; its URLs expired long ago

    found = cleanup.cleanup()

    upload = Upload.objects.get(pk=issued["id"])
    assert upload.status == Upload.Status.READY
    assert [item.pk for item in found.registered] == [upload.pk]
    assert [f["id"] for f in alice.get("/api/files").json()["files"]] == [issued["id"]]
    assert s3.get_bytes(upload.file.name) == b"hello world"


@pytest.mark.django_db
def test_wrong_bytes_are_removed_not_registered(alice):
    digest = base64.b64encode(hashlib.sha256(b"hello world").digest()).decode()
    issued = helpers.start(
        alice, name="notes.txt", size=11, content_type="text/plain", sha256=digest
    )
    upload = Upload.objects.get(pk=issued["id"])
    s3.put_bytes(upload.key, b"HELLO WORLD", content_type="text/plain")  # same size, not it
    hours_pass(issued["id"], 2)

    cleanup.cleanup()

    assert not Upload.objects.filter(pk=upload.pk, status=Upload.Status.READY).exists()
    assert s3.list_keys(upload.key) == []


@pytest.mark.django_db
def test_a_half_sent_multipart_upload_survives_20_and_100_hours_then_completes(alice):
    data, parts = three_parts()
    issued = helpers.start(alice, name="movie.mkv", size=len(data), content_type="video/mp4")
    etags = send_parts(alice, issued["id"], {1: parts[1]})

    for hours in (20, 80):  # 20 hours, then 100 in all; the cleanup runs in between
        hours_pass(issued["id"], hours)
        cleanup.cleanup()
        listed = alice.get(f"/api/uploads/{issued['id']}/parts")
        assert listed.status_code == 200
        assert [p["number"] for p in listed.json()["parts"]] == [1]

    etags |= send_parts(alice, issued["id"], {2: parts[2], 3: parts[3]})
    assert complete(alice, issued["id"], etags).status_code == 200
    upload = Upload.objects.get(pk=issued["id"])
    assert s3.get_bytes(upload.file.name) == data


@pytest.mark.django_db
def test_after_the_resume_window_it_is_aborted_and_its_quota_freed(alice, user, settings):
    settings.CHUTE_USER_QUOTA = 100 * PART
    settings.CHUTE_RESUME_DAYS = 7
    data, parts = three_parts()
    issued = helpers.start(alice, name="movie.mkv", size=len(data), content_type="video/mp4")
    send_parts(alice, issued["id"], {1: parts[1]})
    hours_pass(issued["id"], 6 * 24)
    cleanup.cleanup()
    assert quotas.usage(user.pk) == len(data)  # still reserved on day 6

    hours_pass(issued["id"], 2 * 24)
    cleanup.cleanup()

    assert not Upload.objects.filter(pk=issued["id"]).exists()
    assert quotas.usage(user.pk) == 0
    assert alice.get(f"/api/uploads/{issued['id']}/parts").status_code == 404


@pytest.mark.django_db
def test_a_multipart_upload_whose_parts_all_arrived_is_completed_by_the_cleanup(alice):
    data, parts = three_parts()
    issued = helpers.start(alice, name="movie.mkv", size=len(data), content_type="video/mp4")
    send_parts(alice, issued["id"], parts)  # every part, but the tab closed before complete
    hours_pass(issued["id"], 3)

    found = cleanup.cleanup()

    upload = Upload.objects.get(pk=issued["id"])
    assert upload.status == Upload.Status.READY
    assert [item.pk for item in found.registered] == [upload.pk]
    assert s3.get_bytes(upload.file.name) == data


@pytest.mark.django_db
def test_a_part_that_is_not_the_signed_one_keeps_the_upload_unfinished(alice):
    data, parts = three_parts()
    issued = helpers.start(alice, name="movie.mkv", size=len(data), content_type="video/mp4")
    send_parts(alice, issued["id"], {1: parts[1], 2: parts[2]})
    hours_pass(issued["id"], 3)

    assert not cleanup.cleanup().registered
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.PENDING


@pytest.mark.django_db
def test_opening_the_page_registers_the_owners_finished_uploads(alice):
    issued = helpers.start(alice, name="notes.txt", size=11, content_type="text/plain")
    assert post_to_bucket(issued, b"hello world").status_code == 201
    hours_pass(issued["id"], 2)

    page = alice.get("/")

    assert page.status_code == 200
    assert "notes.txt" in page.content.decode()
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.READY


@pytest.mark.django_db
def test_a_fresh_upload_is_left_alone_by_the_page(alice):
    issued = helpers.start(alice, name="notes.txt", size=11, content_type="text/plain")
    assert post_to_bucket(issued, os.urandom(11)).status_code == 201
    alice.get("/")  # its URL still works: the page's own confirm is on its way
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.PENDING
    assert post_json(alice, f"/api/uploads/{issued['id']}/confirm", {}).status_code == 200
