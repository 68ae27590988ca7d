"""The notifications' tasks: take events in, send each notification, sweep up what is owed.

- `collect_owed`: run by files/tasks/events.py's `take_in` when events are recorded (one task
  for the notifications and the webhooks); turns them into notifications and enqueues each
  one's sending for when it is due (a digest: CHUTE_DIGEST_WINDOW after its last file).
- `send_notification`: one attempt at one notification (files/notifications/outbox.py); a
  failed attempt enqueues the next for its time.
- `sweep`: every CHUTE_NOTIFY_SWEEP_INTERVAL seconds (files/tasks/schedule.py): takes in
  events no signal reached and enqueues every notification that is due, including those whose
  worker died mid-send.
- `announce_expiring`: every CHUTE_EXPIRY_NOTICE_INTERVAL seconds, what expires within a day.

Finished notifications go with the prune job (files/tasks/prune.py, `outbox.to_forget`).

Arguments are ids only; each task reads the rows again, and every row is claimed before a
mail goes out, so running any of them twice sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from files.notifications import collect, expiring, outbox
from files.tasks import events, prune, schedule


def enqueue_send(notification_id: str, due_at: datetime | None = None) -> None:
    if due_at is not None and due_at > timezone.now():
        send_notification.using(run_after=due_at).enqueue(notification_id)
    else:
        send_notification.enqueue(notification_id)


def collect_owed() -> int:
    """Take in the events not taken in yet and enqueue what they made; how many notifications."""
    touched = collect.collect()
    for notification in touched:
        enqueue_send(notification.id, notification.due_at)
    return len(touched)


@task()
def collect_events() -> int:
    """`collect_owed` as a task of its own, as enqueued before files/tasks/events.py's
    `take_in` ran it: kept so that those still queued run."""
    return collect_owed()


@task()
def send_notification(notification_id: str) -> str:
    """Attempt notification `notification_id` if it is due; what came of it."""
    outcome = outbox.attempt(notification_id)
    if outcome is None:
        return "not due, or claimed by another worker"
    if outcome.next_attempt_at is not None:
        enqueue_send(notification_id, outcome.next_attempt_at)
    return outcome.summary


@task()
def sweep() -> dict[str, int]:
    """Take in events still owed and enqueue the notifications that are due."""
    touched = collect.collect()
    due = outbox.due()
    for notification_id in due:
        enqueue_send(str(notification_id))
    return {"events": len(touched), "notifications": len(due)}


@task()
def announce_expiring() -> int:
    """Write and send this look's expiry notifications; how many."""
    made = expiring.announce()
    for notification in made:
        enqueue_send(str(notification.pk))
    return len(made)


def sweep_interval() -> timedelta:
    return timedelta(seconds=settings.CHUTE_NOTIFY_SWEEP_INTERVAL)


def expiry_interval() -> timedelta:
    return timedelta(seconds=settings.CHUTE_EXPIRY_NOTICE_INTERVAL)


schedule.register("notifications-sweep", sweep, sweep_interval)
schedule.register(
    "expiry-notices", announce_expiring, expiry_interval, counts="expiry notifications written"
)
events.register("notifications", collect_owed)
prune.register("notifications", outbox.to_forget)
