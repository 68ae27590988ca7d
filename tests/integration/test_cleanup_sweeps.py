"""The cleanup's cost follows the uploads that could still write, not the objects stored, and
it still finds every byte no row accounts for (files/lifecycle/sweeps.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from files import s3
from files.lifecycle import cleanup
from files.models import DeletedUpload, Upload
from files.uploads import confirm, declarations, start, thumbnails
from tests.helpers import in_bucket, ready_file


def issued_single(user):
    return start.start_upload(
        user, declarations.Declaration(name="a.txt", size=11, content_type="text/plain")
    )


def post(issued, data: bytes = b"hello world") -> None:
    answer = requests.post(
        issued.post.url, data=issued.post.fields, files={"file": ("a", data)}, timeout=30
    )
    assert answer.status_code == 201


def after_urls(upload: Upload) -> object:
    return upload.expires_at + cleanup.GRACE + timedelta(minutes=1)


@pytest.mark.django_db
def test_a_run_lists_only_the_keys_of_uploads_that_could_still_write(own_bucket, user):
    settled = [ready_file(user, f"file {n}".encode()) for n in range(12)]
    far = timezone.now() + timedelta(days=2)
    cleanup.cleanup(now=far)  # their URLs expired: looked at once, then forgotten
    assert not Upload.objects.filter(sweep_after__isnull=False).exists()
    fresh = issued_single(user)
    post(fresh)
    confirm.confirm(fresh.upload)

    with s3.counting_requests() as sent:
        found = cleanup.cleanup(now=after_urls(fresh.upload))

    assert found.swept is not None
    assert list(found.swept.uploads) == [fresh.upload.key]

    # One upload could still have written: one listing of its key, none of the 12 others.
    assert sent.count("ListObjectsV2") == 1, sent
    assert sent.count("ListMultipartUploads") == 1
    assert len(sent) <= 3, sent
    assert all(in_bucket(upload.file.name) for upload in settled)


@pytest.mark.django_db
def test_a_deleted_accounts_files_are_removed_once_their_urls_expired(own_bucket, user):
    kept = ready_file(user, b"mine")
    pending = issued_single(user)
    user.delete()  # cascades to the rows; their bytes stay until the cleanup
    assert in_bucket(kept.file.name)
    post(pending)  # the deleted upload's URL still writes

    assert not cleanup.cleanup(now=pending.upload.expires_at).strays  # it may still write
    found = cleanup.cleanup(now=after_urls(pending.upload))

    assert {item.key for item in found.strays} == {kept.file.name, pending.upload.key}
    assert s3.list_keys(cleanup.KEY_PREFIX) == []
    assert not DeletedUpload.objects.exists()  # forgotten once nothing more can land


@pytest.mark.django_db
def test_an_unconfirmed_thumbnail_is_removed_once_its_post_expired(own_bucket, user):
    upload = ready_file(user, b"a photo")
    Upload.objects.filter(pk=upload.pk).update(sweep_after=None)  # the file's own look is done
    issued = thumbnails.issue(upload, content_type="image/webp", size=4)
    answer = requests.post(
        issued.url, data=issued.fields, files={"file": ("t", b"webp")}, timeout=30
    )
    assert answer.status_code == 204 or answer.status_code == 201, answer.text

    cleanup.cleanup(now=timezone.now() + timedelta(days=2))

    assert not in_bucket(thumbnails.key_for(upload))
    assert in_bucket(upload.file.name)


@pytest.mark.django_db
def test_an_object_no_upload_led_to_is_found_only_by_the_full_listing(own_bucket, user):
    s3.put_bytes(f"users/{user.pk}/put-by-hand", b"?")
    far = timezone.now() + timedelta(days=2)

    assert cleanup.cleanup(now=far).strays == []
    assert [item.key for item in cleanup.cleanup(now=far, everything=True).strays] == [
        f"users/{user.pk}/put-by-hand"
    ]
