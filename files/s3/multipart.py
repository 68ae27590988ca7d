"""Multipart uploads: create, list parts, complete, abort, and the uploads left in the bucket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from files.s3.connection import bucket_name, client
from files.s3.errors import ObjectNotFound, UploadNotFound, translated


@dataclass(frozen=True)
class PartInfo:
    number: int
    etag: str
    size: int
    last_modified: datetime | None = None


@dataclass(frozen=True)
class MultipartInfo:
    key: str
    upload_id: str
    initiated: Any  # datetime


def create_multipart(key: str, *, content_type: str, checksums: bool = True) -> str:
    """Start a multipart upload whose parts carry SHA-256 checksums; returns its id.

    `checksums=False` is for Uppy's @uppy/aws-s3, which sends none: its part URLs sign
    each part's length instead.
    """
    params: dict[str, Any] = {"Bucket": bucket_name(), "Key": key, "ContentType": content_type}
    if checksums:
        params["ChecksumAlgorithm"] = "SHA256"
    with translated():
        answer = client().create_multipart_upload(**params)
    return str(answer["UploadId"])


def list_parts(key: str, *, upload_id: str, page_size: int = 1000) -> list[PartInfo]:
    """Every part already in the bucket, following ListParts' pages (1,000 parts at most each)."""
    parts: list[PartInfo] = []
    with translated():
        paginator = client().get_paginator("list_parts")
        pages = paginator.paginate(
            Bucket=bucket_name(),
            Key=key,
            UploadId=upload_id,
            PaginationConfig={"PageSize": page_size},
        )
        for page in pages:
            parts.extend(
                PartInfo(
                    number=int(item["PartNumber"]),
                    etag=item["ETag"].strip('"'),
                    size=int(item["Size"]),
                    last_modified=item.get("LastModified"),
                )
                for item in page.get("Parts", [])
            )
    return parts


def complete_multipart(key: str, *, upload_id: str, parts: list[tuple[int, str, str]]) -> None:
    """Complete from (number, etag, sha256) triples in ascending order."""
    # SeaweedFS's ListParts omits per-part checksums, so the server passes the ones it signed;
    # they are required once the upload was created with ChecksumAlgorithm.
    payload = [
        {"PartNumber": number, "ETag": f'"{etag}"', **({"ChecksumSHA256": sha} if sha else {})}
        for number, etag, sha in parts
    ]
    with translated():
        client().complete_multipart_upload(
            Bucket=bucket_name(),
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": payload},
        )


def abort_multipart(key: str, *, upload_id: str) -> None:
    """Abort a multipart upload; an unknown upload id counts as already aborted."""
    try:
        with translated():
            client().abort_multipart_upload(Bucket=bucket_name(), Key=key, UploadId=upload_id)
    except (UploadNotFound, ObjectNotFound):
        pass


def list_multipart_uploads(prefix: str = "") -> list[MultipartInfo]:
    uploads: list[MultipartInfo] = []
    with translated():
        paginator = client().get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=bucket_name(), Prefix=prefix):
            uploads.extend(
                MultipartInfo(
                    key=item["Key"], upload_id=item["UploadId"], initiated=item.get("Initiated")
                )
                for item in page.get("Uploads", [])
            )
    return uploads
