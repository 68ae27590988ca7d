#!/usr/bin/env python
"""A warm `bin/run`: seconds from launching `manage.py dev` to the first 200 on /healthz.

What `bin/run` runs once `bin/setup` has nothing to install, on SQLite and the embedded
SeaweedFS, in a temporary directory (its own database and bucket data, free ports): one cold
start sets up the database and the bucket, then `--runs` warm starts are timed, each stopped
with SIGTERM to its process group once /healthz answers 200 (the database and the bucket both
answer). Printed beside them, measured in the same run before each start: one Django start
(`manage.py help`: settings and apps loaded, nothing more), the unit a warm start is made of.

    .venv/bin/python bench/start.py --runs 5 --json bench/results/start.json
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PYTHON, REPO, BenchError, machine, print_table, run_main, write_json

TARGET_S = 5.0  # issue 25: a warm start answers in under five seconds


def free_port(avoid_grpc: bool = False) -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if not avoid_grpc or port + 10_000 <= 65535:  # SeaweedFS also listens 10,000 above
            return port


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def start(env: dict[str, str], workdir: Path, timeout: float = 120) -> dict[str, float]:
    """Launch `manage.py dev`; seconds to the port answering and to /healthz's first 200."""
    port, s3_port = free_port(), free_port(avoid_grpc=True)
    command = [
        PYTHON,
        "manage.py",
        "dev",
        "--port",
        str(port),
        "--s3-port",
        str(s3_port),
        "--data-dir",
        str(workdir / "data"),
    ]
    log = (workdir / "dev.log").open("ab")
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True
    )
    found: dict[str, float] = {}
    try:
        while "healthy" not in found:
            if process.poll() is not None:
                raise BenchError(f"manage.py dev exited ({process.returncode}): see {log.name}")
            elapsed = time.perf_counter() - began
            if elapsed > timeout:
                raise BenchError(f"No 200 from /healthz after {timeout:.0f} s: see {log.name}")
            if "answering" not in found:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    found["answering"] = elapsed
                except OSError:
                    pass
            if "answering" in found and healthy(port):
                found["healthy"] = time.perf_counter() - began
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    return found


def seconds_of(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="Warm starts to time.")
    parser.add_argument("--json", type=Path, help="Also write the results to this JSON file.")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "benchmark": "start",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(sys.argv),
    }
    with tempfile.TemporaryDirectory(prefix="chute-start-") as name:
        workdir = Path(name)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "CHUTE_", "DATABASE_URL", "DJANGO_"))
        }
        env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}")
        print("A cold start (migrations, the bucket) …", flush=True)
        results["cold"] = start(env, workdir)
        print(f"    {results['cold']}", flush=True)
        rows = []
        for run in range(1, args.runs + 1):
            # Interleaved with the baselines, so load that comes and goes touches all alike.
            django = seconds_of([PYTHON, "manage.py", "help"], env)
            warm = start(env, workdir)
            rows.append({"run": run, "django_start_s": round(django, 2), **warm})
            print(f"warm start {run}/{args.runs}: {rows[-1]}", flush=True)
    results["runs"] = rows
    median = {
        key: round(statistics.median(row[key] for row in rows), 2)
        for key in ("answering", "healthy", "django_start_s")
    }
    results["median"] = median
    results["load_average_at_end"] = os.getloadavg()
    print()
    print_table(
        rows,
        [
            ("run", "run"),
            ("answering", "port answers (s)"),
            ("healthy", "/healthz 200 (s)"),
            ("django_start_s", "one Django start (s)"),
        ],
    )
    print(
        f"\nmedian: /healthz 200 after {median['healthy']} s "
        f"(target < {TARGET_S:g} s: {'met' if median['healthy'] < TARGET_S else 'MISSED'}); "
        f"{median['healthy'] / median['django_start_s']:.2f} × one Django start "
        f"({median['django_start_s']} s); load average {results['machine']['load_average_at_start']}"
        f" at the start, {results['load_average_at_end']} at the end"
    )
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    run_main(main)
