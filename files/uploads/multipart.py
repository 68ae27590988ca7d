"""Multipart uploads: part sizing, signing part URLs in batches, listing, completing, resuming.

S3 calls go through files/s3.py; confirm (files/uploads/confirm.py) registers the assembled object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import DateTimeField, F, Func, JSONField, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from files import s3
from files.errors import (
    ChuteError,
    InvalidUpload,
    NotMultipart,
    NotUploaded,
    PartsMismatch,
    UploadClosed,
    UploadGone,
)
from files.models import Upload
from files.uploads import policy, quotas
from files.uploads.confirm import confirm
from files.uploads.declarations import normalize_sha256


def start(upload: Upload, *, plan: tuple[int, int] | None = None, checksums: bool = True) -> Upload:
    """Create the multipart upload in the bucket, then save its PENDING row within quota.

    `plan` (part size, part count) defaults to Chute's own; Uppy's uploads bring Uppy's and
    carry no per-part checksums (files/uploads/uppy.py).
    """
    upload.method = Upload.Method.MULTIPART
    upload.sweep_after = None  # its part URLs write no object; only completing it does
    upload.part_size, upload.part_count = plan or policy.part_plan(upload.size)
    upload.multipart_upload_id = s3.create_multipart(
        upload.key, content_type=upload.content_type, checksums=checksums
    )
    try:
        quotas.save_within_quota(upload)
    except ChuteError:
        # Refused, so no row: nothing would ever abort it; do it now rather than wait.
        s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)
        raise
    # Any other failure may come after the INSERT committed: the multipart upload stays, and
    # the cleanup aborts it once it is old enough if no row records it (cleanup._orphans).
    return upload


def expected_part_size(upload: Upload, number: int) -> int:
    """Bytes in part `number` of this upload."""
    assert upload.part_size and upload.part_count
    return policy.part_length(upload.size, upload.part_size, upload.part_count, number)


def _require_open_multipart(upload: Upload) -> None:
    if upload.method != Upload.Method.MULTIPART or not upload.multipart_upload_id:
        raise NotMultipart()
    if upload.status == Upload.Status.ABORTED:
        raise UploadClosed()
    if upload.status == Upload.Status.READY:
        raise UploadClosed("This upload is already complete; its parts cannot change.")


def checked_parts(count: int, parts: Sequence[tuple[int, str]]) -> dict[str, str]:
    """A batch of (number, SHA-256) parts of an upload of `count` parts, as the row keeps them
    ({"<n>": base64}); InvalidUpload with a sentence for a batch that cannot be signed."""
    if not parts:
        raise InvalidUpload("Ask for at least one part.")
    if len(parts) > policy.MAX_PARTS_PER_SIGN:
        raise InvalidUpload(f"Ask for at most {policy.MAX_PARTS_PER_SIGN} parts at a time.")
    checksums: dict[str, str] = {}
    for raw_number, raw_sha256 in parts:
        number = _part_number(count, raw_number)
        if str(number) in checksums:
            raise InvalidUpload(f"Part {number} is listed twice.")
        if not raw_sha256:
            raise InvalidUpload(f'Part {number} needs its SHA-256 (base64) as "sha256".')
        checksums[str(number)] = normalize_sha256(raw_sha256)
    return checksums


def _part_number(count: int, number: int) -> int:
    if not 1 <= number <= count:
        raise InvalidUpload(
            f"Part {number} does not exist: this upload has parts 1 to {count}."
            if count > 1
            else f"Part {number} does not exist: this upload has only part 1."
        )
    return number


@dataclass(frozen=True)
class SignedParts:
    """Part URLs by number, and when they stop working."""

    urls: dict[int, str]
    expires_at: datetime


def sign_parts(upload: Upload, parts: Sequence[tuple[int, str]]) -> SignedParts:
    """Presigned UploadPart URLs for a batch of (number, SHA-256) parts, checksums signed in.

    The checksums are kept on the row: CompleteMultipartUpload needs them, and
    S3-compatible stores may leave them out of ListParts.
    """
    _require_open_multipart(upload)
    checksums = checked_parts(upload.part_count or 0, parts)

    ttl = policy.upload_url_ttl()
    urls = s3.presign_parts(
        upload.key,
        upload_id=upload.multipart_upload_id,
        parts=[
            # Signed length: a part can never be larger (or smaller) than planned.
            s3.PartToSign(int(number), sha256=sha256, size=expected_part_size(upload, int(number)))
            for number, sha256 in checksums.items()
        ],
        expires_in=ttl,
    )
    resigned = {
        number: True
        for number, sha256 in checksums.items()
        if upload.part_checksums.get(number, sha256) != sha256
    }
    now = timezone.now()
    expires_at = now + timedelta(seconds=ttl)
    # One UPDATE merges this batch's checksums into the row's: batches signed concurrently
    # queue on the row and each merges into the other's result, so none is dropped.
    merged = Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
        part_checksums=JSONMerge(F("part_checksums"), Value(checksums, JSONField())),
        resigned_parts=JSONMerge(F("resigned_parts"), Value(resigned, JSONField())),
        # The upload stays alive while the browser keeps signing parts.
        expires_at=Greatest(F("expires_at"), Value(expires_at, DateTimeField())),
        updated_at=now,
    )
    if not merged:
        raise UploadClosed()
    upload.part_checksums = {**upload.part_checksums, **checksums}
    upload.resigned_parts = {**upload.resigned_parts, **resigned}
    upload.expires_at = max(upload.expires_at, expires_at)
    return SignedParts(urls=urls, expires_at=expires_at)


class JSONMerge(Func):
    """Merge a JSON object's keys into another's, in the database: `a || b` on PostgreSQL."""

    function = "JSON_MERGE_PATCH"  # MySQL and MariaDB
    arity = 2
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" || ", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_PATCH", **extra)


def uploaded_parts(upload: Upload, etags: dict[int, str] | None = None) -> list[s3.PartInfo]:
    """The parts already in the bucket, one per number, for resuming (ListParts, every page)."""
    _require_open_multipart(upload)
    try:
        listed = s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)
    except s3.UploadNotFound:
        raise UploadGone() from None
    return latest_copies(listed, etags or {})


@dataclass(frozen=True)
class StoredPart:
    """A part in the bucket with the SHA-256 signed for it (to check before skipping it)."""

    number: int
    etag: str
    size: int
    sha256: str | None


def stored_parts(upload: Upload) -> list[StoredPart]:
    """The parts in the bucket, each with the SHA-256 signed for it.

    A part signed again with other bytes may hold either copy: it is reported with no
    checksum, so the client sends it again rather than trust the wrong one.
    """
    signed = {
        number: sha256
        for number, sha256 in upload.part_checksums.items()
        if number not in upload.resigned_parts
    }
    return [
        StoredPart(part.number, part.etag, part.size, signed.get(str(part.number)))
        for part in uploaded_parts(upload)
    ]


def latest_copies(listed: Sequence[s3.PartInfo], etags: dict[int, str]) -> list[s3.PartInfo]:
    """Each part number once: the copy sent last, as S3 keeps it.

    SeaweedFS lists a part sent twice twice, in no fixed order, with LastModified in whole
    seconds. The later copy wins; between copies of the same second, the one whose ETag the
    client names (it holds the answer to its last send). A tie nothing settles leaves the
    part out, so the client sends it again rather than trust a copy it did not mean.
    """
    by_number: dict[int, list[s3.PartInfo]] = {}
    for part in listed:
        by_number.setdefault(part.number, []).append(part)
    chosen: list[s3.PartInfo] = []
    for number in sorted(by_number):
        copies = sorted(by_number[number], key=lambda part: _rank(part, etags), reverse=True)
        best = copies[0]
        tied = [part for part in copies[1:] if _rank(part, etags) == _rank(best, etags)]
        if all(part.etag == best.etag for part in tied):
            chosen.append(best)
    return chosen


def _rank(part: s3.PartInfo, etags: dict[int, str]) -> tuple[float, bool]:
    stamp = part.last_modified.timestamp() if part.last_modified else 0.0
    return (stamp, etags.get(part.number) == part.etag)


def complete(upload: Upload, parts: Sequence[tuple[int, str]]) -> Upload:
    """Check the browser's part list against ListParts, complete, then confirm.

    Every refusal happens before CompleteMultipartUpload and leaves the parts in the bucket,
    so the browser can send what is missing and complete again.
    """
    if upload.status == Upload.Status.READY:
        return confirm(upload)  # checks that the bytes are still there
    _require_open_multipart(upload)
    if not parts:
        raise InvalidUpload("List every part with the ETag the bucket answered for it.")
    etags: dict[int, str] = {}
    for raw_number, etag in parts:
        number = _part_number(upload.part_count or 0, raw_number)
        if number in etags:
            raise InvalidUpload(f"Part {number} is listed twice.")
        if not etag.strip('" '):
            raise InvalidUpload(f'Part {number} needs the ETag the bucket answered, as "etag".')
        etags[number] = etag.strip('" ')
    missing = [n for n in range(1, (upload.part_count or 0) + 1) if n not in etags]
    if missing:
        raise PartsMismatch(f"The list leaves out {_numbers(missing)}; send every part.")

    try:
        stored = {part.number: part for part in uploaded_parts(upload, etags)}
    except UploadGone:
        # A concurrent complete may have assembled the object already; confirm decides.
        return _confirm_completed(upload)
    absent = [n for n in etags if n not in stored]
    if absent:
        raise PartsMismatch(
            f"The bucket does not hold {_numbers(absent)} yet; upload it, then complete again."
        )
    wrong = [n for n, etag in etags.items() if stored[n].etag != etag]
    if wrong:
        raise PartsMismatch(
            f"The ETag given for {_numbers(wrong)} differs from the bucket's; "
            "list the parts again (GET …/parts) and complete with their ETags."
        )
    short = [n for n in etags if stored[n].size != expected_part_size(upload, n)]
    if short:
        raise PartsMismatch(
            f"{_numbers(short).capitalize()} in the bucket has the wrong size; "
            "upload it again, then complete."
        )
    unsigned = [n for n in etags if str(n) not in upload.part_checksums]
    if unsigned:
        raise PartsMismatch(f"{_numbers(unsigned).capitalize()} was never signed by Chute.")

    try:
        s3.complete_multipart(
            upload.key,
            upload_id=upload.multipart_upload_id,
            parts=[(n, stored[n].etag, upload.part_checksums[str(n)]) for n in sorted(etags)],
        )
    except s3.InvalidParts as error:
        raise PartsMismatch(f"The bucket refused to assemble the parts: {error}") from None
    except s3.UploadNotFound:
        return _confirm_completed(upload)
    return confirm(upload)


def _confirm_completed(upload: Upload) -> Upload:
    try:
        return confirm(upload)
    except NotUploaded:
        raise UploadGone() from None


def _numbers(numbers: list[int]) -> str:
    ordered = sorted(numbers)
    shown = ", ".join(str(n) for n in ordered[:10]) + (" …" if len(ordered) > 10 else "")
    return f"part {shown}" if len(ordered) == 1 else f"parts {shown}"
