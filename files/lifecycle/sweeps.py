"""Bytes no row accounts for, found by the uploads that could have left them, not by the bucket.

Until 2026-12 every cleanup run listed every object under users/ and asked which ones a row
accounts for: its cost grew with the number of files stored, although almost every object it
listed was a confirmed file that could not be a leftover. What that listing found, and nothing
else found, were objects at keys whose upload could no longer explain them:

1. bytes a presigned POST or PUT sent after its upload was confirmed (the upload key, once the
   file lives at its confirmed copy) or after its row was deleted (S3 cannot revoke a URL);
2. a confirm's copy (`<key>.<hex>`) that was never registered: the process died, or the
   database failed, between the CopyObject and the UPDATE that points the row at it;
3. a thumbnail POSTed but never confirmed, or one of a file that is not READY;
4. every object of a row deleted without its bytes (an account deleted, cascading to its
   uploads; a row deleted in the admin).

Each of these is under one upload's key: the upload key itself, its confirmed copies
`<key>.<hex>` and its thumbnail `<key>.thumb` all start with the key (`policy.build_key`:
`users/<owner>/<32 hex>`, so one key is never the prefix of another's). And each can only
appear while something could write there: a URL issued for the key (until it expires, plus
GRACE), or a confirm in progress. So the cleanup keeps a list of the keys to look under, and
lists each key's prefix once (one ListObjectsV2 of a few objects), instead of the bucket:

- `Upload.sweep_after`: set when a URL is issued for the key (a single-request upload's POST
  or PUT, a thumbnail's POST), to the moment that URL has expired plus GRACE. Multipart uploads
  get none: their part URLs write no object, and only Django completes them.
- `DeletedUpload`: written whenever an Upload row is deleted, by whatever deleted it (a
  `post_delete` receiver, so cascades and the admin count), due when the row's URLs expired
  plus GRACE (or at once).

A due key is judged as the full listing judged it (`judge`: a row's confirmed file is kept, its
upload key while it is not READY or while its confirmed copy is missing, a READY file's
confirmed thumbnail; anything else written before the cut-off goes), and then forgotten, unless
something could still appear or change there; then it is looked at again later:

- a URL of the upload may still write (its expiry moved), or an object under the key is younger
  than the cut-off (URL lifetime plus GRACE): again once the cut-off passes it;
- the row is PENDING or ABORTED with a single-request URL (a late confirm may still copy; if
  the row is purged instead, its DeletedUpload takes over): again a URL lifetime later;
- a READY file's upload key was kept because its confirmed copy is missing: again at every
  run (an operator may restore the copy; the upload key is then spare).

What is not covered: objects put under users/ by hand, or by anything but Chute's URLs, and
keys of rows from before this change (`sweep_after` empty). `cleanup_uploads --everything`
still lists the whole bucket for those, once after upgrading or after an operator's repair.
Multipart uploads in progress are still found by ListMultipartUploads, whose cost follows the
uploads in progress, not the objects stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from files import s3
from files.models import DeletedUpload, Upload
from files.uploads import policy, thumbnails

GRACE = policy.URL_GRACE
# Keys looked at per run, of each kind; the rest wait for the next run (oldest first).
PER_RUN = 1000


def minimum_age() -> timedelta:
    return timedelta(seconds=policy.upload_url_ttl()) + GRACE


def remember_deleted(sender: Any, instance: Upload, **kwargs: Any) -> None:
    """`post_delete` receiver: keep a deleted upload's key until no URL can write under it."""
    from django.utils import timezone

    now = timezone.now()
    due = max(instance.expires_at, now) + GRACE if instance.expires_at else now
    DeletedUpload.objects.create(key=instance.key, sweep_after=due)


@dataclass
class Swept:
    """The keys a run looked under, and when to look again (None: never)."""

    uploads: dict[str, datetime | None]
    deleted: dict[str, datetime | None]


def due(now: datetime) -> tuple[list[str], list[str]]:
    """Upload keys, then deleted uploads' keys, whose time to be looked at has come."""
    uploads = Upload.objects.filter(sweep_after__lte=now).order_by("sweep_after")
    deleted = DeletedUpload.objects.filter(sweep_after__lte=now).order_by("sweep_after")
    return (
        list(uploads.values_list("key", flat=True)[:PER_RUN]),
        list(deleted.values_list("key", flat=True).distinct()[:PER_RUN]),
    )


