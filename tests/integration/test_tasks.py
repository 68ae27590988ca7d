"""The task queue with real workers: the database queue (the default) and RQ on the Redis
server at 127.0.0.1:6379, running the same task code, with retries that back off."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django_rq
import pytest
import redis
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend
from django_tasks_db.models import DBTaskResult
from rq.job import Job

from files.models import Upload
from files.tasks import schedule
from files.tasks.cleanup import settle_and_clean
from files.uploads import declarations
from files.uploads.start import start_upload
from tests.integration import task_doubles
from tests.integration.workers import production_env, run_worker

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"


def abandoned_upload(owner) -> Upload:
    """An upload whose bytes never came and whose URLs expired a day ago: the cleanup's."""
    issued = start_upload(
        owner, declarations.Declaration(name="a.txt", size=11, content_type="text/plain")
    )
    long_ago = timezone.now() - timedelta(days=1)
    Upload.objects.filter(pk=issued.upload.pk).update(created_at=long_ago, expires_at=long_ago)
    return issued.upload


# --- The database queue, with the Procfile's worker ------------------------------------------


def procfile(process: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise AssertionError(f"The Procfile has no {process} process.")


@pytest.mark.django_db(transaction=True)
def test_procfile_worker_runs_a_queued_cleanup_from_the_database_queue(seaweedfs, own_bucket, user):
    upload = abandoned_upload(user)
    result = settle_and_clean.enqueue()
    assert result.status == TaskResultStatus.READY

    env = production_env(
        seaweedfs,
        own_bucket,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    ran = subprocess.run(
        ["bash", "-c", f"exec {procfile('worker')} --burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == {
        "registered": 0,
        "stale": 1,
        "orphans": 0,
        "expired": 0,
        "strays": 0,
    }
    assert not Upload.objects.filter(pk=upload.pk).exists()


# --- RQ on Redis -------------------------------------------------------------------------------


@pytest.fixture
def rq_queue(settings) -> Iterator[str]:
    """The RQ backend on a queue of this test's own, emptied of every key it left after."""
    name = f"chute-test-{secrets.token_hex(6)}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    # django-tasks-rq looks results up through django-rq's "default" connection.
    settings.RQ_QUEUES = {name: {"URL": REDIS_URL}, "default": {"URL": REDIS_URL}}
    yield name
    queue = django_rq.get_queue(name)
    registries = [
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.scheduled_job_registry,
        queue.started_job_registry,
        queue.deferred_job_registry,
        queue.canceled_job_registry,
    ]
    job_ids = {*queue.job_ids, *(id for registry in registries for id in registry.get_job_ids())}
    server = redis.Redis.from_url(REDIS_URL)
    for pattern in [f"*{name}*", *(f"*{job_id}*" for job_id in job_ids)]:
        for key in server.scan_iter(match=pattern):
            server.delete(key)


@pytest.mark.django_db(transaction=True)
def test_the_same_cleanup_task_runs_on_rq_with_a_burst_worker(own_bucket, user, rq_queue):
    upload = abandoned_upload(user)

    result = settle_and_clean.using(queue_name=rq_queue).enqueue()
    assert django_rq.get_queue(rq_queue).count == 1
    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value is not None
    assert result.return_value["stale"] == 1
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert django_rq.get_queue(rq_queue).count == 0


# --- Retries, on both backends -------------------------------------------------------------------


@dataclass
class Attempt:
    number: int
    status: str
    started_at: datetime
    finished_at: datetime
    error: str


def database_attempts() -> list[Attempt]:
    return sorted(
        (
            Attempt(
                number=row.args_kwargs["kwargs"].get("attempt", 1),
                status=row.status,
                started_at=row.started_at,
                finished_at=row.finished_at,
                error=row.traceback,
            )
            for row in DBTaskResult.objects.filter(task_path__endswith=".flaky")
        ),
        key=lambda attempt: attempt.number,
    )


def aware(moment: datetime | None) -> datetime:
    """RQ's times are UTC, naive in some versions."""
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rq_attempts(queue_name: str) -> list[Attempt]:
    queue = django_rq.get_queue(queue_name)
    ids = [*queue.finished_job_registry.get_job_ids(), *queue.failed_job_registry.get_job_ids()]
    attempts = []
    for job in Job.fetch_many(ids, connection=queue.connection):
        assert job is not None
        latest = job.latest_result()
        assert latest is not None
        attempts.append(
            Attempt(
                number=job.kwargs.get("attempt", 1),
                status=default_task_backend.get_result(job.id).status,
                started_at=aware(job.started_at),
                finished_at=aware(job.ended_at),
                error=latest.exc_string or "",
            )
        )
    return sorted(attempts, key=lambda attempt: attempt.number)


def scheduled_for(error: str) -> datetime:
    """When the retry of a failed attempt runs, from the note its error carries."""
    found = re.search(r"retrying at (\S+) \(result", error)
    assert found, error
    return datetime.fromisoformat(found.group(1))


@dataclass
class Backend:
    queue_name: str
    pending: Callable[[], bool]
    attempts: Callable[[], list[Attempt]]
    # RQ's scheduler keeps times in whole seconds: a job may start up to a second early.
    resolution: timedelta = timedelta(0)

    def drain(self, timeout: float = 180) -> None:
        """Run burst workers until no attempt waits, as a worker would over time.

        Generous: an RQ burst worker has been seen to take about a minute to return on a
        loaded machine (its Redis pub/sub thread waits up to 60 s).
        """
        deadline = time.monotonic() + timeout
        while True:
            run_worker()
            if not self.pending():
                return
            assert time.monotonic() < deadline, "tasks still waiting"
            time.sleep(0.1)


@pytest.fixture(params=["database", "rq"])
def backend(request) -> Backend:
    if request.param == "database":
        return Backend(
            queue_name="default",
            pending=DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists,
            attempts=database_attempts,
        )
    name = request.getfixturevalue("rq_queue")
    queue = django_rq.get_queue(name)
    return Backend(
        queue_name=name,
        pending=lambda: bool(queue.count or queue.scheduled_job_registry.count),
        attempts=lambda: rq_attempts(name),
        resolution=timedelta(seconds=1),
    )


@pytest.mark.django_db(transaction=True)
def test_task_failing_twice_is_retried_with_growing_delays_and_succeeds(backend, tmp_path):
    marks = tmp_path / "marks"
    task_doubles.flaky.using(queue_name=backend.queue_name).enqueue(str(marks), 2)

    backend.drain()

    attempts = backend.attempts()
    assert [(a.number, a.status) for a in attempts] == [
        (1, TaskResultStatus.FAILED),
        (2, TaskResultStatus.FAILED),
        (3, TaskResultStatus.SUCCESSFUL),
    ]
    assert marks.read_text().count("run") == 3
    assert "flaky failure 2 of 2" in attempts[1].error
    assert "Attempt 2 of 3: retrying at" in attempts[1].error
    # Each retry was scheduled its delay after the attempt before failed (0.3 s, then 0.6 s)
    # and did not start before then.
    delays = [timedelta(milliseconds=300), timedelta(milliseconds=600)]
    for (before, after), delay in zip(itertools.pairwise(attempts), delays, strict=True):
        run_after = scheduled_for(before.error)
        assert before.started_at + delay <= run_after <= before.finished_at + delay
        assert after.started_at >= run_after - backend.resolution


@pytest.mark.django_db(transaction=True)
def test_task_always_failing_gives_up_after_its_attempts_with_the_error_in_the_admin(
    tmp_path, admin_client
):
    task_doubles.flaky.enqueue(str(tmp_path / "marks"), 99)

    Backend("default", DBTaskResult.objects.filter(status="READY").exists, list).drain()

    attempts = database_attempts()
    assert [(a.number, a.status) for a in attempts] == [
        (number, TaskResultStatus.FAILED) for number in (1, 2, 3)
    ]
    assert "Attempt 3 of 3: gave up." in attempts[-1].error
    listing = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "RuntimeError: flaky failure 3 of 99" in page
    assert "Attempt 3 of 3: gave up." in page
    last = DBTaskResult.objects.get(args_kwargs__kwargs__attempt=3)
    detail = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[last.pk])
    )
    assert "flaky failure 3 of 99" in detail.content.decode()


# --- What the worker says about the periodic jobs ----------------------------------------------

PERIODIC_PATHS = {job.task.module_path for job in schedule.JOBS.values()}


def said(caplog, level: int) -> list[str]:
    """The lines at `level` or above about periodic jobs: Chute's and django-tasks' own."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= level
        and (
            "Periodic job" in record.getMessage()
            or any(path in record.getMessage() for path in PERIODIC_PATHS)
        )
    ]


def lost_result() -> None:
    """A task result a dead worker left RUNNING seven hours ago: fail-lost-results' work."""
    lost = DBTaskResult.objects.get(pk=schedule.fail_lost_results.enqueue().id)
    lost.claim(worker_id="gone")
    DBTaskResult.objects.filter(pk=lost.pk).update(started_at=timezone.now() - timedelta(hours=7))


@pytest.mark.django_db(transaction=True)
def test_periodic_runs_that_find_nothing_log_at_debug_and_one_that_did_work_says_what(
    settings, caplog
):
    settings.CHUTE_CLEANUP_INTERVAL = 0  # the cleanup needs a bucket: off here
    caplog.set_level(logging.DEBUG)
    lost_result()

    enqueued = schedule.enqueue_due(timezone.now())
    run_worker()

    assert {"fail-lost-results", "webhooks-sweep", "notifications-sweep"} <= set(enqueued)
    worked = DBTaskResult.objects.get(
        task_path=schedule.fail_lost_results.module_path, status=TaskResultStatus.SUCCESSFUL
    )
    assert said(caplog, logging.INFO) == [
        f"Periodic job fail-lost-results (task {worked.pk}): "
        "task results of a dead worker marked failed: 1."
    ]
    routine = said(caplog, logging.DEBUG)
    for name in set(enqueued) - {"fail-lost-results"}:
        assert any(f"Periodic job {name} found nothing to do" in line for line in routine), name


@pytest.mark.django_db(transaction=True)
def test_a_failing_periodic_run_logs_an_error_naming_the_job(settings, caplog, monkeypatch):
    settings.CHUTE_CLEANUP_INTERVAL = 0
    caplog.set_level(logging.DEBUG)
    every = lambda: timedelta(seconds=30)  # noqa: E731
    monkeypatch.setitem(schedule.JOBS, "broken", schedule.Job("broken", task_doubles.broken, every))

    schedule.enqueue_due(timezone.now())
    run_worker()

    failed = DBTaskResult.objects.get(task_path=task_doubles.broken.module_path)
    failures = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in failures] == [
        f"Periodic job broken failed (task {failed.pk}): RuntimeError: the bucket did not answer"
    ]
    assert failures[0].exc_info and "the bucket did not answer" in str(failures[0].exc_info[1])


@pytest.mark.django_db(transaction=True)
def test_other_tasks_keep_django_tasks_lines_at_info(caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    result = task_doubles.flaky.enqueue(str(tmp_path / "marks"), 0)

    run_worker()

    lines = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    path = task_doubles.flaky.module_path
    assert f"Task id={result.id} path={path} state=RUNNING" in lines
    assert f"Task id={result.id} path={path} state=SUCCESSFUL" in lines
