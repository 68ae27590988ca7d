"""Webhooks through real workers: `manage.py worker` in a subprocess, killed with SIGKILL while
the receiver holds a delivery, then a new worker: every event reaches the receiver, none is
lost, and re-deliveries carry the same `webhook-id`. Once on the database queue, once on RQ
with the Redis server at 127.0.0.1:6379. Also the schedule's periodic jobs."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from files.models import Delivery, Event, Schedule
from files.tasks import schedule
from files.webhooks import registration
from tests.helpers import race, ready_file
from tests.integration import webhook_receiver
from tests.integration.workers import run_worker_until, worker_env

# A Redis database of these tests' own: RQ's queue is "default", as in production.
RQ_REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def receiver() -> Iterator[webhook_receiver.Receiver]:
    yield from webhook_receiver.serve()


def killed_mid_delivery_then_restarted(user, receiver, env, log: Path) -> None:
    """Three events; the first worker is killed while the receiver holds a delivery; a new
    worker delivers everything, the held one again with the same webhook-id."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(django_settings, "CHUTE_WEBHOOK_ALLOW_PRIVATE", True)
        new = registration.create(user, url=receiver.url, events=["file.ready"])
    receiver.secret, receiver.hold_first = new.secret, True
    for number in range(3):
        ready_file(user, name=f"part-{number}.txt")  # commits: the dispatcher is enqueued
    expected = {event.webhook_id for event in Event.objects.all()}
    assert len(expected) == 3

    # Killed while the receiver holds a delivery unanswered.
    run_worker_until(env, log, receiver.holding.is_set, "no delivery reached the receiver")
    receiver.release.set()  # its answer goes to a dead socket
    held = receiver.ids()[0]
    assert Delivery.objects.get(event__id=held.removeprefix("evt_")).status == "sending"

    run_worker_until(
        env,
        log,
        lambda: Delivery.objects.filter(status="succeeded").count() == 3,
        "not every event was delivered",
    )

    assert receiver.handled == expected  # every event id, none missing
    assert receiver.ids().count(held) >= 2  # sent again after the kill, with the same id
    assert all(item.verified is not None for item in receiver.received)
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["succeeded"] * 3


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_on_the_database_queue(
    seaweedfs, own_bucket, user, receiver, tmp_path
):
    env = worker_env(seaweedfs, own_bucket)
    killed_mid_delivery_then_restarted(user, receiver, env, tmp_path / "worker.log")


@pytest.fixture
def rq_default_queue(settings) -> Iterator[None]:
    """The RQ backend on its "default" queue, in a Redis database of these tests' own."""
    server = redis.Redis.from_url(RQ_REDIS_URL)

    def empty() -> None:
        for key in server.scan_iter(match="rq:*"):
            server.delete(key)

    empty()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": RQ_REDIS_URL}}
    yield
    empty()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_on_rq(
    seaweedfs, own_bucket, user, receiver, rq_default_queue, tmp_path
):
    env = worker_env(seaweedfs, own_bucket, CHUTE_TASKS_REDIS_URL=RQ_REDIS_URL)
    killed_mid_delivery_then_restarted(user, receiver, env, tmp_path / "worker.log")


# --- The schedule -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_due_job_is_enqueued_by_exactly_one_of_several_workers(settings):
    settings.CHUTE_CLEANUP_INTERVAL = 0  # off: not enqueued at all
    settings.CHUTE_EXPIRY_NOTICE_INTERVAL = 0
    now = timezone.now()

    claims = race(4, lambda _: schedule.enqueue_due(now))

    assert sorted(name for claim in claims for name in claim) == [  # type: ignore[union-attr]
        "fail-lost-results",
        "forget-unsent-link-mails",
        "notifications-sweep",
        "prune",
        "webhooks-sweep",
    ]
    assert not Schedule.objects.filter(name__in=["cleanup", "expiry-notices"]).exists()
    assert schedule.enqueue_due(now + timedelta(seconds=1)) == []  # not due again yet
    assert sorted(schedule.enqueue_due(now + timedelta(seconds=31))) == [
        "notifications-sweep",
        "webhooks-sweep",
    ]
    sweeps = DBTaskResult.objects.filter(task_path="files.webhooks.tasks.sweep")
    assert sweeps.count() == 2


@pytest.mark.django_db
def test_the_cleanup_runs_every_cleanup_interval(settings):
    settings.CHUTE_CLEANUP_INTERVAL = 600
    now = timezone.now()
    assert "cleanup" in schedule.enqueue_due(now)
    assert "cleanup" not in schedule.enqueue_due(now + timedelta(seconds=599))
    assert "cleanup" in schedule.enqueue_due(now + timedelta(seconds=600))


@pytest.mark.django_db
def test_expiry_notices_run_every_expiry_notice_interval(settings):
    settings.CHUTE_EXPIRY_NOTICE_INTERVAL = 900
    now = timezone.now()
    assert "expiry-notices" in schedule.enqueue_due(now)
    assert "expiry-notices" not in schedule.enqueue_due(now + timedelta(seconds=899))
    assert "expiry-notices" in schedule.enqueue_due(now + timedelta(seconds=900))
    assert (
        DBTaskResult.objects.filter(task_path="files.notifications.tasks.announce_expiring").count()
        == 2
    )


@pytest.mark.django_db
def test_results_a_dead_worker_left_running_are_marked_failed(user):
    result = schedule.fail_lost_results.enqueue()  # any task result will do
    lost = DBTaskResult.objects.get(pk=result.id)
    lost.claim(worker_id=secrets.token_hex(4))
    DBTaskResult.objects.filter(pk=lost.pk).update(started_at=timezone.now() - timedelta(hours=7))
    running = schedule.fail_lost_results.enqueue()
    DBTaskResult.objects.get(pk=running.id).claim(worker_id="alive")

    assert schedule.fail_lost_results.call() == 1

    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert "stopped before it finished" in result.errors[0].traceback
    running.refresh()
    assert running.status == TaskResultStatus.RUNNING
