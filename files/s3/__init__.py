"""The S3 boundary: the only module that imports boto3/botocore.

Its client comes from the configured Django storage (one source of truth for endpoint,
region and credentials). Functions return small dataclasses and raise the domain
exceptions below instead of botocore's.

Why it is longer than 300 lines: it is the one boundary. Every S3 call Chute makes (presigning,
objects, multipart, bucket setup) lives here, so no other module ever sees botocore.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

import boto3
import botocore.auth
from botocore.auth import S3SigV4QueryAuth, _host_from_url  # type: ignore[attr-defined]
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.signers import _should_use_global_endpoint  # type: ignore[attr-defined]
from botocore.utils import percent_encode
from django.conf import settings
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

MiB = 1024 * 1024
GiB = 1024 * MiB
MIN_PART_SIZE = 5 * MiB  # S3 rejects smaller non-final parts
MAX_PART_SIZE = 5 * GiB  # S3's largest part
MAX_PARTS = 10_000  # S3's part-number limit
MAX_OBJECT_SIZE = 5 * 1024 * GiB  # S3's largest object (5 TiB)
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 refuses longer-lived URLs


class S3Failure(Exception):
    """Base for the bucket's answers that Chute understands."""

    message = "The storage bucket refused the request."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class ObjectNotFound(S3Failure):
    """Raised when the key (or the bucket) does not exist."""

    message = "The file is not in the bucket."


class UploadNotFound(S3Failure):
    """Raised when a multipart upload id is unknown (completed, aborted or never made)."""

    message = "The multipart upload no longer exists in the bucket."


class InvalidParts(S3Failure):
    """Raised when CompleteMultipartUpload rejects the part list."""

    message = "The bucket rejected the list of parts."


class ObjectChanged(S3Failure):
    """Raised when a conditional request finds the object no longer the one it names."""

    message = "The object changed in the bucket."


class StorageUnavailable(S3Failure):
    """Raised when the bucket cannot be reached, times out, or answers 5xx."""

    message = "The storage bucket is not answering right now. Please try again in a minute."


def client_config(**overrides: Any) -> Config:
    """Client settings: standard retries, short timeouts, SigV4, checksums only when required."""
    options: dict[str, Any] = {
        "signature_version": "s3v4",
        "retries": {
            "mode": "standard",
            "max_attempts": getattr(settings, "CHUTE_S3_MAX_ATTEMPTS", 3),
        },
        "connect_timeout": getattr(settings, "CHUTE_S3_CONNECT_TIMEOUT", 3),
        "read_timeout": getattr(settings, "CHUTE_S3_READ_TIMEOUT", 10),
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
        "tcp_keepalive": True,
    }
    options.update(overrides)
    return Config(**options)


class ChuteS3Storage(S3Storage):
    """django-storages' S3Storage, with the client configuration Chute relies on."""

    def __init__(self, **options: Any) -> None:
        addressing_style = options.get("addressing_style")
        options.setdefault(
            "client_config", client_config(s3={"addressing_style": addressing_style})
        )
        super().__init__(**options)

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        """django-storages' signed URL, signed for the endpoint browsers reach.

        With a custom domain (CloudFront and its key pair) django-storages signs as usual;
        otherwise the public endpoint (CHUTE_S3_PUBLIC_ENDPOINT_URL) replaces the one
        Django uses, so downloads and uploads share one signing rule.
        """
        if self.custom_domain or not self.querystring_auth or not public_endpoint():
            return str(super().url(name, parameters, expire, http_method))
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": name}
        return str(
            presign_client().generate_presigned_url(
                "get_object",
                Params=params,
                ExpiresIn=_lifetime(expire or self.querystring_expire),
                HttpMethod=http_method,
            )
        )


# --- Clients ------------------------------------------------------------------------------


def storage() -> S3Storage:
    storage = storages["default"]
    if not isinstance(storage, S3Storage):
        raise TypeError("STORAGES['default'] must be an S3 storage for Chute to presign uploads.")
    return storage


