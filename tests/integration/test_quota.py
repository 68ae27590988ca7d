"""Per-user quotas: ready files and live reservations count; concurrent starts cannot overshoot."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from files import errors
from files.lifecycle import delete
from files.models import Upload
from files.uploads import declarations, policy, quotas
from files.uploads.start import Issued, start_upload
from tests import helpers

QUOTA = 1000

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="watches PostgreSQL's row lock through pg_stat_activity",
)


@pytest.fixture(autouse=True)
def quota(settings):
    settings.CHUTE_USER_QUOTA = QUOTA
    return QUOTA


def stored(user, size: int, status: str = Upload.Status.READY, expires_in: int = 3600) -> Upload:
    upload_id = uuid.uuid4()
    return Upload.objects.create(
        id=upload_id,
        owner=user,
        key=policy.build_key(user.pk, upload_id),
        name="f.bin",
        size=size,
        content_type="application/octet-stream",
        method=Upload.Method.POST,
        status=status,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def start(client, size: int):
    body = {"name": "f.bin", "size": size, "content_type": "application/octet-stream"}
    return client.post("/api/uploads", json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_upload_that_fills_the_quota_exactly_is_accepted(alice, user):
    stored(user, 600)
    stored(user, 100, Upload.Status.PENDING)

    response = start(alice, 300)

    assert response.status_code == 201
    assert quotas.usage(user.pk) == QUOTA


@pytest.mark.django_db
def test_one_byte_over_the_quota_is_refused_with_a_sentence(alice, user):
    stored(user, 600)
    stored(user, 100, Upload.Status.PENDING)

    response = start(alice, 301)

    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "quota_exceeded"
    assert "only 300 bytes of your 1.0 KB quota is free" in body["message"]
    assert Upload.objects.filter(owner=user).count() == 2


@pytest.mark.django_db
def test_file_larger_than_the_whole_quota_is_refused(alice):
    response = start(alice, QUOTA + 1)

    assert response.status_code == 413
    assert "more than your whole storage quota" in response.json()["message"]


@pytest.mark.django_db
def test_expired_reservations_and_cancelled_uploads_do_not_count(alice, user):
    stored(user, 500, Upload.Status.PENDING, expires_in=-1)
    stored(user, 500, Upload.Status.ABORTED, expires_in=-1)

    assert start(alice, QUOTA).status_code == 201


@pytest.mark.django_db
def test_other_users_files_do_not_count(alice, other_user):
    stored(other_user, QUOTA)

    assert start(alice, QUOTA).status_code == 201


@pytest.mark.django_db
def test_zero_means_no_quota(alice, user, settings):
    settings.CHUTE_USER_QUOTA = 0
    stored(user, 10 * QUOTA)

    assert start(alice, 10 * QUOTA).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_cannot_both_take_the_last_space(user):
    declared = declarations.Declaration(
        name="f.bin", size=600, content_type="application/octet-stream"
    )
    results = helpers.race(4, lambda _: start_upload(user, declared))

    refused = [result for result in results if isinstance(result, errors.QuotaExceeded)]
    accepted = [result for result in results if isinstance(result, Issued)]
    assert (len(accepted), len(refused)) == (1, 3), results
    assert quotas.usage(user.pk) == 600


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_reservation_waits_for_a_concurrent_one_and_then_counts_it(user):
    """Deterministic interleaving: the second check runs only after the first insert commits."""
    outcome: list[str] = []

    def reserve() -> None:
        try:
            start_upload(
                user,
                declarations.Declaration(
                    name="f.bin", size=600, content_type="application/octet-stream"
                ),
            )
            outcome.append("accepted")
        except errors.QuotaExceeded:
            outcome.append("refused")
        finally:
            connection.close()

    with transaction.atomic():
        # Take the lock a concurrent start_upload would hold between its check and insert.
        get_user_model().objects.select_for_update().get(pk=user.pk)
        waiter = threading.Thread(target=reserve)
        waiter.start()
        wait_until_blocked_on_a_lock()
        assert outcome == []  # it has not checked yet: it is queued behind the lock
        stored(user, 600, Upload.Status.PENDING)
    waiter.join()

    assert outcome == ["refused"]


def wait_until_blocked_on_a_lock() -> None:
    """Poll pg_stat_activity until another session of this database waits for a row lock."""
    for _ in range(500):
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL keeps serving its first statistics snapshot.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the second reservation never waited for the lock")


@pytest.mark.django_db
def test_a_deleted_uploads_space_stays_reserved_while_its_url_can_still_write(user):
    declared = declarations.Declaration(name="a.bin", size=QUOTA, content_type="text/plain")
    first = start_upload(user, declared).upload
    delete.delete(first)

    # Its presigned form still stores bytes until it expires: the space is not free yet.
    with pytest.raises(errors.QuotaExceeded):
        start_upload(user, declared)
    Upload.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert start_upload(user, declared).upload.status == Upload.Status.PENDING
