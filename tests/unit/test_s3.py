"""The S3 boundary: client configuration, public-endpoint presigning, error translation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from files import s3


def test_client_comes_from_the_storage_with_chutes_configuration():
    client = s3.client()
    config = client.meta.config
    assert config.retries["mode"] == "standard"
    assert config.connect_timeout <= 5
    assert config.read_timeout <= 30
    assert config.signature_version == "s3v4"
    assert config.request_checksum_calculation == "when_required"
    assert s3.client() is client  # cached: creating a boto3 session costs ~100 ms


def test_presigned_urls_use_the_public_endpoint_when_set(settings):
    settings.CHUTE_S3_PUBLIC_ENDPOINT_URL = "https://files.example.com"
    post = s3.presign_post("users/1/k", content_type="text/plain", size=3, expires_in=60)
    put = s3.presign_put("users/1/k", content_type="text/plain", size=3, expires_in=60)
    get = s3.storage().url("users/1/k", expire=60)
    for url in (post.url, put.url, get):
        assert urlsplit(url).netloc == "files.example.com"
    assert s3.presign_client() is s3.presign_client()


def test_presigned_urls_use_the_storage_endpoint_by_default():
    url = s3.storage().url("users/1/k", expire=60)
    assert url.startswith(s3.client().meta.endpoint_url)


@pytest.mark.parametrize("seconds", [0, -1, 7 * 24 * 3600])
def test_url_lifetimes_outside_sigv4_range_are_refused(seconds):
    with pytest.raises(ValueError, match="outside SigV4"):
        s3.presign_put("k", content_type="text/plain", size=1, expires_in=seconds)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("404", 404, s3.ObjectNotFound),
        ("NoSuchKey", 404, s3.ObjectNotFound),
        ("InternalError", 500, s3.StorageUnavailable),
        ("SlowDown", 503, s3.StorageUnavailable),
    ],
)
def test_bucket_errors_become_domain_exceptions(code, status, expected):
    with Stubber(s3.client()) as stub:
        stub.add_client_error("head_object", service_error_code=code, http_status_code=status)
        with pytest.raises(expected):
            s3.head("users/1/anything")


def test_errors_chute_does_not_understand_are_re_raised():
    with Stubber(s3.client()) as stub:
        stub.add_client_error(
            "head_object", service_error_code="AccessDenied", http_status_code=403
        )
        with pytest.raises(ClientError):
            s3.head("users/1/anything")


def test_an_unreachable_endpoint_is_storage_unavailable(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "endpoint_url": "http://127.0.0.1:9",
            },
        },
    }
    with pytest.raises(s3.StorageUnavailable, match="not answering"):
        s3.head("users/1/anything")
