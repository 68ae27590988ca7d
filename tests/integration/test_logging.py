"""No presigned URL signature and no share token reaches the logs."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from django.core.servers.basehttp import WSGIRequestHandler
from gunicorn.config import Config

from project.gunicorn import RedactingLogger
from project.logging import RedactSecrets, redact

SIGNED = (
    "https://bucket.s3.amazonaws.com/users/1/abc?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=0123456789abcdef"
)


@pytest.fixture
def console_log() -> io.StringIO:
    """What the configured console handler writes, with Django's loggers at DEBUG."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(item, RedactSecrets) for item in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    loggers = [logging.getLogger(), logging.getLogger("django"), logging.getLogger("files")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        handler.setStream(previous)


def test_redact_removes_signatures_credentials_and_share_tokens():
    text = redact(f"fetching {SIGNED} for /s/Zq3-token_value/download?x=1")

    assert "0123456789abcdef" not in text
    assert "AKIAEXAMPLE" not in text
    assert "Zq3-token_value" not in text
    assert "X-Amz-Signature=[redacted]" in text
    assert "/s/[redacted]/download" in text
    assert "X-Amz-Date=20260101T000000Z" in text  # harmless parts stay readable


def test_log_records_with_secrets_in_arguments_and_tracebacks_are_redacted(console_log):
    logger = logging.getLogger("files.test")
    logger.warning("Could not fetch %s", SIGNED)
    try:
        raise ValueError(f"bad link /s/secret-token-123 and {SIGNED}")
    except ValueError:
        logger.exception("Failed")

    output = console_log.getvalue()
    assert "Could not fetch https://bucket.s3.amazonaws.com/users/1/abc?" in output
    assert "0123456789abcdef" not in output
    assert "secret-token-123" not in output
    assert "ValueError: bad link /s/[redacted]" in output


def test_gunicorn_access_log_atoms_never_carry_query_strings_or_tokens():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/s/tok3n-secret/download?X-Amz-Signature=abc",
        "PATH_INFO": "/s/tok3n-secret/download",
        "QUERY_STRING": "X-Amz-Signature=abc",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://chute.example.com/s/tok3n-secret",
        "REMOTE_ADDR": "10.0.0.1",
    }
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", SIGNED)])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))

    flattened = json.dumps({key: str(value) for key, value in atoms.items()})
    assert "tok3n-secret" not in flattened
    assert "X-Amz-Signature=abc" not in flattened
    assert "0123456789abcdef" not in flattened
    assert atoms["U"] == "/s/[redacted]/download"
    assert atoms["r"] == "GET /s/[redacted]/download HTTP/1.1"


@pytest.mark.django_db
def test_whole_upload_and_share_flow_logs_no_signature_and_no_token(alice, client, console_log):
    issued = alice.post(
        "/api/uploads",
        json.dumps({"name": "log.txt", "size": 11, "content_type": "text/plain"}),
        content_type="application/json",
    ).json()
    post = issued["post"]
    stored = requests.post(
        post["url"], data=post["fields"], files={"file": ("f", b"hello world")}, timeout=30
    )
    assert stored.status_code == 201
    assert alice.post(f"/api/uploads/{issued['id']}/confirm").status_code == 200
    download = alice.get(f"/files/{issued['id']}/download")
    assert "X-Amz-Signature" in download["Location"]

    shared = alice.post(
        f"/api/files/{issued['id']}/shares",
        json.dumps({"expires_in": 3600}),
        content_type="application/json",
    )
    assert shared.status_code == 201, shared.content
    path = urlsplit(shared.json()["url"]).path
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(path).status_code == 200
    shared_download = client.post(f"{path}/download")
    assert shared_download.status_code == 302
    assert "X-Amz-Signature" in shared_download["Location"]
    # Every request's line has its path: a mistyped link and a refused method too.
    assert client.get(f"/s/{token}x").status_code == 404
    assert client.delete(path).status_code == 405
    assert alice.get(f"/api/uploads/{issued['id']}/nothing").status_code == 404

    output = console_log.getvalue()
    assert "/s/[redacted]" in output  # the lines were logged, redacted
    assert "X-Amz-Signature" not in output.replace("X-Amz-Signature=[redacted]", "")
    assert token not in output
    assert post["fields"].get("x-amz-signature", "unused-sentinel") not in output


def test_redact_removes_upload_request_tokens():
    text = redact("Not Found: /r/Rq7-token_value/uploads/abc/confirm and /r/Rq7-token_value")
    assert "Rq7-token_value" not in text
    assert "/r/[redacted]/uploads/abc/confirm" in text
    assert text.endswith("/r/[redacted]")


@pytest.mark.django_db
def test_upload_request_pages_and_guest_calls_log_no_token(alice, client, console_log):
    made = alice.post(
        "/api/requests",
        json.dumps({"title": "Logs", "expires_in": 3600, "password": "pw"}),
        content_type="application/json",
    )
    path = urlsplit(made.json()["url"]).path
    token = path.rsplit("/", 1)[-1]
    # Every request's line has its path: a wrong password, a locked call, a refused method.
    assert client.post(path, {"password": "wrong"}).status_code == 403
    assert client.post(f"{path}/uploads", "{}", content_type="application/json").status_code >= 400
    assert client.put(f"{path}/uploads", "{}", content_type="application/json").status_code == 405
    assert client.get(f"/r/{token}x").status_code == 404

    output = console_log.getvalue()
    assert "/r/[redacted]" in output  # the lines were logged, redacted
    assert token not in output


