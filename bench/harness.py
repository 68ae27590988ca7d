"""What every benchmark needs: a production-like Chute (SeaweedFS, PostgreSQL, gunicorn with
DEBUG off), the Django process's CPU and memory read from /proc, tables and JSON.

Nothing here is mocked: the bucket is a real `weed mini`, the database a real PostgreSQL
database created for the run, and the app runs under gunicorn as the Procfile runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MB = 1000 * 1000
MiB = 1024 * 1024

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


class BenchError(Exception):
    """Raised when a benchmark cannot measure; the script prints it and exits non-zero."""


# --- Arguments and output -----------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_size(text: str) -> int:
    """'1GiB' -> 1073741824; plain numbers are bytes."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 1GiB or 200MiB.")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "b").lower()])


def format_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="Also write the results to this JSON file.")
    parser.add_argument(
        "--database-url",
        help="Database for the run (default: a fresh PostgreSQL database on 127.0.0.1:5432).",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the run's temporary directory for inspection."
    )


def machine() -> dict[str, Any]:
    memory = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 1024**3, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        # Other work on a shared machine skews absolute figures; ratios measured in the same
        # run are what to compare.
        "load_average_at_start": os.getloadavg(),
    }


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Print rows as an aligned table; columns are (key, heading)."""
    cells = [[heading for _, heading in columns]]
    for row in rows:
        cells.append([_cell(row.get(key)) for key, _ in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for index, line in enumerate(cells):
        print("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def write_json(path: Path | None, results: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nWrote {path}")


def run_main(main: Any) -> None:
    """Run a benchmark's main(); a BenchError becomes a message and exit status 1."""
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"\nCould not measure: {error}", file=sys.stderr)
        sys.exit(1)


# --- The Django process, seen from /proc --------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(child) for child in task.read_text().split())
        except OSError:
            continue
    return found


def process_tree(root: int) -> list[int]:
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        queue.extend(_children(pid))
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (fields 14 and 15 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may hold spaces; the fields after its closing parenthesis are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


@dataclass
class Usage:
    """CPU seconds and resident memory of a process tree over a measured interval."""

    cpu_seconds: float
    rss_before: int
    rss_peak: int
    rss_after: int

    @property
    def rss_growth(self) -> int:
        return self.rss_peak - self.rss_before

    def as_json(self) -> dict[str, Any]:
        return {
            "cpu_seconds": round(self.cpu_seconds, 3),
            "rss_before_bytes": self.rss_before,
            "rss_peak_bytes": self.rss_peak,
            "rss_after_bytes": self.rss_after,
            "rss_growth_bytes": self.rss_growth,
        }


class Meter:
    """Samples a process tree's total RSS in a thread; CPU comes from /proc at both ends.

    /proc counts CPU in clock ticks (1/100 s), per process: figures below ~0.05 s are noise.
    """

    def __init__(self, root: int, interval: float = 0.02) -> None:
        self.root = root
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._peak = 0
        self._cpu_before: dict[int, float] = {}
        self.usage: Usage | None = None

    def _rss(self) -> int:
        return sum(rss_bytes(pid) for pid in process_tree(self.root))

    def _cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in process_tree(self.root)}

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, self._rss())

    def __enter__(self) -> Meter:
        self._cpu_before = self._cpu()
        self._before = self._peak = self._rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        after_cpu = self._cpu()
        # A process that appeared during the interval counts from zero.
        used = sum(cpu - self._cpu_before.get(pid, 0.0) for pid, cpu in after_cpu.items())
        after = self._rss()
        self.usage = Usage(
            cpu_seconds=used,
            rss_before=self._before,
            rss_peak=max(self._peak, after),
            rss_after=after,
        )


# --- The stack ----------------------------------------------------------------------------


def fresh_postgres_database(name: str) -> str:
    """Drop and create `name` on the local PostgreSQL; returns its URL."""
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        raise BenchError(
            f"PostgreSQL at {POSTGRES_URL} refused to create {name!r} ({error}); "
            "start it or pass --database-url."
        ) from error
    return f"{POSTGRES_URL}/{name}"


