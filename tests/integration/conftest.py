"""Integration tests run against the real SeaweedFS server the session starts."""

import secrets
from collections.abc import Iterator

import pytest
from django.test.utils import override_settings

from files.management.commands.s3_setup import setup_bucket
from tests.conftest import storage_settings


@pytest.fixture(autouse=True)
def _in_the_bucket(bucket: str) -> None:
    """Every test here talks to the bucket: start SeaweedFS (once) before it."""


@pytest.fixture
def own_bucket(seaweedfs) -> Iterator[str]:
    """A bucket of its own, so leftovers of other tests cannot blur what a run finds."""
    name = f"own-{secrets.token_hex(4)}"
    with override_settings(**storage_settings(seaweedfs, name)):
        setup_bucket(["*"])
        yield name
