"""Presigned uploads: POST policies, PUT URLs and UploadPart URLs (one, or a batch of parts).

Every URL is signed by `connection.presign_client()`, for the endpoint browsers reach, and
lives no longer than SigV4 allows (`limits.lifetime`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from files.s3.connection import bucket_name, presign_client
from files.s3.limits import lifetime
from files.s3.sigv4 import part_signer


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class PresignedPut:
    url: str
    headers: dict[str, str]


def presign_post(
    key: str,
    *,
    content_type: str,
    size: int,
    expires_in: int,
    sha256: str = "",
    exact: bool = True,
) -> PresignedPost:
    """A POST policy that pins key, Content-Type and status and allows exactly `size` bytes.

    With `sha256`, the checksum fields are pinned too, so the bucket refuses other bytes
    (SeaweedFS answers BadDigest); confirm still checks what the bucket recorded. With
    `exact=False` (Uppy's uploads of undeclared size) it allows 1 to `size` bytes instead.
    """
    fields = {"Content-Type": content_type, "success_action_status": "201"}
    if sha256:
        fields |= {"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-sha256": sha256}
    conditions: list[Any] = [
        ["eq", "$key", key],
        *(["eq", f"${name}", value] for name, value in fields.items()),
        ["content-length-range", size if exact else 1, size],
    ]
    answer = presign_client().generate_presigned_post(
        Bucket=bucket_name(),
        Key=key,
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=lifetime(expires_in),
    )
    return PresignedPost(url=answer["url"], fields=answer["fields"])


def presign_put(
    key: str, *, content_type: str, size: int, expires_in: int, sha256: str = ""
) -> PresignedPut:
    """A PUT URL that signs content-length and content-type (and the SHA-256 when given)."""
    params: dict[str, Any] = {
        "Bucket": bucket_name(),
        "Key": key,
        "ContentType": content_type,
        "ContentLength": size,
    }
    headers = {"Content-Type": content_type}
    if sha256:
        params["ChecksumSHA256"] = sha256
        headers["x-amz-checksum-sha256"] = sha256
    url = presign_client().generate_presigned_url(
        "put_object", Params=params, ExpiresIn=lifetime(expires_in)
    )
    return PresignedPut(url=url, headers=headers)


def presign_part(
    key: str, *, upload_id: str, number: int, sha256: str, expires_in: int, size: int | None = None
) -> str:
    """An UploadPart URL with the part's SHA-256 (and length) signed in: other bodies are refused.

    The checksum alone lets a client sign a body of any length; `size` signs content-length,
    so no part in the bucket can be larger than planned. An empty `sha256` signs none (Uppy's
    parts carry none; companion.py signs their length instead).
    """
    params: dict[str, Any] = {
        "Bucket": bucket_name(),
        "Key": key,
        "UploadId": upload_id,
        "PartNumber": number,
    }
    if size is not None:
        params["ContentLength"] = size
    if sha256:
        params["ChecksumSHA256"] = sha256
    return presign_client().generate_presigned_url(
        "upload_part", Params=params, ExpiresIn=lifetime(expires_in)
    )


@dataclass(frozen=True)
class PartToSign:
    """One part of a batch: its number, its SHA-256 (base64) and its exact length, all signed."""

    number: int
    sha256: str
    size: int

    def __post_init__(self) -> None:
        if not self.sha256:
            raise ValueError(f"Part {self.number} has no SHA-256: presign_part signs such parts.")


def presign_parts(
    key: str, *, upload_id: str, parts: Sequence[PartToSign], expires_in: int
) -> dict[int, str]:
    """UploadPart URLs for a batch of parts, the same URLs `presign_part` signs, cheaper.

    botocore builds one request for the batch and `sigv4.PartSigner` signs each part from it
    (see files/s3/sigv4.py). tests/unit/test_s3.py proves the URLs equal `presign_part`'s
    byte for byte (with and without a session token); tests/integration/test_s3_presign.py
    proves the bucket takes and refuses the same bodies. Any signer other than
    S3SigV4QueryAuth, or a request botocore builds differently, falls back to `presign_part`.
    """
    if not parts:
        return {}
    seconds = lifetime(expires_in)
    params: dict[str, Any] = {
        "Bucket": bucket_name(),
        "Key": key,
        "UploadId": upload_id,
        "PartNumber": parts[0].number,
    }
    signer = part_signer(presign_client(), params, seconds)
    if signer is None:
        # Another signer (or a request botocore builds differently): the documented way.
        return {
            part.number: presign_part(
                key,
                upload_id=upload_id,
                number=part.number,
                sha256=part.sha256,
                size=part.size,
                expires_in=seconds,
            )
            for part in parts
        }
    return {
        part.number: signer.sign(part.number, sha256=part.sha256, size=part.size) for part in parts
    }
