"""System checks: configuration mistakes are reported with the setting's name and an id."""

from __future__ import annotations

import pytest
from django.core import checks as django_checks
from django.test.utils import override_settings

from files import checks


def ids(problems) -> list[str]:
    return [problem.id for problem in problems]


def test_default_test_configuration_passes_every_check():
    problems = django_checks.run_checks(include_deployment_checks=False)
    assert [p for p in problems if p.id.startswith("files.")] == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"CHUTE_MAX_UPLOAD_SIZE": 0}, "files.E001"),
        ({"CHUTE_UPLOAD_URL_TTL": 8 * 24 * 3600}, "files.E002"),
        ({"CHUTE_DOWNLOAD_URL_TTL": 3600}, "files.E003"),
        ({"CHUTE_UPLOAD_METHOD": "ftp"}, "files.E004"),
        ({"CHUTE_PART_SIZE": 1024}, "files.E005"),
        ({"CHUTE_MULTIPART_THRESHOLD": 1024}, "files.E006"),
        ({"CHUTE_MULTIPART_THRESHOLD": 6 * 1024**3}, "files.E006"),
        ({"CHUTE_MULTIPART_THRESHOLD": 2 * 1024**3}, "files.W004"),
        ({"CHUTE_PARALLEL_FILES": 0}, "files.E014"),
        ({"CHUTE_PARALLEL_FILES": 100}, "files.E014"),
        ({"CHUTE_CORS_ORIGINS": []}, "files.W001"),
    ],
)
def test_limits_report_the_setting_at_fault(overrides, expected):
    with override_settings(**overrides):
        problems = checks.check_limits()
    assert ids(problems) == [expected]
    assert next(iter(overrides)) in problems[0].msg


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"CHUTE_USER_QUOTA": -1}, "files.E008"),
        ({"CHUTE_RETENTION_DAYS": -7}, "files.E009"),
        ({"CHUTE_S3_READ_TIMEOUT": 0}, "files.E011"),
        ({"CHUTE_S3_MAX_ATTEMPTS": -1}, "files.E011"),
        ({"CHUTE_S3_READ_TIMEOUT": 20, "CHUTE_S3_MAX_ATTEMPTS": 2}, "files.W003"),
    ],
)
def test_operations_settings_are_checked(overrides, expected):
    with override_settings(**overrides):
        assert ids(checks.check_operations()) == [expected]


def test_default_bucket_timeouts_answer_before_the_server_gives_up():
    assert checks.check_operations() == []


def test_policy_that_does_not_allow_the_bucket_is_reported(settings):
    policy = settings.CONTENT_SECURITY_POLICY
    narrowed = {**policy["DIRECTIVES"], "connect-src": ["'self'"], "form-action": ["'self'"]}
    with override_settings(CONTENT_SECURITY_POLICY={**policy, "DIRECTIVES": narrowed}):
        problems = checks.check_csp_allows_bucket()
    assert ids(problems) == ["files.W002", "files.W002"]
    assert "connect-src" in problems[0].msg
    assert "form-action" in problems[1].msg


def test_policy_built_from_the_endpoint_allows_presigned_urls():
    assert checks.check_csp_allows_bucket() == []
