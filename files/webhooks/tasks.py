"""The webhooks' tasks: fan events out, deliver each delivery, and sweep up what is owed.

- `dispatch_events`: enqueued when events are recorded (`on_recorded`, connected to
  `files.events.recorded` by files/apps.py); makes deliveries and enqueues them.
- `deliver`: one attempt at one delivery (files/webhooks/delivery.py); a failed attempt
  enqueues the next with `run_after` at its time.
- `sweep`: every CHUTE_WEBHOOK_SWEEP_INTERVAL seconds (files/tasks/schedule.py): dispatches
  events no signal reached and enqueues every delivery that is due, including those whose
  worker died mid-attempt. Task results are not the record; the rows are.

Deliveries and events that are history go with the prune job (files/tasks/prune.py), by the
rules of `dispatch.deliveries_to_forget` and `dispatch.events_to_forget`.

Every task takes ids only (the database backend stores task arguments): the URL and the secret
are read and derived when the attempt is made. Running any of them twice is harmless: each
row is claimed with a conditional UPDATE before anything is sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django_tasks import task

from files.tasks import prune, schedule
from files.webhooks import delivery, dispatch

logger = logging.getLogger(__name__)


def enqueue_deliveries(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver.enqueue(delivery_id)


@task()
def dispatch_events() -> int:
    """Make the deliveries of events still owed and enqueue those due; how many events."""
    handled = dispatch.dispatch()
    enqueue_deliveries(dispatch.due())
    return handled


@task()
def deliver(delivery_id: int) -> str:
    """Attempt delivery `delivery_id` if it is due; what came of it, for the task's result."""
    outcome = delivery.attempt(delivery_id)
    if outcome is None:
        return "not due, or claimed by another worker"
    if outcome.next_attempt_at is not None:
        deliver.using(run_after=outcome.next_attempt_at).enqueue(delivery_id)
        return f"failed: {outcome.error} Next attempt at {outcome.next_attempt_at.isoformat()}."
    return "delivered" if outcome.succeeded else f"gave up: {outcome.error}"


@task()
def sweep() -> dict[str, int]:
    """Dispatch events still owed and enqueue deliveries that are due."""
    handled = dispatch.dispatch()
    due = dispatch.due()
    enqueue_deliveries(due)
    return {"events": handled, "deliveries": len(due)}


def on_recorded(sender: Any, events: list[Any], **kwargs: Any) -> None:
    """`files.events.recorded`: dispatch soon. Never fails the request that recorded them: if
    the queue is down, the sweep dispatches the events later."""
    try:
        dispatch_events.enqueue()
    except Exception:
        logger.exception(
            "Could not enqueue the dispatch of %d events; the sweep will.", len(events)
        )


def sweep_interval() -> timedelta:
    return timedelta(seconds=settings.CHUTE_WEBHOOK_SWEEP_INTERVAL)


schedule.register("webhooks-sweep", sweep, sweep_interval)
# Deliveries first: an event goes once none of its deliveries is left.
prune.register("deliveries", dispatch.deliveries_to_forget)
prune.register("events", dispatch.events_to_forget)
