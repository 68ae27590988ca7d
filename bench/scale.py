#!/usr/bin/env python
"""Costs that must stay flat as use grows.

- Requests to Django per GiB uploaded: from the protocol (create + part-URL batches +
  complete, with the server's own part plan), and as measured in the browser when a JSON
  file from upload_throughput.py is given.
- SQL queries for the file list page with 10 and with 10,000 files (paginated: the same
  small number), counted with CaptureQueriesContext through the full middleware stack.
- The page's render time at 10,000 files, next to 10 files measured in the same run.
- With `--cleanup 1000,100000`: one cleanup run's time and S3 requests with that many objects
  stored (SeaweedFS, started here), the same 30 uploads that could still write each time; next
  to a run that lists the whole bucket (`cleanup_uploads --everything`, the old way).

    .venv/bin/python bench/scale.py [--files 10000] [--throughput-json bench/results/upload.json]
    .venv/bin/python bench/scale.py --files 1000 --cleanup 1000,100000
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BenchError,
    common_arguments,
    configure,
    fresh_postgres_database,
    machine,
    print_table,
    run_main,
    write_json,
)

GiB = 1024**3
MAX_LIST_QUERIES = 6  # session, user, count, page: a handful, whatever the number of files


def requests_per_upload(size: int) -> dict[str, Any]:
    """Calls the protocol needs for one file of `size` bytes, with the server's own plan."""
    from django.conf import settings

    from files.uploads import policy

    if size < settings.CHUTE_MULTIPART_THRESHOLD:
        return {"size_bytes": size, "method": "single request", "parts": 0, "requests": 2}
    part_size, part_count = policy.part_plan(size)

    per_batch = policy.MAX_PARTS_PER_SIGN
    batches = math.ceil(part_count / per_batch)
    # static/files/uploader/signer.js signs min(100, max(8, 2 × parallel parts)) parts first, then as
    # many as the server signs in one call (batchSizes).
    parallel = settings.CHUTE_PARALLEL_PARTS
    first_batch = min(per_batch, max(8, 2 * parallel))
    page_batch = per_batch
    page_batches = 1 + math.ceil(max(part_count - first_batch, 0) / page_batch)
    return {
        "size_bytes": size,
        "method": "multipart",
        "part_size": part_size,
        "parts": part_count,
        "part_batches": batches,
        # create, part-URL batches, complete (which confirms)
        "requests": 1 + batches + 1,
        "page_batch": f"{first_batch}, then {page_batch}",
        "page_requests": 1 + page_batches + 1,
    }


def add_files(owner: Any, count: int) -> None:
    from django.utils import timezone

    from files.models import Upload

    now = timezone.now()
    rows = []
    for index in range(count):
        upload_id = uuid.uuid4()
        key = f"users/{owner.pk}/{upload_id.hex}"
        rows.append(
            Upload(
                id=upload_id,
                owner=owner,
                key=key,
                file=key,
                name=f"file-{index:05}.bin",
                size=1024 * (index + 1),
                content_type="application/octet-stream",
                method=Upload.Method.POST,
                status=Upload.Status.READY,
                expires_at=now,
                confirmed_at=now - timedelta(seconds=index),
            )
        )
    Upload.objects.bulk_create(rows, batch_size=2000)


def seed_objects(owner: Any, count: int, threads: int = 48) -> None:
    """`count` confirmed files: a small object each, and its READY row (looked at already)."""
    from files import s3

    add_files(owner, count)
    from files.models import Upload

    keys = list(
        Upload.objects.filter(owner=owner)
        .order_by("-created_at")
        .values_list("file", flat=True)[:count]
    )
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda key: s3.put_bytes(key, b"x"), keys, chunksize=64))


def could_still_write(owner: Any, now: Any) -> None:
    """The same work for every run: 20 single-request uploads whose URLs just expired (each
    with a stray at its upload key) and 10 deleted uploads' keys, each with bytes left."""
    from files import s3
    from files.models import DeletedUpload, Upload

    rows = []
    for index in range(30):
        upload_id = uuid.uuid4()
        key = f"users/{owner.pk}/{upload_id.hex}"
        s3.put_bytes(key, b"late bytes")
        if index < 20:
            s3.put_bytes(f"{key}.copy{index}", b"x")
            rows.append(
                Upload(
                    id=upload_id,
                    owner=owner,
                    key=key,
                    file=f"{key}.copy{index}",
                    name=f"w{index}",
                    size=1,
                    content_type="text/plain",
                    method=Upload.Method.POST,
                    status=Upload.Status.READY,
                    expires_at=now - timedelta(hours=2),
                    confirmed_at=now,
                    sweep_after=now - timedelta(minutes=1),
                )
            )
        else:
            DeletedUpload.objects.create(key=key, sweep_after=now - timedelta(minutes=1))
    Upload.objects.bulk_create(rows)


