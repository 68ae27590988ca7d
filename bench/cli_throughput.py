#!/usr/bin/env python
"""`chute upload` against the client a user with the bucket's own keys would use, in one run.

The same file (default 1 GiB of random bytes) goes to the same SeaweedFS four ways:
(a) `chute upload` (the worktree's client/, an API token made for the run) through Chute under
    gunicorn: declare with the first parts' SHA-256, 64 MiB parts, each part's SHA-256 signed
    into its URL and checked by the bucket, complete;
(b) boto3's `upload_file` with its default TransferConfig (8 MiB parts, 10 threads, and the
    default checksum botocore sends when supported);
(c) boto3's `upload_file` with ExtraArgs={"ChecksumAlgorithm": "SHA256"}: per-part SHA-256
    checked by the bucket, the same integrity as Chute;
(d) `curl -T`, one PUT of the whole file to a presigned URL (boto3's put_object without curl):
    the single-stream ceiling.
(b)–(d) talk straight to the bucket with its identity's keys. Every way runs in a process of
its own (the interpreter's start and imports count, as they do for a user), `--rounds` times,
interleaved (a b c d, a b c d, …); each upload is checked (size in the bucket) and deleted
before the next. Prints MB/s per way (each round and the median; wall time of the process) and
the ratio a ÷ c, target ≥ 1.0.

    .venv/bin/python bench/cli_throughput.py --size 1GiB --rounds 3 [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    MB,
    PYTHON,
    REPO,
    BenchError,
    Stack,
    common_arguments,
    format_bytes,
    machine,
    parse_size,
    print_table,
    run_main,
    sign_in,
    write_json,
)
from bench.upload_throughput import write_random_file

TARGET_A_OVER_C = 1.0
BUCKET = "chute-bench"  # harness.configure's AWS_STORAGE_BUCKET_NAME

WAYS = {
    "a": "a: chute upload",
    "b": "b: boto3 upload_file (defaults)",
    "c": "c: boto3 upload_file, SHA-256",
    "d": "d: curl -T, one presigned PUT",
    "e": "e: chute upload, --baseline-client",
}

# Run in a fresh interpreter, like `chute`: argv = endpoint, key, secret, bucket, object key,
# path, extra args as JSON. Prints the seconds upload_file itself took.
BOTO3_UPLOAD = """
import json, sys, time
import boto3
from botocore.config import Config
endpoint, key, secret, bucket, name, path, extra = sys.argv[1:]
client = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
    region_name="us-east-1", config=Config(s3={"addressing_style": "path"}),
)
start = time.perf_counter()
client.upload_file(path, bucket, name, ExtraArgs=json.loads(extra) or None)
print(time.perf_counter() - start)
"""

BOTO3_PUT = """
import sys, time
import boto3
from botocore.config import Config
endpoint, key, secret, bucket, name, path = sys.argv[1:]
client = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
    region_name="us-east-1", config=Config(s3={"addressing_style": "path"}),
)
start = time.perf_counter()
with open(path, "rb") as body:
    client.put_object(Bucket=bucket, Key=name, Body=body)