def look(now: datetime) -> tuple[list[s3.StoredObject], Swept]:
    """List the due keys' prefixes, judge what is there, decide when to look again."""
    cutoff = now - minimum_age()
    upload_keys, deleted_keys = due(now)
    stored: dict[str, list[s3.StoredObject]] = {}
    for key in {*upload_keys, *deleted_keys}:
        stored[key] = [item for page in s3.list_objects(key) for item in page]
    old = {
        item.key: item for items in stored.values() for item in items if item.last_modified < cutoff
    }
    strays, kept_for_missing_copy = judge(old)
    rows = {
        row.key: row
        for row in Upload.objects.filter(key__in=upload_keys).only(
            "key", "status", "method", "expires_at"
        )
    }
    swept = Swept(uploads={}, deleted={})
    for key in upload_keys:
        swept.uploads[key] = _again(rows.get(key), stored[key], kept_for_missing_copy, now)
    for key in deleted_keys:
        swept.deleted[key] = _again(None, stored[key], kept_for_missing_copy, now)
    return strays, swept


def _again(
    row: Upload | None, stored: list[s3.StoredObject], kept: set[str], now: datetime
) -> datetime | None:
    later = [
        item.last_modified + minimum_age()
        for item in stored
        if item.last_modified + minimum_age() > now
    ]
    if row is not None and row.method != Upload.Method.MULTIPART:
        url_dies = row.expires_at + GRACE
        if url_dies > now:
            later.append(url_dies)
        if row.status != Upload.Status.READY:
            later.append(now + minimum_age())
    if row is not None and row.key in kept:
        later.append(now)  # every run, until the copy is back: rare, and worth watching
    return max(later) if later else None


def forget(swept: Swept) -> None:
    """Record a run's decisions: looked at again later, or never."""
    done = [key for key, when in swept.uploads.items() if when is None]
    Upload.objects.filter(key__in=done).update(sweep_after=None)
    for key, when in swept.uploads.items():
        if when is not None:
            Upload.objects.filter(key=key).update(sweep_after=when)
    DeletedUpload.objects.filter(
        key__in=[key for key, when in swept.deleted.items() if when is None]
    ).delete()
    for key, when in swept.deleted.items():
        if when is not None:
            DeletedUpload.objects.filter(key=key).update(sweep_after=when)


def judge(old: dict[str, s3.StoredObject]) -> tuple[list[s3.StoredObject], set[str]]:
    """Which of `old` (objects under users/ written before the cut-off) no row accounts for.

    A row accounts for its confirmed file (`file`), until it is READY for its upload key, and
    while it is READY for its confirmed thumbnail. Any other object was stored by a URL whose
    upload was deleted or confirmed, or is a confirm's copy that was never registered. Also
    answers the READY files' upload keys kept only because their confirmed copy is missing.
    """
    if not old:
        return [], set()
    accounted = set(Upload.objects.filter(file__in=old).values_list("file", flat=True))
    kept_for_missing_copy: set[str] = set()
    # A thumbnail is found by its upload's key (unique, indexed): no query of its own.
    owners = {thumbnails.upload_key_of(key) for key in old} - {None}
    for key, status, file, thumbnail in Upload.objects.filter(
        Q(key__in=old.keys() | owners)
    ).values_list("key", "status", "file", "thumbnail"):
        # A READY file's confirmed thumbnail stays; an unconfirmed one, or any of a file
        # that is not READY, goes with the strays.
        if thumbnail and status == Upload.Status.READY:
            accounted.add(thumbnail)
        if key not in old:
            continue
        # A READY file's upload key is spare once its confirmed copy is in the bucket;
        # were the copy missing, the upload key may hold the only bytes left.
        if key in accounted:
            continue  # a multipart upload's file is its upload key
        if status != Upload.Status.READY:
            accounted.add(key)
        elif not s3.exists(file):
            accounted.add(key)
            kept_for_missing_copy.add(key)
    return [item for key, item in old.items() if key not in accounted], kept_for_missing_copy