def client() -> Any:
    """The configured storage's boto3 client (created once per thread by django-storages)."""
    return storage().connection.meta.client


def bucket_name() -> str:
    return storage().bucket_name


@functools.lru_cache(maxsize=8)
def _public_client(endpoint: str, region: str, access_key: str, secret_key: str, style: str) -> Any:
    # Presigning is local computation; a separate client only changes the signed host.
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=client_config(s3={"addressing_style": style}),
    )


def public_endpoint() -> str:
    """The endpoint browsers reach, when it differs from the one Django uses."""
    return str(getattr(settings, "CHUTE_S3_PUBLIC_ENDPOINT_URL", "") or "")


def presign_client() -> Any:
    """A client that signs URLs for the endpoint browsers reach."""
    public = public_endpoint()
    if not public:
        return client()
    configured = storage()
    return _public_client(
        public,
        configured.region_name or "us-east-1",
        configured.access_key,
        configured.secret_key,
        configured.addressing_style or "path",
    )


@contextmanager
def _translated() -> Iterator[None]:
    """Turn botocore's errors into the domain exceptions above."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}:
            raise ObjectNotFound() from error
        if code == "NoSuchUpload":
            raise UploadNotFound() from error
        if code in {"PreconditionFailed", "412"}:
            raise ObjectChanged() from error
        if code in {
            "InvalidPart",
            "InvalidPartOrder",
            "EntityTooSmall",
            "BadDigest",
            "InvalidDigest",
        }:
            raise InvalidParts(error.response.get("Error", {}).get("Message") or None) from error
        if status >= 500 or code in {"SlowDown", "ServiceUnavailable", "InternalError"}:
            raise StorageUnavailable() from error
        raise
    except (BotoConnectionError, HTTPClientError) as error:
        raise StorageUnavailable() from error


# --- Presigning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class PresignedPut:
    url: str
    headers: dict[str, str]


def _lifetime(seconds: int) -> int:
    if not 0 < seconds < MAX_PRESIGN_SECONDS:
        raise ValueError(f"URL lifetime {seconds}s is outside SigV4's 1s..7d range.")
    return seconds


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
        ExpiresIn=_lifetime(expires_in),
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
        "put_object", Params=params, ExpiresIn=_lifetime(expires_in)
    )
    return PresignedPut(url=url, headers=headers)


def presign_part(
    key: str, *, upload_id: str, number: int, sha256: str, expires_in: int, size: int | None = None
) -> str:
    """An UploadPart URL with the part's SHA-256 (and length) signed in: other bodies are refused.

    The checksum alone lets a client sign a body of any length; `size` signs content-length,
    so no part in the bucket can be larger than planned. An empty `sha256` signs none (only
    benchmarks do that; Chute always signs one).
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
        "upload_part", Params=params, ExpiresIn=_lifetime(expires_in)
    )


@dataclass(frozen=True)
class PartToSign:
    """One part of a batch: its number, its SHA-256 (base64) and its exact length."""

    number: int
    sha256: str = ""
    size: int | None = None


# Where UploadPart puts the values that differ between the parts of one upload (the S3 API
# model: PartNumber is the `partNumber` query parameter, ContentLength and ChecksumSHA256 are
# headers). Everything else in a part URL is the same for every part of the upload.
_PART_NUMBER_QUERY = "partNumber"
_LENGTH_HEADER = "Content-Length"
_SHA256_HEADER = "x-amz-checksum-sha256"


