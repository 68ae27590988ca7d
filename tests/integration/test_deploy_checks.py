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


def endpoint_warnings(**overrides) -> list[str]:
    with override_settings(**overrides):
        problems = django_checks.run_checks(include_deployment_checks=True, tags=["security"])
    return [problem.id for problem in problems if problem.id == "files.W005"]


def test_an_http_bucket_endpoint_behind_an_https_site_is_a_deploy_warning():
    https_site = {"SECURE_SSL_REDIRECT": True, "CHUTE_S3_PUBLIC_ENDPOINT_URL": ""}
    assert endpoint_warnings(**https_site, AWS_S3_ENDPOINT_URL="http://s3.example.com") == [
        "files.W005"
    ]
    assert endpoint_warnings(**https_site, AWS_S3_ENDPOINT_URL="https://s3.example.com") == []
    # Browsers let https pages reach loopback, and a plain-http site has no mixed content.
    assert endpoint_warnings(**https_site, AWS_S3_ENDPOINT_URL="http://127.0.0.1:8333") == []
    assert (
        endpoint_warnings(
            SECURE_SSL_REDIRECT=False,
            CSRF_TRUSTED_ORIGINS=["http://chute.lan"],
            AWS_S3_ENDPOINT_URL="http://s3.example.com",
        )
        == []
    )
    # The endpoint browsers reach is what counts.
    assert endpoint_warnings(
        **{**https_site, "CHUTE_S3_PUBLIC_ENDPOINT_URL": "http://files.example.com"},
        AWS_S3_ENDPOINT_URL="https://internal.example.com",
    ) == ["files.W005"]
