"""Sentry reports carry no secret: the before_send hook scrubs them, PII stays off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from project.sentry import scrub

ROOT = Path(__file__).resolve().parents[2]
SIGNED = (
    "https://bucket.s3.amazonaws.com/users/1/abc?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Signature=0123456789abcdef"
)
API_TOKEN = "chute_" + "Zx9-_q" * 7
SECRETS = [
    "0123456789abcdef",
    "AKIAEXAMPLE",
    "share-token-secret-42",
    API_TOKEN[6:],
    "csrf-secret-value",
    "session-secret",
    "hunter2-link-password",
    "page=2",
]


def made_up_event() -> dict:
    return {
        "message": f"Could not fetch {SIGNED}",
        "request": {
            "url": "https://chute.example.com/s/share-token-secret-42/download",
            "method": "POST",
            "query_string": "page=2&X-Amz-Signature=0123456789abcdef",
            "headers": {
                "Authorization": f"Bearer {API_TOKEN}",
                "Cookie": "sessionid=session-secret",
                "X-CSRFToken": "csrf-secret-value",
                "Referer": "https://chute.example.com/s/share-token-secret-42",
                "User-Agent": "curl/8",
            },
            "cookies": {"sessionid": "session-secret"},
            "data": {"password": "hunter2-link-password"},
        },
        "exception": {
            "values": [
                {
                    "type": "ClientError",
                    "value": f"bad link /s/share-token-secret-42 and {SIGNED}",
                    "stacktrace": {"frames": [{"vars": {"url": SIGNED, "token": API_TOKEN}}]},
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"GET /api/files?access_token={API_TOKEN}"}]},
        "extra": {"nested": [[{"link": "/r/share-token-secret-42/uploads"}]]},
    }


def test_before_send_scrubs_presigned_urls_tokens_and_credentials():
    cleaned = json.dumps(scrub(made_up_event(), {}))

    for secret in SECRETS:
        assert secret not in cleaned, secret
    # What helps to debug stays readable.
    assert "https://chute.example.com/s/[redacted]/download" in cleaned
    assert "curl/8" in cleaned
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in cleaned
    assert '"type": "ClientError"' in cleaned


def test_a_dsn_turns_on_the_django_integration_with_the_scrubber_and_no_pii():
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DEBUG="1",
        SENTRY_DSN="https://public@sentry.example.invalid/1",
        SENTRY_ENVIRONMENT="staging",
    )
    probe = (
        "import django; django.setup(); import sentry_sdk, json; options = sentry_sdk.get_client().options;"
        "print(json.dumps({'pii': options['send_default_pii'], 'env': options['environment'],"
        " 'hook': options['before_send'].__module__ + '.' + options['before_send'].__name__,"
        " 'django': 'django' in [i.identifier for i in sentry_sdk.get_client().integrations.values()]}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options == {
        "pii": False,
        "env": "staging",
        "hook": "project.sentry.scrub",
        "django": True,
    }
