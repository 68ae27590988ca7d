"""A dead or hanging bucket: every endpoint answers 503 with Retry-After, nothing half-registered.

The bound on the answer's delay is the client configuration (timeouts and retries from
CHUTE_S3_*), checked here; the tests shrink it to one second so they run fast.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test.utils import override_settings

from files import s3
from files.embedded import Ports, SeaweedFS
from files.lifecycle import delete
from files.management.commands.s3_setup import setup_bucket
from files.models import Share, Upload
from files.shares import single
from tests import helpers
from tests.conftest import storage_settings
from tests.helpers import post_to_bucket, ready_file

MiB = 1024 * 1024


@pytest.fixture
def refusing_endpoint() -> str:
    """A port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hanging_endpoint() -> Iterator[str]:
    """A server that accepts connections and never answers: only timeouts end a request."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.05)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture(params=["refusing", "hanging"])
def broken_endpoint(request) -> str:
    return request.getfixturevalue(f"{request.param}_endpoint")


@contextmanager
def bucket_at(endpoint: str, seaweedfs: SeaweedFS, bucket: str) -> Iterator[None]:
    """Point Chute at `endpoint` (same bucket and keys), with one-second timeouts, no retries."""
    server = SimpleNamespace(
        endpoint=endpoint, access_key=seaweedfs.access_key, secret_key=seaweedfs.secret_key
    )
    with override_settings(
        **storage_settings(server, bucket),
        CHUTE_S3_CONNECT_TIMEOUT=1,
        CHUTE_S3_READ_TIMEOUT=1,
        CHUTE_S3_MAX_ATTEMPTS=0,
    ):
        yield


def rows() -> list[dict]:
    return list(Upload.objects.order_by("pk").values())


def start(client, size: int = 11) -> dict:
    return helpers.start(client, name="report.txt", size=size, content_type="text/plain")


def send(issued: dict, data: bytes = b"hello world") -> None:
    assert post_to_bucket(issued, data).status_code == 201


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    path = response.request["PATH_INFO"]
    if path.startswith("/api/"):
        assert response.json()["error"] == "storage_unavailable"
        assert "try again" in response.json()["message"]
    elif path == "/healthz":
        assert response.json()["bucket"] == "unavailable"
    else:
        assert "try again" in response.content.decode()


def test_client_gives_up_after_the_configured_timeouts_and_retries(settings):
    config = s3.client().meta.config

    assert config.connect_timeout == settings.CHUTE_S3_CONNECT_TIMEOUT
    assert config.read_timeout == settings.CHUTE_S3_READ_TIMEOUT
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == settings.CHUTE_S3_MAX_ATTEMPTS + 1
    # The worst case of one bucket call stays well inside gunicorn's and the router's 30 s.
    worst = (settings.CHUTE_S3_MAX_ATTEMPTS + 1) * (
        settings.CHUTE_S3_CONNECT_TIMEOUT + settings.CHUTE_S3_READ_TIMEOUT
    )
    assert worst < 30


@pytest.mark.django_db
def test_healthz_reports_the_bucket_down(client, broken_endpoint, seaweedfs, bucket):
    with bucket_at(broken_endpoint, seaweedfs, bucket):
        response = client.get("/healthz")

    assert_unavailable(response)
    assert response.json() == {"status": "unavailable", "database": "ok", "bucket": "unavailable"}
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_confirm_answers_503_and_the_same_upload_confirms_later(
    alice, broken_endpoint, seaweedfs, bucket
):
    issued = start(alice)
    send(issued)
    before = rows()

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        response = alice.post(f"/api/uploads/{issued['id']}/confirm")

    assert_unavailable(response)
    assert rows() == before
    confirmed = alice.post(f"/api/uploads/{issued['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "ready"


@pytest.mark.django_db
def test_htmx_confirm_answers_503_too(alice, broken_endpoint, seaweedfs, bucket):
    issued = start(alice)
    send(issued)

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        response = alice.post(f"/api/uploads/{issued['id']}/confirm", HTTP_HX_REQUEST="true")

    assert_unavailable(response)


@pytest.mark.django_db
def test_delete_answers_503_keeps_the_bytes_and_a_retry_finishes(
    alice, broken_endpoint, seaweedfs, bucket
):
    issued = start(alice)
    send(issued)
    assert alice.post(f"/api/uploads/{issued['id']}/confirm").status_code == 200

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        response = alice.delete(f"/api/uploads/{issued['id']}")

    assert_unavailable(response)
    # By design the row is hidden before the bucket is touched, so the file leaves the
    # owner's list at once and the bytes never outlive a row; a retry or cleanup finishes.
    confirmed_key = Upload.objects.get(pk=issued["id"]).file.name
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED
    assert s3.get_bytes(confirmed_key) == b"hello world"

    assert alice.delete(f"/api/uploads/{issued['id']}").status_code == 204
    # Hidden until its upload URL expires (the cleanup then removes the row).
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED
    for key in (issued["key"], confirmed_key):
        with pytest.raises(s3.ObjectNotFound):
            s3.head(key)


@pytest.mark.django_db
def test_multipart_start_answers_503_and_registers_nothing(
    alice, broken_endpoint, seaweedfs, bucket, settings
):
    body = {"name": "big.bin", "size": 200 * MiB, "content_type": "application/octet-stream"}

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        response = alice.post("/api/uploads", json.dumps(body), content_type="application/json")

    assert_unavailable(response)
    assert rows() == []


@pytest.mark.django_db
def test_multipart_listing_and_completing_answer_503(alice, broken_endpoint, seaweedfs, bucket):
    issued = start(alice, size=200 * MiB)
    assert issued["method"] == "multipart"
    before = rows()

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        listed = alice.get(f"/api/uploads/{issued['id']}/parts")
        completed = alice.post(
            f"/api/uploads/{issued['id']}/complete",
            json.dumps(
                {"parts": [{"number": n, "etag": "x"} for n in range(1, issued["part_count"] + 1)]}
            ),
            content_type="application/json",
        )

    assert_unavailable(listed)
    assert_unavailable(completed)
    assert rows() == before
    delete.delete(Upload.objects.get(pk=issued["id"]))


@pytest.mark.django_db
def test_what_needs_no_bucket_call_keeps_working(alice, broken_endpoint, seaweedfs, bucket):
    """Presigning is local: starting a small upload and downloading only sign URLs."""
    issued = start(alice)
    send(issued)
    assert alice.post(f"/api/uploads/{issued['id']}/confirm").status_code == 200

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        started = alice.post(
            "/api/uploads",
            json.dumps({"name": "b.txt", "size": 3, "content_type": "text/plain"}),
            content_type="application/json",
        )
        download = alice.get(f"/files/{issued['id']}/download")
        home = alice.get("/")

    assert started.status_code == 201
    assert download.status_code == 302
    assert home.status_code == 200


def wait_until_healthy(client) -> None:
    for _ in range(100):
        if client.get("/healthz").status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the bucket did not come back")


def read_when_ready(key: str) -> bytes:
    for _ in range(100):
        try:
            return s3.get_bytes(key)
        except s3.StorageUnavailable:
            time.sleep(0.2)
    raise AssertionError("the restarted bucket never served the object")


@pytest.fixture
def second_seaweedfs(tmp_path: Path) -> Iterator[SeaweedFS]:
    server = SeaweedFS(
        data_dir=tmp_path / "seaweedfs",
        access_key="fault-" + secrets.token_hex(4),
        secret_key=secrets.token_hex(16),
        ports=Ports.free(),
    )
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db
def test_stopped_bucket_answers_503_and_after_restart_the_upload_confirms(alice, second_seaweedfs):
    with override_settings(
        **storage_settings(second_seaweedfs, "faults"),
        CHUTE_S3_CONNECT_TIMEOUT=1,
        CHUTE_S3_READ_TIMEOUT=1,
        CHUTE_S3_MAX_ATTEMPTS=0,
    ):
        setup_bucket(["*"])
        issued = start(alice)
        send(issued)
        before = rows()

        second_seaweedfs.stop()
        try:
            assert_unavailable(alice.get("/healthz"))
            assert_unavailable(alice.post(f"/api/uploads/{issued['id']}/confirm"))
            assert rows() == before
        finally:
            second_seaweedfs.start()
        # S3 answers a moment before the filer behind it has loaded the bucket again.
        wait_until_healthy(alice)

        # The volume server re-registers with the master a moment after S3 and the filer
        # answer; until then SeaweedFS answers reads (and confirm's copy) with InternalError,
        # which Chute reports as 503 for the page to retry, as a person would.
        deadline = time.monotonic() + 30
        response = alice.post(f"/api/uploads/{issued['id']}/confirm")
        while response.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            response = alice.post(f"/api/uploads/{issued['id']}/confirm")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "ready"
        confirmed_key = Upload.objects.get(pk=issued["id"]).file.name
        assert read_when_ready(confirmed_key) == b"hello world"


@pytest.mark.django_db
def test_a_share_download_while_the_bucket_is_down_answers_503_and_spends_nothing(
    client, user, broken_endpoint, seaweedfs, bucket
):
    new = single.create_share(ready_file(user), expires_in=3600, max_downloads=1)

    with bucket_at(broken_endpoint, seaweedfs, bucket):
        response = client.post(f"/s/{new.token}/download")

    assert_unavailable(response)
    assert Share.objects.get(pk=new.share.pk).downloads == 0
    assert client.post(f"/s/{new.token}/download").status_code == 302
