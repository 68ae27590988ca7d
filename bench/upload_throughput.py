#!/usr/bin/env python
"""Upload one file three ways against the same SeaweedFS and compare.

(a) Chute's page in headless Chromium (whatever upload.js does for this size: multipart once
    it lands, one presigned POST before); (b) `curl -T` to one presigned PUT URL, the raw
    bucket; (c) the classic tutorial view: Chromium posts the file to Django, which saves it
    through django-storages. For each: wall seconds, MB/s, and the gunicorn process tree's CPU
    seconds and peak RSS during the upload.

    .venv/bin/python bench/upload_throughput.py --size 1GiB [--json bench/results/upload.json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    MB,
    BenchError,
    Meter,
    Stack,
    common_arguments,
    format_bytes,
    machine,
    parse_size,
    print_table,
    process_tree,
    rss_bytes,
    run_main,
    sign_in,
    write_json,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TARGET_THROUGHPUT_RATIO = 0.9  # (a) reaches 90% of the raw bucket's speed
TARGET_CPU_RATIO = 0.01  # Django's CPU for (a) is at most 1% of the classic view's
TARGET_RSS_GROWTH = 20 * MB  # whatever the file size


def write_random_file(path: Path, size: int) -> None:
    """Incompressible bytes, so no layer can shortcut the transfer."""
    chunk = 64 * 1024 * 1024
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(chunk, left))
            out.write(block)
            left -= len(block)


def result(way: str, size: int, seconds: float, meter: Meter, **extra: Any) -> dict[str, Any]:
    assert meter.usage is not None
    return {
        "way": way,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / MB / seconds, 1),
        "django_cpu_s": round(meter.usage.cpu_seconds, 3),
        "django_rss_peak_mib": round(meter.usage.rss_peak / 2**20, 1),
        "django_rss_growth_mib": round(meter.usage.rss_growth / 2**20, 1),
        **meter.usage.as_json(),
        **extra,
    }


# --- (a) Chute's page ---------------------------------------------------------------------


def upload_through_page(page: Any, stack: Stack, path: Path, timeout_ms: float) -> dict[str, Any]:
    """Choose the file on Chute's page and wait until its row says Uploaded."""
    page.goto("/")
    page.wait_for_selector("[data-uploader]", state="attached")
    requests: list[str] = []

    def count(request: Any) -> None:
        if request.url.startswith(stack.base_url):
            requests.append(f"{request.method} {request.url[len(stack.base_url) :]}")

    page.on("request", count)
    start = time.perf_counter()
    page.set_input_files("#file-input", str(path))
    finished = page.wait_for_selector(
        ".transfer.done, .transfer.failed", state="attached", timeout=timeout_ms
    )
    seconds = time.perf_counter() - start
    page.remove_listener("request", count)
    if "failed" in (finished.get_attribute("class") or ""):
        text = finished.inner_text()
        raise BenchError(f"Chute's page reported a failed upload: {text!r}")
    return {"seconds": seconds, "requests": requests}


def check_registered(name: str, size: int) -> str:
    from files.models import Upload

    upload = Upload.objects.filter(name=name).order_by("-created_at").first()
    if upload is None or upload.status != Upload.Status.READY or upload.size != size:
        raise BenchError(f"{name} was not registered READY with {size} bytes.")
    return upload.method


# --- (b) curl to one presigned PUT ---------------------------------------------------------


