#!/usr/bin/env python
"""Chute's capacity model: uploads a day × size -> requests, tasks, rows, S3 requests and price.

Nothing is started: this is arithmetic over the costs bench/ measured (bench/README.md) and
the counts the code makes (each input below says which). docs/capacity.md explains the model
and holds its output for today's assumed load, 10× and 1000×.

    .venv/bin/python bench/capacity.py                          # the tables in docs/capacity.md
    .venv/bin/python bench/capacity.py --uploads-per-day 5000 --downloads-per-upload 1
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, fields

GB = 1024**3  # AWS bills binary gigabytes
MB = 1000**2
MiB = 1024**2
DAY = 86_400
MONTH_DAYS = 30


@dataclass
class Load:
    """What a deployment sees. The repository has no production figures: these are assumed."""

    uploads_per_day: float = 1_000
    # Size classes: (share of uploads, mean bytes, part count by the page's plan)
    small_share: float = 0.70  # under CHUTE_MULTIPART_THRESHOLD (64 MiB): one POST
    small_bytes: float = 8 * MB
    medium_share: float = 0.25  # 64 MiB .. 1 GiB: multipart, 8-16 parts of up to 64 MiB
    medium_bytes: float = 300 * MB
    medium_parts: int = 8
    large_share: float = 0.05  # 1 .. 5 GiB: 16-80 parts of 64 MiB
    large_bytes: float = 2 * GB
    large_parts: int = 32
    downloads_per_upload: float = 3.0
    share_download_share: float = 0.5  # of downloads, through a share link (HEAD + GET, an event)
    page_views_per_upload: float = 1.0  # the file list, once per upload session
    webhook_endpoints_per_event: float = 0.2  # owners with a webhook, on average
    notifications_per_upload: float = 0.2  # digests: several files share one mail
    retention_days: float = 30  # CHUTE_RETENTION_DAYS; steady state: as many deleted as added
    history_days: float = 30  # CHUTE_HISTORY_DAYS: the prune job's cut-off for bookkeeping rows
    peak_over_mean: float = 4.0  # the busiest minutes over the day's mean rate


@dataclass
class Costs:
    """Measured (bench/README.md, 2026-12) or counted in the code, per operation."""

    # Requests to Django per upload from the page (measured: 2 up to ~256 MiB, 3 for 1 GiB,
    # create-and-sign + complete (+ one batch)); 5 GiB is <= 4 by the signer's rules.
    requests_small: float = 2  # create (presigned POST) + confirm
    requests_medium: float = 2.5  # 2 up to 256 MiB, 3 at 1 GiB
    requests_large: float = 3.5  # 3 at 1 GiB .. 4 at 5 GiB
    # Django CPU per request, ms (api_cost.py --cpu, 2026-12-02 quiet: create 4.2-6.9, part
    # batch 5.3-5.6, confirm 3.4, share download 6.7; the file list's render ~25 ms wall).
    cpu_ms_upload_call: float = 6.0
    cpu_ms_download: float = 6.7
    cpu_ms_page_view: float = 25.0
    # Wall time a sync gunicorn worker is held per request on AWS (not measured here: the
    # bucket calls a confirm makes (HEAD, CopyObject of up to 64 MiB, DELETE) are round trips
    # to S3; loopback p50 at 16 connections was 55-99 ms with queueing): assumed.
    wall_ms_per_request: float = 60.0
    # Worker time per task (not measured in bench/): bookkeeping tasks (dispatch, collect,
    # sweeps) read and write a few rows; deliveries and mails wait on the network.
    task_s_bookkeeping: float = 0.03
    task_s_delivery: float = 0.3
    task_s_mail: float = 0.5
    # Periodic jobs (files/tasks/schedule.py, default intervals): two 30 s sweeps, cleanup and
    # expiry notices every 15 min, three hourly jobs (the prune among them).
    periodic_tasks_per_day: float = 2 * DAY / 30 + 2 * DAY / 900 + 3 * 24
    # Cleanup (scale.py --cleanup, 2026-12-04): per run one ListMultipartUploads plus one
    # ListObjectsV2 per key that could still write; flat in the bucket's size.
    cleanup_runs_per_day: float = DAY / 900


@dataclass(frozen=True)
class Prices:
    """AWS S3 Standard, US East (N. Virginia), as published on aws.amazon.com/s3/pricing
    (the rates in force since 2023 and assumed unchanged on 2026-12-04; check before relying)."""

    storage_first_50tb: float = 0.023  # $ per GB-month
    storage_next_450tb: float = 0.022
    storage_over_500tb: float = 0.021
    put_class_per_1000: float = 0.005  # PUT, COPY, POST, LIST
    get_class_per_1000: float = 0.0004  # GET, SELECT, HEAD and all other (DELETE is free)
    egress_tiers: tuple[tuple[float, float], ...] = (  # (GB in tier per month, $ per GB)
        (100, 0.0),  # the first 100 GB a month to the internet are free (all services)
        (10 * 1024 - 100, 0.09),
        (40 * 1024, 0.085),
        (100 * 1024, 0.07),
        (math.inf, 0.05),
    )


def storage_price(gb: float, prices: Prices) -> float:
    tiers = (
        (50 * 1024, prices.storage_first_50tb),
        (450 * 1024, prices.storage_next_450tb),
        (math.inf, prices.storage_over_500tb),
    )
    return _tiered(gb, tiers)


def _tiered(amount: float, tiers: tuple[tuple[float, float], ...]) -> float:
    total = 0.0
    for size, price in tiers:
        used = min(amount, size)
        total += used * price
        amount -= used
        if amount <= 0:
            break
    return total


def model(load: Load, costs: Costs, prices: Prices) -> dict[str, float]:
    u = load.uploads_per_day
    small, medium, large = (u * load.small_share, u * load.medium_share, u * load.large_share)
    bytes_in = small * load.small_bytes + medium * load.medium_bytes + large * load.large_bytes
    downloads = u * load.downloads_per_upload
    share_downloads = downloads * load.share_download_share
    page_views = u * load.page_views_per_upload

    upload_requests = (
        small * costs.requests_small + medium * costs.requests_medium + large * costs.requests_large
    )
    requests = upload_requests + downloads + page_views
    cpu_s = (
        upload_requests * costs.cpu_ms_upload_call
        + downloads * costs.cpu_ms_download
        + page_views * costs.cpu_ms_page_view
    ) / 1000
    peak_rps = requests / DAY * load.peak_over_mean
    # Sync workers busy at the peak (Little's law), kept at most half busy; CPU at the peak.
    busy_workers = peak_rps * costs.wall_ms_per_request / 1000
    peak_cores = cpu_s / DAY * load.peak_over_mean
    web_workers = max(2, math.ceil(2 * busy_workers), math.ceil(4 * peak_cores))

    # Events: one per confirmed upload (file.ready) and one per counted share download. Each
    # recording transaction enqueues one take_in (files/tasks/events.py), which runs the
    # webhooks' dispatch and the notifications' collection: one task, two steps' work.
    events = u + share_downloads
    deliveries = events * load.webhook_endpoints_per_event
    notifications = u * load.notifications_per_upload
    bookkeeping_tasks = events + costs.periodic_tasks_per_day
    tasks = bookkeeping_tasks + deliveries + notifications
    worker_s = (
        (bookkeeping_tasks + events) * costs.task_s_bookkeeping
        + deliveries * costs.task_s_delivery
        + notifications * costs.task_s_mail
    )
    busy_task_workers = worker_s / DAY * load.peak_over_mean
    task_workers = max(1, math.ceil(2 * busy_task_workers))

    # S3 requests (counted in files/uploads/, files/lifecycle/): single request: the POST,
    # confirm's HEAD + CopyObject + DELETE, one ListObjectsV2 by the cleanup once its URL
    # expired. Multipart: Create, the parts, ListParts + Complete, confirm's HEAD.
    # Downloads: a GET; a share link's also a HEAD first. Deletes: a DELETE and one
    # ListObjectsV2 of the key by the cleanup (DeletedUpload). Thumbnails left out.
    deleted = u  # steady state under retention
    put_class = (
        small * 3
        + medium * (load.medium_parts + 3)
        + large * (load.large_parts + 3)
        + deleted * 1
        + costs.cleanup_runs_per_day
    )
    get_class = small + medium + large + downloads + share_downloads
    stored_gb = bytes_in * load.retention_days / GB
    egress_gb_month = bytes_in * load.downloads_per_upload * MONTH_DAYS / GB
    return {
        "uploads_per_day": u,
        "gb_in_per_day": bytes_in / GB,
        "requests_per_day": requests,
        "requests_per_s_mean": requests / DAY,
        "requests_per_s_peak": peak_rps,
        "django_cpu_s_per_day": cpu_s,
        "peak_cores": peak_cores,
        "busy_web_workers_peak": busy_workers,
        "web_workers": web_workers,
        "web_dynos": math.ceil(web_workers / 3),
        "events_per_day": events,
        "deliveries_per_day": deliveries,
        "notifications_per_day": notifications,
        "tasks_per_day": tasks,
        "tasks_per_s_peak": tasks / DAY * load.peak_over_mean,
        "busy_task_workers_peak": busy_task_workers,
        "task_workers": task_workers,
        "db_connections": web_workers + task_workers,
        "upload_rows": u * load.retention_days,
        # Steady state under the prune job (files/tasks/prune.py): as many deleted as added.
        "event_rows": events * load.history_days,
        "delivery_rows": deliveries * load.history_days,
        "notification_rows": notifications * load.history_days,
        "task_result_rows": tasks * load.history_days,  # the database queue only
        "s3_put_class_per_month": put_class * MONTH_DAYS,
        "s3_get_class_per_month": get_class * MONTH_DAYS,
        "s3_requests_usd_month": (
            put_class * MONTH_DAYS / 1000 * prices.put_class_per_1000
            + get_class * MONTH_DAYS / 1000 * prices.get_class_per_1000
        ),
        "stored_gb": stored_gb,
        "storage_usd_month": storage_price(stored_gb, prices),
        "egress_gb_month": egress_gb_month,
        "egress_usd_month": _tiered(egress_gb_month, prices.egress_tiers),
    }


ROWS = [
    ("uploads_per_day", "uploads a day", "{:,.0f}"),
    ("gb_in_per_day", "GiB uploaded a day", "{:,.0f}"),
    ("requests_per_day", "requests to Django a day", "{:,.0f}"),
    ("requests_per_s_mean", "requests/s, mean", "{:,.2f}"),
    ("requests_per_s_peak", "requests/s, peak", "{:,.1f}"),
    ("django_cpu_s_per_day", "Django CPU s a day", "{:,.0f}"),
    ("peak_cores", "Django cores busy at the peak", "{:,.2f}"),
    ("busy_web_workers_peak", "gunicorn workers busy at the peak", "{:,.2f}"),
    ("web_workers", "gunicorn workers to run (≤ half busy)", "{:,.0f}"),
    ("web_dynos", "web dynos (WEB_CONCURRENCY=3)", "{:,.0f}"),
    ("events_per_day", "events a day", "{:,.0f}"),
    ("deliveries_per_day", "webhook deliveries a day", "{:,.0f}"),
    ("notifications_per_day", "notification mails a day", "{:,.0f}"),
    ("tasks_per_day", "tasks a day (periodic included)", "{:,.0f}"),
    ("tasks_per_s_peak", "tasks/s, peak", "{:,.2f}"),
    ("busy_task_workers_peak", "task workers busy at the peak", "{:,.2f}"),
    ("task_workers", "task worker processes to run", "{:,.0f}"),
    ("db_connections", "database connections (web + task workers)", "{:,.0f}"),
    ("upload_rows", "files_upload rows (steady, retention)", "{:,.0f}"),
    ("event_rows", "files_event rows (steady, history)", "{:,.0f}"),
    ("delivery_rows", "files_delivery rows (steady, history)", "{:,.0f}"),
    ("notification_rows", "notification rows (steady, history)", "{:,.0f}"),
    ("task_result_rows", "task result rows (steady, history; database queue)", "{:,.0f}"),
    ("s3_put_class_per_month", "S3 PUT/COPY/POST/LIST a month", "{:,.0f}"),
    ("s3_get_class_per_month", "S3 GET/HEAD a month", "{:,.0f}"),
    ("s3_requests_usd_month", "S3 requests, $ a month", "{:,.2f}"),
    ("stored_gb", "GiB stored (steady, retention)", "{:,.0f}"),
    ("storage_usd_month", "S3 storage, $ a month", "{:,.0f}"),
    ("egress_gb_month", "GiB downloaded a month", "{:,.0f}"),
    ("egress_usd_month", "S3 data transfer out, $ a month", "{:,.0f}"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for item in fields(Load):
        parser.add_argument(
            f"--{item.name.replace('_', '-')}", type=type(item.default), default=item.default
        )
    parser.add_argument("--scales", default="1,10,1000", help="Multiples of --uploads-per-day.")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    results = []
    for scale in scales:
        load = Load(**{item.name: getattr(args, item.name) for item in fields(Load)})
        load.uploads_per_day *= scale
        results.append(model(load, Costs(), Prices()))
    print("| | " + " | ".join(f"{s:g}×" for s in scales) + " |")
    print("|---|" + "---:|" * len(scales))
    for key, label, form in ROWS:
        print(f"| {label} | " + " | ".join(form.format(r[key]) for r in results) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
