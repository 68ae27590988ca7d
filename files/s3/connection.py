"""Where the clients come from: Chute's client configuration, the storage class that carries it,
the configured storage's client, and the client that signs URLs for the endpoint browsers reach.

Bucket, endpoint, region and credentials are configured once, in STORAGES["default"]; every
client here is that storage's or built from its options.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from files.s3.limits import lifetime


def client_config(**overrides: Any) -> Config:
    """Client settings: standard retries, short timeouts, SigV4, checksums only when required."""
    options: dict[str, Any] = {
        "signature_version": "s3v4",
        # project/settings.py holds the one default for each (files.E011/W003 check them).
        "retries": {"mode": "standard", "max_attempts": settings.CHUTE_S3_MAX_ATTEMPTS},
        "connect_timeout": settings.CHUTE_S3_CONNECT_TIMEOUT,
        "read_timeout": settings.CHUTE_S3_READ_TIMEOUT,
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
        if self.custom_domain:
            # django-storages puts the parameters in the URL as they are, and CloudFront hands
            # its query to the bucket: S3's own names (response-content-disposition, …).
            query = {_s3_query_name(key): value for key, value in (parameters or {}).items()}
            return str(super().url(name, query, expire, http_method))
        if not self.querystring_auth or not public_endpoint():
            return str(super().url(name, parameters, expire, http_method))
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": name}
        return str(
            presign_client().generate_presigned_url(
                "get_object",
                Params=params,
                ExpiresIn=lifetime(expire or self.querystring_expire),
                HttpMethod=http_method,
            )
        )


def _s3_query_name(parameter: str) -> str:
    """GetObject's parameter as S3 reads it from a query: "ResponseContentType" becomes
    "response-content-type"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", parameter).lower()


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
def _public_client(
    endpoint: str,
    region: str | None,
    access_key: str | None,
    secret_key: str | None,
    style: str | None,
) -> Any:
    # Presigning is local computation; a separate client only changes the signed host.
    # Region, credentials and addressing style are the storage's own, unset ones included,
    # so both clients resolve them the same way.
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=client_config(s3={"addressing_style": style}),
    )


@functools.lru_cache(maxsize=8)
def _quick_client(
    endpoint: str | None,
    region: str | None,
    access_key: str | None,
    secret_key: str | None,
    style: str | None,
    timeout: float,
) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=client_config(
            s3={"addressing_style": style},
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 0},
        ),
    )


def quick_client(timeout: float) -> Any:
    """The storage's client with a short timeout of its own and no retries (health checks)."""
    configured = storage()
    return _quick_client(
        configured.endpoint_url,
        configured.region_name,
        configured.access_key,
        configured.secret_key,
        configured.addressing_style,
        timeout,
    )


def public_endpoint() -> str:
    """The endpoint browsers reach, when it differs from the one Django uses."""
    return str(settings.CHUTE_S3_PUBLIC_ENDPOINT_URL or "")


def presign_client() -> Any:
    """A client that signs URLs for the endpoint browsers reach."""
    public = public_endpoint()
    if not public:
        return client()
    configured = storage()
    return _public_client(
        public,
        configured.region_name,
        configured.access_key,
        configured.secret_key,
        configured.addressing_style,
    )


@contextlib.contextmanager
def counting_requests() -> Iterator[list[str]]:
    """The operations this thread's client sends to the bucket meanwhile, retries included
    (botocore's before-send event): tests and bench/ count a run's requests with it."""
    sent: list[str] = []

    def count(event_name: str, **kwargs: Any) -> None:
        sent.append(event_name.rsplit(".", 1)[-1])

    events = client().meta.events
    events.register("before-send.s3", count)
    try:
        yield sent
    finally:
        events.unregister("before-send.s3", count)
