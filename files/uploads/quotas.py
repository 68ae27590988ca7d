"""Per-user storage quotas: ready files plus the space pending uploads have reserved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from files.errors import QuotaExceeded
from files.models import Upload
from files.sizes import format_size
from files.uploads import policy


def usage(owner_id: Any) -> int:
    """Bytes counted against the owner: READY files and uploads whose URLs still work.

    A deleted upload whose URL still works stays counted (its row is kept, ABORTED, until
    then): S3 cannot revoke the URL, which could otherwise park bytes outside the quota.
    An expired upload can no longer receive bytes, so it stops reserving space even before
    the cleanup command removes it; an unfinished multipart upload keeps its reservation for
    the whole resume window (CHUTE_RESUME_DAYS), since its URLs are signed again on demand.
    """
    counted = Upload.objects.filter(owner_id=owner_id).filter(reserving())
    return counted.aggregate(total=Sum("size"))["total"] or 0


def reserving(now: datetime | None = None) -> Q:
    """The uploads that hold space (see `usage`); upload requests count their limits alike."""
    now = now or timezone.now()
    return (
        Q(status=Upload.Status.READY)
        | Q(
            status__in=[Upload.Status.PENDING, Upload.Status.ABORTED],
            expires_at__gt=now,
        )
        | Q(
            status=Upload.Status.PENDING,
            method=Upload.Method.MULTIPART,
            created_at__gt=now - policy.resume_window(),
        )
    )


def save_within_quota(upload: Upload) -> None:
    """Insert a new PENDING `upload`, or raise QuotaExceeded when it does not fit.

    The owner's row is locked around the check and the insert, so two uploads started at
    once cannot both fit in the space that is left (PostgreSQL; SQLite serialises writers).
    """
    quota = settings.CHUTE_USER_QUOTA
    if quota <= 0:
        upload.save(force_insert=True)
        return
    with transaction.atomic():
        get_user_model().objects.select_for_update().only("pk").get(pk=upload.owner_id)
        used = usage(upload.owner_id)
        if used + upload.size > quota:
            raise QuotaExceeded(_refusal(upload.size, used, quota))
        upload.save(force_insert=True)


def _refusal(size: int, used: int, quota: int) -> str:
    if size > quota:
        return (
            f"This file is {format_size(size)}, more than your whole storage quota of "
            f"{format_size(quota)}."
        )
    return (
        f"This file is {format_size(size)}, but only {format_size(max(quota - used, 0))} of "
        f"your {format_size(quota)} quota is free. Delete some files and try again."
    )