def presign_parts(
    key: str, *, upload_id: str, parts: Sequence[PartToSign], expires_in: int
) -> dict[int, str]:
    """UploadPart URLs for a batch of parts, the same URLs `presign_part` signs, cheaper.

    botocore's own steps run once for the batch (parameter events, endpoint resolution and
    serialization build one request and its URL); then `_PartSigner` signs each part, varying
    only its `partNumber` and its signed Content-Length and x-amz-checksum-sha256 headers.
    tests/unit/test_s3.py proves the URLs equal `presign_part`'s byte for byte (with and
    without a session token); tests/integration/test_s3_presign.py proves the bucket takes
    and refuses the same bodies. The steps are botocore's private client methods (botocore
    is pinned in requirements.txt; the unit test fails first if an upgrade moves them), and
    any signer other than S3SigV4QueryAuth, or a request botocore builds differently, falls
    back to `presign_part`.
    """
    if not parts:
        return {}
    lifetime = _lifetime(expires_in)
    client = presign_client()
    first = parts[0]
    params: dict[str, Any] = {
        "Bucket": bucket_name(),
        "Key": key,
        "UploadId": upload_id,
        "PartNumber": first.number,
    }
    # generate_presigned_url's own context (botocore.signers; the helper is private, and
    # botocore-stubs leave it out).
    context: dict[str, Any] = {
        "is_presign_request": True,
        "use_global_endpoint": _should_use_global_endpoint(client),
    }
    operation = client.meta.service_model.operation_model("UploadPart")
    params = client._emit_api_params(api_params=params, operation_model=operation, context=context)
    endpoint_url, extra_headers, _ = client._resolve_endpoint_ruleset(
        operation, params, context, ignore_signing_region=True
    )
    template = client._convert_to_request_dict(
        api_params=params,
        operation_model=operation,
        endpoint_url=endpoint_url,
        context=context,
        headers=extra_headers,
        set_user_agent_header=False,
    )
    signer = _part_signer(client, template, lifetime)
    if signer is None:
        # Another signer (or a request botocore builds differently): the documented way.
        return {
            part.number: presign_part(
                key,
                upload_id=upload_id,
                number=part.number,
                sha256=part.sha256,
                size=part.size,
                expires_in=lifetime,
            )
            for part in parts
        }
    return {part.number: signer.sign(part) for part in parts}


def _part_signer(client: Any, template: dict[str, Any], lifetime: int) -> _PartSigner | None:
    """A signer for the URLs RequestSigner.sign would make from `template`, or None.

    None unless botocore would sign with S3SigV4QueryAuth and the request is the one
    `_PartSigner` knows: a PUT with no headers of its own and `partNumber` in its query.
    """
    context = template["context"]
    signer = client._request_signer
    version = signer._choose_signer("UploadPart", "presign-url", context)
    if version != "s3v4-query":
        return None
    signing = context.get("signing", {})
    region = signing.get("region") or signer.region_name
    service = signing.get("signing_name") or signer.signing_name
    auth = signer.get_auth_instance(
        signing_name=service, region_name=region, signature_version=version, expires=lifetime
    )
    url = urlsplit(template["url"])
    query = parse_qsl(url.query, keep_blank_values=True)
    if (
        type(auth) is not S3SigV4QueryAuth
        or auth.credentials is None
        or template["method"] != "PUT"
        or set(template["headers"]) - {_LENGTH_HEADER, _SHA256_HEADER}
        or [name for name, _ in query].count(_PART_NUMBER_QUERY) != 1
        or len({name for name, _ in query}) != len(query)
    ):
        return None
    return _PartSigner(
        credentials=auth.credentials,
        region=region,
        service=service,
        lifetime=lifetime,
        url=url,
        query=query,
    )


