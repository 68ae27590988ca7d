"""Objects in the bucket: what the bucket says about one (head), copy, delete, small puts and
gets, and listings by prefix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from files.s3.connection import bucket_name, client
from files.s3.errors import ObjectNotFound, translated


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    etag: str
    checksum_sha256: str
    content_encoding: str = ""


def head(key: str) -> ObjectInfo:
    """What the bucket says about `key`; raises ObjectNotFound when it is not there."""
    with translated():
        answer = client().head_object(Bucket=bucket_name(), Key=key, ChecksumMode="ENABLED")
    return ObjectInfo(
        size=int(answer["ContentLength"]),
        content_type=answer.get("ContentType", ""),
        etag=answer.get("ETag", "").strip('"'),
        checksum_sha256=answer.get("ChecksumSHA256", ""),
        content_encoding=answer.get("ContentEncoding", ""),
    )


def exists(key: str) -> bool:
    """Whether the bucket holds `key` (one HEAD)."""
    try:
        head(key)
    except ObjectNotFound:
        return False
    return True


def copy(source: str, target: str, *, if_match: str, content_type: str) -> None:
    """Copy `source` to `target` inside the bucket, only while `source` still has ETag `if_match`.

    The copy's metadata is Chute's alone (REPLACE: the declared type, no encoding or other
    headers a client may have smuggled in), and S3 computes its SHA-256 (AWS does for
    CopyObject with a checksum algorithm; SeaweedFS keeps none). Raises ObjectChanged when
    the source was overwritten since it was checked, ObjectNotFound when it is gone.
    """
    with translated():
        client().copy_object(
            Bucket=bucket_name(),
            Key=target,
            CopySource={"Bucket": bucket_name(), "Key": source},
            CopySourceIfMatch=f'"{if_match}"',
            MetadataDirective="REPLACE",
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
        )


def delete(key: str) -> None:
    """Delete `key`; deleting a missing key succeeds."""
    with translated():
        client().delete_object(Bucket=bucket_name(), Key=key)


def put_bytes(key: str, body: bytes, *, content_type: str = "application/octet-stream") -> None:
    """Store a small object directly (used by tooling and tests, never for user uploads)."""
    with translated():
        client().put_object(Bucket=bucket_name(), Key=key, Body=body, ContentType=content_type)


def get_bytes(key: str) -> bytes:
    with translated():
        return client().get_object(Bucket=bucket_name(), Key=key)["Body"].read()


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


def list_objects(prefix: str) -> Iterator[list[StoredObject]]:
    """The objects under `prefix`, one ListObjectsV2 page (up to 1,000) at a time."""
    with translated():
        paginator = client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket_name(), Prefix=prefix):
            yield [
                StoredObject(
                    key=item["Key"], size=int(item["Size"]), last_modified=item["LastModified"]
                )
                for item in page.get("Contents", [])
            ]


def list_keys(prefix: str) -> list[str]:
    keys: list[str] = []
    with translated():
        paginator = client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket_name(), Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys
