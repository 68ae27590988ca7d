"""Integration tests run against the real SeaweedFS server the session starts."""

import pytest


@pytest.fixture(autouse=True)
def _in_the_bucket(bucket: str) -> None:
    """Every test here talks to the bucket: start SeaweedFS (once) before it."""
