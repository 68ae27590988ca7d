"""CHUTE_STATIC_ON_S3: collectstatic puts hashed files in the bucket under static/, pages link there.

Run as separate processes so the setting is read from the environment, as in production.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.test.utils import override_settings

from files import s3
from tests.conftest import storage_settings

ROOT = Path(__file__).resolve().parents[2]

RENDER_PAGE = """
from django.test import Client
response = Client().get("/accounts/login/", secure=True)
import json
print(json.dumps({"status": response.status_code, "html": response.content.decode(),
                  "csp": response["Content-Security-Policy"]}))
"""


@pytest.fixture
def static_env(seaweedfs) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHUTE_", "AWS_", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "false",  # with DEBUG on, manifest storage links unhashed names
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite://:memory:",
            "CHUTE_STATIC_ON_S3": "true",
            "AWS_STORAGE_BUCKET_NAME": f"static-{secrets.token_hex(4)}",
            "AWS_S3_ENDPOINT_URL": seaweedfs.endpoint,
            "AWS_ACCESS_KEY_ID": seaweedfs.access_key,
            "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_collectstatic_puts_hashed_files_in_the_bucket_and_pages_link_to_them(
    static_env, seaweedfs
):
    manage(static_env, "s3_setup", "--origin", "http://testserver")
    manage(static_env, "collectstatic", "--noinput")

    with override_settings(**storage_settings(seaweedfs, static_env["AWS_STORAGE_BUCKET_NAME"])):
        keys = set(s3.list_keys("static/"))
        manifest = json.loads(s3.get_bytes("static/staticfiles.json"))
    hashed_css = manifest["paths"]["css/chute.css"]
    assert re.fullmatch(r"css/chute\.[0-9a-f]{12}\.css", hashed_css)
    assert f"static/{hashed_css}" in keys
    assert f"static/{manifest['paths']['files/pages/uploader.js']}" in keys
    assert f"static/{manifest['paths']['django_htmx/htmx-2.min.js']}" in keys

    page = json.loads(manage(static_env, "shell", "-c", RENDER_PAGE).splitlines()[-1])
    assert page["status"] == 200
    bucket_url = f"{seaweedfs.endpoint}/{static_env['AWS_STORAGE_BUCKET_NAME']}"
    assert f'href="{bucket_url}/static/{hashed_css}"' in page["html"]
    assert (
        f'src="{bucket_url}/static/{manifest["paths"]["django_htmx/htmx-2.min.js"]}"'
        in page["html"]
    )
    # Anyone can read static/ (s3_setup's bucket policy); uploaded files stay private.
    fetched = requests.get(f"{bucket_url}/static/{hashed_css}", timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == (ROOT / "static/css/chute.css").read_bytes()
    with override_settings(**storage_settings(seaweedfs, static_env["AWS_STORAGE_BUCKET_NAME"])):
        s3.put_bytes("users/1/private", b"secret")
    assert requests.get(f"{bucket_url}/users/1/private", timeout=30).status_code == 403
    # The page's policy lets the browser load scripts and styles from there.
    assert f"script-src 'self' {seaweedfs.endpoint}" in page["csp"]
    assert f"style-src 'self' {seaweedfs.endpoint}" in page["csp"]
