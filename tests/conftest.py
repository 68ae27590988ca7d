"""Fixtures: a real SeaweedFS server for the session, users, and signed-in clients."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings

from files import s3
from files.embedded import Ports, SeaweedFS
from files.management.commands.s3_setup import setup_bucket
from project.env import s3_origins


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """`weed mini` on free ports, with an identity (never anonymous)."""
    server = SeaweedFS(
        data_dir=Path(tmp_path_factory.mktemp("seaweedfs")),
        access_key="test-" + secrets.token_hex(4),
        secret_key=secrets.token_hex(16),
        ports=Ports.free(),
    )
    server.start()
    yield server
    server.stop()


def storage_settings(server: SeaweedFS, bucket: str) -> dict:
    default = {
        "BACKEND": "files.s3.ChuteS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": server.endpoint,
            "region_name": "us-east-1",
            "access_key": server.access_key,
            "secret_key": server.secret_key,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
        },
    }
    # The browser must be allowed to reach this server (connect-src, form-action) and show
    # its thumbnails (img-src), as project/settings.py allows the configured bucket.
    policy = settings.CONTENT_SECURITY_POLICY
    origins = ["'self'", *s3_origins(server.endpoint, bucket, "us-east-1")]
    directives = {
        **policy["DIRECTIVES"],
        "connect-src": origins,
        "form-action": origins,
        "img-src": [*origins, "data:"],
    }
    return {
        "STORAGES": {**settings.STORAGES, "default": default},
        "CONTENT_SECURITY_POLICY": {**policy, "DIRECTIVES": directives},
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
    }


@pytest.fixture(scope="session")
def bucket(seaweedfs: SeaweedFS, django_test_environment: None) -> Iterator[str]:
    """One bucket for the session, with CORS for any local origin, on the real server."""
    name = "chute-test"
    with override_settings(**storage_settings(seaweedfs, name)):
        deadline = time.monotonic() + 30
        while True:
            try:
                setup_bucket(["*"])
                break
            except s3.S3Failure:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield name


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", password="correct horse battery")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("mallory", password="correct horse battery")


@pytest.fixture
def alice(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mallory(other_user) -> Client:
    client = Client()
    client.force_login(other_user)
    return client
