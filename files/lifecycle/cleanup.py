"""Remove what uploads leave behind: `python manage.py cleanup_uploads` calls `cleanup()`.

Leftovers are uploads never confirmed (PENDING) or cancelled (ABORTED) with their bytes and
multipart parts, multipart uploads in the bucket that no row knows about, objects under
users/ that no row accounts for (bytes a presigned URL stored after its upload was deleted
or confirmed, a confirm's copy that was never registered) and, with CHUTE_RETENTION_DAYS,
ready files past retention. Safe while uploads are in flight: an upload
is left alone until its presigned URLs have expired plus a grace period, so no byte can land
after its row is gone. Idempotent: every step removes bytes before rows, and deleting what is
already gone succeeds, so an interrupted run is finished by the next one.

A run's cost follows the uploads that could still write, never the number of objects stored:
stale and expired rows by indexed queries, multipart uploads in progress by
ListMultipartUploads, and stray objects by listing only the keys of uploads whose URLs
expired since the last run, of deleted rows, and of unconfirmed ones (sweeps.py says why
that finds everything listing the whole bucket found).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from files import s3
from files.lifecycle import delete, sweeps
from files.models import Upload
from files.uploads import policy, reconcile, uppy

# Covers clock skew between Django and the bucket, a last part still streaming when its URL
# expired, and a confirm that follows the final byte.
GRACE = policy.URL_GRACE
# Chute's keys live under this prefix (policy.build_key); anything else in the bucket,
# such as static/ files, is not ours to clean.
KEY_PREFIX = "users/"


@dataclass
class Leftovers:
    """What a cleanup run found (and, unless it was a dry run, removed)."""

    stale: list[Upload] = field(default_factory=list)
    # Unfinished uploads found whole in the bucket and registered instead of removed.
    registered: list[Upload] = field(default_factory=list)
    orphans: list[s3.MultipartInfo] = field(default_factory=list)
    expired: list[Upload] = field(default_factory=list)
    strays: list[s3.StoredObject] = field(default_factory=list)
    # The keys this run looked under and when to look again (files/lifecycle/sweeps.py).
    swept: sweeps.Swept | None = None

    def __bool__(self) -> bool:
        return bool(self.stale or self.registered or self.orphans or self.expired or self.strays)


def minimum_age() -> timedelta:
    """The youngest an upload can be and still be touched: its URL lifetime plus GRACE."""
    return timedelta(seconds=policy.upload_url_ttl()) + GRACE


def find(
    *, older_than: timedelta | None = None, now: datetime | None = None, everything: bool = False
) -> Leftovers:
    """List the leftovers without changing anything.

    Stray objects are looked for under the keys of the uploads that could have left them
    (sweeps.py); `everything` lists the whole bucket instead.

    `older_than` raises the age an unfinished upload must reach (default: its URL lifetime
    plus GRACE); it can never lower it below the moment its URLs stopped working plus GRACE.
    """
    now = now or timezone.now()
    age = max(older_than or minimum_age(), timedelta(0))
    stale = (
        Upload.objects.filter(
            status__in=[Upload.Status.PENDING, Upload.Status.ABORTED],
            created_at__lt=now - age,
            # Multipart uploads move expires_at forward each time parts are signed.
            expires_at__lt=now - GRACE,
        )
        # An unfinished multipart upload waits for its owner for the whole resume window.
        .exclude(
            status=Upload.Status.PENDING,
            method=Upload.Method.MULTIPART,
            created_at__gte=now - policy.resume_window(),
        )
        .order_by("created_at")
    )

    expired = Upload.objects.none()
    if settings.CHUTE_RETENTION_DAYS > 0:
        kept_since = now - timedelta(days=settings.CHUTE_RETENTION_DAYS)
        expired = Upload.objects.filter(
            Q(confirmed_at__lt=kept_since)
            | Q(confirmed_at__isnull=True, created_at__lt=kept_since),
            status=Upload.Status.READY,
        ).order_by("confirmed_at")

    cutoff = now - max(age, minimum_age())
    if everything:
        strays, swept = _strays(now - minimum_age()), None
    else:
        strays, swept = sweeps.look(now)
    return Leftovers(
        stale=list(stale),
        orphans=_orphans(cutoff),
        expired=list(expired),
        strays=strays,
        swept=swept,
    )


def _orphans(initiated_before: datetime) -> list[s3.MultipartInfo]:
    """Multipart uploads in the bucket that no row records, started before the cut-off.

    A multipart upload is created in the bucket a moment before its row is saved, so young
    ones are skipped; so are those whose start time the bucket does not report.
    """
    in_bucket = [
        info
        for info in s3.list_multipart_uploads(KEY_PREFIX)
        if info.initiated is not None and info.initiated < initiated_before
    ]
    if not in_bucket:
        return []
    known = set(
        Upload.objects.filter(key__in={info.key for info in in_bucket}).values_list(
            "key", "multipart_upload_id"
        )
    )
    return [info for info in in_bucket if (info.key, info.upload_id) not in known]


def _strays(written_before: datetime) -> list[s3.StoredObject]:
    """Every object under users/ that no row accounts for, written before the cut-off.

    Lists the whole bucket: `cleanup(everything=True)` only (`cleanup_uploads --everything`),
    for objects no key of sweeps.py leads to (put there by hand, or before sweeps existed).
    """
    found: list[s3.StoredObject] = []
    for page in s3.list_objects(KEY_PREFIX):
        found += sweeps.judge({i.key: i for i in page if i.last_modified < written_before})[0]
    return found


def cleanup(
    *,
    older_than: timedelta | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    everything: bool = False,
) -> Leftovers:
    """Find the leftovers and, unless `dry_run`, remove them with their bytes.

    Raises s3.StorageUnavailable when the bucket stops answering; what was removed stays
    removed and the next run carries on.
    """
    if not dry_run:
        # Uppy's single-request uploads tell Chute nothing when they land: register those
        # that did before anything pending is treated as left behind.
        uppy.confirm_landed(limit=1000)
    found = find(older_than=older_than, now=now, everything=everything)
    for upload in resting(now or timezone.now()):
        # Within the resume window: complete it if every part arrived, else leave it be.
        if reconcile.settle(upload, dry_run=dry_run):
            found.registered.append(upload)
    for upload in list(found.stale):
        # Finished bytes are registered, not deleted: ask the bucket before removing.
        if upload.status == Upload.Status.PENDING and reconcile.settle(upload, dry_run=dry_run):
            found.stale.remove(upload)
            found.registered.append(upload)
    if dry_run:
        return found
    for upload in found.stale:
        # Hide it first with the same conditional UPDATE confirm uses: if a confirm won the
        # race, the file is READY and its bytes stay.
        hidden = Upload.objects.filter(
            pk=upload.pk, status__in=[Upload.Status.PENDING, Upload.Status.ABORTED]
        ).update(status=Upload.Status.ABORTED, updated_at=timezone.now())
        if hidden:
            _purge(upload)
    for info in found.orphans:
        s3.abort_multipart(info.key, upload_id=info.upload_id)
    for upload in found.expired:
        _purge(upload)
    for item in found.strays:
        s3.delete(item.key)
    if found.swept is not None:
        sweeps.forget(found.swept)  # after the deletes: an interrupted run looks again
    return found


def resting(now: datetime) -> list[Upload]:
    """Unfinished multipart uploads within their resume window whose URLs have expired."""
    return list(
        Upload.objects.filter(
            status=Upload.Status.PENDING,
            method=Upload.Method.MULTIPART,
            created_at__gte=now - policy.resume_window(),
            expires_at__lt=now - GRACE,
        ).order_by("created_at")[:1000]
    )


def _purge(upload: Upload) -> None:
    # Deleting clears the instance's pk; the report keeps the one it found.
    delete.purge(copy.copy(upload))
