"""Integration tests run against the real SeaweedFS server the session starts."""

import secrets
from collections.abc import Iterator

import pytest
from django.test.utils import override_settings

from files.management.commands.s3_setup import setup_bucket
from tests.conftest import storage_settings
from tests.integration.mail_server import Inbox, start


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


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free port, with Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = start(inbox)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Chute <chute@example.com>"
    settings.CHUTE_ORIGIN = ""
    try:
        yield inbox
    finally:
        controller.stop()
