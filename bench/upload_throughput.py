#!/usr/bin/env python
"""Upload one file five ways against the same SeaweedFS and compare, in one run.

(a) Chute's page in headless Chromium (what static/files/ does for this size: multipart above
    CHUTE_MULTIPART_THRESHOLD); (b) `curl -T` to one presigned PUT URL, the raw bucket;
    (c) the classic tutorial view: Chromium posts the file to Django, which saves it through
    django-storages; (d) Chromium's best hand-written transfer: one XHR PUT of the whole file
    to a presigned PUT URL; (e) the peer: Uppy (`@uppy/core` + `@uppy/aws-s3` from npm,
    bundled with esbuild at bench time into the git-ignored .cache/npm-bench) with its
    defaults, pointed at Chute's Companion-compatible routes (`companionEndpoint` =
    `<origin>/api/uppy`), in the same Chromium against the same bucket.

Every way runs --rounds times (default 3), interleaved (a b c d e, a b c d e, …), and the
medians are compared, so the ratios come from one run on one machine in one state. For each:
wall seconds, MB/s, and the gunicorn process tree's CPU seconds and peak RSS during the upload.

    .venv/bin/python bench/upload_throughput.py --size 1GiB [--json bench/results/upload.json]
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
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    MB,
    REPO,
    BenchError,
    Meter,
    Session,
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
TARGET_OVER_BEST = 0.95  # (a) reaches 95% of Chromium's best transfer of the same bytes (d)
TARGET_OVER_UPPY = 1.25  # (a) is 1.25 × as fast as Uppy's defaults (e)
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


# Each browser way is timed by the page's own clock, from the file being chosen to the
# moment the page shows its verdict: the bench's polling of the page (0.1–0.5 s) is in no
# figure. A MutationObserver sees Chute's done row as soon as it is rendered.
PAGE_CLOCK = """
() => {
  window.benchClock = {start: null, end: null};
  document.addEventListener('change', () => { window.benchClock.start = performance.now(); }, {capture: true});
  new MutationObserver(() => {
    if (window.benchClock.end === null && document.querySelector('.transfer.done, .transfer.failed')) {
      window.benchClock.end = performance.now();
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
}
"""


def page_seconds(page: Any, end: str = "window.benchClock.end") -> float:
    return page.evaluate(f"() => ({end} - window.benchClock.start) / 1000")


def open_page(page: Any) -> None:
    page.goto("/")
    page.wait_for_selector("[data-uploader]", state="attached")
    page.evaluate(PAGE_CLOCK)


def upload_through_page(
    page: Any, stack: Stack, path: Path, timeout_ms: float, *, navigate: bool = True
) -> dict[str, Any]:
    """Choose the file on Chute's page and wait until its row says Uploaded."""
    if navigate:
        open_page(page)
    requests: list[str] = []
    timeline: list[tuple[float, str, str]] = []  # (seconds from the start, event, request)

    def named(request: Any) -> str:
        if request.url.startswith(stack.base_url):
            return f"{request.method} {request.url[len(stack.base_url) :]}"
        part = re.search(r"partNumber=(\d+)", request.url)
        return f"{request.method} bucket" + (f" part {part.group(1)}" if part else "")

    def count(request: Any) -> None:
        timeline.append((time.perf_counter() - start, "start", named(request)))
        if request.url.startswith(stack.base_url):
            requests.append(named(request))

    def ended(request: Any) -> None:
        timeline.append((time.perf_counter() - start, "end", named(request)))

    page.on("request", count)
    page.on("requestfinished", ended)
    start = time.perf_counter()
    page.set_input_files("#file-input", str(path))
    finished = page.wait_for_selector(
        ".transfer.done, .transfer.failed", state="attached", timeout=timeout_ms
    )
    seen = time.perf_counter() - start
    page.remove_listener("request", count)
    page.remove_listener("requestfinished", ended)
    if "failed" in (finished.get_attribute("class") or ""):
        text = finished.inner_text()
        raise BenchError(f"Chute's page reported a failed upload: {text!r}")
    seconds = page_seconds(page)
    timeline.append((seen, "seen", "the bench sees the row say Uploaded"))
    timeline.append((seconds, "done", "the page shows the row (the page's own clock)"))
    return {"seconds": seconds, "requests": requests, "timeline": timeline}


def print_timeline(run: dict[str, Any]) -> None:
    """When each of the page's requests started and ended (--timeline): where its time goes."""
    print("\n(a) timeline of the last round (seconds from choosing the file, as the bench saw it):")
    for at, event, request in sorted(run["timeline"]):
        print(f"  {at:7.3f}  {event:5}  {request}")


def signed_in_browser(playwright: Any, base_url: str, session: Session) -> tuple[Any, Any]:
    """Debian's Chromium and a context at `base_url` holding `session`'s cookies. Cookies are
    per host, not per port: every origin of the run on 127.0.0.1 sees the session."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
    )
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(60_000)
    context.add_cookies(
        [{"name": name, "value": value, "url": base_url} for name, value in session.cookies.items()]
    )
    return browser, context


def forget(name: str | None = None) -> None:
    """Delete what a run stored (the files called `name`, or every one), so the bucket holds
    one copy at most."""
    from files.lifecycle import delete
    from files.models import Upload

    stored = Upload.objects.exclude(status=Upload.Status.ABORTED)
    for upload in stored.filter(name=name) if name is not None else stored:
        delete.delete(upload)


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
    s3.delete(key)
    return seconds


# --- (c) the classic Django-proxied upload -------------------------------------------------


def open_classic(page: Any, path: Path) -> None:
    """The classic form with the file chosen (choosing reads nothing; submitting sends it)."""
    page.goto("/bench/classic-upload")
    page.set_input_files("#classic-file", str(path))


def upload_through_django(
    page: Any, path: Path, timeout_ms: float, *, navigate: bool = True
) -> float:
    if navigate:
        open_classic(page, path)
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
    """Whether the page's uploader speaks the multipart protocol (it asks for part URLs).

    The uploader is native ES modules (static/files/uploader/) that follow the API's `links`, so
    no module names the /parts path: its protocol client's signParts call is what shows it.
    """
    modules = Path(__file__).resolve().parent.parent / "static" / "files" / "uploader"
    return any("signParts(" in script.read_text() for script in modules.glob("*.js"))


# --- (d) Chromium's best hand-written transfer: one XHR PUT ---------------------------------

XHR_PUT = """
async ({url, headers}) => {
  const file = document.getElementById('classic-file').files[0];
  const start = performance.now();
  await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.onload = () => xhr.status < 300 ? resolve() : reject(new Error(`${xhr.status} ${xhr.responseText}`));
    xhr.onerror = () => reject(new Error('network error'));
    xhr.send(file);
  });
  return (performance.now() - start) / 1000;
}
"""


def upload_with_xhr_put(
    page: Any, path: Path, size: int, *, navigate: bool = True
) -> tuple[float, str]:
    """One XHR PUT of the whole file from Chromium to a presigned PUT URL; (seconds, key)."""
    from files import s3

    key = f"bench/xhr/{uuid.uuid4().hex}"
    put = s3.presign_put(key, content_type="application/octet-stream", size=size, expires_in=3600)
    if navigate:
        # Any page of the app's origin: the bucket's CORS rule and Chute's CSP allow it.
        open_classic(page, path)
    seconds = page.evaluate(XHR_PUT, {"url": put.url, "headers": put.headers})
    if s3.head(key).size != size:
        raise BenchError("The bucket holds a different size than the XHR PUT sent.")
    return seconds, key


# --- (e) the peer: Uppy with its defaults ---------------------------------------------------

UPPY_VERSION = "6.3.1"  # as tests/e2e/test_uppy.py and docs/clients.md's Uppy section
ESBUILD_VERSION = "0.28.2"
NPM_DIR = REPO / ".cache" / "npm-bench"  # git-ignored, like every .cache/
UPPY_PAGE = Path(__file__).resolve().parent / "uppy"


def installed(package: str) -> str:
    manifest = NPM_DIR / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else ""


def uppy_bundle() -> Path:
    """@uppy/core + @uppy/aws-s3 from npm (installed when missing), bundled into one script."""
    npm = shutil.which("npm")
    if npm is None:
        raise BenchError(
            "npm is not installed; the Uppy peer needs Node.js and npm (or --ways abcd)."
        )
    wanted = {"@uppy/core": UPPY_VERSION, "@uppy/aws-s3": UPPY_VERSION, "esbuild": ESBUILD_VERSION}
    if any(installed(name) != version for name, version in wanted.items()):
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Installing Uppy {UPPY_VERSION} and esbuild from npm into {NPM_DIR} …", flush=True)
        command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_DIR)]
        command += [f"{name}@{version}" for name, version in wanted.items()]
        answer = subprocess.run(command, capture_output=True, text=True, check=False)
        if answer.returncode:
            raise BenchError(f"npm install failed: {answer.stderr[-2000:]}")
    entry = NPM_DIR / "entry.js"  # esbuild resolves bare imports from the entry's directory
    shutil.copy(UPPY_PAGE / "entry.js", entry)
    out = NPM_DIR / "uppy.bundle.js"
    command = [str(NPM_DIR / "node_modules" / ".bin" / "esbuild"), str(entry), "--bundle"]
    command += ["--format=iife", "--target=es2022", f"--outfile={out}", "--log-level=warning"]
    answer = subprocess.run(command, capture_output=True, text=True, check=False)
    if answer.returncode:
        raise BenchError(f"esbuild failed: {answer.stderr[-2000:]}")
    return out


def open_uppy(page: Any) -> None:
    page.goto("/bench/uppy/")
    page.wait_for_function("() => Array.isArray(window.results)")
    page.evaluate(PAGE_CLOCK)


def upload_with_uppy(
    page: Any, stack: Stack, path: Path, timeout_ms: float, *, navigate: bool = True
) -> dict[str, Any]:
    """Choose the file on the Uppy page (served by Chute, with its CSP); wait for Uppy's verdict."""
    if navigate:
        open_uppy(page)
    requests: list[str] = []

    def count(request: Any) -> None:
        if request.url.startswith(stack.base_url):
            requests.append(f"{request.method} {request.url[len(stack.base_url) :].split('?')[0]}")

    page.on("request", count)
    page.set_input_files("#files", str(path))
    page.wait_for_function("() => window.results.length >= 1", timeout=timeout_ms)
    seconds = page_seconds(page, "window.results[0].at")
    page.remove_listener("request", count)
    outcome = page.evaluate("() => window.results[0]")
    if not outcome["ok"]:
        raise BenchError(f"Uppy reported a failed upload: {outcome['error']}")
    return {"seconds": seconds, "requests": requests}


# --- Main ---------------------------------------------------------------------------------

WAYS = {
    "a": "a: Chute page (Chromium)",
    "b": "b: curl -T presigned PUT",
    "c": "c: classic Django view",
    "d": "d: Chromium, one XHR PUT",
    "e": "e: Uppy defaults (Chromium)",
}


def path_pattern(line: str) -> str:
    """'GET /api/uppy/s3/multipart/<upload id>/7' -> 'GET /api/uppy/s3/multipart/<id>/<n>'."""
    line = re.sub(r"/multipart/[^/?]+", "/multipart/<id>", line)
    line = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", line)
    return re.sub(r"/\d+$", "/<n>", line)


def median_row(way: str, runs: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """The run with the median wall time stands for the way; the spread goes with it."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    middle = ordered[len(ordered) // 2]
    return {
        **middle,
        "way": WAYS[way],
        "seconds": round(statistics.median(run["seconds"] for run in runs), 3),
        "mb_per_s": round(size / MB / statistics.median(run["seconds"] for run in runs), 1),
        "cpu_seconds": statistics.median(run["cpu_seconds"] for run in runs),
        "django_cpu_s": round(statistics.median(run["cpu_seconds"] for run in runs), 3),
        "mb_per_s_runs": [run["mb_per_s"] for run in runs],
        "rounds": len(runs),
    }


def ratios_of(by_way: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The figures the targets name, from the medians of one run."""
    ratios: dict[str, float] = {}

    def speed(way: str) -> float:  # the same bytes each way: speed is 1 / median seconds
        return 1 / float(by_way[way]["seconds"])

    pairs = {
        "throughput_a_over_d": ("a", "d"),  # page ÷ Chromium's best transfer
        "throughput_a_over_e": ("a", "e"),  # page ÷ Uppy's defaults
        "throughput_a_over_b": ("a", "b"),
        "throughput_d_over_b": ("d", "b"),
        "throughput_a_over_c": ("a", "c"),
        "throughput_e_over_d": ("e", "d"),
    }
    for name, (top, bottom) in pairs.items():
        if {top, bottom} <= by_way.keys():
            ratios[name] = round(speed(top) / speed(bottom), 3)
    if {"a", "c"} <= by_way.keys():
        ratios["cpu_a_over_c"] = round(
            by_way["a"]["cpu_seconds"] / max(by_way["c"]["cpu_seconds"], 1e-9), 4
        )
    if {"e", "c"} <= by_way.keys():
        ratios["cpu_e_over_c"] = round(
            by_way["e"]["cpu_seconds"] / max(by_way["c"]["cpu_seconds"], 1e-9), 4
        )
    if "a" in by_way:
        ratios["rss_growth_a_bytes"] = max(r for r in by_way["a"]["rss_growth_runs"])
    return ratios


TARGETS = {
    "throughput_a_over_d": (">=", TARGET_OVER_BEST),
    "throughput_a_over_e": (">=", TARGET_OVER_UPPY),
    "cpu_a_over_c": ("<=", TARGET_CPU_RATIO),
    "rss_growth_a_bytes": ("<", TARGET_RSS_GROWTH),
}


def verdicts_of(ratios: dict[str, float]) -> dict[str, bool]:
    verdicts = {}
    for name, (op, limit) in TARGETS.items():
        if name in ratios:
            value = ratios[name]
            verdicts[name] = {">=": value >= limit, "<=": value <= limit, "<": value < limit}[op]
    return verdicts


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
        "--ways", default="abcde", help="Which of a, b, c, d, e to run (default abcde)."
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="Interleaved rounds; medians are compared."
    )
    parser.add_argument(
        "--single-request",
        action="store_true",
        help="Raise CHUTE_MULTIPART_THRESHOLD above the size so the page sends one POST "
        "(automatic while static/files/ cannot send multipart uploads).",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="Print when each of the page's requests (Django's and the bucket's) started and "
        "ended in the last round.",
    )
    common_arguments(parser)
    args = parser.parse_args()
    ways = [way for way in WAYS if way in args.ways]
    extra_env = {}
    if args.single_request or not page_sends_multipart():
        print("(a) will use one presigned POST: CHUTE_MULTIPART_THRESHOLD raised above the size.")
        extra_env["CHUTE_MULTIPART_THRESHOLD"] = str(args.size + 1)
    if "e" in ways:
        extra_env["BENCH_UPPY_BUNDLE"] = str(uppy_bundle())
    # Playwright's sync API runs an event loop in this thread; the ORM checks stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    size = args.size
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in ways}
    last_page_run: dict[str, Any] = {}
    results: dict[str, Any] = {
        "benchmark": "upload_throughput",
        "date": date.today().isoformat(),
        "machine": machine(),
        "size_bytes": size,
        "command": " ".join(sys.argv),
        "rounds": args.rounds,
    }
    with Stack(
        "upload",
        workers=args.workers,
        database_url=args.database_url,
        keep=args.keep,
        extra_env=extra_env,
    ) as stack:
        from django.conf import settings

        from files import s3

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
            "uppy": UPPY_VERSION if "e" in ways else None,
        }
        results["django_rss_cold_bytes"] = sum(
            rss_bytes(pid) for pid in process_tree(stack.gunicorn.pid)
        )

        with sync_playwright() as playwright:
            browser, context = signed_in_browser(playwright, stack.base_url, session)
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            try:
                print("Warm-up: every way once with a small file …", flush=True)
                if "a" in ways:
                    upload_through_page(page, stack, warm, timeout_ms)
                if "c" in ways:
                    upload_through_django(page, warm, timeout_ms)
                if "e" in ways:
                    upload_with_uppy(page, stack, warm, timeout_ms)
                # The warm-up files stay: the page's list is then never empty (an empty list
                # makes htmx fetch the page again after the first upload).
                for round_number in range(1, args.rounds + 1):
                    for way in ways:
                        label = f"round {round_number}/{args.rounds}: {WAYS[way]}"
                        print(f"{label}, {format_bytes(size)} …", flush=True)
                        extra: dict[str, Any] = {}
                        # Loading a page is not part of an upload: it happens before the meter.
                        if way == "a":
                            open_page(page)
                        elif way in "cd":
                            open_classic(page, big)
                        elif way == "e":
                            open_uppy(page)
                        with Meter(stack.gunicorn.pid) as meter:
                            if way == "a":
                                page_run = upload_through_page(
                                    page, stack, big, timeout_ms, navigate=False
                                )
                                seconds = page_run["seconds"]
                                last_page_run = page_run
                            elif way == "b":
                                seconds = upload_with_curl(big, size)
                            elif way == "c":
                                seconds = upload_through_django(
                                    page, big, timeout_ms, navigate=False
                                )
                            elif way == "d":
                                seconds, key = upload_with_xhr_put(page, big, size, navigate=False)
                            else:
                                page_run = upload_with_uppy(
                                    page, stack, big, timeout_ms, navigate=False
                                )
                                seconds = page_run["seconds"]
                        if way in "ae":
                            extra = {
                                "method": check_registered(big.name, size),
                                "requests_to_django": len(page_run["requests"]),
                                "requests": page_run["requests"],
                            }
                            forget(big.name)
                        elif way == "c":
                            check_classic(session.user_id, big.name, size)
                            for stored in s3.list_keys(f"classic/{session.user_id}/"):
                                s3.delete(stored)
                        elif way == "d":
                            s3.delete(key)
                        row = result(WAYS[way], size, seconds, meter, **extra)
                        print(f"    {row['mb_per_s']} MB/s, Django CPU {row['django_cpu_s']} s")
                        runs[way].append(row)
            except PlaywrightError as error:
                raise BenchError(
                    f"The browser could not finish: {error}; console errors: {console[-5:]}"
                ) from error
            finally:
                browser.close()

    if args.timeline and "a" in ways:
        print_timeline(last_page_run)
    by_way = {}
    for way in ways:
        by_way[way] = median_row(way, runs[way], size)
        by_way[way]["rss_growth_runs"] = [run["rss_growth_bytes"] for run in runs[way]]
    rows = list(by_way.values())
    print(
        f"\nUpload of {format_bytes(size)} ({size:,} bytes), gunicorn workers: {args.workers}, "
        f"medians of {args.rounds} interleaved rounds\n"
    )
    print_table(
        rows,
        [
            ("way", "way"),
            ("seconds", "wall s"),
            ("mb_per_s", "MB/s"),
            ("mb_per_s_runs", "MB/s each round"),
            ("django_cpu_s", "Django CPU s"),
            ("django_rss_peak_mib", "Django peak RSS MiB"),
            ("django_rss_growth_mib", "RSS growth MiB"),
            ("requests_to_django", "requests to Django"),
        ],
    )
    for way in "ae":
        if way in by_way:
            row = by_way[way]
            counted = Counter(path_pattern(line) for line in row["requests"])
            print(f"\n({way}) method {row['method']!r}, {row['requests_to_django']} requests:")
            for line, times in counted.items():
                print(f"    {times:4} × {line}")
    ratios = ratios_of(by_way)
    verdicts = verdicts_of(ratios)
    print()
    for name, value in ratios.items():
        line = f"{name:24} {value}"
        if name in TARGETS:
            op, limit = TARGETS[name]
            line += f"   target {op} {limit}: {'met' if verdicts[name] else 'MISSED'}"
        print(line)
    results.update(runs=rows, rounds_detail=runs, ratios=ratios, targets_met=verdicts)
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    run_main(main)
