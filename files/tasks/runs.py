"""What the worker says about each task run, in place of django-tasks' own two lines a run.

django-tasks logs every run twice at INFO (`state=RUNNING`, then `state=SUCCESSFUL`). The
periodic jobs (files/tasks/schedule.py) run every 30 s and almost always find nothing to do,
so a worker in development printed four such lines every 30 s. Here a periodic job's start
and its routine runs log at DEBUG; a run that did something says what at INFO, and a failed
run says so at ERROR with its traceback, as django-tasks does (error monitoring hears it).
Other tasks (a mail, a delivery) keep django-tasks' lines. files/tasks/apps.py swaps these
receivers in for django-tasks' own.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django_tasks import TaskResult, TaskResultStatus

from files.tasks import schedule

logger = logging.getLogger(__name__)


def _job(result: TaskResult[Any]) -> schedule.Job | None:
    path = result.task.module_path
    return next((job for job in schedule.JOBS.values() if job.task.module_path == path), None)


def _returned(result: TaskResult[Any]) -> Any:
    try:
        return result.return_value
    except ValueError:  # not successful: nothing returned
        return None


def _error_class(result: TaskResult[Any]) -> str:
    return result.errors[-1].exception_class_path if result.errors else "an error"


def log_started(sender: Any, task_result: TaskResult[Any], **kwargs: Any) -> None:
    job = _job(task_result)
    if job is None:
        logger.info(
            "Task id=%s path=%s state=%s",
            task_result.id,
            task_result.task.module_path,
            task_result.status,
        )
        return
    logger.debug("Periodic job %s started (task %s).", job.name, task_result.id)


def log_finished(sender: Any, task_result: TaskResult[Any], **kwargs: Any) -> None:
    job = _job(task_result)
    failed = task_result.status == TaskResultStatus.FAILED
    # The worker reports a failure from inside its `except`: the error is at hand.
    error = sys.exc_info()[1] if failed else None
    if job is None:
        log = logger.error if failed else logger.info
        log(
            "Task id=%s path=%s state=%s",
            task_result.id,
            task_result.task.module_path,
            task_result.status,
            exc_info=error,
        )
        return
    if failed:
        logger.error(
            "Periodic job %s failed (task %s): %s",
            job.name,
            task_result.id,
            f"{type(error).__name__}: {error}" if error else _error_class(task_result),
            exc_info=error,
        )
        return
    done = job.summary(_returned(task_result))
    if done == "":
        logger.debug("Periodic job %s found nothing to do (task %s).", job.name, task_result.id)
    else:
        logger.info("Periodic job %s (task %s): %s.", job.name, task_result.id, done or "finished")
