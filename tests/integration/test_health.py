"""/healthz for platform probes: any Host, plain HTTP, never cached, and quick when the bucket hangs."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
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
    for accepted in held:
        accepted.close()
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


# --- The database half: bounded by its own timeout, as the bucket's is ------------------------


@pytest.fixture
def short_database_timeout(monkeypatch) -> float:
    monkeypatch.setattr(health, "DATABASE_TIMEOUT_SECONDS", 0.5)
    return 0.5


def timed_probe() -> tuple[dict, int, float]:
    started = time.monotonic()
    response = Client().get("/healthz")
    return response.json(), response.status_code, time.monotonic() - started


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a second SQLite connection")
@pytest.mark.django_db
def test_a_locked_sqlite_database_is_unavailable_within_the_probes_timeout(
    tmp_path, short_database_timeout
):
    # Chute's SQLite runs in WAL mode, where readers wait for nothing in practice; a file in
    # rollback-journal mode with another process's exclusive lock makes the probe's read wait.
    # Without the probe's own busy timeout it would wait CHUTE_SQLITE_TIMEOUT (20 s).
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE django_migrations (id integer)")
    holder.execute("INSERT INTO django_migrations VALUES (1)")
    db = connections.create_connection(DEFAULT_DB_ALIAS)  # a second connection, to that file
    # No WAL init_command: the file stays in rollback-journal mode.
    db.settings_dict = {**db.settings_dict, "NAME": str(path), "OPTIONS": {"timeout": 20}}
    try:
        assert health.database_state(db) == "ok"
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        state = health.database_state(db)
        took = time.monotonic() - started
        holder.execute("ROLLBACK")
        with db.cursor() as cursor:  # the connection's own patience is back for what follows
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
    finally:
        db.close()
        holder.close()
    assert state == "unavailable"
    assert took < short_database_timeout + 1.5, took


@pytest.mark.skipif(connection.vendor != "postgresql", reason="holds a PostgreSQL table lock")
@pytest.mark.django_db(transaction=True)
def test_a_locked_postgresql_table_makes_healthz_503_within_its_timeout(short_database_timeout):
    # A migration holding its tables, a stuck writer: the probe's read waits on the lock, and
    # only its own statement_timeout (SET LOCAL, so nothing else inherits it) ends the wait.
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with holder.cursor() as cursor:
            # The server ends the holder after 10 s, so a probe without its own bound fails
            # the test (200, late) instead of hanging it.
            cursor.execute("SET idle_in_transaction_session_timeout = '10s'")
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE django_migrations IN ACCESS EXCLUSIVE MODE")
            answer, status, took = timed_probe()
    finally:
        holder.close()  # ends its transaction and the lock
    assert status == 503
    assert answer["database"] == "unavailable"
    assert took < short_database_timeout + 1.5, took
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # the request's connection keeps no timeout
    assert timed_probe()[1] == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connect_timeout")
@pytest.mark.django_db
def test_connecting_to_a_silent_postgresql_server_gives_up_within_the_connect_timeout(
    silent_server,
):
    timeout = 5  # CHUTE_DATABASE_CONNECT_TIMEOUT's default
    port = int(silent_server.rsplit(":", 1)[1])
    outcome: list[BaseException | None] = []

    def connect() -> None:  # in a thread, so a connect with no timeout fails the test
        silent = connections.create_connection(DEFAULT_DB_ALIAS)
        silent.settings_dict = {**silent.settings_dict, "HOST": "127.0.0.1", "PORT": port}
        try:
            silent.ensure_connection()
            outcome.append(None)
        except BaseException as error:  # handed to the test
            outcome.append(error)

    trying = threading.Thread(target=connect, daemon=True)
    trying.start()
    trying.join(timeout + 1.5)
    assert not trying.is_alive(), "still connecting"
    assert isinstance(outcome[0], OperationalError)
