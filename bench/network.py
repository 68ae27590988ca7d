#!/usr/bin/env python
"""Uploads over a modelled network: Chute's page, one XHR PUT and Uppy's defaults, per profile.

A shaping TCP proxy (bench/shaper.py) sits between Chromium and the bucket; the app signs its
URLs for the proxy (CHUTE_S3_PUBLIC_ENDPOINT_URL = the proxy, so SigV4's signed host is the
host the browser names and the bucket sees). Django's own requests are not shaped (the proxy
is only on the bucket's path). Profiles (bench/shaper.py):

  near  no shaping; each way also runs direct to the bucket, from a second gunicorn of the same
        run that signs for the bucket itself, and browser_ceiling.py's configurations
        (`--ceiling`) run both ways: the page's target is 0.9 × the best checksummed one
  far   40 ms RTT, 25 MB/s per connection, 200 MB/s in all
  home  20 ms RTT, 5 MB/s in all

Each profile runs its ways in interleaved rounds (medians); the proxy's own unshaped ceiling
(pusher -> proxy -> sink, no bucket) is measured at the start of the run and printed.

    .venv/bin/python bench/network.py --rounds 2 --json bench/results/network.json
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import shaper
from bench.browser_ceiling import SCRIPT as CEILING_SCRIPT
from bench.browser_ceiling import parse_configs, part_checksums, part_urls
from bench.harness import (
    MB,
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
from bench.upload_throughput import (
    PAGE_CLOCK,
    check_registered,
    forget,
    signed_in_browser,
    upload_through_page,
    upload_with_curl,
    upload_with_uppy,
    uppy_bundle,
    write_random_file,
)

TARGETS = {  # profile -> (ratio name, at least)
    "far": [("page ÷ one XHR PUT", 3.0), ("page ÷ Uppy", 1.5)],
    "home": [("page ÷ one XHR PUT", 0.95)],
    "near": [("page ÷ best checksummed ceiling", 0.9)],
}
DEFAULT_SIZES = {"near": "1GiB", "far": "1GiB", "home": "128MiB"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Run:
    """The browser, the two origins (through the proxy, and direct) and the ways."""

    def __init__(self, stack: Stack, twin_url: str, page: Any, proxy: shaper.ProxyProcess) -> None:
        self.stack = stack
        self.origins = {"proxy": stack.base_url, "direct": twin_url}
        self.page = page
        self.proxy = proxy
        self.page_requests: list[int] = []  # requests to Django per measured page upload

    def _signing(self, route: str) -> Any:
        from django.test import override_settings

        return override_settings(
            CHUTE_S3_PUBLIC_ENDPOINT_URL=self.proxy.url if route == "proxy" else None
        )

    def chute_page(
        self, route: str, path: Path, size: int, timeout_ms: float, check: bool = True
    ) -> float:
        origin = self.origins[route]
        self.page.goto(f"{origin}/")
        self.page.wait_for_selector("[data-uploader]", state="attached")
        self.page.evaluate(PAGE_CLOCK)
        run = upload_through_page(
            self.page, SimpleNamespace(base_url=origin), path, timeout_ms, navigate=False
        )
        if check:
            check_registered(path.name, size)
            forget(path.name)
            self.page_requests.append(len(run["requests"]))
        return float(run["seconds"])

    def uppy(
        self, route: str, path: Path, size: int, timeout_ms: float, check: bool = True
    ) -> float:
        origin = self.origins[route]
        self.page.goto(f"{origin}/bench/uppy/")
        self.page.wait_for_function("() => Array.isArray(window.results)")
        self.page.evaluate(PAGE_CLOCK)
        run = upload_with_uppy(
            self.page, SimpleNamespace(base_url=origin), path, timeout_ms, navigate=False
        )
        if check:
            check_registered(path.name, size)
            forget(path.name)
        return float(run["seconds"])

    def _blank_with_file(self, route: str, path: Path) -> None:
        # Any page of the origin: its CSP's connect-src names the bucket as that origin signs.
        self.page.goto(f"{self.origins[route]}/bench/classic-upload")
        self.page.evaluate(
            "() => { const input = document.createElement('input'); input.type = 'file';"
            " input.id = 'ceiling-file'; document.body.append(input); }"
        )
        self.page.set_input_files("#ceiling-file", str(path))

    def xhr_put(self, route: str, path: Path, size: int) -> float:
        from files import s3

        self._blank_with_file(route, path)
        key = f"bench/xhr/{uuid.uuid4().hex}"
        with self._signing(route):
            url = s3.presign_put(
                key, content_type="application/octet-stream", size=size, expires_in=3600
            ).url
        seconds = self.page.evaluate(
            CEILING_SCRIPT,
            {"mode": "single", "single": url, "urls": [], "partSize": 0, "parallel": 0},
        )
        if s3.head(key).size != size:
            raise BenchError("The bucket holds a different size than the XHR PUT sent.")
        s3.delete(key)
        return float(seconds)

    def ceiling(
        self, route: str, path: Path, size: int, config: tuple[int, int, str], sums: list[str]
    ) -> float:
        part_size, parallel, mode = config
        self._blank_with_file(route, path)
        with self._signing(route):
            urls = part_urls(size, part_size, None if mode == "parts" else sums)
        seconds = self.page.evaluate(
            CEILING_SCRIPT,
            {"mode": mode, "single": "", "urls": urls, "partSize": part_size, "parallel": parallel},
        )
        return float(seconds)  # the multipart upload is left uncompleted; the run's bucket goes


class InFlight:
    """Samples how many connections are sending through the proxy while a way runs."""

    def __init__(self, proxy: shaper.ProxyProcess) -> None:
        self.proxy = proxy
        self.samples: list[int] = []
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.samples.append(self.proxy.sending())

    def __enter__(self) -> InFlight:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> tuple[float, int]:
        """(mean while anything was sending, peak)."""
        busy = [n for n in self.samples if n]
        return (round(statistics.mean(busy), 1) if busy else 0.0, max(self.samples, default=0))


def curl_through(proxy: shaper.ProxyProcess, route: str, path: Path, size: int) -> float:
    from django.test import override_settings

    endpoint = proxy.url if route == "proxy" else None
    with override_settings(CHUTE_S3_PUBLIC_ENDPOINT_URL=endpoint):
        return upload_with_curl(path, size)


def ways_for(profile: str, configs: list[tuple[int, int, str]], direct: bool) -> list[str]:
    names = ["page", "one XHR PUT", "Uppy"]
    names += [f"ceiling {c[1]} × {c[0] // 2**20} MiB {c[2]}" for c in configs]
    if profile == "near":
        names += ["curl -T"]
        if direct:
            names += [f"{name}, direct" for name in names]
    return names


def ratios_for(profile: str, speed: dict[str, float]) -> dict[str, float]:
    ratios = {}
    for suffix in ("", ", direct"):
        if f"page{suffix}" not in speed:
            continue
        page = speed[f"page{suffix}"]
        for other in ("one XHR PUT", "Uppy"):  # --ways may leave either out
            if f"{other}{suffix}" in speed:
                ratios[f"page ÷ {other}{suffix}"] = page / speed[f"{other}{suffix}"]
        ceilings = [
            value
            for name, value in speed.items()
            if name.startswith("ceiling")
            and name.endswith(", direct") == bool(suffix)
            and not name.removesuffix(", direct").endswith(" parts")  # no checksum
        ]
        if ceilings:
            ratios[f"page ÷ best checksummed ceiling{suffix}"] = page / max(ceilings)
    if "curl -T" in speed and "curl -T, direct" in speed:
        ratios["curl through the proxy ÷ direct"] = speed["curl -T"] / speed["curl -T, direct"]
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", default="near,far,home", help="Which, in order.")
    for name, size in DEFAULT_SIZES.items():
        parser.add_argument(f"--size-{name}", type=parse_size, default=parse_size(size))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--ceiling",
        type=parse_configs,
        default=parse_configs("64x2a,64x4a"),
        help="browser_ceiling.py configurations (part MiB × in flight, a: hashed ahead, "
        "n: no checksum) for --ceiling-profiles.",
    )
    parser.add_argument(
        "--ceiling-profiles",
        default="near",
        help="Profiles that also run the --ceiling configurations (default near).",
    )
    parser.add_argument("--no-direct", action="store_true", help="near: skip the direct ways.")
    parser.add_argument("--ways", default="", help="Only ways whose name contains one of these.")
    common_arguments(parser)
    args = parser.parse_args()
    profiles = [shaper.PROFILES[name] for name in args.profiles.split(",")]
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    results: dict[str, Any] = {
        "benchmark": "network",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(sys.argv),
        "rounds": args.rounds,
        "profiles": {},
    }
    print("The proxy's own ceiling (unshaped, pusher -> proxy -> sink, 1 GiB) …", flush=True)
    results["proxy_capacity_mb_s"] = {
        streams: round(shaper.capacity(2**30, streams), 1) for streams in (1, 4)
    }
    print(f"    {results['proxy_capacity_mb_s']} MB/s (by streams)")

    from playwright.sync_api import sync_playwright

    proxy = shaper.ProxyProcess("127.0.0.1", 1)
    twin_port = free_port()
    twin_url = f"http://127.0.0.1:{twin_port}"
    extra_env = {
        "CHUTE_S3_PUBLIC_ENDPOINT_URL": proxy.url,
        "BENCH_UPPY_BUNDLE": str(uppy_bundle()),
    }
    with Stack(
        "network",
        workers=1,
        database_url=args.database_url,
        keep=args.keep,
        extra_env=extra_env,
        extra_origins=[twin_url],
    ) as stack:
        bucket = urlsplit(stack.server.endpoint)
        proxy.target = (bucket.hostname, bucket.port)
        env = {k: v for k, v in os.environ.items() if k != "CHUTE_S3_PUBLIC_ENDPOINT_URL"}
        twin = stack.launch_gunicorn(twin_port, 1, "gunicorn-direct.log", env=env)
        session = sign_in("bench")
        try:
            with sync_playwright() as playwright:
                browser, context = signed_in_browser(playwright, stack.base_url, session)
                run = Run(stack, twin_url, context.new_page(), proxy)
                warm = stack.workdir / "warm.bin"
                write_random_file(warm, 80 * 2**20)
                print("Warm-up: the page and Uppy once each way, unshaped …", flush=True)
                for route in ("proxy", "direct"):
                    run.chute_page(route, warm, 80 * 2**20, 120_000, check=False)
                    run.uppy(route, warm, 80 * 2**20, 120_000, check=False)
                for profile in profiles:
                    results["profiles"][profile.name] = measure(run, profile, args)
                browser.close()
        finally:
            twin.terminate()
            twin.wait(20)
            proxy.stop()

    print(f"\nThe proxy's own ceiling, unshaped: {results['proxy_capacity_mb_s']} MB/s by streams")
    for name, found in results["profiles"].items():
        print(
            f"\n{name}: {found['describe']}, {format_bytes(found['size_bytes'])}, "
            f"medians of {args.rounds} interleaved rounds"
        )
        print_table(
            found["rows"],
            [
                ("way", "way"),
                ("mb_per_s", "MB/s"),
                ("mb_per_s_runs", "MB/s each round"),
                ("sending", "connections sending via the proxy (mean, peak) each round"),
            ],
        )
        print(f"  the page's requests to Django, each upload: {found['page_requests_to_django']}")
        for ratio, value in found["ratios"].items():
            line = f"  {ratio:44} {value:.3f}"
            for target, limit in TARGETS.get(name, []):
                if ratio == target or ratio == f"{target}, direct":
                    line += f"   target ≥ {limit}: {'met' if value >= limit else 'MISSED'}"
            print(line)
    results["load_average_at_end"] = os.getloadavg()
    write_json(args.json, results)
    return 0


def run_way(
    run: Run,
    base: str,
    route: str,
    big: Path,
    size: int,
    timeout_ms: float,
    configs: list[tuple[int, int, str]],
    sums: dict[int, list[str]],
) -> float:
    if base == "page":
        return run.chute_page(route, big, size, timeout_ms)
    if base == "Uppy":
        return run.uppy(route, big, size, timeout_ms)
    if base == "one XHR PUT":
        return run.xhr_put(route, big, size)
    if base == "curl -T":
        return curl_through(run.proxy, route, big, size)
    config = configs[ways_for("near", configs, False).index(base) - 3]
    return run.ceiling(route, big, size, config, sums[config[0]])


def measure(run: Run, profile: shaper.Profile, args: argparse.Namespace) -> dict[str, Any]:
    size = getattr(args, f"size_{profile.name}")
    direct = profile.name == "near" and not args.no_direct
    configs = args.ceiling if profile.name in args.ceiling_profiles.split(",") else []
    names = ways_for(profile.name, configs, direct)
    if args.ways:
        names = [n for n in names if any(w in n for w in args.ways.split(","))]
    workdir = run.stack.workdir
    big = workdir / f"{profile.name}.bin"
    print(f"\n== {profile.name}: {profile.describe()}; writing {format_bytes(size)} …", flush=True)
    write_random_file(big, size)
    sums = {c[0]: part_checksums(big, c[0]) for c in configs}
    run.proxy.profile = profile
    timeout_ms = 120_000 + size / MB * 1000  # at least 1 MB/s
    seconds: dict[str, list[float]] = {name: [] for name in names}
    sending: dict[str, list[tuple[float, int]]] = {}
    run.page_requests = []
    for round_number in range(1, args.rounds + 1):
        for name in names:
            route = "direct" if name.endswith(", direct") else "proxy"
            base = name.removesuffix(", direct")
            print(f"round {round_number}/{args.rounds} {profile.name}: {name} …", flush=True)
            with InFlight(run.proxy) as flight:
                taken = run_way(run, base, route, big, size, timeout_ms, configs, sums)
            seconds[name].append(taken)
            sending.setdefault(name, []).append(flight.summary())
            print(
                f"    {size / MB / taken:.1f} MB/s, connections sending (mean, peak) "
                f"{flight.summary()}",
                flush=True,
            )
            time.sleep(0.2)
    speed = {name: size / MB / statistics.median(taken) for name, taken in seconds.items()}
    rows = [
        {
            "way": name,
            "mb_per_s": round(speed[name], 1),
            "mb_per_s_runs": [round(size / MB / t, 1) for t in taken],
            "sending": sending.get(name, []),
        }
        for name, taken in seconds.items()
    ]
    return {
        "describe": profile.describe(),
        "size_bytes": size,
        "seconds": seconds,
        "page_requests_to_django": run.page_requests,
        "rows": rows,
        "ratios": {k: round(v, 3) for k, v in ratios_for(profile.name, speed).items()},
    }


if __name__ == "__main__":
    run_main(main)