def measure_cleanup(owner: Any, stored: int, *, everything: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from files import s3
    from files.lifecycle import cleanup

    now = timezone.now() + timedelta(hours=3)
    could_still_write(owner, now - timedelta(hours=3))
    with CaptureQueriesContext(connection) as queries, s3.counting_requests() as sent:
        start = time.perf_counter()
        found = cleanup.cleanup(now=now, everything=everything)
        seconds = time.perf_counter() - start
    return {
        "stored": stored,
        "way": "whole bucket listed" if everything else "keys that could still write",
        "seconds": seconds,
        "s3_requests": len(sent),
        "lists": sent.count("ListObjectsV2"),
        "queries": len(queries.captured_queries),
        "strays": len(found.strays),
    }


def cleanup_costs(sizes: list[int], rounds: int = 3) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from files.models import DeletedUpload, Upload

    owner = get_user_model().objects.create_user("stored")
    results, stored = [], 0
    for size in sizes:
        print(f"Storing {size - stored:,} more objects …", flush=True)
        start = time.perf_counter()
        seed_objects(owner, size - stored)
        stored = size
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
        if not results:
            measure_cleanup(owner, stored, everything=False)  # warm-up: connections, imports
        for everything in (False, True):
            runs = [measure_cleanup(owner, stored, everything=everything) for _ in range(rounds)]
            median = statistics.median(run["seconds"] for run in runs)
            results.append(
                {**runs[0], "seconds": median, "each_s": [round(r["seconds"], 3) for r in runs]}
            )
        # The full listing judged every key that was due: nothing is left to look at.
        Upload.objects.filter(sweep_after__isnull=False).update(sweep_after=None)
        DeletedUpload.objects.all().delete()
    return results


def measure_page(owner: Any, path: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(owner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    # Read now: the next request's request_started signal empties the query log.
    queries = [query["sql"] for query in captured.captured_queries]
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}.")
    rows = response.content.count(b'class="file-row"')
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return {
        "path": path,
        "queries": len(queries),
        "sql": [sql[:160] for sql in queries],
        "full_sql": queries,
        "rows_shown": rows,
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": sorted(times)[int(len(times) * 0.9)] * 1000,
    }


def explain(sql: str) -> dict[str, Any]:
    """PostgreSQL's plan for a captured query: does the list use an index or sort every row?"""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0][0]
    nodes, queue = [], [plan["Plan"]]
    while queue:
        node = queue.pop(0)
        nodes.append(
            node["Node Type"] + (f" using {node['Index Name']}" if "Index Name" in node else "")
        )
        queue.extend(node.get("Plans", []))
    return {"execution_ms": plan["Execution Time"], "nodes": nodes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="Files of the large account.")
    parser.add_argument("--repeat", type=int, default=30, help="Renders timed per page.")
    parser.add_argument(
        "--cleanup",
        help="Objects stored for the cleanup's cost, comma-separated (e.g. 1000,100000).",
    )
    parser.add_argument(
        "--throughput-json",
        type=Path,
        help="upload_throughput.py's --json output, for the requests the browser really made.",
    )
    common_arguments(parser)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="chute-scale-"))
    server = None
    cleanups: list[dict[str, Any]] = []
    try:
        # The list page never calls the bucket; the settings only need to be complete.
        bucket = {"endpoint": "http://127.0.0.1:9", "access_key": "u", "secret_key": "u"}
        if args.cleanup:
            from files.embedded import Ports, SeaweedFS

            server = SeaweedFS(data_dir=workdir / "seaweedfs", ports=Ports.free())
            print("Starting SeaweedFS …", flush=True)
            server.start()
            bucket = {
                "endpoint": server.endpoint,
                "access_key": server.access_key,
                "secret_key": server.secret_key,
            }
        print("Migrating a fresh database and collecting static files …", flush=True)
        configure(
            workdir,
            args.database_url or fresh_postgres_database("chute_bench_scale"),
            origins=["http://127.0.0.1"],
            **bucket,
        )
        import django

        django.setup()
        if args.cleanup:
            from files.management.commands.s3_setup import setup_bucket

            setup_bucket(["*"])
            cleanups = cleanup_costs([int(n) for n in args.cleanup.split(",")])
        from django.conf import settings
        from django.contrib.auth import get_user_model

        User = get_user_model()
        page_size = settings.CHUTE_PAGE_SIZE
        few = User.objects.create_user("few")
        full = User.objects.create_user("one-page")
        many = User.objects.create_user("many")
        print(f"Adding 10, {page_size} and {args.files:,} files …", flush=True)
        add_files(few, 10)
        add_files(full, page_size)
        add_files(many, args.files)
        last_page = math.ceil(args.files / page_size)
        pages = [
            {"files": 10, **measure_page(few, "/", args.repeat)},
            {"files": page_size, **measure_page(full, "/", args.repeat)},
            {"files": args.files, **measure_page(many, "/", args.repeat)},
            {"files": args.files, **measure_page(many, f"/?page={last_page}", args.repeat)},
        ]
        plans_sql = {
            "first page": explain(pages[2]["full_sql"][-1]),
            "count": explain(pages[2]["full_sql"][-2]),
        }
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        plans = [requests_per_upload(size) for size in (GiB, 10 * GiB, 100 * GiB)]
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nFile list page ({database}, {page_size} per page, in-process)\n")
    print_table(
        pages,
        [
            ("files", "files"),
            ("path", "path"),
            ("queries", "queries"),
            ("rows_shown", "rows"),
            ("median_ms", "median ms"),
            ("p90_ms", "p90 ms"),
        ],
    )
    print(f"\nQueries at {args.files:,} files:")
    for sql in pages[2]["sql"]:
        print(f"    {sql}")
    for name, plan in plans_sql.items():
        if plan:
            print(
                f"  {name}: {plan['execution_ms']:.2f} ms in PostgreSQL; {' > '.join(plan['nodes'])}"
            )
    same = pages[0]["queries"] == pages[2]["queries"] <= MAX_LIST_QUERIES
    render_ratio = pages[2]["median_ms"] / pages[1]["median_ms"]
    print(
        f"\nqueries 10 vs {args.files:,} files: {pages[0]['queries']} vs {pages[2]['queries']}"
        f"   target: equal and ≤ {MAX_LIST_QUERIES}: {'met' if same else 'MISSED'}"
    )
    print(
        f"render time, first page: {args.files:,} files / {page_size} files (same rows shown): "
        f"{render_ratio:.2f}×"
    )

    if cleanups:
        print("\nOne cleanup run, the same 30 uploads that could still write each time\n")
        print_table(
            cleanups,
            [
                ("stored", "objects stored"),
                ("way", "strays looked for under"),
                ("seconds", "seconds (median)"),
                ("each_s", "each run"),
                ("s3_requests", "S3 requests"),
                ("lists", "of them ListObjectsV2"),
                ("queries", "SQL queries"),
                ("strays", "strays removed"),
            ],
        )
    print("\nRequests to Django per upload, from the protocol\n")
    print_table(
        [{**plan, "size": f"{plan['size_bytes'] / GiB:g} GiB"} for plan in plans],
        [
            ("size", "file"),
            ("method", "method"),
            ("parts", "parts"),
            ("part_batches", "batches of 100"),
            ("requests", "requests (fewest)"),
            ("page_batch", "page's batch"),
            ("page_requests", "requests (page)"),
        ],
    )
    measured = None
    if args.throughput_json:
        data = json.loads(args.throughput_json.read_text())
        page_run = next((run for run in data.get("runs", []) if run["way"].startswith("a")), None)
        if page_run is None:
            raise BenchError(f"{args.throughput_json} has no run through Chute's page.")
        measured = {
            "size_bytes": data["size_bytes"],
            "requests": page_run["requests_to_django"],
            "per_gib": page_run["requests_to_django"] / (data["size_bytes"] / GiB),
            "method": page_run.get("method"),
        }
        print(
            f"\nMeasured in Chromium ({args.throughput_json}): {measured['requests']} requests "
            f"for {data['size_bytes'] / GiB:g} GiB ({measured['method']}) = "
            f"{measured['per_gib']:.1f} per GiB"
        )
    results = {
        "benchmark": "scale",
        "date": date.today().isoformat(),
        "machine": machine(),
        "command": " ".join(sys.argv),
        "database": database,
        "page_size": page_size,
        "list_page": [{k: v for k, v in page.items() if k != "full_sql"} for page in pages],
        "list_plans": plans_sql,
        "list_queries_flat": same,
        "render_ratio": render_ratio,
        "requests_per_upload": plans,
        "measured_in_browser": measured,
        "cleanup": cleanups,
    }
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    run_main(main)
