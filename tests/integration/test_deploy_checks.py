"""The deploy-time system check that calls the bucket (files.E010)."""

from __future__ import annotations

import socket
from types import SimpleNamespace

from django.core import checks as django_checks
from django.test.utils import override_settings

from tests.conftest import storage_settings


def ids(problems) -> list[str]:
    return [problem.id for problem in problems]


def test_unreachable_bucket_fails_the_deploy_check(seaweedfs, bucket):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = SimpleNamespace(
        endpoint=endpoint, access_key=seaweedfs.access_key, secret_key=seaweedfs.secret_key
    )
    with override_settings(**storage_settings(server, bucket), CHUTE_S3_MAX_ATTEMPTS=0):
        problems = django_checks.run_checks(include_deployment_checks=True, tags=["storage"])
    assert "files.E010" in ids(problems)


def test_reachable_bucket_passes_the_deploy_check():
    problems = django_checks.run_checks(include_deployment_checks=True, tags=["storage"])
    assert "files.E010" not in ids(problems)
