"""A database that does not answer looks like a bucket that does not: 503, Retry-After, a
sentence, one log line and no traceback, for pages and /api/ alike.

The app runs in a subprocess whose DATABASE_URL points at a closed port, with production
settings; Django's test client inside it sends the requests.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

REQUESTS = """
import json
from django.test import Client
client = Client(raise_request_exception=False)
answers = {}
for name, path, headers in [
    ("signed-in page", "/", {"HTTP_COOKIE": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}),
    ("api", "/api/files", {"HTTP_AUTHORIZATION": "Bearer chute_abcdefghijklmnopqrstuvwxyz"}),
    ("share link", "/s/" + "A" * 43, {}),
    ("health", "/healthz", {}),
]:
    response = client.get(path, secure=True, **headers)
    answers[name] = {"status": response.status_code, "retry_after": response.get("Retry-After"),
                     "type": response["Content-Type"], "body": response.content.decode()}
print("ANSWERS" + json.dumps(answers))
"""

SETTINGS = """
from project.settings import *  # noqa: F403
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
"""


@pytest.fixture(scope="module")
def outage(tmp_path_factory, seaweedfs) -> tuple[dict, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens here once the socket closes
    shim = tmp_path_factory.mktemp("outage")
    (shim / "outage_settings.py").write_text(SETTINGS)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHUTE_", "AWS_", "PYTEST_"))
    }
    env.update(
        {
            "PYTHONPATH": f"{shim}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "outage_settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"postgres://chute@127.0.0.1:{closed}/chute",
            "AWS_STORAGE_BUCKET_NAME": "chute-test",
            "AWS_S3_ENDPOINT_URL": seaweedfs.endpoint,
            "AWS_ACCESS_KEY_ID": seaweedfs.access_key,
            "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + REQUESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("ANSWERS")), None)
    assert line, result.stdout + result.stderr
    return json.loads(line.removeprefix("ANSWERS")), result.stderr


def test_pages_answer_503_with_retry_after_and_a_sentence(outage):
    answers, _ = outage
    for name in ("signed-in page", "share link"):
        page = answers[name]
        assert page["status"] == 503, (name, page["body"][-500:])
        assert page["retry_after"] == "30"
        assert page["type"].startswith("text/html")
        assert "The database is not answering right now" in page["body"]


def test_the_api_answers_503_with_the_json_error(outage):
    answers, _ = outage
    api = answers["api"]
    assert api["status"] == 503
    assert api["retry_after"] == "30"
    assert json.loads(api["body"]) == {
        "error": "database_unavailable",
        "message": "The database is not answering right now. Please try again in a minute.",
    }


def test_health_says_the_database_is_down(outage):
    answers, _ = outage
    health = answers["health"]
    assert health["status"] == 503
    assert json.loads(health["body"])["database"] == "unavailable"


def test_an_outage_logs_one_line_per_request_and_no_traceback(outage):
    _, log = outage
    assert "Traceback" not in log
    assert log.count("database_unavailable: OperationalError") == 3, log
