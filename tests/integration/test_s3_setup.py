"""`manage.py s3_setup` against SeaweedFS: bucket, CORS for the app's origins, lifecycle rule."""

from __future__ import annotations

import json
import secrets

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from files import s3


def preflight(origin: str, method: str = "PUT") -> requests.Response:
    url = f"{s3.client().meta.endpoint_url}/{s3.bucket_name()}/users/1/x"
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
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
    # A day longer than the resume window: no upload its owner may resume is aborted.
    assert "aborted after 8 days" in out


def test_cors_lets_the_apps_origin_upload_and_exposes_etag_and_location(restore_cors):
    call_command("s3_setup", origin=["http://app.example"])
    rules = s3.get_cors()
    assert rules[0]["AllowedOrigins"] == ["http://app.example"]
    assert {"ETag", "Location"} <= set(rules[0]["ExposeHeaders"])
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


# --- Merging: a bucket may serve more than Chute -------------------------------------------

FOREIGN_CORS = [
    {
        "ID": "analytics-dashboard",
        "AllowedOrigins": ["https://dash.example"],
        "AllowedMethods": ["GET"],
    },
    {"AllowedOrigins": ["https://cdn.example"], "AllowedMethods": ["GET", "HEAD"]},
]
FOREIGN_LIFECYCLE = {
    "ID": "expire-exports",
    "Status": "Enabled",
    "Filter": {"Prefix": "exports/"},
    "Expiration": {"Days": 30},
}


def foreign_statement(bucket: str) -> dict:
    return {
        "Sid": "PublicReports",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/reports/*",
    }


@pytest.fixture
def shared_bucket(seaweedfs, settings) -> str:
    """A fresh bucket that an operator already uses for other things, static files on S3."""
    from tests.conftest import storage_settings

    name = f"shared-{secrets.token_hex(4)}"
    for key, value in storage_settings(seaweedfs, name).items():
        setattr(settings, key, value)
    settings.CHUTE_STATIC_ON_S3 = True
    settings.CHUTE_STATIC_CUSTOM_DOMAIN = ""
    s3.ensure_bucket()
    client = s3.client()
    client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": FOREIGN_CORS})
    client.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={"Rules": [FOREIGN_LIFECYCLE]}
    )
    policy = {"Version": "2012-10-17", "Statement": [foreign_statement(name)]}
    client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def by(key: str, items: list[dict], value: str) -> list[dict]:
    return [item for item in items if item.get(key) == value]


def test_s3_setup_keeps_the_buckets_foreign_cors_lifecycle_and_policy_entries(shared_bucket):
    call_command("s3_setup", origin=["http://app.example"])

    cors = s3.get_cors()
    assert by("ID", cors, "analytics-dashboard")[0]["AllowedOrigins"] == ["https://dash.example"]
    assert [r for r in cors if r["AllowedOrigins"] == ["https://cdn.example"]]
    assert by("ID", cors, s3.CORS_RULE_ID)[0]["AllowedOrigins"] == ["http://app.example"]
    assert len(cors) == 3
    # The bucket still answers the other site's browsers, and Chute's.
    dashboard = preflight("https://dash.example", "GET")
    assert dashboard.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    assert (
        preflight("http://app.example").headers["Access-Control-Allow-Origin"]
        == "http://app.example"
    )

    lifecycle = s3.get_lifecycle_rules()
    assert by("ID", lifecycle, "expire-exports")[0]["Expiration"] == {"Days": 30}
    assert by("ID", lifecycle, s3.ABORT_RULE_ID)[0]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 8
    }

    statements = s3.get_policy()["Statement"]
    assert foreign_statement(shared_bucket) in statements
    assert by("Sid", statements, s3.PUBLIC_STATIC_SID)[0]["Resource"] == (
        f"arn:aws:s3:::{shared_bucket}/static/*"
    )


def test_second_s3_setup_updates_chutes_own_entries_instead_of_adding_twins(shared_bucket):
    call_command("s3_setup", origin=["http://app.example"], abort_after_days=2)
    call_command("s3_setup", origin=["https://chute.example"], abort_after_days=5)

    cors = s3.get_cors()
    assert [r["AllowedOrigins"] for r in by("ID", cors, s3.CORS_RULE_ID)] == [
        ["https://chute.example"]
    ]
    assert len(cors) == 3
    lifecycle = s3.get_lifecycle_rules()
    assert [r["AbortIncompleteMultipartUpload"] for r in by("ID", lifecycle, s3.ABORT_RULE_ID)] == [
        {"DaysAfterInitiation": 5}
    ]
    assert len(lifecycle) == 2
    statements = s3.get_policy()["Statement"]
    assert len(by("Sid", statements, s3.PUBLIC_STATIC_SID)) == 1
    assert len(statements) == 2


def test_s3_setup_adopts_the_unnamed_cors_rule_earlier_versions_wrote(shared_bucket):
    earlier = {
        "AllowedOrigins": ["http://old.example"],
        "AllowedMethods": ["GET", "HEAD", "PUT", "POST"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag", "x-amz-checksum-sha256"],
        "MaxAgeSeconds": 3600,
    }
    s3.client().put_bucket_cors(
        Bucket=shared_bucket, CORSConfiguration={"CORSRules": [*FOREIGN_CORS, earlier]}
    )
    call_command("s3_setup", origin=["http://app.example"])
    origins = [rule["AllowedOrigins"] for rule in s3.get_cors()]
    assert ["http://old.example"] not in origins
    assert origins.count(["http://app.example"]) == 1
    assert len(origins) == 3


def test_s3_setup_writes_chutes_entries_into_a_bucket_without_documents(seaweedfs, settings):
    from tests.conftest import storage_settings

    for key, value in storage_settings(seaweedfs, f"bare-{secrets.token_hex(4)}").items():
        setattr(settings, key, value)
    settings.CHUTE_STATIC_ON_S3 = True
    settings.CHUTE_STATIC_CUSTOM_DOMAIN = ""
    assert s3.ensure_bucket()
    assert (s3.get_cors(), s3.get_lifecycle_rules(), s3.get_policy()) == ([], [], None)
    call_command("s3_setup", origin=["http://app.example"])
    assert [rule["ID"] for rule in s3.get_cors()] == [s3.CORS_RULE_ID]
    assert [rule["ID"] for rule in s3.get_lifecycle_rules()] == [s3.ABORT_RULE_ID]
    assert [st["Sid"] for st in s3.get_policy()["Statement"]] == [s3.PUBLIC_STATIC_SID]


def test_the_lifecycle_rule_outlasts_the_resume_window(settings):
    settings.CHUTE_RESUME_DAYS = 30
    call_command("s3_setup", origin=["*"])
    rule = by("ID", s3.get_lifecycle_rules(), s3.ABORT_RULE_ID)[0]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 31}
