"""When to try again, and how long to wait: exponential backoff with jitter.

Jitter spreads the retries of parallel workers (and of many clients after an outage) so they
do not hit the bucket in the same instant (AWS Architecture Blog, "Exponential Backoff and
Jitter").
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

# The codes S3 answers when a body does not match the checksum signed for it: the bytes read
# were not the bytes hashed (the file changed, or they were damaged on the way).
DIGEST_ERRORS = ("BadDigest", "XAmzContentChecksumMismatch", "InvalidDigest")
_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")


class Action(enum.Enum):
    DONE = "done"
    RETRY = "retry"  # the network or the server failed; the same request may work later
    RESIGN = "resign"  # the URL expired (or was refused): sign a new one
    REREAD = "reread"  # the body did not match its checksum: read the bytes again
    FAIL = "fail"  # trying again would not help


def s3_error_code(body: str) -> str:
    """The `<Code>` of an S3 XML error body, or ''."""
    match = _CODE.search(body)
    return match[1] if match else ""


def bucket_action(status: int, body: str = "") -> Action:
    """What to do after the bucket answered `status` (with an XML error `body`)."""
    if 200 <= status < 300:
        return Action.DONE
    if status == 403:
        return Action.RESIGN
    if status == 400 and s3_error_code(body) in DIGEST_ERRORS:
        return Action.REREAD
    if status in (408, 429) or status >= 500:
        return Action.RETRY
    return Action.FAIL


def server_should_retry(status: int) -> bool:
    """Chute answered `status`: worth another try (it is restarting or the bucket is down)?"""
    return status in (429, 502, 503, 504)


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; waits double from `base` seconds up to `cap`, half of it random."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed try number `attempt` (1 for the first)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2
