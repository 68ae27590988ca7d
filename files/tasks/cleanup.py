"""The cleanup as a task: what `manage.py cleanup_uploads` does, run by the worker."""

from __future__ import annotations

from datetime import timedelta

from files.lifecycle import cleanup
from files.tasks.retry import Backoff, retried_task


def run_cleanup() -> dict[str, int]:
    """Run the cleanup once and count what it did, by kind."""
    found = cleanup.cleanup()
    return {
        "registered": len(found.registered),
        "stale": len(found.stale),
        "orphans": len(found.orphans),
        "expired": len(found.expired),
        "strays": len(found.strays),
    }


# The bucket being down is the usual failure: try again for about an hour.
@retried_task(Backoff(attempts=6, first=timedelta(minutes=2), cap=timedelta(minutes=30)))
def settle_and_clean() -> dict[str, int]:
    """Register uploads whose bytes all landed and remove what uploads left behind.

    Idempotent by nature (see the cleanup's docstring): bytes go before rows, deleting what is
    gone succeeds, and a second run finds nothing the first removed.
    """
    return run_cleanup()
