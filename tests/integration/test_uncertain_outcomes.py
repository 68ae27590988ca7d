"""Nothing confirmed is ever lost: a database error at any step leaves the file whole.

Each test injects an OperationalError at one query of a call (before the query runs, or
after it ran and committed, as when a connection drops while the answer comes back), then
retries the call, downloads the file byte for byte, runs the cleanup as if every URL had long
expired, and downloads it again.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from files import s3
from files.lifecycle import cleanup
from files.models import Upload
from files.sizes import format_size
from files.uploads import declarations, policy
from files.uploads.start import start_upload
from tests.helpers import in_bucket, post_json, post_to_bucket, start

MiB = 1024 * 1024


@contextmanager
def failing_query(number: int, *, after: bool) -> Iterator[list[str]]:
    """Raise OperationalError at the `number`-th query (0-based) on this thread's connection.

    With `after`, the query runs (and, outside a transaction, commits) before the error.
    Yields the SQL of the failed query once it failed.
    """
    seen = [0]
    failed: list[str] = []

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        index, seen[0] = seen[0], seen[0] + 1
        if index != number:
            return execute(sql, *args)
        failed.append(sql)
        if after:
            execute(sql, *args)
            if sql.startswith("BEGIN"):
                # A connection lost after BEGIN takes its transaction with it; Django, whose
                # atomic block never started, would otherwise run on inside it.
                execute("ROLLBACK", None, *args[1:])
        raise OperationalError("injected: the connection to the database was lost")

    with connection.execute_wrapper(wrapper):
        yield failed


def queries_of(call: Callable[[], Any]) -> int:
    """The queries `call` makes, counted as failing_query counts them (a transaction's BEGIN
    and COMMIT are not queries there)."""
    seen = [0]

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        seen[0] += 1
        return execute(sql, *args)

    with connection.execute_wrapper(wrapper):
        call()
    return seen[0]


def downloaded(client, upload_id: str) -> bytes:
    answer = client.get(f"/files/{upload_id}/download")
    assert answer.status_code == 302, answer.content
    fetched = requests.get(answer["Location"], timeout=30)
    assert fetched.status_code == 200, fetched.text
    return fetched.content


def single(client) -> tuple[str, bytes, Callable[[], Any]]:
    """A presigned-POST upload whose bytes landed, and the call that confirms it."""
    data = os.urandom(1000)
    issued = start(client, name="notes.bin", size=len(data), content_type="application/pdf")
    assert post_to_bucket(issued, data).status_code == 201
    return issued["id"], data, lambda: client.post(f"/api/uploads/{issued['id']}/confirm")


def multipart(client) -> tuple[str, bytes, Callable[[], Any]]:
    """A one-part multipart upload whose part landed, and the call that completes it."""
    data = os.urandom(MiB)
    issued = start(client, name="movie.bin", size=len(data), content_type="application/pdf")
    assert issued["method"] == "multipart"
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    signed = post_json(
        client, f"/api/uploads/{issued['id']}/parts", {"parts": [{"number": 1, "sha256": sha}]}
    )
    stored = requests.put(
        signed.json()["urls"]["1"], data=data, headers={"x-amz-checksum-sha256": sha}, timeout=30
    )
    assert stored.status_code == 200, stored.text
    body = {"parts": [{"number": 1, "etag": stored.headers["ETag"].strip('"')}]}
    return (
        issued["id"],
        data,
        lambda: post_json(client, f"/api/uploads/{issued['id']}/complete", body),
    )


def long_after() -> Any:
    """A moment when every URL, the grace period and the resume window are long past."""
    return timezone.now() + policy.resume_window() + timedelta(days=1)


@pytest.fixture
def small_multipart(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = MiB  # a 1 MiB file is one multipart part


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("after", [False, True], ids=["before-query", "after-commit"])
@pytest.mark.parametrize("kind", [single, multipart], ids=["single", "multipart"])
def test_a_database_error_at_any_query_of_confirm_never_loses_the_file(
    alice, user, own_bucket, small_multipart, kind, after
):
    # own_bucket: earlier tests' rows are flushed without a delete (so the cleanup, which
    # follows deleted and unfinished rows, never hears of them) and their user ids recur.
    alice.raise_request_exception = False
    _, _, clean_call = kind(alice)
    count = queries_of(clean_call)
    assert count >= 3

    files: dict[str, bytes] = {}
    for number in range(count):
        upload_id, data, call = kind(alice)
        with failing_query(number, after=after) as failed:
            interrupted = call()
        assert failed, f"query {number} never ran"
        assert interrupted.status_code in {200, 503}, (number, failed, interrupted.content)
        if interrupted.status_code == 503:
            assert interrupted.json()["error"] == "database_unavailable"
            assert interrupted["Retry-After"]

        retried = call()
        assert retried.status_code == 200, (number, failed, retried.content)
        assert retried.json()["status"] == "ready"
        assert downloaded(alice, upload_id) == data, (number, failed)
        files[upload_id] = data

    cleanup.cleanup(now=long_after())

    for upload_id, data in files.items():
        assert downloaded(alice, upload_id) == data
    ready = set(Upload.objects.filter(status=Upload.Status.READY).values_list("file", flat=True))
    assert set(s3.list_keys(f"users/{user.pk}/")) == ready


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("after", [False, True], ids=["before-query", "after-commit"])
def test_a_database_error_while_a_multipart_upload_starts_never_leaves_a_row_without_its_upload(
    user, bucket, small_multipart, after
):
    declared = declarations.Declaration(
        name="movie.bin", size=MiB, content_type="application/octet-stream"
    )
    count = queries_of(lambda: start_upload(user, declared))
    for number in range(count):
        with pytest.raises(OperationalError), failing_query(number, after=after):
            start_upload(user, declared)
    in_progress = {info.upload_id for info in s3.list_multipart_uploads(f"users/{user.pk}/")}
    for row in Upload.objects.filter(owner=user):
        assert row.multipart_upload_id in in_progress  # every row can still be completed


@pytest.mark.django_db
def test_confirming_a_ready_file_whose_bytes_are_gone_says_so(alice, bucket):
    upload_id, _, call = single(alice)
    assert call().status_code == 200
    s3.delete(Upload.objects.get(pk=upload_id).file.name)

    again = call()

    assert again.status_code == 410
    assert again.json()["error"] == "file_missing"
    assert "no longer in the storage bucket" in again.json()["message"]


@pytest.mark.django_db
def test_the_cleanup_keeps_a_ready_files_upload_key_while_its_confirmed_copy_is_missing(
    alice, bucket
):
    upload_id, data, call = single(alice)
    assert call().status_code == 200
    ready = Upload.objects.get(pk=upload_id)
    s3.put_bytes(ready.key, data, content_type=ready.content_type)  # a copy the bug left
    s3.delete(ready.file.name)

    cleanup.cleanup(now=long_after())
    assert in_bucket(ready.key)  # perhaps the only bytes left: kept for an operator

    s3.put_bytes(ready.file.name, data, content_type=ready.content_type)
    cleanup.cleanup(now=long_after())
    assert not in_bucket(ready.key)  # spare once the confirmed copy is there


@pytest.mark.django_db
def test_dry_run_reports_landed_uploads_as_the_real_run_registers_them(alice, bucket, capsys):
    upload_id, data, _ = single(alice)
    a_day_ago = timezone.now() - timedelta(days=1)
    Upload.objects.filter(pk=upload_id).update(created_at=a_day_ago, expires_at=a_day_ago)

    call_command("cleanup_uploads", "--dry-run")
    dry = capsys.readouterr().out
    assert f"Would register 'notes.bin' ({format_size(1000)}, upload {upload_id})" in dry
    assert "Would remove 0 unfinished upload(s)" in dry
    assert Upload.objects.get(pk=upload_id).status == Upload.Status.PENDING

    call_command("cleanup_uploads")
    real = capsys.readouterr().out
    assert f"Registered 'notes.bin' ({format_size(1000)}, upload {upload_id})" in real
    assert downloaded(alice, upload_id) == data
