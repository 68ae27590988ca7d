"""/healthz for platform probes: any Host, plain HTTP, never cached, and quick when the bucket hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.test import Client
from django.test.utils import override_settings

from files.web import health
from tests.conftest import storage_settings


@pytest.fixture(autouse=True)
def _fresh_answers() -> Iterator[None]:
    health.forget()
    yield
    health.forget()


@pytest.mark.django_db
def test_a_probe_over_plain_http_with_an_internal_host_gets_200_and_no_cache():
    with override_settings(
        SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["chute.example.com"], DEBUG=False
    ):
        probe = Client().get("/healthz", HTTP_HOST="10.0.3.7:5000")
        # The same request anywhere else is redirected or refused: the exemption is /healthz only.
        page = Client().get("/accounts/login/", HTTP_HOST="chute.example.com")
        stranger = Client().get("/accounts/login/", HTTP_HOST="10.0.3.7:5000")
    assert probe.status_code == 200, probe.content
    assert probe.json() == {"status": "ok", "database": "ok", "bucket": "ok"}
    assert "no-store" in probe["Cache-Control"]
    assert page.status_code == 301
    assert stranger.status_code == 400


@pytest.mark.django_db
def test_healthz_is_503_when_the_bucket_refuses_the_credentials(seaweedfs, bucket):
    wrong = SimpleNamespace(
        endpoint=seaweedfs.endpoint, access_key=seaweedfs.access_key, secret_key="not-the-secret"
    )
    with override_settings(**storage_settings(wrong, bucket)):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "bucket": "unavailable"}
    assert response["Retry-After"]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hanging bucket)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.mark.django_db
def test_a_hanging_bucket_holds_a_probe_briefly_and_the_next_probes_not_at_all(
    seaweedfs, bucket, silent_server
):
    hanging = SimpleNamespace(
        endpoint=silent_server, access_key=seaweedfs.access_key, secret_key=seaweedfs.secret_key
    )
    with override_settings(**storage_settings(hanging, bucket)):
        started = time.monotonic()
        first = Client().get("/healthz")
        first_took = time.monotonic() - started
        started = time.monotonic()
        again = [Client().get("/healthz") for _ in range(3)]
        again_took = time.monotonic() - started
    assert first.status_code == 503
    assert first.json()["bucket"] == "unavailable"
    # Its own short timeout (the bucket calls' own would wait 22 s), then the cached answer.
    assert first_took < health.BUCKET_TIMEOUT_SECONDS + 1.5, first_took
    assert [response.status_code for response in again] == [503, 503, 503]
    assert again_took < 1, again_took
