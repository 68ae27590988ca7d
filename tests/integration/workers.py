"""Task workers for the tests: the database queue's or RQ's worker in this process until no task
is ready (`run_worker`), or `manage.py worker` in a subprocess with production settings on the
test database (`worker_env`), SIGKILLed with everything it started once a condition holds
(`run_worker_until`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from files.tasks import worker

ROOT = Path(__file__).resolve().parents[2]


def run_worker() -> None:
    """`manage.py worker --burst` in this process; the worker's signal handlers are undone."""
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    handlers = {number: signal.getsignal(number) for number in signals}
    try:
        worker.run(burst=True)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def database_url() -> str:
    """The URL of the test database this process uses, for a worker in another process."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    return (
        f"postgres://{config['USER']}{password}@{config['HOST']}:{config['PORT']}/{config['NAME']}"
    )


def outside_env() -> dict[str, str]:
    """This process's environment without Django's, Chute's, AWS's or pytest's settings: what
    another process starts from before it is given its own."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHUTE_", "AWS_", "PYTEST_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }


def production_env(seaweedfs, bucket: str, **extra: str) -> dict[str, str]:
    """`outside_env` with production settings (DEBUG off) on the test database and `bucket`,
    and `extra`."""
    env = outside_env()
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,  # the webhooks' secrets derive from it
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url(),
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=seaweedfs.endpoint,
        AWS_ACCESS_KEY_ID=seaweedfs.access_key,
        AWS_SECRET_ACCESS_KEY=seaweedfs.secret_key,
        **extra,
    )
    return env


def worker_env(seaweedfs, bucket: str, **extra: str) -> dict[str, str]:
    """`production_env` for a worker that delivers to local webhooks and sweeps every second."""
    return production_env(
        seaweedfs,
        bucket,
        **{
            "CHUTE_WEBHOOK_ALLOW_PRIVATE": "1",
            "CHUTE_WEBHOOK_SWEEP_INTERVAL": "1",
            "CHUTE_WEBHOOK_TIMEOUT": "3",  # a claim's lease: 3 × 3 + 5 = 14 s
            "CHUTE_CLEANUP_INTERVAL": "0",
            **extra,
        },
    )


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def running_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`manage.py worker` in a subprocess (output appended to `log`), killed at the end."""
    process = start_worker(env, log)
    try:
        yield process
    finally:
        kill(process)


def run_worker_until(
    env: dict[str, str], log: Path, condition: Callable[[], bool], what: str, linger: float = 0
) -> None:
    """`manage.py worker` in a subprocess until `condition` holds (at most 120 s, else fail
    saying `what`) and `linger` seconds more; then SIGKILLed, whatever it was doing."""
    with running_worker(env, log):
        wait_for(condition, 120, what, log)
        time.sleep(linger)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ's work horses leave the process group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and everything it started: nothing gets to clean up."""
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}; worker log:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