class _PartSigner:
    """SigV4 query-string signing (S3SigV4QueryAuth's algorithm) for the parts of one batch.

    Hand-written, not botocore's signer, because of what botocore's costs. Measured
    2026-12-01 on a busy shared machine: S3SigV4QueryAuth.add_auth cost ~0.19 ms a URL in
    the server (README, "API cost") and 0.29 ms in a micro-benchmark of `presign_parts`, as
    it re-parses, re-encodes and re-sorts the whole URL and its headers for every URL; this
    one costs ~0.015 ms a URL. Another SigV4 package would be a second dependency doing the
    same per-URL work in Python; the saving comes from doing once per batch what does not
    change between parts, which a general signer cannot know. Computed once a batch: the
    signing key (it depends only on the date, region, service and secret), the URL without
    its query, the encoded query parameters and the host header. Each URL then builds its
    canonical request and string to sign with hashlib/hmac (the steps of
    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
    Credentials are the frozen ones botocore would sign with (a session token included),
    and the clock is botocore's, read once: every URL of a batch carries the same
    X-Amz-Date and expires at the same second.
    """

    def __init__(
        self,
        *,
        credentials: Any,
        region: str,
        service: str,
        lifetime: int,
        url: SplitResult,
        query: list[tuple[str, str]],
    ) -> None:
        # botocore's clock (its stubs leave the function out), so tests freeze both signers.
        now = botocore.auth.get_current_datetime()  # type: ignore[attr-defined]
        timestamp = now.strftime(botocore.auth.SIGV4_TIMESTAMP)
        scope = f"{timestamp[:8]}/{region}/{service}/aws4_request"
        key = f"AWS4{credentials.secret_key}".encode()
        for step in (timestamp[:8], region, service, "aws4_request"):
            key = hmac.new(key, step.encode(), hashlib.sha256).digest()
        self._signing_key = key
        self._header = f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n"
        self._host = _host_from_url(url.geturl())
        self._path = url.path  # S3 signs the path as sent (SigV4 normalizes it elsewhere)
        self._base = urlunsplit((url.scheme, url.netloc, url.path, "", ""))
        # Operation parameters first, in botocore's order, then the auth parameters.
        self._operation = [(percent_encode(name), percent_encode(value)) for name, value in query]
        self._auth = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", percent_encode(f"{credentials.access_key}/{scope}")),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", str(lifetime)),
        ]
        self._token = (
            [("X-Amz-Security-Token", percent_encode(credentials.token))]
            if credentials.token is not None
            else []
        )

    def sign(self, part: PartToSign) -> str:
        headers = {"host": self._host}
        if part.size is not None:
            headers["content-length"] = str(part.size)
        if part.sha256:
            headers["x-amz-checksum-sha256"] = " ".join(part.sha256.split())
        names = sorted(headers)
        signed_headers = ";".join(names)
        operation = [
            (name, str(part.number) if name == _PART_NUMBER_QUERY else value)
            for name, value in self._operation
        ]
        query = [
            *operation,
            *self._auth,
            ("X-Amz-SignedHeaders", percent_encode(signed_headers)),
            *self._token,
        ]
        canonical = "\n".join(
            (
                "PUT",
                self._path,
                "&".join(f"{name}={value}" for name, value in sorted(query)),
                "".join(f"{name}:{headers[name]}\n" for name in names),
                signed_headers,
                botocore.auth.UNSIGNED_PAYLOAD,
            )
        )
        to_sign = self._header + hashlib.sha256(canonical.encode()).hexdigest()
        signature = hmac.new(self._signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        encoded = "&".join(f"{name}={value}" for name, value in query)
        return f"{self._base}?{encoded}&X-Amz-Signature={signature}"


# --- Objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    etag: str
    checksum_sha256: str
    content_encoding: str = ""


def head(key: str) -> ObjectInfo:
    """What the bucket says about `key`; raises ObjectNotFound when it is not there."""
    with _translated():
        answer = client().head_object(Bucket=bucket_name(), Key=key, ChecksumMode="ENABLED")
    return ObjectInfo(
        size=int(answer["ContentLength"]),
        content_type=answer.get("ContentType", ""),
        etag=answer.get("ETag", "").strip('"'),
        checksum_sha256=answer.get("ChecksumSHA256", ""),
        content_encoding=answer.get("ContentEncoding", ""),
    )


def copy(source: str, target: str, *, if_match: str, content_type: str) -> None:
    """Copy `source` to `target` inside the bucket, only while `source` still has ETag `if_match`.

    The copy's metadata is Chute's alone (REPLACE: the declared type, no encoding or other
    headers a client may have smuggled in), and S3 computes its SHA-256 (AWS does for
    CopyObject with a checksum algorithm; SeaweedFS keeps none). Raises ObjectChanged when
    the source was overwritten since it was checked, ObjectNotFound when it is gone.
    """
    with _translated():
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
    with _translated():
        client().delete_object(Bucket=bucket_name(), Key=key)


def put_bytes(key: str, body: bytes, *, content_type: str = "application/octet-stream") -> None:
    """Store a small object directly (used by tooling and tests, never for user uploads)."""
    with _translated():
        client().put_object(Bucket=bucket_name(), Key=key, Body=body, ContentType=content_type)


def get_bytes(key: str) -> bytes:
    with _translated():
        return client().get_object(Bucket=bucket_name(), Key=key)["Body"].read()


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


def list_objects(prefix: str) -> Iterator[list[StoredObject]]:
    """The objects under `prefix`, one ListObjectsV2 page (up to 1,000) at a time."""
    with _translated():
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
    with _translated():
        paginator = client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket_name(), Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


# --- Multipart ----------------------------------------------------------------------------


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
    with _translated():
        answer = client().create_multipart_upload(**params)
    return str(answer["UploadId"])


def list_parts(key: str, *, upload_id: str, page_size: int = 1000) -> list[PartInfo]:
    """Every part already in the bucket, following ListParts' pages (1,000 parts at most each)."""
    parts: list[PartInfo] = []
    with _translated():
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
    with _translated():
        client().complete_multipart_upload(
            Bucket=bucket_name(),
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": payload},
        )


def abort_multipart(key: str, *, upload_id: str) -> None:
    """Abort a multipart upload; an unknown upload id counts as already aborted."""
    try:
        with _translated():
            client().abort_multipart_upload(Bucket=bucket_name(), Key=key, UploadId=upload_id)
    except (UploadNotFound, ObjectNotFound):
        pass


def list_multipart_uploads(prefix: str = "") -> list[MultipartInfo]:
    uploads: list[MultipartInfo] = []
    with _translated():
        paginator = client().get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=bucket_name(), Prefix=prefix):
            uploads.extend(
                MultipartInfo(
                    key=item["Key"], upload_id=item["UploadId"], initiated=item.get("Initiated")
                )
                for item in page.get("Uploads", [])
            )
    return uploads


