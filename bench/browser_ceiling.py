#!/usr/bin/env python
"""What Chromium itself reaches against the same SeaweedFS, without Chute's page.

Explains upload_throughput.py's (a)/(b) ratio: the same file sent from the same headless
Chromium by a few lines of script, with URLs presigned through files/s3/:

  single    one XHR PUT of the whole file (Chromium's own ceiling for one request)
  parts     N parallel XHR PUTs of part-sized slices, no checksums
  hashed    the same, each worker hashing its part (WebCrypto SHA-256) right before its PUT,
            the checksum signed into the URL as Chute does: the best case for Chute's protocol
  hash-first every part hashed before any is sent, then the parts: signing the whole file
            in one batch (the fewest requests to Django)
  hash-only SHA-256 of every part, nothing sent (what integrity costs on its own)
  read-only every part read into memory, nothing hashed (the reading share of that cost)

    .venv/bin/python bench/browser_ceiling.py --size 1GiB [--json bench/results/ceiling.json]
    .venv/bin/python bench/browser_ceiling.py --configs 16x4,32x4,64x2,64x4 --rounds 3

--configs tries other part sizes and parts in flight (the protocol's best case for each);
the page's adaptive part size is to be chosen from what wins here.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import statistics
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import MB, Stack, common_arguments, machine, parse_size, print_table, run_main
from bench.harness import write_json as save_json
from bench.upload_throughput import CHROMIUM, CHROMIUM_FLAGS, upload_with_curl, write_random_file

SCRIPT = """
async ({mode, single, urls, partSize, parallel}) => {
  const file = document.getElementById('ceiling-file').files[0];
  const put = (url, body, headers) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.onload = () => xhr.status < 300 ? resolve() : reject(new Error(`${xhr.status} ${xhr.responseText}`));
    xhr.onerror = () => reject(new Error('network error'));
    xhr.send(body);
  });
  const sha256 = async (blob) => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    return btoa(String.fromCharCode(...digest));
  };
  const slice = (i) => file.slice(i * partSize, (i + 1) * partSize);
  const start = performance.now();
  if (mode === 'single') {
    await put(single, file, {'Content-Type': 'application/octet-stream'});
  } else if (mode === 'hash-only') {
    for (let i = 0; i < urls.length; i++) await sha256(slice(i));
  } else if (mode === 'read-only') {
    for (let i = 0; i < urls.length; i++) await slice(i).arrayBuffer();
  } else if (mode === 'hash-first') {
    // Every part hashed (two at a time, as the page does) before the first byte is sent:
    // what signing the whole file in one batch would cost.
    const sums = new Array(urls.length);
    let next = 0;
    const hasher = async () => { while (next < urls.length) { const i = next++; sums[i] = await sha256(slice(i)); } };
    await Promise.all([hasher(), hasher()]);
    next = 0;
    const worker = async () => {
      while (next < urls.length) {
        const i = next++;
        await put(urls[i], slice(i), {'x-amz-checksum-sha256': sums[i]});
      }
    };
    await Promise.all(Array.from({length: parallel}, worker));
  } else if (mode === 'ahead') {
    // The page's pipeline: one hasher stays up to 2 × `parallel` parts ahead of the senders.
    const sums = new Array(urls.length);
    let sent = 0;
    let wake = () => {};
    const waiting = [];
    const hasher = (async () => {
      for (let i = 0; i < urls.length; i++) {
        while (i - sent >= 2 * parallel) await new Promise((resolve) => { wake = resolve; });
        sums[i] = await sha256(slice(i));
        waiting.splice(0).forEach((resolve) => resolve());
      }
    })();
    let next = 0;
    const worker = async () => {
      while (next < urls.length) {
        const i = next++;
        while (sums[i] === undefined) await new Promise((resolve) => waiting.push(resolve));
        await put(urls[i], slice(i), {'x-amz-checksum-sha256': sums[i]});
        sent++;
        wake();
      }
    };
    await Promise.all([hasher, ...Array.from({length: parallel}, worker)]);
  } else {
    let next = 0;
    const worker = async () => {
      while (next < urls.length) {
        const i = next++;
        const headers = mode === 'hashed' ? {'x-amz-checksum-sha256': await sha256(slice(i))} : {};
        await put(urls[i], slice(i), headers);
      }
    };
    await Promise.all(Array.from({length: parallel}, worker));
  }
  return (performance.now() - start) / 1000;
}
"""


def part_checksums(path: Path, part_size: int) -> list[str]:
    sums = []
    with path.open("rb") as source:
        while chunk := source.read(part_size):
            sums.append(base64.b64encode(hashlib.sha256(chunk).digest()).decode())
    return sums


def part_urls(size: int, part_size: int, checksums: list[str] | None) -> list[str]:
    from files import s3

    key = f"bench/ceiling/{uuid.uuid4().hex}"
    upload_id = s3.create_multipart(key, content_type="application/octet-stream")
    count = -(-size // part_size)
    # One URL at a time: `parts` mode signs no checksum, which only presign_part does (Chute's
    # batches always sign one), and like before no length is signed (the same URLs as ever).
    return [
        s3.presign_part(
            key,
            upload_id=upload_id,
            number=number,
            sha256=checksums[number - 1] if checksums else "",
            expires_in=3600,
        )
        for number in range(1, count + 1)
    ]


CONFIG_MODES = {
    "": ("hashed", "SHA-256 per part, hashed right before its PUT"),
    "a": ("ahead", "SHA-256 per part, hashed ahead of the PUTs"),
    "n": ("parts", "no checksums"),
}


def parse_configs(text: str) -> list[tuple[int, int, str]]:
    """'16x4,64x2a,64x1n' -> [(16 MiB, 4, 'hashed'), (64 MiB, 2, 'ahead'), (64 MiB, 1, 'parts')].

    Part size in MiB × parts in flight, then how parts are checksummed: nothing (each
    worker hashes its part right before sending it), `a` (one hasher runs ahead of the
    senders, as the page does) or `n` (no checksums).
    """
    configs = []
    for item in text.split(","):
        size, _, rest = item.strip().partition("x")
        parallel = rest.rstrip("an")
        configs.append(
            (int(size) * 2**20, int(parallel or 1), CONFIG_MODES[rest[len(parallel) :]][0])
        )
    return configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument(
        "--configs",
        type=parse_configs,
        default=None,
        help="Part size (MiB) × parts in flight to try, e.g. 16x4,64x2a,64x1n: SHA-256 "
        "hashed before each PUT, `a` hashed ahead of the PUTs, `n` no checksum "
        "(default: the server's plan only).",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="Interleaved rounds; medians are reported."
    )
    common_arguments(parser)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {
        "benchmark": "browser_ceiling",
        "date": date.today().isoformat(),
        "machine": machine(),
        "size_bytes": args.size,
        "command": " ".join(sys.argv),
        "rounds": args.rounds,
    }
    seconds: dict[str, list[float]] = {}
    with Stack("ceiling", workers=1, database_url=args.database_url, keep=args.keep) as stack:
        from django.conf import settings

        from files import s3
        from files.uploads import policy

        part_size, _ = policy.part_plan(args.size)
        parallel = settings.CHUTE_PARALLEL_PARTS
        big = stack.workdir / "bench.bin"
        write_random_file(big, args.size)
        checksums = {part_size: part_checksums(big, part_size)}
        # (label, mode, part size, parallel)
        ways: list[tuple[str, str, int, int]] = [
            ("curl -T one presigned PUT", "curl", 0, 0),
            ("Chromium, one XHR PUT", "single", 0, 0),
            (f"Chromium, {parallel} parallel part PUTs", "parts", part_size, parallel),
            (
                f"Chromium, {parallel} × {part_size // 2**20} MiB parts + SHA-256 per part",
                "hashed",
                part_size,
                parallel,
            ),
        ]
        described = {mode: text for mode, text in CONFIG_MODES.values()}
        for size, in_flight, mode in args.configs or []:
            if (size, in_flight, mode) in (
                (part_size, parallel, "hashed"),
                (part_size, parallel, "parts"),
            ):
                continue
            checksums.setdefault(size, part_checksums(big, size))
            label = f"Chromium, {in_flight} × {size // 2**20} MiB parts, {described[mode]}"
            ways.append((label, mode, size, in_flight))
        ways.append(
            (
                f"Chromium, every part hashed first, then {parallel} × "
                f"{part_size // 2**20} MiB parts (one batch)",
                "hash-first",
                part_size,
                parallel,
            )
        )
        ways.append(("Chromium, SHA-256 of every part, nothing sent", "hash-only", part_size, 0))
        ways.append(("Chromium, every part read, nothing sent", "read-only", part_size, 0))

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.goto(f"{stack.base_url}/accounts/login/")
            page.evaluate(
                "() => { const input = document.createElement('input'); input.type = 'file';"
                " input.id = 'ceiling-file'; document.body.append(input); }"
            )
            page.set_input_files("#ceiling-file", str(big))
            for round_number in range(1, args.rounds + 1):
                for label, mode, size, in_flight in ways:
                    print(f"round {round_number}/{args.rounds}: {label} …", flush=True)
                    if mode == "curl":
                        taken = upload_with_curl(big, args.size)
                    else:
                        single = s3.presign_put(
                            f"bench/ceiling/{uuid.uuid4().hex}",
                            content_type="application/octet-stream",
                            size=args.size,
                            expires_in=3600,
                        ).url
                        urls = (
                            part_urls(args.size, size, None if mode == "parts" else checksums[size])
                            if mode in ("parts", "hashed", "hash-first", "ahead")
                            else []
                        )
                        if mode in ("hash-only", "read-only"):
                            urls = [""] * len(checksums[size])
                        taken = page.evaluate(
                            SCRIPT,
                            {
                                "mode": mode,
                                "single": single,
                                "urls": urls,
                                "partSize": size,
                                "parallel": in_flight,
                            },
                        )
                    seconds.setdefault(label, []).append(taken)
            browser.close()

    results["seconds"] = seconds  # every round, before anything is derived from them
    curl_seconds = statistics.median(seconds["curl -T one presigned PUT"])
    single_seconds = statistics.median(seconds["Chromium, one XHR PUT"])
    rows = []
    for label, taken in seconds.items():
        median = statistics.median(taken)
        rows.append(
            {
                "way": label,
                "seconds": median,
                "MB/s": args.size / median / MB,
                "MB/s each round": [round(args.size / t / MB) for t in taken],
                "× curl": curl_seconds / median,
                "× one XHR PUT": single_seconds / median,
            }
        )
    print()
    print(f"{args.size / MB:,.0f} MB, medians of {args.rounds} interleaved rounds")
    print_table(
        rows,
        [
            ("way", "way"),
            ("seconds", "seconds"),
            ("MB/s", "MB/s"),
            ("MB/s each round", "MB/s each round"),
            ("× curl", "× curl"),
            ("× one XHR PUT", "× one XHR PUT"),
        ],
    )
    results["rows"] = rows
    save_json(args.json, results)
    return 0


if __name__ == "__main__":
    run_main(main)
