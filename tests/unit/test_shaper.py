"""The bench's shaping proxy (bench/shaper.py) in its own process: bytes pass unchanged both
ways under every profile, and it answers what the bench asks of it."""

import hashlib
import os
import socket
import threading

import pytest

from bench import shaper


@pytest.fixture
def echo():
    """A TCP server that sends back what it reads, and the SHA-256 of what it got."""
    server = socket.create_server(("127.0.0.1", 0))
    got: list[str] = []

    def serve() -> None:
        connection, _ = server.accept()
        digest = hashlib.sha256()
        with connection:
            while chunk := connection.recv(1 << 16):
                digest.update(chunk)
                connection.sendall(chunk)
        got.append(digest.hexdigest())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], got
    thread.join(10)
    server.close()


def round_trip(port: int, payload: bytes) -> bytes:
    back = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as client:

        def read() -> None:
            while chunk := client.recv(1 << 16):
                back.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        reader.join(20)
    return bytes(back)


@pytest.mark.parametrize("profile", ["near", "far"])
def test_the_proxy_process_passes_bytes_unchanged_both_ways(echo, profile):
    port, got = echo
    payload = os.urandom(3 * 2**20 + 7)
    with shaper.ProxyProcess("127.0.0.1", port, shaper.PROFILES[profile]) as proxy:
        assert round_trip(proxy.port, payload) == payload
    assert got == [hashlib.sha256(payload).hexdigest()]


def test_the_proxy_process_takes_a_new_target_and_profile_and_counts_no_idle_sender(echo):
    port, _ = echo
    with shaper.ProxyProcess("127.0.0.1", 1) as proxy:
        proxy.target = ("127.0.0.1", port)
        assert proxy.target == ("127.0.0.1", port)
        proxy.profile = shaper.HOME
        assert proxy.profile is shaper.HOME
        assert proxy.sending() == 0
        assert round_trip(proxy.port, b"hello") == b"hello"
