"""Forgetting finished bookkeeping: the `prune` job deletes rows kept only as history.

Every task run, webhook delivery, event, notification, link mail, counted attempt, expired
session and sign-in log leaves a row; without this job they would only grow. Each kind has a
pruner: a query of the rows that may go, those finished before the cut-off
(CHUTE_HISTORY_DAYS ago) on which nothing is owed any more. This module holds the pruners
that need only the tables; packages whose rules live with them register theirs with
`register` (webhook deliveries and events: files/webhooks/tasks.py; notifications:
files/notifications/tasks.py), as they register their periodic jobs.

Bounded and safe to repeat: a run deletes at most BATCHES batches of BATCH rows of each
kind, oldest first, each batch its own short statement that checks the rule again (a row
that changed since it was picked stays). Two workers pruning at once delete each row once;
what a run leaves, the next takes.

What it never deletes: task results not finished (fail_lost_results settles those), link
mails whose addresses still wait for a retry (forget_unsent_link_mails empties them first),
and `DeletedUpload` rows, which the cleanup deletes itself once nothing can write under
their key (files/lifecycle/sweeps.py: one still there may have bytes to find).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from files.models import Attempt, LinkMail

# Rows deleted by one statement, and statements a run makes of each kind at most: a run
# deletes up to 100,000 rows of each kind (hourly: 2.4 million a day).
BATCH = 500
BATCHES = 200

# The rows of one kind that may go, given the cut-off: a query, never a list.
Pruner = Callable[[datetime], QuerySet]

PRUNERS: dict[str, Pruner] = {}


def register(name: str, pruner: Pruner) -> None:
    """Add a kind of row to the job; kinds are pruned in the order they were registered."""
    PRUNERS[name] = pruner


def history() -> timedelta | None:
    """How long finished rows are kept; None: forever (CHUTE_HISTORY_DAYS=0)."""
    days = settings.CHUTE_HISTORY_DAYS
    return timedelta(days=days) if days > 0 else None


def pick(rows: QuerySet, batch: int = BATCH) -> list[Any]:
    """The ids of the oldest `batch` of `rows`."""
    return list(rows.values_list("pk", flat=True)[:batch])


def delete_picked(rows: QuerySet, ids: list[Any]) -> int:
    """Delete those of `ids` that `rows` still holds (another worker may have deleted some, or
    one may have changed); how many this call deleted."""
    if not ids:
        return 0
    model: type[Model] = rows.model
    _, deleted = rows.order_by().filter(pk__in=ids).delete()
    return deleted.get(model._meta.label, 0)


def delete_batch(rows: QuerySet, batch: int = BATCH) -> int:
    """Delete the oldest `batch` of `rows`, checking the rule again; how many went."""
    return delete_picked(rows, pick(rows, batch))


def prune_all(
    now: datetime | None = None, *, batch: int = BATCH, batches: int = BATCHES
) -> dict[str, int]:
    """Delete what each pruner allows, at most `batches` × `batch` rows a kind; how many."""
    kept = history()
    if kept is None:
        return {}
    cutoff = (now or timezone.now()) - kept
    counts = {}
    for name, pruner in PRUNERS.items():
        counts[name] = 0
        for _ in range(batches):
            deleted = delete_batch(pruner(cutoff), batch)
            counts[name] += deleted
            if deleted < batch:
                break
    return counts


@task()
def prune() -> dict[str, int]:
    """The periodic job: forget finished bookkeeping older than CHUTE_HISTORY_DAYS."""
    return prune_all()


# --- The kinds only the tables decide --------------------------------------------------------


def task_results(cutoff: datetime) -> QuerySet:
    """Finished results on the database queue (RQ expires its own); READY and RUNNING stay."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).order_by("finished_at")


def link_mails(cutoff: datetime) -> QuerySet:
    """Link mails sent before the cut-off, or given up and emptied (never one whose addresses
    still wait for a retry)."""
    return LinkMail.objects.filter(
        Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True, recipients="", created_at__lt=cutoff)
    ).order_by("created_at")


def attempts(cutoff: datetime) -> QuerySet:
    """Counted attempts: every throttle's window is an hour at most, so these count no more.
    (A throttle deletes its scope's old rows when it is hit again; a link's password scope
    may never be.)"""
    return Attempt.objects.filter(created_at__lt=cutoff).order_by("created_at")


def sessions(cutoff: datetime) -> QuerySet:
    """Expired sessions (what `clearsessions` deletes), in batches; none is kept after expiry."""
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=timezone.now()).order_by("expire_date")


def sign_in_logs(cutoff: datetime) -> QuerySet:
    """django-axes' log of sign-ins (address, browser, time), one row per sign-in."""
    return (
        apps.get_model("axes", "AccessLog")
        .objects.filter(attempt_time__lt=cutoff)
        .order_by("attempt_time")
    )


if apps.is_installed("django_tasks_db"):
    register("task_results", task_results)
register("link_mails", link_mails)
register("attempts", attempts)
if settings.SESSION_ENGINE in {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}:
    register("sessions", sessions)
if apps.is_installed("axes"):
    register("sign_in_logs", sign_in_logs)
