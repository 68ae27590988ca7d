"""Tasks for the task-queue tests: module-level, so a worker finds them by their path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django_tasks import task

from files.tasks.retry import Backoff, retried_task

QUICK = Backoff(attempts=3, first=timedelta(milliseconds=300), cap=timedelta(seconds=2))


@retried_task(QUICK)
def flaky(marks: str, failures: int) -> int:
    """Fail the first `failures` runs (each run adds a line to the file `marks`), then return
    how many runs there were."""
    path = Path(marks)
    with path.open("a") as file:
        file.write("run\n")
    runs = len(path.read_text().splitlines())
    if runs <= failures:
        raise RuntimeError(f"flaky failure {runs} of {failures}")
    return runs


@task()
def broken() -> int:
    """Always fails, at once (no retries): a periodic job whose every run fails."""
    raise RuntimeError("the bucket did not answer")
