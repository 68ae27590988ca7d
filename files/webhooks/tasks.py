"""The webhooks' tasks: fan events out, deliver each delivery, and sweep up what is owed.

- `dispatch_owed`: run by files/tasks/events.py's `take_in` when events are recorded (one
  task for the webhooks and the notifications); makes deliveries and enqueues them.
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

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from files.tasks import events, prune, schedule
from files.webhooks import delivery, dispatch


def enqueue_deliveries(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver.enqueue(delivery_id)


def dispatch_owed() -> int:
    """Make the deliveries of events still owed and enqueue those due; how many events."""
    handled = dispatch.dispatch()
    enqueue_deliveries(dispatch.due())
    return handled


@task()
def dispatch_events() -> int:
    """`dispatch_owed` as a task of its own, as enqueued before files/tasks/events.py's
    `take_in` ran it: kept so that those still queued run."""
    return dispatch_owed()


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


def sweep_interval() -> timedelta:
    return timedelta(seconds=settings.CHUTE_WEBHOOK_SWEEP_INTERVAL)


schedule.register("webhooks-sweep", sweep, sweep_interval)
events.register("webhooks", dispatch_owed)
# Deliveries first: an event goes once none of its deliveries is left.
prune.register("deliveries", dispatch.deliveries_to_forget)
prune.register("events", dispatch.events_to_forget)
