"""`manage.py dev` (bin/run): every port is free or chosen, and only our own S3 server is used."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import override_settings

from files import s3
from files.embedded import PortBusy, Ports, SeaweedFS, free_port_pair, port_free
from files.management.commands.dev import dev_environment
from tests.conftest import storage_settings


@contextlib.contextmanager
def taken(port: int) -> Iterator[None]:
    """Another program listening on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_dev_names_the_busy_app_port_and_the_flag_that_changes_it(debug, tmp_path):
    port = free_port_pair()
    with taken(port), pytest.raises(CommandError, match=rf"Port {port} \(the app\).*--port"):
        call_command("dev", port=port, s3_port=free_port_pair(), data_dir=str(tmp_path))


def test_dev_names_the_busy_s3_port_and_the_flag_that_changes_it(debug, tmp_path):
    s3_port = free_port_pair()
    with taken(s3_port), pytest.raises(CommandError, match=rf"Port {s3_port} \(s3\).*--s3-port"):
        call_command("dev", port=free_port_pair(), s3_port=s3_port, data_dir=str(tmp_path))


def test_dev_refuses_to_use_another_seaweedfs_already_on_the_s3_port(debug, tmp_path, seaweedfs):
    with pytest.raises(CommandError, match=rf"{seaweedfs.ports.s3}.*--s3-port"):
        call_command(
            "dev", port=free_port_pair(), s3_port=seaweedfs.ports.s3, data_dir=str(tmp_path)
        )


def test_embedded_server_recognises_itself_and_not_a_stranger_on_its_port(seaweedfs, tmp_path):
    stranger = SeaweedFS(data_dir=tmp_path, ports=seaweedfs.ports)
    assert seaweedfs.is_ours()
    assert not stranger.is_ours()


def test_embedded_server_refuses_to_start_on_a_taken_port_and_names_it(tmp_path):
    ports = Ports.free()
    with taken(ports.volume), pytest.raises(PortBusy, match=rf"Port {ports.volume} \(volume\)"):
        SeaweedFS(data_dir=tmp_path, ports=ports).start()


def test_free_ports_keep_the_chosen_s3_port_and_pick_the_rest_free():
    ports = Ports.free(s3=8333)
    assert ports.s3 == 8333
    internal = [ports.master, ports.volume, ports.filer, ports.admin]
    assert not {9333, 8080, 8888, 23646} & set(internal)
    assert all(port_free(port) and port_free(port + 10_000) for port in internal)


def test_dev_environment_points_children_at_the_chosen_s3_port_and_app_origins():
    env = dev_environment(
        {"CHUTE_CORS_ORIGINS": "https://other.example", "PATH": "/bin"}, port=8123, s3_port=9444
    )
    assert env["AWS_S3_ENDPOINT_URL"] == "http://127.0.0.1:9444"
    assert env["CHUTE_CORS_ORIGINS"].split(",") == [
        "https://other.example",
        "http://127.0.0.1:8123",
        "http://localhost:8123",
    ]
    assert "http://localhost:8123" in env["CSRF_TRUSTED_ORIGINS"].split(",")
    assert env["PATH"] == "/bin"


def processes() -> dict[int, tuple[int, str, str]]:
    """Every process: its parent, state and command line, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # it ended meanwhile
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        found[int(entry.name)] = (int(parent), state, command)
    return found


def running_under(ancestor: int, text: str) -> set[int]:
    """Live processes descending from `ancestor` whose command line contains `text`."""
    table = processes()
    found, frontier = set(), [ancestor]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, state, command) in table.items():
            if ppid == parent:
                frontier.append(pid)
                if text in command and state != "Z":
                    found.add(pid)
    return found


def alive(pid: int) -> bool:
    """Running, not ended nor a zombie left for a parent that is gone."""
    entry = processes().get(pid)
    return entry is not None and entry[1] != "Z"


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"manage.py dev exited with {process.returncode}"
        with contextlib.suppress(requests.ConnectionError):
            return requests.get(url, timeout=2)
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_bin_run_on_chosen_ports_serves_with_cors_for_its_own_port(tmp_path):
    """The real command: --port and --s3-port, SeaweedFS's usual 8080 taken if we can; a
    task worker runs beside the app and stops with it."""
    port, s3_port = free_port_pair(), free_port_pair()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CHUTE_", "CSRF_", "DJANGO_SETTINGS"))
    }
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    command = [sys.executable, "manage.py", "dev", f"--port={port}", f"--s3-port={s3_port}"]
    usual_volume_port = taken(8080) if port_free(8080) else contextlib.nullcontext()
    with usual_volume_port:
        dev = subprocess.Popen(
            [*command, f"--data-dir={tmp_path / 'data'}"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            page = wait_for(f"http://127.0.0.1:{port}/accounts/login/", dev)
            assert page.status_code == 200
            # The app signs for the chosen S3 port (its CSP allows it)...
            assert f"http://127.0.0.1:{s3_port}" in page.headers["Content-Security-Policy"]
            # ...and s3_setup let the app's own origins upload to the bucket.
            server = SeaweedFS(
                data_dir=tmp_path,
                access_key="chute-dev",
                secret_key="chute-dev-secret",  # the development identity bin/run uses
                ports=Ports(s3=s3_port),
            )
            with override_settings(**storage_settings(server, "chute")):
                rules = s3.get_cors()
            assert [rule["AllowedOrigins"] for rule in rules] == [
                [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
            ]
            # The task worker runs next to the app.
            workers = running_under(dev.pid, "manage.py worker")
            assert workers
        finally:
            os.killpg(dev.pid, signal.SIGTERM)
            dev.wait(timeout=30)
    assert dev.returncode == 0
    assert port_free(s3_port) and port_free(port)
    assert not [pid for pid in workers if alive(pid)], "the worker outlived manage.py dev"


def test_the_embedded_server_sends_no_telemetry(seaweedfs):
    # `weed mini` reports anonymous statistics to seaweedfs.com unless told not to.
    assert seaweedfs.process is not None
    assert "-master.telemetry=false" in seaweedfs.process.args


def test_a_warm_start_says_starting_once_the_app_answers_and_starts_django_once_for_it(tmp_path):
    """bin/run's warm start: "starting on …" is printed when the port already answers, and the
    app is one runserver process (manage.py dev is its autoreloader), not a parent and a child."""
    port, s3_port = free_port_pair(), free_port_pair()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CHUTE_", "CSRF_", "DJANGO_SETTINGS"))
    }
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    command = [
        sys.executable,
        "manage.py",
        "dev",
        f"--port={port}",
        f"--s3-port={s3_port}",
        f"--data-dir={tmp_path / 'data'}",
    ]
    for warm in (False, True):  # the first run migrates a new database
        dev = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            assert dev.stdout is not None
            for line in dev.stdout:
                if "Chute is starting on" in line:
                    break
            else:
                raise AssertionError(f"manage.py dev exited with {dev.wait()}")
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass  # answering already when it says so
            if warm:
                assert len(running_under(dev.pid, "manage.py runserver")) == 1
                assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).ok
        finally:
            os.killpg(dev.pid, signal.SIGTERM)
            dev.communicate(timeout=30)
        assert dev.returncode == 0