def upload_with_curl(path: Path, size: int) -> float:
    from files import s3

    key = f"bench/raw/{uuid.uuid4().hex}"
    put = s3.presign_put(key, content_type="application/octet-stream", size=size, expires_in=3600)
    command = ["curl", "-sS", "--fail", "-o", "/dev/null", "-T", str(path)]
    for name, value in put.headers.items():
        command += ["-H", f"{name}: {value}"]
    start = time.perf_counter()
    answer = subprocess.run([*command, put.url], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if answer.returncode:
        raise BenchError(f"curl -T to the presigned PUT failed: {answer.stderr.strip()}")
    if s3.head(key).size != size:
        raise BenchError("The bucket holds a different size than curl sent.")
    return seconds


# --- (c) the classic Django-proxied upload -------------------------------------------------


def upload_through_django(page: Any, path: Path, timeout_ms: float) -> float:
    page.goto("/bench/classic-upload")
    page.set_input_files("#classic-file", str(path))
    start = time.perf_counter()
    page.click("#classic-submit", no_wait_after=True)
    page.wait_for_selector("#saved", state="attached", timeout=timeout_ms)
    return time.perf_counter() - start


def check_classic(user_id: int, name: str, size: int) -> None:
    from files import s3

    keys = [key for key in s3.list_keys(f"classic/{user_id}/") if name in key]
    if not keys or s3.head(keys[-1]).size != size:
        raise BenchError("The classic view did not store the whole file in the bucket.")


def page_sends_multipart() -> bool:
    """Whether the page's uploader speaks the multipart protocol (it calls the parts API)."""
    script = Path(__file__).resolve().parent.parent / "static" / "files" / "upload.js"
    return "/parts" in script.read_text()


# --- Main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gunicorn workers (default 1: 'the Django process' is then one process).",
    )
    parser.add_argument(
        "--ways", default="abc", help="Which of a, b, c to run (default abc; ratios need all)."
    )
    parser.add_argument(
        "--single-request",
        action="store_true",
        help="Raise CHUTE_MULTIPART_THRESHOLD above the size so the page sends one POST "
        "(automatic while static/files/upload.js cannot send multipart uploads).",
    )
    common_arguments(parser)
    args = parser.parse_args()
    extra_env = {}
    if args.single_request or not page_sends_multipart():
        print("(a) will use one presigned POST: CHUTE_MULTIPART_THRESHOLD raised above the size.")
        extra_env["CHUTE_MULTIPART_THRESHOLD"] = str(args.size + 1)
    # Playwright's sync API runs an event loop in this thread; the ORM checks stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    size = args.size
    rows: list[dict[str, Any]] = []
    results: dict[str, Any] = {
        "benchmark": "upload_throughput",
        "date": date.today().isoformat(),
        "machine": machine(),
        "size_bytes": size,
        "command": " ".join(sys.argv),
    }
    with Stack(
        "upload",
        workers=args.workers,
        database_url=args.database_url,
        keep=args.keep,
        extra_env=extra_env,
    ) as stack:
        from django.conf import settings

        session = sign_in("bench")
        big = stack.workdir / "bench.bin"
        print(f"Writing {format_bytes(size)} of random bytes …", flush=True)
        write_random_file(big, size)
        # Warm-up: the same code paths once, so what follows measures the upload, not imports.
        # A multipart warm-up needs a file at the threshold; a single request needs 1 MiB.
        threshold = settings.CHUTE_MULTIPART_THRESHOLD
        warm_size = min(size, threshold if threshold <= size else 1024 * 1024)
        warm = stack.workdir / "warm.bin"
        write_random_file(warm, warm_size)
        timeout_ms = 120_000 + size / (2 * MB) * 1000  # assumes at least 2 MB/s
        results["settings"] = {
            "CHUTE_MULTIPART_THRESHOLD": settings.CHUTE_MULTIPART_THRESHOLD,
            "CHUTE_PART_SIZE": settings.CHUTE_PART_SIZE,
            "CHUTE_PARALLEL_PARTS": settings.CHUTE_PARALLEL_PARTS,
            "CHUTE_UPLOAD_METHOD": settings.CHUTE_UPLOAD_METHOD,
            "gunicorn_workers": args.workers,
        }
        results["django_rss_cold_bytes"] = sum(
            rss_bytes(pid) for pid in process_tree(stack.gunicorn.pid)
        )

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
            )
            context = browser.new_context(base_url=stack.base_url)
            context.set_default_timeout(60_000)
            context.add_cookies(
                [
                    {"name": name, "value": value, "url": stack.base_url}
                    for name, value in session.cookies.items()
                ]
            )
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            try:
                if "a" in args.ways:
                    print("(a) warm-up through Chute's page …", flush=True)
                    upload_through_page(page, stack, warm, timeout_ms)
                    print(f"(a) {format_bytes(size)} through Chute's page …", flush=True)
                    with Meter(stack.gunicorn.pid) as meter:
                        page_run = upload_through_page(page, stack, big, timeout_ms)
                    method = check_registered(big.name, size)
                    rows.append(
                        result(
                            "a: Chute page (Chromium)",
                            size,
                            page_run["seconds"],
                            meter,
                            method=method,
                            requests_to_django=len(page_run["requests"]),
                            requests=page_run["requests"],
                        )
                    )
                if "b" in args.ways:
                    print(f"(b) {format_bytes(size)} with curl -T to a presigned PUT …", flush=True)
                    with Meter(stack.gunicorn.pid) as meter:
                        seconds = upload_with_curl(big, size)
                    rows.append(result("b: curl -T presigned PUT", size, seconds, meter))
                if "c" in args.ways:
                    print("(c) warm-up through the classic Django view …", flush=True)
                    upload_through_django(page, warm, timeout_ms)
                    print(f"(c) {format_bytes(size)} through the classic Django view …", flush=True)
                    with Meter(stack.gunicorn.pid) as meter:
                        seconds = upload_through_django(page, big, timeout_ms)
                    check_classic(session.user_id, big.name, size)
                    rows.append(result("c: classic Django view", size, seconds, meter))
            except PlaywrightError as error:
                raise BenchError(
                    f"The browser could not finish: {error}; console errors: {console[-5:]}"
                ) from error
            finally:
                browser.close()

    by_way = {row["way"][0]: row for row in rows}
    print(f"\nUpload of {format_bytes(size)} ({size:,} bytes), gunicorn workers: {args.workers}\n")
    print_table(
        rows,
        [
            ("way", "way"),
            ("seconds", "wall s"),
            ("mb_per_s", "MB/s"),
            ("django_cpu_s", "Django CPU s"),
            ("django_rss_peak_mib", "Django peak RSS MiB"),
            ("django_rss_growth_mib", "RSS growth MiB"),
        ],
    )
    ratios: dict[str, Any] = {}
    if "a" in by_way:
        a = by_way["a"]
        print(
            f"\n(a) used method {a['method']!r} and {a['requests_to_django']} requests to Django:"
        )
        for line in a["requests"]:
            print(f"    {line}")
        ratios["rss_growth_a_bytes"] = a["rss_growth_bytes"]
    if {"a", "b"} <= by_way.keys():
        ratios["throughput_a_over_b"] = round(by_way["a"]["mb_per_s"] / by_way["b"]["mb_per_s"], 3)
    if {"a", "c"} <= by_way.keys():
        ratios["cpu_a_over_c"] = round(
            by_way["a"]["cpu_seconds"] / max(by_way["c"]["cpu_seconds"], 1e-9), 4
        )
        ratios["throughput_a_over_c"] = round(by_way["a"]["mb_per_s"] / by_way["c"]["mb_per_s"], 3)
    targets = {
        "throughput_a_over_b": (">=", TARGET_THROUGHPUT_RATIO),
        "cpu_a_over_c": ("<=", TARGET_CPU_RATIO),
        "rss_growth_a_bytes": ("<", TARGET_RSS_GROWTH),
    }
    print()
    verdicts = {}
    for name, value in ratios.items():
        line = f"{name:24} {value}"
        if name in targets:
            op, limit = targets[name]
            met = {">=": value >= limit, "<=": value <= limit, "<": value < limit}[op]
            verdicts[name] = met
            line += f"   target {op} {limit}: {'met' if met else 'MISSED'}"
        print(line)
    results.update(runs=rows, ratios=ratios, targets_met=verdicts)
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    run_main(main)
