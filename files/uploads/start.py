"""Starting an upload: a PENDING row with a server-chosen key and the presigned request(s).

Single files get one presigned POST (a policy pinning every field) or PUT; files at or above
CHUTE_MULTIPART_THRESHOLD become S3 multipart uploads (files/uploads/multipart.py). The bytes never
pass through Django; confirm (files/uploads/confirm.py) registers what the bucket received.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from files import s3
from files.errors import InvalidUpload, UploadNotFound
from files.models import Upload, UploadRequest
from files.sizes import format_size
from files.uploads import multipart, policy, quotas, resume
from files.uploads.declarations import Declaration


@dataclass(frozen=True)
class Issued:
    """A new PENDING upload with what the client needs to send its bytes (one of the three)."""

    upload: Upload
    post: s3.PresignedPost | None = None
    put: s3.PresignedPut | None = None
    # An unfinished upload of the same file, continued: the client asks which parts it holds.
    resumed: bool = False
    # "Create and sign in one call": the first parts' URLs, when the create call carried them.
    signed: multipart.SignedParts | None = None


def check_first_parts(declared: Declaration, parts: Sequence[tuple[int, str]]) -> None:
    """Refuse, before anything is created, first parts that could never be signed.

    Parts are signed only for a multipart upload; for a file that goes in one request they
    are left unused (a client need not know the server's threshold)."""
    if parts and policy.is_multipart(declared.size):
        multipart.checked_parts(policy.part_plan(declared.size)[1], parts)


def sign_first_parts(issued: Issued, parts: Sequence[tuple[int, str]]) -> Issued:
    """`issued` with the URLs of the parts the create call carried, as `sign_parts` answers
    them, so the client's next call can already be a PUT.

    Only for a new multipart upload. A resumed one is not signed here: its client hashed the
    parts before it knew the upload's plan, and checksums of other parts would overwrite
    those signed for the parts already in the bucket (which it lists first anyway)."""
    if not parts or issued.resumed or issued.upload.method != Upload.Method.MULTIPART:
        return issued
    return dataclasses.replace(issued, signed=multipart.sign_parts(issued.upload, parts))


def single_request_method() -> str:
    method = settings.CHUTE_UPLOAD_METHOD
    return Upload.Method.PUT if method == "put" else Upload.Method.POST


def new_upload(owner: User, declared: Declaration, **fields: Any) -> Upload:
    """An unsaved PENDING upload of `declared`, with a fresh key chosen by the server."""
    upload_id = uuid.uuid4()
    expires_at = timezone.now() + timedelta(seconds=policy.upload_url_ttl())
    return Upload(
        id=upload_id,
        owner=owner,
        key=policy.build_key(owner.pk, upload_id),
        name=declared.name,
        size=declared.size,
        content_type=declared.content_type,
        sha256=declared.sha256,
        last_modified=declared.last_modified,
        folder=declared.folder,
        encrypted=declared.encrypted,
        meta=declared.meta,
        expires_at=expires_at,
        # Once its URL expired, the cleanup looks under its key once (files/lifecycle/sweeps.py).
        sweep_after=expires_at + policy.URL_GRACE,
        **fields,
    )


def start_upload(
    owner: User,
    declared: Declaration,
    *,
    request: UploadRequest | None = None,
    sender_name: str = "",
    guest_key: str = "",
) -> Issued:
    """Register a PENDING upload and presign the request(s) that carry its bytes.

    The same file started again (name, size, type, last_modified) continues its unfinished
    multipart upload. `request` is the upload request a guest sends through: a guest
    continues only their own uploads to it (`guest_key`), never the owner's.
    """
    if policy.is_multipart(declared.size) and declared.sha256:
        # S3 checksums multipart objects part by part (a composite SHA-256), never as a
        # whole: a whole-file SHA-256 could only be registered unchecked.
        raise InvalidUpload(
            "A SHA-256 of the whole file can be checked only for files smaller than "
            f"{format_size(settings.CHUTE_MULTIPART_THRESHOLD)}; larger files are checked "
            "part by part. Leave sha256 out."
        )
    if policy.is_multipart(declared.size):
        unfinished = resume.find_unfinished(owner, declared, request=request, guest_key=guest_key)
        if unfinished:
            return Issued(upload=unfinished, resumed=True)
    ttl = policy.upload_url_ttl()
    upload = new_upload(
        owner,
        declared,
        request=request,
        sender_name=sender_name,
        guest_key=guest_key,
        method=single_request_method(),
    )
    if policy.is_multipart(upload.size):
        return Issued(upload=multipart.start(upload))
    if upload.method == Upload.Method.PUT:
        put = s3.presign_put(
            upload.key,
            content_type=upload.content_type,
            size=upload.size,
            expires_in=ttl,
            sha256=upload.sha256,
        )
        issued = Issued(upload=upload, put=put)
    else:
        post = s3.presign_post(
            upload.key,
            content_type=upload.content_type,
            size=upload.size,
            expires_in=ttl,
            sha256=upload.sha256,
        )
        issued = Issued(upload=upload, post=post)
    # Presigning is local; the row is saved last so a failure leaves nothing behind.
    quotas.save_within_quota(upload)
    return issued


def get_upload(owner: User, upload_id: Any) -> Upload:
    """The owner's upload (any status but a purged one); UploadNotFound otherwise."""
    try:
        return Upload.objects.get(pk=upload_id, owner=owner)
    except (Upload.DoesNotExist, ValueError, ValidationError):  # ValidationError: not a UUID
        raise UploadNotFound() from None


def get_ready(owner: User, upload_id: Any) -> Upload:
    """The owner's READY file; UploadNotFound for anything else."""
    upload = get_upload(owner, upload_id)
    if upload.status != Upload.Status.READY:
        raise UploadNotFound()
    return upload
