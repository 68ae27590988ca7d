"""Periodic jobs without cron: the worker enqueues each registered job when it is due.

A job is a task and an interval (read from the settings when it is checked, so tests and
operators can change it). Each job has a `Schedule` row; `enqueue_due` claims a due row with
one conditional UPDATE (`next_run_at <= now` → `now + interval`), so of several workers
checking at once exactly one enqueues the job. `Ticker` is the thread `manage.py worker` runs
beside the backend's own worker (database or RQ) to call `enqueue_due` every few seconds.

Jobs registered here: the cleanup (`settle_and_clean`, every CHUTE_CLEANUP_INTERVAL seconds;
0 turns it off, for sites that run `cleanup_uploads` from cron), `fail_lost_results`, which
marks database task results a dead worker left RUNNING as failed, and
`forget_unsent_link_mails`, which empties the addresses of link mails whose every retry
failed, and `prune`, which deletes finished bookkeeping older than CHUTE_HISTORY_DAYS
(files/tasks/prune.py). Other packages register theirs with `register` (the webhooks' sweep,
files/webhooks/tasks.py; the notifications' sweep and expiry look,
files/notifications/tasks.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django_tasks.base import Task

from files.models import Schedule
from files.tasks.cleanup import settle_and_clean
from files.tasks.mail import forget_unsent_link_mails
from files.tasks.prune import history, prune

logger = logging.getLogger(__name__)

# How often the ticker looks for due jobs, at most.
TICK = timedelta(seconds=5)
# A database task result RUNNING for longer than this lost its worker (no Chute task runs
# for more than minutes); it is marked failed so the admin stops showing it as running.
LOST_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Job:
    name: str
    task: Task[Any, Any]
    every: Callable[[], timedelta | None]  # None or zero: the job is off
    counts: str = "done"  # what a job returning a number counted: "<counts>: 3"

    def summary(self, returned: Any) -> str | None:
        """What a run that returned `returned` did, in words: "" when it found nothing to do,
        None when it cannot be told (a backend that does not hand the value over).

        A job returns a count, or counts by kind ({"events": 0, "deliveries": 2}).
        """
        if isinstance(returned, dict):
            return ", ".join(f"{kind}: {count}" for kind, count in returned.items() if count)
        if isinstance(returned, int):
            return f"{self.counts}: {returned}" if returned else ""
        return None


JOBS: dict[str, Job] = {}


def register(
    name: str, task: Task[Any, Any], every: Callable[[], timedelta | None], counts: str = "done"
) -> None:
    """Run `task` every `every()`; `counts` names what it returns the number of."""
    JOBS[name] = Job(name, task, every, counts)


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every job that is due and claimed here; the names of those enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in JOBS.values():
        interval = job.every()
        if not interval:
            continue
        # A new job runs at once: a worker that starts catches up on what it owes.
        Schedule.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        claimed = Schedule.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=now + interval, last_run_at=now
        )
        if claimed:
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued


class Ticker(threading.Thread):
    """Calls `enqueue_due` every TICK (or the shortest job interval) until stopped."""

    def __init__(self) -> None:
        super().__init__(name="chute-schedule", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                enqueue_due()
            except Exception:  # the database or the queue is down: try again next tick
                logger.exception("The schedule could not enqueue its due jobs.")
            finally:
                connections.close_all()  # this thread's own connections
            self.stopped.wait(self.pause().total_seconds())

    def pause(self) -> timedelta:
        intervals = [interval for job in JOBS.values() if (interval := job.every())]
        return min([TICK, *intervals])

    def stop(self) -> None:
        self.stopped.set()


class WorkerLost(Exception):
    """A task result's worker stopped before the task finished (recorded by the schedule)."""


@task()
def fail_lost_results() -> int:
    """Mark database task results RUNNING for over LOST_AFTER as failed; how many."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return 0  # RQ moves the jobs of a dead worker to its failed registry itself
    now = timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - LOST_AFTER
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=(
            f"{WorkerLost.__module__}.WorkerLost: The worker running this task stopped before "
            f"it finished (still running after {LOST_AFTER}). Work it owed is picked up again "
            "from Chute's own rows."
        ),
    )


def cleanup_interval() -> timedelta | None:
    return timedelta(seconds=settings.CHUTE_CLEANUP_INTERVAL)


register("cleanup", settle_and_clean, cleanup_interval)
register(
    "fail-lost-results",
    fail_lost_results,
    lambda: timedelta(hours=1),
    counts="task results of a dead worker marked failed",
)
register(
    "forget-unsent-link-mails",
    forget_unsent_link_mails,
    lambda: timedelta(hours=1),
    counts="unsent link mails' addresses forgotten",
)
# Hourly, so each run is small; off when CHUTE_HISTORY_DAYS is 0 (keep everything).
register("prune", prune, lambda: timedelta(hours=1) if history() else None)
