"""Share links to several files: one token, a landing page listing each file, one use per file.

Counting: `max_downloads` is how often *each file* may be fetched through the link, so "3
downloads" on a link to four files lets three people take everything, as a sender expects;
a visit that fetches nothing uses nothing (landing pages count nothing, for single files
too). The link is used up once every file has been fetched that often. Deleting a file takes
it off its links; a link whose files are all gone answers 410 "the shared files were deleted".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from files.errors import InvalidShare, LinkGone, ShareNotFound, UploadNotFound
from files.events import record
from files.models import Share, ShareFile, Upload
from files.shares import single
from files.uploads import downloads

MAX_FILES = 500


def ready_files(owner: User, file_ids: Sequence[str]) -> list[Upload]:
    """The owner's ready files with these ids, once each in the order given; else refused."""
    try:
        wanted = list(dict.fromkeys(uuid.UUID(i) for i in file_ids))
    except (ValueError, AttributeError, TypeError):
        raise UploadNotFound("files must be the ids of your ready files.") from None
    if not wanted:
        raise InvalidShare("files must name at least one file.")
    if len(wanted) > MAX_FILES:
        raise InvalidShare(f"A link can hold at most {MAX_FILES} files.")
    found = {
        upload.pk: upload
        for upload in Upload.objects.filter(owner=owner, status=Upload.Status.READY, pk__in=wanted)
    }
    missing = [key for key in wanted if key not in found]
    if missing:
        raise UploadNotFound(f"There is no ready file of yours with the id {missing[0]}.")
    return [found[key] for key in wanted]


def create(
    owner: User,
    file_ids: Sequence[str],
    *,
    expires_in: int,
    max_downloads: int | None = None,
    password: str = "",
    message: str = "",
    notify: bool | None = False,
) -> single.NewShare:
    """One link to several of the owner's ready files (one id: an ordinary one-file link)."""
    request = single.validate(
        single.ShareRequest(
            expires_in=expires_in, max_downloads=max_downloads, password=password, message=message
        )
    )
    uploads = ready_files(owner, file_ids)
    if len(uploads) == 1:
        return single.create_share(
            uploads[0],
            expires_in=request.expires_in,
            max_downloads=request.max_downloads,
            password=request.password,
            message=request.message,
            notify=notify,
        )
    notify = single.resolve_notify(owner.pk, notify)
    share_id = uuid.uuid4()
    with transaction.atomic():
        share = Share.objects.create(
            id=share_id,
            owner=owner,
            multi=True,
            **single.new_link(share_id),
            message=request.message,
            name=f"{uploads[0].name} and {len(uploads) - 1} more",
            password=make_password(request.password) if request.password else "",
            expires_at=timezone.now() + timedelta(seconds=request.expires_in),
            max_downloads=request.max_downloads,
            notify=notify,
        )
        ShareFile.objects.bulk_create(
            ShareFile(share=share, upload=upload, position=n) for n, upload in enumerate(uploads)
        )
    token = single.token_of(share)
    assert token is not None  # derived just now under SECRET_KEY
    return single.NewShare(share=share, token=token)


def entries(share: Share) -> QuerySet[ShareFile]:
    """The link's files still there, in the order they were shared."""
    return ShareFile.objects.filter(share=share, upload__status=Upload.Status.READY).select_related(
        "upload"
    )


def files_of(share: Share) -> list[Upload]:
    """What a link hands out, in order: its one file, or the several still there."""
    if share.multi:
        return [entry.upload for entry in entries(share)]
    return [share.upload] if share.upload is not None else []


def ensure_open(share: Share, now: datetime | None = None) -> None:
    """A multi-file link is gone once revoked, expired, all its files deleted, or all used up."""
    single.ensure_open(share, now)
    if not share.multi:
        return
    left = entries(share)
    if not left.exists():
        raise LinkGone(share, Share.State.REVOKED)  # the views word it "files deleted"
    if (
        share.max_downloads is not None
        and not left.filter(downloads__lt=share.max_downloads).exists()
    ):
        raise LinkGone(share, Share.State.USED_UP)


def files_were_deleted(share: Share) -> bool:
    return share.multi and share.revoked_at is None and not entries(share).exists()


def claim_file(
    share: Share, upload_id: str, now: datetime | None = None, *, inline: bool = False
) -> str:
    """Count one download of one of the link's files atomically; a presigned GET (≤ 60 s).

    The conditional UPDATE is on the entry's own columns, so PostgreSQL re-checks the count
    against the latest row when concurrent requests queue on its lock (as in claim_download).
    """
    now = now or timezone.now()
    try:
        entry = entries(share).get(upload_id=upload_id)
    except (ShareFile.DoesNotExist, ValueError, ValidationError):
        raise ShareNotFound("This link holds no such file.") from None
    downloads.ensure_servable(entry.upload)  # before the count is taken
    ensure_open(share, now)
    claimed = ShareFile.objects.filter(pk=entry.pk)
    if share.max_downloads is not None:
        claimed = claimed.filter(downloads__lt=share.max_downloads)
    with transaction.atomic():  # the counts and the event commit together
        if not claimed.update(downloads=F("downloads") + 1):
            raise LinkGone(share, Share.State.USED_UP)
        Share.objects.filter(pk=share.pk).update(downloads=F("downloads") + 1, last_download_at=now)
        count = Share.objects.values_list("downloads", flat=True).get(pk=share.pk)
        record.share_downloaded(share, [entry.upload], count)
    return downloads.download_url(entry.upload, inline=inline)