@dataclass
class Stack:
    """SeaweedFS + a fresh database + Chute under gunicorn, production settings (DEBUG off)."""

    name: str
    workers: int = 3
    database_url: str | None = None
    keep: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    # Further browser origins the bucket's CORS rule allows (another gunicorn of the same run).
    extra_origins: list[str] = field(default_factory=list)
    workdir: Path = field(init=False)
    port: int = field(init=False, default=0)
    gunicorn: subprocess.Popen | None = field(init=False, default=None)
    server: Any = field(init=False, default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def worker_pids(self) -> list[int]:
        return _children(self.gunicorn.pid) if self.gunicorn else []

    def __enter__(self) -> Stack:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"chute-{self.name}-"))
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        from files.embedded import Ports, SeaweedFS, free_port_pair

        self.server = SeaweedFS(
            data_dir=self.workdir / "seaweedfs",
            ports=Ports.free(),
            access_key="bench-" + secrets.token_hex(4),
            secret_key=secrets.token_hex(20),
        )
        print(f"Starting SeaweedFS in {self.workdir} …", flush=True)
        try:
            self.server.start()
        except RuntimeError as error:
            raise BenchError(str(error)) from error
        self.port = free_port_pair()
        configure(
            self.workdir,
            self.database_url or fresh_postgres_database(f"chute_bench_{self.name}"),
            endpoint=self.server.endpoint,
            access_key=self.server.access_key,
            secret_key=self.server.secret_key,
            origins=[self.base_url, f"http://localhost:{self.port}", *self.extra_origins],
            extra_env=self.extra_env,
        )
        manage("s3_setup", "--wait", "30")
        self._start_gunicorn()
        import django

        django.setup()

    def _start_gunicorn(self) -> None:
        self.gunicorn = self.launch_gunicorn(self.port, self.workers, "gunicorn.log")

    def launch_gunicorn(
        self, port: int, workers: int, log_name: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        """gunicorn as the Procfile runs it on 127.0.0.1:`port`, once it answers /healthz.

        `env` replaces the environment (default: this process's, which configure() set): a
        second gunicorn of the same run with other settings (bench/network.py)."""
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 (the child keeps it)
        # The Procfile's command (its config file when there is one), on loopback; the long
        # timeout lets the classic baseline's sync worker hold a 1 GiB request body.
        config = REPO / "project" / "gunicorn.py"
        command = [
            str(Path(PYTHON).parent / "gunicorn"),
            *(["--config", str(config)] if config.exists() else []),
            "project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "900",
            "--access-logfile",
            str(self.workdir / log_name.replace("gunicorn", "access")),
        ]
        if not config.exists():
            command += ["--access-logformat", '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms']
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"gunicorn exited; see {self.workdir / log_name}")
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200 and len(_children(process.pid)) >= workers:
                        return process
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        process.terminate()
        raise BenchError(f"gunicorn did not answer /healthz; see {self.workdir / log_name}")

    def warm_workers(self, path: str = "/bench/trivial", requests: int = 20) -> None:
        """Let every worker import its code paths before anything is measured."""
        for _ in range(requests):
            urllib.request.urlopen(f"{self.base_url}{path}", timeout=5).read()

    def __exit__(self, *exc: object) -> None:
        if self.gunicorn and self.gunicorn.poll() is None:
            self.gunicorn.terminate()
            try:
                self.gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.gunicorn.kill()
                self.gunicorn.wait()
        if self.server:
            self.server.stop()
        if self.keep:
            print(f"Kept {self.workdir}")
        elif hasattr(self, "workdir"):
            shutil.rmtree(self.workdir, ignore_errors=True)


def configure(
    workdir: Path,
    database_url: str,
    *,
    endpoint: str,
    access_key: str,
    secret_key: str,
    origins: list[str],
    extra_env: dict[str, str] | None = None,
) -> None:
    """Production settings through the environment (DEBUG off), then migrate and collectstatic.

    Sets os.environ, so this process (django.setup()) and its children agree.
    """
    upload_tmp = workdir / "upload-tmp"
    upload_tmp.mkdir(exist_ok=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": database_url,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_STORAGE_BUCKET_NAME": "chute-bench",
            "CHUTE_CORS_ORIGINS": ",".join(origins),
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "BENCH_STATIC_ROOT": str(workdir / "static"),
            "BENCH_UPLOAD_TEMP_DIR": str(upload_tmp),
            **(extra_env or {}),
        }
    )
    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")


def manage(*arguments: str) -> None:
    answer = subprocess.run(
        [PYTHON, "manage.py", *arguments], cwd=REPO, capture_output=True, text=True, check=False
    )
    if answer.returncode:
        raise BenchError(f"manage.py {' '.join(arguments)} failed:\n{answer.stderr[-3000:]}")


# --- Signed-in clients --------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """A signed-in user's cookies and the CSRF header value that goes with them."""

    user_id: int
    cookies: dict[str, str]
    csrf: str

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie_header, "X-CSRFToken": self.csrf}


def sign_in(username: str) -> Session:
    """Create `username` and a real database session for it (as the login view would)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils.crypto import get_random_string

    user, _ = get_user_model().objects.get_or_create(username=username)
    client = Client()
    client.force_login(user)
    csrf = get_random_string(32)
    return Session(
        user_id=user.pk,
        cookies={
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        csrf=csrf,
    )


def url_exists(path: str) -> bool:
    """Whether the running URLconf routes `path` (features other issues add may be missing)."""
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start
