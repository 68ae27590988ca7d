"""cleanup_uploads against a real SeaweedFS: every kind of leftover goes, with its bytes."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime, timedelta

import pytest
import requests
from django.core.management import CommandError, call_command
from django.test.utils import override_settings
from django.utils import timezone

from files import s3
from files.lifecycle import cleanup, delete
from files.models import Upload
from files.uploads import confirm, declarations, policy, start
from tests.helpers import in_bucket, ready_file

PART = b"a part that is also the last one"


def later(upload: Upload, extra: timedelta = timedelta(seconds=1)):
    """A moment when `upload`'s URLs have expired and the grace period has passed."""
    return upload.expires_at + cleanup.GRACE + extra


def past_resume_window(upload: Upload) -> datetime:
    """A moment when an unfinished multipart upload has waited its whole resume window."""
    return upload.created_at + policy.resume_window() + cleanup.GRACE + timedelta(minutes=1)


def single_upload(user, *, send: bool = True) -> Upload:
    """A presigned-POST upload whose bytes reached the bucket but was never confirmed."""
    issued = start.start_upload(
        user, declarations.Declaration(name="a.txt", size=11, content_type="text/plain")
    )
    if send:
        assert issued.post
        answer = requests.post(
            issued.post.url,
            data=issued.post.fields,
            files={"file": ("a", b"hello world")},
            timeout=30,
        )
        assert answer.status_code == 201
    return issued.upload


def send_part(key: str, upload_id: str) -> None:
    sha = base64.b64encode(hashlib.sha256(PART).digest()).decode()
    url = s3.presign_part(key, upload_id=upload_id, number=1, sha256=sha, expires_in=600)
    answer = requests.put(url, data=PART, headers={"x-amz-checksum-sha256": sha}, timeout=30)
    assert answer.status_code == 200, answer.text


def multipart_upload(user) -> Upload:
    """A multipart upload with one part in the bucket, abandoned before completion."""
    upload_id = uuid.uuid4()
    key = policy.build_key(user.pk, upload_id)
    multipart_id = s3.create_multipart(key, content_type="application/octet-stream")
    send_part(key, multipart_id)
    return Upload.objects.create(
        id=upload_id,
        owner=user,
        key=key,
        name="big.bin",
        size=len(PART),
        content_type="application/octet-stream",
        method=Upload.Method.MULTIPART,
        multipart_upload_id=multipart_id,
        part_size=len(PART),
        part_count=1,
        expires_at=timezone.now() + timedelta(seconds=policy.upload_url_ttl()),
    )


def orphan_multipart(user) -> s3.MultipartInfo:
    """A multipart upload in the bucket that no row records."""
    key = policy.build_key(user.pk, uuid.uuid4())
    multipart_id = s3.create_multipart(key, content_type="application/octet-stream")
    send_part(key, multipart_id)
    return s3.MultipartInfo(key=key, upload_id=multipart_id, initiated=None)


def multipart_ids() -> set[str]:
    return {info.upload_id for info in s3.list_multipart_uploads()}


@pytest.mark.django_db
def test_abandoned_single_upload_whose_bytes_never_came_is_removed(own_bucket, user):
    upload = single_upload(user, send=False)

    found = cleanup.cleanup(now=later(upload))

    assert [item.pk for item in found.stale] == [upload.pk]
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not in_bucket(upload.key)


@pytest.mark.django_db
def test_unfinished_multipart_upload_waits_its_resume_window_then_is_aborted(own_bucket, user):
    upload = multipart_upload(user)
    assert upload.multipart_upload_id in multipart_ids()

    cleanup.cleanup(now=later(upload))  # its URLs expired, its owner may still come back
    assert upload.multipart_upload_id in multipart_ids()
    assert Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).exists()

    cleanup.cleanup(now=past_resume_window(upload))

    assert upload.multipart_upload_id not in multipart_ids()
    assert not Upload.objects.filter(pk=upload.pk).exists()


@pytest.mark.django_db
def test_multipart_upload_without_a_row_is_aborted(own_bucket, user):
    orphan = orphan_multipart(user)

    found = cleanup.cleanup(now=timezone.now() + cleanup.minimum_age() + timedelta(minutes=1))

    assert [(info.key, info.upload_id) for info in found.orphans] == [
        (orphan.key, orphan.upload_id)
    ]
    assert orphan.upload_id not in multipart_ids()


@pytest.mark.django_db
def test_aborted_upload_whose_bytes_stayed_is_removed_with_them(own_bucket, user):
    upload = single_upload(user)
    # A delete whose bucket call failed leaves exactly this: a hidden row and its bytes.
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.ABORTED)

    cleanup.cleanup(now=later(upload))

    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not in_bucket(upload.key)


@pytest.mark.django_db
def test_ready_files_and_young_uploads_are_untouched(own_bucket, user):
    ready = ready_file(user)
    young = single_upload(user)
    young_multipart = multipart_upload(user)
    young_orphan = orphan_multipart(user)

    # Now: every upload is younger than its URL lifetime. Just before the grace period
    # ends, too: a last byte may still land.
    for now in (timezone.now(), young.expires_at + cleanup.GRACE - timedelta(seconds=5)):
        found = cleanup.cleanup(now=now)
        assert not found.stale and not found.expired
        assert young_orphan.upload_id not in {info.upload_id for info in found.orphans}

    assert Upload.objects.get(pk=ready.pk).status == Upload.Status.READY
    assert Upload.objects.get(pk=young.pk).status == Upload.Status.PENDING
    assert in_bucket(ready.file.name) and in_bucket(young.key)
    assert {young_multipart.multipart_upload_id, young_orphan.upload_id} <= multipart_ids()


