"""The documented IAM policy covers every call the release and the app make; bucket creation
names its region; a refused call is explained in one sentence (against the real SeaweedFS)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.test.utils import override_settings
from django.utils import timezone

from files import s3
from files.lifecycle import cleanup
from files.management.commands.s3_setup import setup_bucket
from tests.conftest import storage_settings
from tests.helpers import post_json, post_to_bucket, start

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


def documented_policy() -> dict:
    text = (ROOT / "docs" / "operations.md").read_text()
    block = re.search(r"<!-- iam-policy -->\n```json\n(.*?)\n```", text, re.S)
    assert block, "docs/operations.md lost its IAM policy block"
    return json.loads(block.group(1))


def test_the_documented_policy_is_the_one_the_code_needs():
    policy = documented_policy()
    assert policy == s3.iam_policy("YOUR-BUCKET")
    listed = {action for statement in policy["Statement"] for action in statement["Action"]}
    # What the release reads before it merges, and creating a missing bucket.
    assert {
        "s3:GetBucketCORS",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketPolicy",
        "s3:CreateBucket",
    } <= listed


def fresh_bucket(seaweedfs, region: str = "us-east-1") -> dict:
    name = f"perm-{secrets.token_hex(4)}"
    overrides = storage_settings(seaweedfs, name)
    overrides["STORAGES"]["default"]["OPTIONS"]["region_name"] = region
    return overrides


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def use_everything(client) -> None:
    """Upload (POST and multipart), confirm, download, share, delete and clean up."""
    data = os.urandom(1000)
    issued = start(client, size=len(data))
    assert post_to_bucket(issued, data).status_code == 201
    assert post_json(client, f"/api/uploads/{issued['id']}/confirm", {}).status_code == 200
    download = client.get(f"/files/{issued['id']}/download")
    assert requests.get(download["Location"], timeout=30).content == data

    shared = post_json(client, f"/api/files/{issued['id']}/shares", {"expires_in": 3600})
    token = shared.json()["url"].rsplit("/", 1)[1]
    landed = client.post(f"/s/{token}/download")
    assert requests.get(landed["Location"], timeout=30).content == data

    big = os.urandom(5 * MiB + 10)
    parts = {1: big[: 5 * MiB], 2: big[5 * MiB :]}
    multipart = start(client, name="movie.mkv", size=len(big), content_type="video/x-matroska")
    body = {"parts": [{"number": n, "sha256": b64sha(part)} for n, part in parts.items()]}
    urls = post_json(client, f"/api/uploads/{multipart['id']}/parts", body).json()["urls"]
    etags = []
    for number, part in parts.items():
        stored = requests.put(
            urls[str(number)], data=part, headers={"x-amz-checksum-sha256": b64sha(part)}
        )
        etags.append({"number": number, "etag": stored.headers["ETag"].strip('"')})
    done = post_json(client, f"/api/uploads/{multipart['id']}/complete", {"parts": etags})
    assert done.status_code == 200, done.content

    assert client.delete(f"/api/uploads/{issued['id']}").status_code == 204
    start(client, size=10)  # never sent: the cleanup below removes it
    cleanup.cleanup(now=timezone.now() + timedelta(days=30))


@pytest.mark.django_db
def test_every_call_the_release_and_the_app_make_is_in_the_policy(seaweedfs, alice, settings):
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB
    with (
        override_settings(
            **fresh_bucket(seaweedfs), CHUTE_STATIC_ON_S3=True, CHUTE_STATIC_CUSTOM_DOMAIN=""
        ),
        s3.recording() as seen,
    ):
        assert setup_bucket(["*"]) is True  # created: CreateBucket is exercised too
        setup_bucket(["*"])  # the second release reads each document back
        use_everything(alice)
        s3.ping()
    operations = {name for name, _ in seen}

    unlisted = operations - s3.OPERATION_ACTIONS.keys()
    assert unlisted == set(), f"calls the IAM policy does not allow: {unlisted}"
    # The recorder saw the whole journey, signed URLs included.
    assert {
        "HeadBucket",
        "CreateBucket",
        "GetBucketCors",
        "PutBucketCors",
        "GetBucketLifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "HeadObject",
        "CopyObject",
        "GetObject",
        "DeleteObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "ListObjectsV2",
        "ListMultipartUploads",
    } <= operations


@pytest.mark.parametrize(
    ("region", "constraint"),
    [("eu-west-3", {"LocationConstraint": "eu-west-3"}), ("us-east-1", None)],
)
def test_a_missing_bucket_is_created_in_the_configured_region(seaweedfs, region, constraint):
    with override_settings(**fresh_bucket(seaweedfs, region)):
        with s3.recording() as seen:
            assert setup_bucket(["*"]) is True
        s3.ping()  # it exists, and answers requests signed for its region
        assert setup_bucket(["*"]) is False
    created = [params for name, params in seen if name == "CreateBucket"]
    assert len(created) == 1
    assert created[0].get("CreateBucketConfiguration") == constraint


def s3_setup(seaweedfs, **credentials: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHUTE_", "AWS_", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "1",
            "AWS_STORAGE_BUCKET_NAME": f"refused-{secrets.token_hex(4)}",
            "AWS_S3_ENDPOINT_URL": seaweedfs.endpoint,
            "AWS_ACCESS_KEY_ID": seaweedfs.access_key,
            "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
            **credentials,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "s3_setup", "--wait", "5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("credentials", "words"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "the credentials are wrong"),
        ({"AWS_ACCESS_KEY_ID": "nobody-knows-me"}, "the credentials are wrong"),
    ],
    ids=["wrong secret", "unknown key"],
)
def test_s3_setup_explains_refused_credentials_in_one_sentence(seaweedfs, credentials, words):
    result = s3_setup(seaweedfs, **credentials)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "The bucket refused HeadBucket" in lines[0]
    assert words in lines[0]
    assert "s3:ListBucket" in lines[0]
