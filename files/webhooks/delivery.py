"""One attempt at one delivery: claim, sign, POST, record the answer and the next attempt.

The claim is a conditional UPDATE that turns a due row into SENDING with a lease
(`next_attempt_at` = now + LEASE): of two workers handed the same delivery, one sends it. A
worker killed while sending leaves the row SENDING; when the lease ends the sweep hands it
out again, with the same `webhook-id`, so a receiver that saw the first copy can drop the
second. The answer is recorded only by the attempt that still holds the claim.

A 2xx answer is a success. Anything else (another status, a redirect, which is never
followed, a timeout, a refused address) schedules the next attempt after
CHUTE_WEBHOOK_RETRY_DELAYS[n-1] seconds, or gives up (FAILED) after the last.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import urllib3
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from files.models import Delivery, Event
from files.webhooks import signing, targets
from files.webhooks.errors import InvalidWebhook

ANSWER_BYTES = 1024  # read of a receiver's answer, at most


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    succeeded: bool
    status_code: int | None
    error: str
    next_attempt_at: datetime | None  # None: no retry (succeeded or gave up)


def timeout() -> float:
    return float(settings.CHUTE_WEBHOOK_TIMEOUT)


def lease() -> timedelta:
    """How long a claim holds: two connect timeouts, the read timeout, and a margin."""
    return timedelta(seconds=3 * timeout() + 5)


def body(event: Event) -> str:
    # The event's time in UTC, as the spec's example writes it: 2026-12-04T19:21:25.569742Z
    when = event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": event.type, "timestamp": when, "data": event.data}, separators=(",", ":")
    )


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING],
        next_attempt_at__lte=now,
    ).update(
        status=Delivery.Status.SENDING,
        next_attempt_at=now + lease(),
        attempts=F("attempts") + 1,
        last_attempt_at=now,
    )
    if not claimed:
        return None
    # None if the webhook was deleted since (its deliveries went with it).
    return Delivery.objects.select_related("webhook", "event").filter(pk=delivery_id).first()


def post(target: targets.Target, payload: str, headers: dict[str, str]) -> int:
    """POST to the checked addresses, the next when one cannot be reached (TLS and Host for
    the URL's name); the status code."""
    # Two addresses at most (say, IPv6 then IPv4): the claim's lease covers two connects.
    tried = target.addresses[:2]
    for address in tried[:-1]:
        try:
            return post_to(address, target, payload, headers)
        except urllib3.exceptions.NewConnectionError:
            continue
    return post_to(tried[-1], target, payload, headers)


def post_to(address: str, target: targets.Target, payload: str, headers: dict[str, str]) -> int:
    limits = urllib3.Timeout(connect=timeout(), read=timeout())
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=limits,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            ssl_context=ssl.create_default_context(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=limits, retries=False)
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=payload.encode(),
            headers={**headers, "host": target.host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            response.read(ANSWER_BYTES)
        finally:
            response.release_conn()
        return response.status


def error_sentence(error: Exception) -> str:
    """A short description of a failed POST, without the URL (it may hold the receiver's key)."""
    # NewConnectionError is a TimeoutError in urllib3: ask for it first.
    if isinstance(error, urllib3.exceptions.NewConnectionError | ConnectionError):
        return "The connection was refused or could not be made."
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return f"No answer within {timeout():g} seconds."
    if isinstance(error, urllib3.exceptions.SSLError):
        return "The TLS handshake failed (certificate or protocol)."
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return "The connection closed before an answer came."
    return f"The request failed ({type(error).__name__})."


def attempt(delivery_id: int, now: datetime | None = None) -> Outcome | None:
    """Make one attempt if the delivery is due and claimed here; None if it is not ours."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return None
    status_code: int | None = None
    error = ""
    if not delivery.webhook.active:
        error = "The webhook is paused."
    else:
        payload = body(delivery.event)
        try:
            target = targets.resolve(delivery.webhook.url)  # checked again: names move
            headers = signing.headers(delivery.webhook, delivery.event.webhook_id, now, payload)
            status_code = post(target, payload, headers)
        except InvalidWebhook as refused:
            error = refused.message
        except (urllib3.exceptions.HTTPError, OSError) as failed:
            error = error_sentence(failed)
        else:
            if not 200 <= status_code < 300:
                error = f"Answered {status_code}" + (
                    " (a redirect, not followed)." if 300 <= status_code < 400 else "."
                )
    return record(delivery, now, status_code, error)


def record(delivery: Delivery, now: datetime, status_code: int | None, error: str) -> Outcome:
    succeeded = not error
    delays: list[int] = settings.CHUTE_WEBHOOK_RETRY_DELAYS
    next_attempt_at: datetime | None = None
    if succeeded:
        status = Delivery.Status.SUCCEEDED
    elif delivery.attempts <= len(delays):
        status = Delivery.Status.PENDING
        next_attempt_at = timezone.now() + timedelta(seconds=delays[delivery.attempts - 1])
    else:
        status = Delivery.Status.FAILED
    # Only the attempt that still holds the claim records (not one whose lease ran out).
    Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.SENDING, attempts=delivery.attempts
    ).update(
        status=status,
        next_attempt_at=next_attempt_at or now,
        last_status_code=status_code,
        last_error=error[:200],
    )
    return Outcome(delivery.pk, succeeded, status_code, error, next_attempt_at)