def test_redact_removes_api_tokens_wherever_they_appear():
    token = "chute_" + "Ab3-_x" * 7 + "z"
    text = redact(
        f"GET /api/uploads?access_token={token}&page=2 | Authorization: Bearer {token} "
        f"| pasted {token}. | next=%2Fapi%3Ftoken%3D{token}"
    )
    assert token[6:] not in text
    assert text.count("chute_[redacted]") == 4
    assert "page=2" in text
    assert redact("listed as chute_Ab3-_x…") == "listed as chute_Ab3-_x…"  # the shown prefix


@pytest.mark.django_db
def test_a_runserver_request_line_with_an_api_token_is_logged_redacted(alice, console_log):
    token = alice.post(
        "/api/tokens", json.dumps({"name": "log test"}), content_type="application/json"
    ).json()["token"]
    # What runserver does after each request: its handler logs the request line to
    # django.server, query string included.
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None
    handler.requestline = f"GET /api/uploads?access_token={token} HTTP/1.1"
    handler.log_request(200, 123)

    output = console_log.getvalue()
    assert "GET /api/uploads?access_token=chute_[redacted] HTTP/1.1" in output
    assert token not in output


def test_gunicorn_access_log_atoms_carry_no_api_token():
    token = "chute_" + "Ab3-_x" * 7 + "z"
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/uploads?access_token={token}",
        "PATH_INFO": f"/api/tokens/{token}",
        "QUERY_STRING": f"access_token={token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
    }
    response = SimpleNamespace(status="401 Unauthorized", sent=0, headers=[])
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {token}")])

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))

    assert token not in json.dumps({key: str(value) for key, value in atoms.items()})
    assert atoms["{authorization}i"] == "Bearer chute_[redacted]"
    assert atoms["U"] == "/api/tokens/chute_[redacted]"


def test_redact_removes_the_tokens_of_mailed_links():
    text = redact(
        "GET /account/verify/MQ/cjb7x2-0a1b2c3d4e5f HTTP/1.1 then "
        "GET /accounts/reset/MQ/cjb7x2-9f8e7d6c5b4a/ and /accounts/reset/MQ/set-password/"
    )
    assert "0a1b2c3d4e5f" not in text and "9f8e7d6c5b4a" not in text
    assert "/account/verify/MQ/[redacted] HTTP/1.1" in text
    assert "/accounts/reset/MQ/[redacted]/" in text
    assert "/accounts/reset/MQ/set-password/" in text


# --- One line per request ---------------------------------------------------------------------

ACCESS_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) INFO chute\.access: "
    r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>\d+)ms "
    r"id=(?P<id>\S+) client=(?P<client>\S+)"
)


@pytest.fixture
def production_log() -> Iterator[io.StringIO]:
    """What the console handler writes at the configured levels (INFO, Django's own)."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(item, RedactSecrets) for item in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_each_request_is_one_line_with_time_request_id_and_the_clients_address(
    client, settings, production_log
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(
        "/s/Zq3-secret-token-value/download?X-Amz-Signature=leak&page=2",
        HTTP_X_REQUEST_ID="7f0c2a52-6a3b-4c8e-9d51-2f1e0b7c9a10",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
        secure=True,
    )

    assert response.status_code == 404
    assert response["X-Request-ID"] == "7f0c2a52-6a3b-4c8e-9d51-2f1e0b7c9a10"
    lines = production_log.getvalue().splitlines()
    assert len(lines) == 1, lines  # no "Not Found: …" line from Django besides it
    line = ACCESS_LINE.fullmatch(lines[0])
    assert line, lines[0]
    assert line["method"] == "GET"
    assert line["path"] == "/s/[redacted]/download"  # no token, no query string
    assert line["status"] == "404"
    assert line["id"] == "7f0c2a52-6a3b-4c8e-9d51-2f1e0b7c9a10"
    assert line["client"] == "203.0.113.7"  # what the router saw, not what the client claimed


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "bad id\nINFO forged line", "short"])
def test_a_request_without_a_usable_id_gets_one_of_its_own(client, production_log, given):
    headers = {"HTTP_X_REQUEST_ID": given} if given else {}
    response = client.get("/accounts/login/", **headers)

    made = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    line = ACCESS_LINE.fullmatch(production_log.getvalue().strip())
    assert line and line["id"] == made and line["status"] == "200"
    assert "forged" not in production_log.getvalue()


@pytest.mark.django_db
def test_the_client_is_the_entry_the_outermost_trusted_proxy_appended(
    client, settings, production_log
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CHUTE_TRUSTED_PROXIES = 2  # e.g. a CDN in front of the platform's router
    client.get(
        "/accounts/login/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 10.1.0.9", secure=True
    )
    line = ACCESS_LINE.fullmatch(production_log.getvalue().strip())
    assert line and line["client"] == "198.51.100.4"


@pytest.mark.django_db
def test_a_sign_in_is_one_line_without_axes_chatter(client, user, production_log):
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"})

    lines = production_log.getvalue().splitlines()
    assert [ACCESS_LINE.fullmatch(line)["status"] for line in lines] == ["200", "302"], lines


@pytest.mark.django_db
def test_a_scanners_host_header_is_one_short_line_not_a_traceback(client, settings, production_log):
    settings.ALLOWED_HOSTS = ["chute.example.com"]
    assert client.get("/", HTTP_HOST="scanner.invalid").status_code == 400

    output = production_log.getvalue()
    assert "Traceback" not in output
    lines = output.splitlines()
    assert len(lines) == 2, lines  # the refusal, then the request's own line
    assert (
        "ERROR django.security.DisallowedHost: Invalid HTTP_HOST header: 'scanner.invalid'"
        in lines[0]
    )
    assert ACCESS_LINE.fullmatch(lines[1])["status"] == "400"