print(time.perf_counter() - start)
"""

CHUTE = "import sys; from chute_client.cli import main; sys.argv[0] = 'chute'; sys.exit(main())"


def bucket_client(stack: Stack) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=stack.server.endpoint,
        aws_access_key_id=stack.server.access_key,
        aws_secret_access_key=stack.server.secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of one process; a failure cannot be measured."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise BenchError(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout)[-2000:]}")
    return seconds, done.stdout + done.stderr


def upload_with_chute(
    stack: Stack, token: str, path: Path, size: int, client_dir: Path = REPO / "client"
) -> dict[str, Any]:
    from files.lifecycle import delete
    from files.models import Upload

    env = {
        **os.environ,
        "PYTHONPATH": str(client_dir),
        "CHUTE_URL": stack.base_url,
        "CHUTE_TOKEN": token,
    }
    seconds, output = run([PYTHON, "-c", CHUTE, "upload", "--verbose", str(path)], env)
    file_id = output.split("\t", 1)[0].strip()
    upload = Upload.objects.get(pk=file_id)
    if upload.status != Upload.Status.READY or upload.size != size:
        raise BenchError(f"chute upload did not register {path.name} READY with {size} bytes.")
    delete.delete(upload)
    verbose = output.strip().splitlines()[-1]  # "…: sent 16 of 16 parts, 1.1 GB in 7.9 s (…)"
    inside = re.search(r" in ([0-9.]+) s ", verbose)
    return {
        "seconds": seconds,
        "transfer_seconds": float(inside[1]) if inside else None,
        "verbose": verbose,
    }


def upload_with_boto3(
    stack: Stack, client: Any, path: Path, size: int, extra: dict[str, str]
) -> dict[str, Any]:
    key = f"bench/boto3/{uuid.uuid4().hex}"
    command = [PYTHON, "-c", BOTO3_UPLOAD, stack.server.endpoint, stack.server.access_key]
    command += [stack.server.secret_key, BUCKET, key, str(path), json.dumps(extra)]
    seconds, output = run(command)
    check_and_delete(client, key, size)
    return {"seconds": seconds, "transfer_seconds": float(output.split()[-1])}


def upload_with_curl(stack: Stack, client: Any, path: Path, size: int) -> dict[str, Any]:
    key = f"bench/curl/{uuid.uuid4().hex}"
    curl = shutil.which("curl")
    if curl is None:
        command = [PYTHON, "-c", BOTO3_PUT, stack.server.endpoint, stack.server.access_key]
        command += [stack.server.secret_key, BUCKET, key, str(path)]
        seconds, _ = run(command)
    else:
        url = client.generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=3600
        )
        command = [curl, "-sS", "--fail", "-o", "/dev/null", "-T", str(path), url]
        seconds, _ = run(command)
    check_and_delete(client, key, size)
    return {"seconds": seconds, "tool": "curl" if curl else "boto3 put_object"}


def check_and_delete(client: Any, key: str, size: int) -> None:
    stored = client.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    client.delete_object(Bucket=BUCKET, Key=key)
    if stored != size:
        raise BenchError(f"The bucket holds {stored} bytes for {key}, not {size}.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds (medians).")
    parser.add_argument("--ways", default="abcd", help="Which of a, b, c, d (default abcd).")
    parser.add_argument(
        "--baseline-client",
        type=Path,
        help="Another copy of client/ (e.g. `git archive` of an older commit): adds way e, "
        "`chute upload` from it, for an A/B in the same run.",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3).")
    common_arguments(parser)
    args = parser.parse_args()
    ways = [way for way in WAYS if way in args.ways and way != "e"]
    if args.baseline_client:
        ways.append("e")
    size = args.size
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in ways}
    results: dict[str, Any] = {
        "benchmark": "cli_throughput",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "size_bytes": size,
        "command": " ".join(sys.argv),
        "rounds": args.rounds,
        "load_average": [],
    }
    with Stack(
        "cli", workers=args.workers, database_url=args.database_url, keep=args.keep
    ) as stack:
        from django.contrib.auth import get_user_model

        from files.accounts import tokens

        session = sign_in("bench")
        user = get_user_model().objects.get(pk=session.user_id)
        token = tokens.create(user, name="cli bench").token
        client = bucket_client(stack)
        big = stack.workdir / "bench.bin"
        print(f"Writing {format_bytes(size)} of random bytes …", flush=True)
        write_random_file(big, size)
        warm = stack.workdir / "warm.bin"
        write_random_file(warm, 64 * 1024 * 1024)  # multipart for every way
        print("Warm-up: every way once with 64 MiB …", flush=True)
        for way in ways:
            one(way, stack, token, client, warm, warm.stat().st_size, args.baseline_client)
        for round_number in range(1, args.rounds + 1):
            results["load_average"].append(os.getloadavg())
            for way in ways:
                print(f"round {round_number}/{args.rounds}: {WAYS[way]}, {format_bytes(size)} …")
                row = one(way, stack, token, client, big, size, args.baseline_client)
                row["mb_per_s"] = round(size / MB / row["seconds"], 1)
                print(f"    {row['mb_per_s']} MB/s ({row['seconds']:.2f} s)", flush=True)
                runs[way].append(row)
        results["load_average"].append(os.getloadavg())

    rows = []
    for way in ways:
        seconds = statistics.median(run["seconds"] for run in runs[way])
        rows.append(
            {
                "way": WAYS[way],
                "seconds": round(seconds, 2),
                "mb_per_s": round(size / MB / seconds, 1),
                "mb_per_s_runs": ", ".join(str(run["mb_per_s"]) for run in runs[way]),
                "inside_mb_per_s": inside_speed(runs[way], size),
            }
        )
    print(
        f"\nUpload of {format_bytes(size)} ({size:,} bytes), medians of {args.rounds} "
        f"interleaved rounds, wall time of each way's process; load average "
        f"{' → '.join('/'.join(f'{x:.1f}' for x in load) for load in results['load_average'])}\n"
    )
    print_table(
        rows,
        [
            ("way", "way"),
            ("seconds", "wall s"),
            ("mb_per_s", "MB/s"),
            ("mb_per_s_runs", "MB/s each round"),
            ("inside_mb_per_s", "MB/s in-process (median)"),
        ],
    )
    ratios = {}
    medians = {way: row["seconds"] for way, row in zip(ways, rows, strict=True)}
    for top, bottom in (("a", "c"), ("a", "b"), ("c", "b"), ("a", "d"), ("e", "c"), ("a", "e")):
        if {top, bottom} <= medians.keys():
            ratios[f"throughput_{top}_over_{bottom}"] = round(medians[bottom] / medians[top], 3)
    print()
    for name, value in ratios.items():
        line = f"{name:20} {value}"
        if name == "throughput_a_over_c":
            met = value >= TARGET_A_OVER_C
            line += f"   target >= {TARGET_A_OVER_C}: {'met' if met else 'MISSED'}"
        print(line)
    for way in "ae":
        if way in runs:
            print(f"\n({way}) last round, chute --verbose: {runs[way][-1]['verbose']}")
    results.update(runs=rows, rounds_detail=runs, ratios=ratios)
    write_json(args.json, results)
    return 0


def inside_speed(runs: list[dict[str, Any]], size: int) -> float | None:
    """MB/s by the tool's own clock (from its first request to done, no start-up), if it tells."""
    seconds = [run["transfer_seconds"] for run in runs if run.get("transfer_seconds")]
    return round(size / MB / statistics.median(seconds), 1) if seconds else None


def one(
    way: str, stack: Stack, token: str, client: Any, path: Path, size: int, baseline: Path | None
) -> dict[str, Any]:
    if way == "a":
        return upload_with_chute(stack, token, path, size)
    if way == "e":
        assert baseline is not None
        return upload_with_chute(stack, token, path, size, baseline)
    if way == "b":
        return upload_with_boto3(stack, client, path, size, {})
    if way == "c":
        return upload_with_boto3(stack, client, path, size, {"ChecksumAlgorithm": "SHA256"})
    return upload_with_curl(stack, client, path, size)


if __name__ == "__main__":
    run_main(main)
