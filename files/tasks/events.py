"""Taking recorded events in: one task per transaction that records events, whoever acts on them.

Packages that act on events register how they take them in (`register`): the webhooks' fan-out
(files/webhooks/tasks.py) and the notifications' collection (files/notifications/tasks.py).
`on_recorded`, connected to `files.events.recorded` by files/apps.py, enqueues `take_in` once,
so a request that records events (a confirm, a counted download) pays one enqueue, an INSERT
on the database queue, however many packages act on them. `take_in` runs every registered
step, each on its own: one that fails keeps none of the others from running, and its
package's periodic sweep takes in what it left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django_tasks import task

logger = logging.getLogger(__name__)

STEPS: dict[str, Callable[[], int]] = {}


def register(name: str, step: Callable[[], int]) -> None:
    """`step` takes in the events its package has not yet taken in; how many it handled."""
    STEPS[name] = step


@task()
def take_in() -> dict[str, int]:
    """Run every registered step; what each handled. Raises the first failure after the rest ran."""
    handled: dict[str, int] = {}
    failure: Exception | None = None
    for name, step in STEPS.items():
        try:
            handled[name] = step()
        except Exception as error:
            logger.exception("Taking in events failed for %s; its sweep will.", name)
            failure = failure or error
    if failure is not None:
        raise failure
    return handled


def on_recorded(sender: Any, events: list[Any], **kwargs: Any) -> None:
    """`files.events.recorded`: take them in soon. Never fails the request that recorded them:
    if the queue is down, the sweeps take them in later."""
    try:
        take_in.enqueue()
    except Exception:
        logger.exception(
            "Could not enqueue the taking in of %d events; the sweeps will.", len(events)
        )
