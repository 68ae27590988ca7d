"""Retries with exponential backoff for tasks (django-tasks runs each enqueued task once).

`retried_task` makes a task whose function, when it raises, enqueues the same task again on
the same backend and queue with `run_after` set `Backoff.delay(attempt)` ahead, carrying the
next attempt number in the keyword argument `attempt`. It then raises the error again, so the
failed attempt's result records it (status FAILED, with the traceback the admin shows); a note
on the exception says whether and when it runs again. Each attempt is a result of its own: a
row in the database backend, a job in RQ. After `Backoff.attempts` attempts it gives up.

The function must be idempotent: an attempt can fail after part of its work is done.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks.base import DEFAULT_TASK_PRIORITY, DEFAULT_TASK_QUEUE_NAME, Task

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# The keyword argument that carries the attempt number (1 for the first run) from one attempt
# to the next; the task's own function never sees it.
ATTEMPT = "attempt"


@dataclass(frozen=True)
class Backoff:
    """How often and how long apart a failing task runs again.

    Attempt n + 1 waits `first * 2 ** (n - 1)`, at most `cap`, after attempt n failed; there
    are at most `attempts` attempts in all (the first run included).
    """

    attempts: int = 8
    first: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("A task makes at least one attempt.")
        if self.first <= timedelta(0) or self.cap < self.first:
            raise ValueError("Backoff needs 0 < first <= cap.")

    def delay(self, attempt: int) -> timedelta:
        """The wait after attempt number `attempt` failed."""
        return min(self.cap, self.first * 2 ** (attempt - 1))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.attempts

    def span(self) -> timedelta:
        """From the first attempt to the last, when every attempt fails and none waits."""
        return sum((self.delay(attempt) for attempt in range(1, self.attempts)), timedelta(0))


def retried_task(
    backoff: Backoff | None = None,
    *,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
) -> Callable[[Callable[P, T]], Task[P, T]]:
    """`@task()` whose attempts that raise one of `retry_on` run again with `backoff`.

    Other exceptions fail the task at once, as a plain `@task()` would.
    """
    policy = backoff or Backoff()

    def decorate(func: Callable[P, T]) -> Task[P, T]:
        if ATTEMPT in inspect.signature(func).parameters:
            raise TypeError(f"{func.__qualname__} may not take {ATTEMPT!r}: retries pass it.")

        def run(context: TaskContext, *args: P.args, **kwargs: P.kwargs) -> T:
            attempt: int = kwargs.pop(ATTEMPT, 1)  # type: ignore[assignment]
            try:
                return func(*args, **kwargs)
            except retry_on as error:
                _after_failure(context, error, policy, attempt, list(args), kwargs)
                raise

        # The task is found by the function's module and name (its module path), so the
        # wrapper takes the function's names; not functools.wraps, whose __wrapped__ would make
        # django-tasks read the function's signature and miss `context`.
        run.__module__, run.__name__ = func.__module__, func.__name__
        run.__qualname__, run.__doc__ = func.__qualname__, func.__doc__
        return task(takes_context=True, priority=priority, queue_name=queue_name)(run)

    return decorate


def _after_failure(
    context: TaskContext,
    error: Exception,
    policy: Backoff,
    attempt: int,
    args: list[Any],
    kwargs: dict[str, Any],
) -> None:
    """Enqueue the next attempt, unless this was the last; note on `error` which it was."""
    current = context.task_result.task
    if policy.gives_up_after(attempt):
        error.add_note(f"Attempt {attempt} of {policy.attempts}: gave up.")
        logger.error(
            "Task %s failed on its last attempt (%d of %d): %r",
            current.name,
            attempt,
            policy.attempts,
            error,
        )
        return
    run_after: datetime = timezone.now() + policy.delay(attempt)
    retry = current.using(run_after=run_after).enqueue(*args, **kwargs, **{ATTEMPT: attempt + 1})
    error.add_note(
        f"Attempt {attempt} of {policy.attempts}: retrying at {run_after.isoformat()} "
        f"(result {retry.id})."
    )
    logger.warning(
        "Task %s failed (attempt %d of %d), retrying at %s as result %s: %r",
        current.name,
        attempt,
        policy.attempts,
        run_after.isoformat(),
        retry.id,
        error,
    )