@pytest.mark.django_db
def test_older_than_never_lowers_the_safety_margin(own_bucket, user):
    upload = single_upload(user)

    found = cleanup.cleanup(older_than=timedelta(0), now=upload.expires_at)

    assert not found
    assert in_bucket(upload.key)


@pytest.mark.django_db
def test_older_than_keeps_uploads_younger_than_asked(own_bucket, user):
    upload = single_upload(user)
    now = later(upload)

    assert not cleanup.cleanup(older_than=now - upload.created_at + timedelta(hours=1), now=now)
    assert Upload.objects.filter(pk=upload.pk).exists()


@pytest.mark.django_db
def test_second_run_finds_nothing(own_bucket, user):
    single_upload(user)  # whole: registered
    single_upload(user, send=False)  # never sent: removed
    multipart = multipart_upload(user)
    orphan_multipart(user)
    now = past_resume_window(multipart)

    assert cleanup.cleanup(now=now)
    again = cleanup.cleanup(now=now)

    assert not again
    assert not multipart_ids()


@pytest.mark.django_db
def test_dry_run_reports_everything_and_changes_nothing(own_bucket, user):
    landed = single_upload(user)
    stale = single_upload(user, send=False)
    multipart = multipart_upload(user)
    orphan = orphan_multipart(user)
    now = past_resume_window(multipart)

    found = cleanup.cleanup(now=now, dry_run=True)

    assert [item.pk for item in found.registered] == [landed.pk]  # as the real run does
    assert {item.pk for item in found.stale} == {stale.pk, multipart.pk}
    assert Upload.objects.get(pk=landed.pk).status == Upload.Status.PENDING
    assert [info.upload_id for info in found.orphans] == [orphan.upload_id]
    assert Upload.objects.filter(pk__in=[stale.pk, multipart.pk]).count() == 2
    assert in_bucket(landed.key)
    assert {multipart.multipart_upload_id, orphan.upload_id} <= multipart_ids()


@pytest.mark.django_db
def test_files_past_retention_are_deleted_and_newer_ones_kept(own_bucket, user):
    old = ready_file(user)
    new = ready_file(user)
    Upload.objects.filter(pk=old.pk).update(confirmed_at=timezone.now() - timedelta(days=31))

    with override_settings(CHUTE_RETENTION_DAYS=30):
        found = cleanup.cleanup()

    assert [item.pk for item in found.expired] == [old.pk]
    assert not Upload.objects.filter(pk=old.pk).exists()
    assert not in_bucket(old.file.name)
    assert in_bucket(new.file.name)


@pytest.mark.django_db
def test_files_are_kept_forever_without_retention(own_bucket, user):
    old = ready_file(user)
    Upload.objects.filter(pk=old.pk).update(confirmed_at=timezone.now() - timedelta(days=3650))

    with override_settings(CHUTE_RETENTION_DAYS=0):
        assert not cleanup.cleanup()
    assert in_bucket(old.file.name)


@pytest.mark.django_db
def test_command_dry_run_lists_and_keeps(own_bucket, user, capsys):
    stale = single_upload(user, send=False)
    Upload.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() - timedelta(days=2)
    )

    call_command("cleanup_uploads", "--dry-run", "--older-than", "1d")

    output = capsys.readouterr().out
    assert f"Would remove pending upload {stale.pk}" in output
    assert "Would remove 1 unfinished upload(s)" in output
    assert Upload.objects.filter(pk=stale.pk).exists()

    call_command("cleanup_uploads")
    assert "Removed 1 unfinished upload(s)" in capsys.readouterr().out
    assert not in_bucket(stale.key)


def test_command_refuses_a_duration_it_cannot_read():
    with pytest.raises(CommandError, match="older-than"):
        call_command("cleanup_uploads", "--older-than", "soon")


# --- Bytes no row accounts for (issue 11) ------------------------------------------------


def post_again(upload: Upload, data: bytes = b"hello world") -> None:
    """Send bytes with the upload's original presigned form, which S3 cannot revoke."""
    post = s3.presign_post(upload.key, content_type="text/plain", size=11, expires_in=600)
    answer = requests.post(post.url, data=post.fields, files={"file": ("a", data)}, timeout=30)
    assert answer.status_code == 201


@pytest.mark.django_db
def test_bytes_sent_with_a_deleted_uploads_url_are_removed_once_it_expired(own_bucket, user):
    upload = single_upload(user, send=False)
    delete.delete(Upload.objects.get(pk=upload.pk))
    post_again(upload)
    assert in_bucket(upload.key)

    assert not cleanup.cleanup(now=upload.expires_at).strays  # the URL may still write
    found = cleanup.cleanup(now=later(upload, timedelta(minutes=5)))

    assert not in_bucket(upload.key)
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert cleanup.cleanup(now=later(upload, timedelta(minutes=5))).strays == []
    assert found


@pytest.mark.django_db
def test_bytes_sent_after_confirm_and_delete_are_removed_once_the_url_expired(own_bucket, user):
    upload = single_upload(user)
    confirm.confirm(upload)
    delete.delete(Upload.objects.get(pk=upload.pk))
    post_again(upload)

    cleanup.cleanup(now=later(upload, timedelta(minutes=5)))

    assert s3.list_keys(cleanup.KEY_PREFIX) == []


@pytest.mark.django_db
def test_bytes_sent_to_a_ready_files_upload_key_are_removed_and_the_file_kept(own_bucket, user):
    upload = confirm.confirm(single_upload(user))
    post_again(upload, b"HELLO WORLD")

    cleanup.cleanup(now=later(upload, timedelta(minutes=5)))

    ready = Upload.objects.get(pk=upload.pk)
    assert s3.list_keys(cleanup.KEY_PREFIX) == [ready.file.name]
    assert s3.get_bytes(ready.file.name) == b"hello world"