# --- Bucket -------------------------------------------------------------------------------


def ensure_bucket() -> bool:
    """Create the bucket when missing; returns True when it was created."""
    name = bucket_name()
    with _translated():
        try:
            client().head_bucket(Bucket=name)
            return False
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) not in {
                "404",
                "NoSuchBucket",
                "NotFound",
            }:
                raise
        client().create_bucket(Bucket=name)
    return True


# s3_setup runs on every deploy, and a bucket may serve more than Chute: these functions
# read each bucket document, add or replace Chute's own entry by its id and write the rest
# back untouched (S3's PUT replaces the whole document).
CORS_RULE_ID = "chute-browser-uploads"
ABORT_RULE_ID = "chute-abort-incomplete-multipart"
PUBLIC_STATIC_SID = "ChutePublicStatic"
_CORS_METHODS = ["GET", "HEAD", "PUT", "POST"]
# ETag for complete; Location for Uppy and other S3 clients that read where an object went.
_CORS_EXPOSE = ["ETag", "Location", "x-amz-checksum-sha256"]
_EARLIER_CORS_EXPOSE = ["ETag", "x-amz-checksum-sha256"]  # what Chute wrote before ids


def _replace_by(key: str, items: list[dict[str, Any]], own: dict[str, Any]) -> list[dict[str, Any]]:
    """`items` with the entries whose `key` matches `own`'s replaced by `own`, or it appended."""
    matches = [index for index, item in enumerate(items) if item.get(key) == own[key]]
    others = [item for item in items if item.get(key) != own[key]]
    at = matches[0] if matches else len(others)
    return [*others[:at], own, *others[at:]]


