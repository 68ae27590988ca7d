"""`manage.py s3_setup` against SeaweedFS: bucket, CORS for the app's origins, lifecycle rule."""

from __future__ import annotations

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from files import s3


def preflight(origin: str) -> requests.Response:
    url = f"{s3.client().meta.endpoint_url}/{s3.bucket_name()}/users/1/x"
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type,x-amz-checksum-sha256",
        },
        timeout=10,
    )


@pytest.fixture
def restore_cors():
    yield
    s3.put_cors(["*"])


def test_s3_setup_is_idempotent_and_reports_what_it_did(capsys, restore_cors):
    call_command("s3_setup", origin=["http://app.example"])
    call_command("s3_setup", origin=["http://app.example"])
    out = capsys.readouterr().out
    assert "Verified bucket 'chute-test'" in out
    assert "CORS allows uploads from: http://app.example" in out
    assert "aborted after 2 days" in out


def test_cors_lets_the_apps_origin_upload_and_exposes_etag(restore_cors):
    call_command("s3_setup", origin=["http://app.example"])
    rules = s3.get_cors()
    assert rules[0]["AllowedOrigins"] == ["http://app.example"]
    assert "ETag" in rules[0]["ExposeHeaders"]
    allowed = preflight("http://app.example")
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "PUT" in allowed.headers["Access-Control-Allow-Methods"]


def test_cors_refuses_other_origins(restore_cors):
    call_command("s3_setup", origin=["http://app.example"])
    refused = preflight("http://evil.example")
    assert refused.headers.get("Access-Control-Allow-Origin") not in {"http://evil.example", "*"}


def test_lifecycle_rule_aborts_incomplete_multipart_uploads():
    call_command("s3_setup", origin=["*"], abort_after_days=3)
    rules = s3.client().get_bucket_lifecycle_configuration(Bucket=s3.bucket_name())["Rules"]
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}


def test_s3_setup_names_the_problem_when_the_bucket_is_unreachable(settings):
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
    with pytest.raises(CommandError, match="Check AWS_S3_ENDPOINT_URL"):
        call_command("s3_setup", origin=["*"])
