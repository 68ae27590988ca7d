"""Passwords on links (share links, upload requests): checked and throttled per link and client.

Wrong guesses are limited to PASSWORD_FAILURES per client and link within PASSWORD_WINDOW, and
LINK_PASSWORD_FAILURES per link from all clients together (someone rotating addresses).
Attempts live in the database, so the limit holds across workers and servers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password
from django.db.models import Count, Min, Q
from django.utils import timezone

from files.accounts.throttle import client_id
from files.errors import PasswordRefused, TooManyAttempts
from files.models import Attempt

MAX_PASSWORD_LENGTH = 128
PASSWORD_FAILURES = 5
PASSWORD_WINDOW = timedelta(minutes=15)
LINK_PASSWORD_FAILURES = 50


def format_duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def verify(
    scope: str,
    hashed: str,
    password: str,
    address: str,
    *,
    prompt: str,
    now: datetime | None = None,
) -> None:
    """Check `password` against the `hashed` one of the link named `scope`, throttled.

    Each attempt is recorded *before* counting, so concurrent guesses see one another and at
    most PASSWORD_FAILURES of them reach the hasher; a right password removes its record.
    """
    if not hashed:
        return
    if not password:
        raise PasswordRefused(prompt)
    now = now or timezone.now()
    client = client_id(address)
    attempt = Attempt.objects.create(scope=scope, client=client, created_at=now)
    window_start = now - PASSWORD_WINDOW
    recent = Attempt.objects.filter(scope=scope, created_at__gt=window_start).aggregate(
        mine=Count("pk", filter=Q(client=client)),
        my_oldest=Min("created_at", filter=Q(client=client)),
        total=Count("pk"),
        oldest=Min("created_at"),
    )
    # `mine` includes this attempt: the (PASSWORD_FAILURES + 1)th within the window is refused.
    if recent["mine"] > PASSWORD_FAILURES or recent["total"] > LINK_PASSWORD_FAILURES:
        attempt.delete()
        oldest = recent["my_oldest"] if recent["mine"] > PASSWORD_FAILURES else recent["oldest"]
        raise TooManyAttempts(oldest + PASSWORD_WINDOW, now)
    if len(password) <= MAX_PASSWORD_LENGTH and check_password(password, hashed):
        attempt.delete()
        return
    Attempt.objects.filter(scope=scope, created_at__lte=window_start).delete()
    left = PASSWORD_FAILURES - recent["mine"]
    raise PasswordRefused(
        "That password is not right. "
        + (
            f"{left} more attempt{'s' if left != 1 else ''} before a pause."
            if left
            else f"Wait {format_duration(int(PASSWORD_WINDOW.total_seconds()))} before trying again."
        )
    )
