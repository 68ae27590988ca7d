"""manage.py deploy_check (bin/deploy-check): trust a new deployment in a minute.

Run where the deployment's settings are (`heroku run bin/deploy-check --url … --token …`, or
any machine with the same variables): first what the release phase left (settings, migrations,
the bucket's rules), then the service over HTTP as a client would use it, with an API token:
health, upload, confirm, download (byte for byte), a share link's download, delete. One line
per step; the first failure ends the run with a sentence and exit status 1.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import redirect_stderr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from files import s3

SIZE = 64 * 1024


class StepFailed(Exception):
    """A step's failure, as the sentence to print."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 is an answer to look at, not to follow


_opener = urllib.request.build_opener(_NoRedirects)


def http(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    if urlsplit(url).scheme not in {"http", "https"}:
        raise StepFailed(f"{url!r} is not an http(s) URL.")
    request = urllib.request.Request(  # noqa: S310  (the scheme is checked above)
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        host = urlsplit(url).netloc
        raise StepFailed(f"{method} {host} did not answer ({error}).") from None


def form_data(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body (the presigned POST's fields, then the file), and its type."""
    boundary = secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(f"{value}\r\n".encode())
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="check"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    out.write(data + f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def sentence(status: int, body: bytes) -> str:
    """The service's own sentence for a refusal, or the status."""
    try:
        return f"{status}: {json.loads(body)['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{status}"


class Checker:
    def __init__(self, url: str, token: str, *, direct: bool) -> None:
        self.url = url.rstrip("/")
        # Straight to the app server, not through the TLS router: say what the router would.
        self.proxy = {"X-Forwarded-Proto": "https"} if direct else {}
        self.headers = {"Authorization": f"Bearer {token}", **self.proxy}
        self.data = secrets.token_bytes(SIZE)
        self.upload_id = ""

    def call(self, method: str, path: str, payload: Any = None) -> tuple[int, dict, bytes]:
        headers = dict(self.headers)
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        return http(method, self.url + path, body=body, headers=headers)

    def fetch(self, location: str, what: str) -> str:
        status, _, body = http("GET", location)
        if status != 200:
            raise StepFailed(f"The bucket answered {status} to the {what}'s signed GET.")
        if hashlib.sha256(body).digest() != hashlib.sha256(self.data).digest():
            raise StepFailed(f"The {what} returned {len(body)} bytes that differ from those sent.")
        return f"{len(body)} bytes, identical"

    def health(self) -> str:
        status, _, body = self.call("GET", "/healthz")
        if status != 200:
            raise StepFailed(f"/healthz answered {status}: {body.decode(errors='replace')[:200]}")
        return "database ok, bucket ok"

    def upload(self) -> str:
        declared = {
            "name": "deploy-check.bin",
            "size": SIZE,
            "content_type": "application/octet-stream",
        }
        status, _, body = self.call("POST", "/api/uploads", declared)
        if status != 201:
            raise StepFailed(f"Starting an upload answered {sentence(status, body)}")
        issued = json.loads(body)
        self.upload_id = issued["id"]
        if "post" in issued:
            form, kind = form_data(issued["post"]["fields"], self.data)
            sent, _, answer = http(
                "POST", issued["post"]["url"], body=form, headers={"Content-Type": kind}
            )
        elif "put" in issued:
            put = issued["put"]
            sent, _, answer = http("PUT", put["url"], body=self.data, headers=put["headers"])
        else:
            raise StepFailed(
                f"The upload was planned as {issued.get('method')!r}, not one request."
            )
        if sent not in {200, 201, 204}:
            raise StepFailed(
                f"The bucket refused the signed upload ({sent}): "
                f"{answer.decode(errors='replace')[:200]} Check the bucket's CORS and the clock."
            )
        return f"{SIZE} bytes sent to the bucket ({issued.get('method')})"

    def confirm(self) -> str:
        status, _, body = self.call("POST", f"/api/uploads/{self.upload_id}/confirm")
        if status != 200 or json.loads(body).get("status") != "ready":
            raise StepFailed(f"Confirm answered {sentence(status, body)}")
        return "registered as ready"

    def download(self) -> str:
        status, headers, body = self.call("GET", f"/files/{self.upload_id}/download")
        if status != 302:
            raise StepFailed(f"The owner's download answered {sentence(status, body)}")
        return self.fetch(headers["Location"], "download")

    def share(self) -> str:
        payload = {"expires_in": 600, "max_downloads": 1}
        status, _, body = self.call("POST", f"/api/files/{self.upload_id}/shares", payload)
        if status != 201:
            raise StepFailed(f"Creating a share link answered {sentence(status, body)}")
        link = urlsplit(json.loads(body)["url"]).path
        status, headers, body = http("POST", f"{self.url}{link}/download", headers=self.proxy)
        if status != 302:
            raise StepFailed(f"The share link's download answered {status}.")
        return "link downloaded: " + self.fetch(headers["Location"], "share link")

    def clean_up(self) -> str:
        status, _, body = self.call("DELETE", f"/api/uploads/{self.upload_id}")
        if status != 204:
            raise StepFailed(f"Deleting the checked file answered {sentence(status, body)}")
        status, _, _ = self.call("GET", f"/api/files/{self.upload_id}")
        if status != 404:
            raise StepFailed(f"The deleted file is still listed ({status}).")
        self.upload_id = ""
        return "file deleted"


def settings_ok() -> str:
    quiet = io.StringIO()
    try:
        with redirect_stderr(quiet):
            call_command("check", deploy=True, fail_level="WARNING", stdout=quiet, stderr=quiet)
    except (CommandError, SystemExit):
        raise StepFailed(f"check --deploy failed: {quiet.getvalue().strip()}") from None
    return "check --deploy: no errors, no warnings"


def migrations_ok() -> str:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in pending[:3])
        raise StepFailed(
            f"{len(pending)} migrations have not run ({names}): run the release phase."
        )
    return "database schema up to date"


def bucket_ok() -> str:
    try:
        cors = {rule.get("ID") for rule in s3.get_cors()}
        lifecycle = {rule.get("ID") for rule in s3.get_lifecycle_rules()}
    except s3.S3Failure as error:
        raise StepFailed(str(error)) from None
    if s3.CORS_RULE_ID not in cors or s3.ABORT_RULE_ID not in lifecycle:
        raise StepFailed(
            "The bucket lacks Chute's CORS or lifecycle rule: run `manage.py s3_setup`."
        )
    return f"bucket {settings.AWS_STORAGE_BUCKET_NAME!r}: CORS and lifecycle rules in place"


class Command(BaseCommand):
    help = (
        "Check a deployment end to end: settings, migrations, the bucket's rules, then health, "
        "upload, confirm, download, share and delete over HTTP with an API token."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", required=True, help="The deployment, e.g. https://chute.example.com"
        )
        parser.add_argument(
            "--token",
            default=os.environ.get("CHUTE_CHECK_TOKEN", ""),
            help="An API token of an account on it (default: CHUTE_CHECK_TOKEN).",
        )
        parser.add_argument(
            "--direct",
            action="store_true",
            help="The URL reaches the app server itself over plain HTTP (no TLS router in "
            "front): send X-Forwarded-Proto: https as the router would.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["token"]:
            raise CommandError(
                "Give an API token (--token or CHUTE_CHECK_TOKEN): make one at /tokens/."
            )
        checker = Checker(options["url"], options["token"], direct=options["direct"])
        steps: list[tuple[str, Callable[[], str]]] = [
            ("settings", settings_ok),
            ("migrations", migrations_ok),
            ("bucket", bucket_ok),
            ("health", checker.health),
            ("upload", checker.upload),
            ("confirm", checker.confirm),
            ("download", checker.download),
            ("share", checker.share),
            ("clean up", checker.clean_up),
        ]
        started = time.monotonic()
        try:
            for name, step in steps:
                began = time.monotonic()
                try:
                    said = step()
                except StepFailed as failure:
                    self.stdout.write(self.style.ERROR(f"FAIL {name}: {failure}"))
                    raise CommandError(
                        f"The deployment failed its {name} check: {failure}"
                    ) from None
                self.stdout.write(f"ok   {name}: {said} ({time.monotonic() - began:.1f} s)")
        finally:
            if checker.upload_id:  # a failure after the upload: leave nothing behind
                checker.call("DELETE", f"/api/uploads/{checker.upload_id}")
        took = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"The deployment works ({took:.1f} s)."))
