#!/usr/bin/env python
"""Upload the same file from Chute's page encrypted and unencrypted, and compare, in one run.

(p) Chute's page in headless Chromium as people use it (multipart above
    CHUTE_MULTIPART_THRESHOLD, a SHA-256 per part); (x) the same page with "Encrypt in this
    browser" ticked: each part's ciphertext (RFC 8188 aes128gcm, 64 KiB records) is made and
    hashed in a worker, then sent the same way. The encrypted run is timed to its done row too
    (the link made after it is not part of the upload).

Both run --rounds times, interleaved (p x, p x, …), after one warm-up each; the medians are
compared. The target: encrypted at least 0.85 × as fast as unencrypted (issue 23).

    .venv/bin/python bench/encrypted_upload.py --size 256MiB [--json bench/results/encrypted.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
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
    run_main,
    sign_in,
    write_json,
)
from bench.upload_throughput import (
    forget,
    open_page,
    result,
    signed_in_browser,
    upload_through_page,
    write_random_file,
)

TARGET = 0.85  # encrypted ÷ unencrypted throughput
WAYS = {"p": "(p) the page, unencrypted", "x": "(x) the page, encrypted in the browser"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("256MiB"))
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds (default 3).")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1).")
    common_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    size = args.size
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    results: dict[str, Any] = {
        "benchmark": "encrypted_upload",
        "date": date.today().isoformat(),
        "machine": machine(),
        "size_bytes": size,
        "command": " ".join(sys.argv),
        "rounds": args.rounds,
    }
    with Stack(
        "encrypted", workers=args.workers, database_url=args.database_url, keep=args.keep
    ) as stack:
        from files.models import Upload

        session = sign_in("bench")
        big = stack.workdir / "bench.bin"
        print(f"Writing {format_bytes(size)} of random bytes …", flush=True)
        write_random_file(big, size)
        timeout_ms = 120_000 + size / (2 * MB) * 1000

        with sync_playwright() as playwright:
            browser, context = signed_in_browser(playwright, stack.base_url, session)
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

            def once(way: str) -> dict[str, Any]:
                open_page(page)
                if way == "x":
                    page.get_by_label("Encrypt in this browser").check()
                with Meter(stack.gunicorn.pid) as meter:
                    run = upload_through_page(page, stack, big, timeout_ms, navigate=False)
                uploads = list(Upload.objects.filter(status=Upload.Status.READY))
                expected = size if way == "p" else encrypted_size(size)
                if len(uploads) != 1 or uploads[0].size != expected:
                    raise BenchError(f"{WAYS[way]}: the bucket did not get {expected} bytes.")
                forget()
                return result(WAYS[way], size, run["seconds"], meter)

            try:
                print("Warm-up: each way once …", flush=True)
                for way in WAYS:
                    once(way)
                for round_number in range(1, args.rounds + 1):
                    for way in WAYS:
                        print(f"round {round_number}/{args.rounds}: {WAYS[way]} …", flush=True)
                        row = once(way)
                        print(f"    {row['mb_per_s']} MB/s")
                        runs[way].append(row)
            except PlaywrightError as error:
                raise BenchError(
                    f"The browser could not finish: {error}; {console[-5:]}"
                ) from error
            finally:
                browser.close()

    rows = []
    for way, way_runs in runs.items():
        seconds = statistics.median(run["seconds"] for run in way_runs)
        rows.append(
            {
                "way": WAYS[way],
                "seconds": round(seconds, 3),
                "mb_per_s": round(size / MB / seconds, 1),
                "mb_per_s_runs": [run["mb_per_s"] for run in way_runs],
            }
        )
    print(f"\nUpload of {format_bytes(size)}, medians of {args.rounds} interleaved rounds\n")
    print_table(
        rows,
        [("way", "way"), ("seconds", "wall s"), ("mb_per_s", "MB/s"), ("mb_per_s_runs", "each")],
    )
    ratio = round(rows[0]["seconds"] / rows[1]["seconds"], 3)
    verdict = "met" if ratio >= TARGET else "MISSED"
    print(f"\nencrypted ÷ unencrypted throughput: {ratio}   target ≥ {TARGET}: {verdict}")
    results.update(runs=rows, rounds_detail=runs, ratio=ratio, target_met=ratio >= TARGET)
    write_json(args.json, results)
    return 0


def encrypted_size(size: int) -> int:
    """The ciphertext's size (static/files/uploader/ece.js): header + 17 bytes a record."""
    records = max(1, -(-size // 65519))
    return 21 + size + 17 * records


if __name__ == "__main__":
    run_main(main)
