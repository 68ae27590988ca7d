"""Run the worker of the configured task backend: one command for the Procfile and bin/run.

The database backend's worker is django-tasks-db's `db_worker`; the RQ backend's is an RQ
worker with django-tasks-rq's job class and RQ's scheduler, which moves tasks whose
`run_after` has come (retries) onto their queue. Beside either runs the schedule's ticker
(files/tasks/schedule.py), a thread that enqueues the periodic jobs when they are due; a
`--burst` run (tests, one-off draining) has none.
"""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.base import BaseTaskBackend

from files.tasks import schedule


def queues(backend: BaseTaskBackend) -> list[str]:
    """The queues a worker serves: the backend's QUEUES (every queue when it names none)."""
    return sorted(backend.queues) if backend.queues else []


def run(*, burst: bool = False, reload: bool = False, stdout: OutputWrapper | None = None) -> None:
    """Run tasks as they come until stopped (Ctrl-C, SIGTERM), or with `burst` until none is
    ready. `reload` restarts the database worker when code changes (development)."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    from django_tasks_db import DatabaseBackend

    # When the database worker reloads, the process that only restarts it has no ticker.
    reloader = reload and isinstance(backend, DatabaseBackend)
    ticker = None
    if not burst and (not reloader or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"):
        ticker = schedule.Ticker()
        ticker.start()
    try:
        _run(backend, burst=burst, reload=reload, stdout=stdout)
    finally:
        if ticker:
            ticker.stop()


def _run(
    backend: BaseTaskBackend, *, burst: bool, reload: bool, stdout: OutputWrapper | None
) -> None:
    # Imported here: each backend's package loads only when it is the one configured.
    from django_tasks_db import DatabaseBackend

    if isinstance(backend, DatabaseBackend):
        call_command(
            "db_worker",
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            queue_name=",".join(queues(backend)) or "*",
            batch=burst,
            reload=reload and not burst,
            startup_delay=not burst,
            stdout=stdout,
        )
        return

    from django_tasks_rq import RQBackend

    if isinstance(backend, RQBackend):
        _run_rq(backend, burst=burst)
        return
    raise CommandError(
        f"The task backend {type(backend).__name__} has no worker here: "
        "set TASKS to the database backend or CHUTE_TASKS_REDIS_URL."
    )


def _run_rq(backend: BaseTaskBackend, *, burst: bool) -> None:
    import django_rq

    worker = django_rq.get_worker(*queues(backend), job_class="django_tasks_rq.Job")
    # RQ forks a work horse per job: it must open database connections of its own.
    connections.close_all()
    worker.work(burst=burst, with_scheduler=True)
