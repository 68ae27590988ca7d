"""The S3 boundary: client configuration, public-endpoint presigning, error translation."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import botocore.auth
import botocore.credentials
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from files import s3
from files.s3 import presign


def test_client_comes_from_the_storage_with_chutes_configuration():
    client = s3.client()
    config = client.meta.config
    assert config.retries["mode"] == "standard"
    assert config.connect_timeout <= 5
    assert config.read_timeout <= 30
    assert config.signature_version == "s3v4"
    assert config.request_checksum_calculation == "when_required"
    assert s3.client() is client  # cached: creating a boto3 session costs ~100 ms


def test_client_timeouts_and_retries_are_the_settings_own(settings):
    settings.CHUTE_S3_CONNECT_TIMEOUT, settings.CHUTE_S3_READ_TIMEOUT = 2, 7
    settings.CHUTE_S3_MAX_ATTEMPTS = 0
    config = s3.client_config()
    assert (config.connect_timeout, config.read_timeout) == (2, 7)
    assert config.retries == {"mode": "standard", "max_attempts": 0}


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
            "head_object", service_error_code="InvalidRequest", http_status_code=400
        )
        with pytest.raises(ClientError):
            s3.head("users/1/anything")


def test_a_refused_call_names_the_operation_and_the_iam_action_it_needs():
    with Stubber(s3.client()) as stub:
        stub.add_client_error(
            "head_object", service_error_code="AccessDenied", http_status_code=403
        )
        with pytest.raises(s3.AccessRefused) as refused:
            s3.head("users/1/anything")
    assert str(refused.value).startswith("The bucket refused HeadObject (AccessDenied):")
    assert "does not allow s3:GetObject" in str(refused.value)


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


FROZEN = datetime.datetime(2026, 12, 1, 12, 0, 0)
PARTS = [
    s3.PartToSign(1, sha256="n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", size=16 * 2**20),
    s3.PartToSign(2, sha256="LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", size=16 * 2**20),
    s3.PartToSign(64, sha256="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", size=123),
    s3.PartToSign(10_000, sha256="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", size=5 * 2**20),
]


@pytest.fixture
def frozen_clock(monkeypatch):
    """SigV4 signs the current second: both ways must sign the same one to compare."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN)


@pytest.mark.parametrize("public", ["", "https://files.example.com"])
def test_a_batch_of_part_urls_equals_presign_part_byte_for_byte(
    settings, frozen_clock, monkeypatch, public
):
    settings.CHUTE_S3_PUBLIC_ENDPOINT_URL = public
    key, upload_id = "users/1/0123abcd", "an upload id/with+odd=chars"
    with monkeypatch.context() as patched:
        patched.setattr(presign, "presign_part", _refuse)  # signed by s3's own signer
        batch = s3.presign_parts(key, upload_id=upload_id, parts=PARTS, expires_in=3600)
    assert batch == _one_by_one(key, upload_id, expires_in=3600)
    assert "X-Amz-Expires=3600" in batch[1]
    assert "content-length%3Bhost%3Bx-amz-checksum-sha256" in batch[1]  # signed headers


def test_a_batch_signs_the_lifetime_asked_and_refuses_sigv4s_limit(frozen_clock):
    urls = s3.presign_parts("k", upload_id="u", parts=PARTS[:1], expires_in=900)
    assert "X-Amz-Expires=900&" in urls[1]
    with pytest.raises(ValueError, match="outside SigV4"):
        s3.presign_parts("k", upload_id="u", parts=PARTS[:1], expires_in=7 * 24 * 3600)
    assert s3.presign_parts("k", upload_id="u", parts=[], expires_in=900) == {}


def _refuse(*args, **kwargs):
    raise AssertionError("presign_parts fell back to presign_part")


def _one_by_one(key: str, upload_id: str, *, expires_in: int) -> dict[int, str]:
    """PARTS signed the documented way, one generate_presigned_url each."""
    return {
        part.number: s3.presign_part(
            key,
            upload_id=upload_id,
            number=part.number,
            sha256=part.sha256,
            size=part.size,
            expires_in=expires_in,
        )
        for part in PARTS
    }


@pytest.mark.parametrize("token", [None, "a-session/token+with=odd chars"])
def test_the_hand_written_signer_equals_botocores_with_and_without_a_session_token(
    frozen_clock, monkeypatch, token
):
    signer = s3.presign_client()._request_signer
    credentials = botocore.credentials.Credentials("AKIDEXAMPLE", "a/secret+key", token)
    monkeypatch.setattr(signer, "_credentials", credentials)
    key, upload_id = "users/1/ünïcode name (1).bin", "upload~id"
    with monkeypatch.context() as patched:
        patched.setattr(presign, "presign_part", _refuse)  # the fast path signs every URL
        batch = s3.presign_parts(key, upload_id=upload_id, parts=PARTS, expires_in=600)
    assert batch == _one_by_one(key, upload_id, expires_in=600)
    assert ("X-Amz-Security-Token=" in batch[1]) == (token is not None)


class _MarkedQueryAuth(botocore.auth.S3SigV4QueryAuth):
    """A configured signer that is not S3SigV4QueryAuth itself (say, a plugin's)."""

    def _inject_signature_to_request(self, request, signature):
        super()._inject_signature_to_request(request, signature)
        request.url += "&signed-by=plugin"


def test_a_batch_falls_back_to_botocore_when_another_signer_is_configured(
    frozen_clock, monkeypatch
):
    monkeypatch.setitem(botocore.auth.AUTH_TYPE_MAPS, "s3v4-query", _MarkedQueryAuth)
    urls = s3.presign_parts("k", upload_id="u", parts=PARTS, expires_in=900)
    assert all(url.endswith("&signed-by=plugin") for url in urls.values())
    assert urls[2] == s3.presign_part(
        "k", upload_id="u", number=2, sha256=PARTS[1].sha256, size=PARTS[1].size, expires_in=900
    )


def test_a_batch_part_must_carry_its_sha256():
    with pytest.raises(ValueError, match="no SHA-256"):
        s3.PartToSign(3, sha256="", size=5 * 2**20)