def _is_unnamed_chute_cors_rule(rule: dict[str, Any]) -> bool:
    # Chute before rules had ids wrote exactly this rule; adopt it rather than keep a twin.
    return (
        "ID" not in rule
        and sorted(rule.get("AllowedMethods", [])) == sorted(_CORS_METHODS)
        and rule.get("ExposeHeaders") in (_CORS_EXPOSE, _EARLIER_CORS_EXPOSE)
    )


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def put_cors(origins: list[str]) -> None:
    """Let browsers at `origins` POST/PUT parts and read the ETag header (other rules stay)."""
    rule = {
        "ID": CORS_RULE_ID,
        "AllowedOrigins": origins,
        "AllowedMethods": _CORS_METHODS,
        "AllowedHeaders": ["*"],
        "ExposeHeaders": _CORS_EXPOSE,
        "MaxAgeSeconds": 3600,
    }
    others = [rule for rule in get_cors() if not _is_unnamed_chute_cors_rule(rule)]
    with _translated():
        client().put_bucket_cors(
            Bucket=bucket_name(), CORSConfiguration={"CORSRules": _replace_by("ID", others, rule)}
        )


def get_cors() -> list[dict[str, Any]]:
    """The bucket's CORS rules, [] when it has none."""
    with _translated():
        try:
            return client().get_bucket_cors(Bucket=bucket_name())["CORSRules"]
        except ClientError as error:
            if _error_code(error) == "NoSuchCORSConfiguration":
                return []
            raise


def _get_lifecycle() -> dict[str, Any]:
    with _translated():
        try:
            return client().get_bucket_lifecycle_configuration(Bucket=bucket_name())
        except ClientError as error:
            if _error_code(error) == "NoSuchLifecycleConfiguration":
                return {}
            raise


def get_lifecycle_rules() -> list[dict[str, Any]]:
    """The bucket's lifecycle rules, [] when it has none."""
    return _get_lifecycle().get("Rules", [])


def put_abort_incomplete_rule(days: int) -> None:
    """A lifecycle rule that aborts multipart uploads left incomplete for `days` days."""
    rule = {
        "ID": ABORT_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
    }
    current = _get_lifecycle()
    extra = {}
    if "TransitionDefaultMinimumObjectSize" in current:  # AWS: part of the document too
        extra["TransitionDefaultMinimumObjectSize"] = current["TransitionDefaultMinimumObjectSize"]
    rules = _replace_by("ID", current.get("Rules", []), rule)
    with _translated():
        client().put_bucket_lifecycle_configuration(
            Bucket=bucket_name(), LifecycleConfiguration={"Rules": rules}, **extra
        )


def get_policy() -> dict[str, Any] | None:
    """The bucket policy as a document, None when the bucket has none."""
    with _translated():
        try:
            answer = client().get_bucket_policy(Bucket=bucket_name())
        except ClientError as error:
            if _error_code(error) == "NoSuchBucketPolicy":
                return None
            raise
    return json.loads(answer["Policy"])


def put_public_read_policy(prefix: str) -> None:
    """Let anyone GET objects under `prefix` (static files), leaving the rest private.

    A bucket policy, not ACLs: AWS disables ACLs on new buckets. On AWS the bucket's
    Block Public Access settings must allow public policies.
    """
    name = bucket_name()
    statement = {
        "Sid": PUBLIC_STATIC_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/{prefix.strip('/')}/*",
    }
    policy = get_policy() or {"Version": "2012-10-17"}
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):  # a policy may hold a single statement as an object
        statements = [statements]
    policy["Statement"] = _replace_by("Sid", statements, statement)
    with _translated():
        client().put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def ping() -> None:
    """Raise StorageUnavailable (or ObjectNotFound for a missing bucket) unless the bucket answers."""
    with _translated():
        client().head_bucket(Bucket=bucket_name())
