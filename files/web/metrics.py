"""GET /metrics for Prometheus (prometheus-client), behind a bearer token (CHUTE_METRICS_TOKEN).

Counters and histograms are counted here, in the web layer, from each answer's route and
status (MetricsMiddleware), so the core knows nothing of them. Registered files and their
bytes are counted from the core's `files.events.registered` signal instead (`on_registered`),
so every path that registers a file counts it once: the page's and the CLI's confirm, a
guest's, Uppy's complete, and Uppy's single POSTs (which a later call or the cleanup
registers; a registration in the task worker counts only if it shares the web server's
PROMETHEUS_MULTIPROC_DIR). With several gunicorn workers they use prometheus-client's
multiprocess mode: project/gunicorn.py points PROMETHEUS_MULTIPROC_DIR at a directory of its
own, and a scrape of any worker sums them all (per dyno: scrape each, or let Prometheus sum
the dynos). Gauges are read from the database at scrape time (DatabaseCollector), so they are
the same whichever worker or dyno answers.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from files.models import Upload

UPLOADS_STARTED = Counter("chute_uploads_started", "Uploads started (presigned URLs issued).")
UPLOADS_CONFIRMED = Counter("chute_uploads_confirmed", "Uploads confirmed and registered.")
UPLOADS_FAILED = Counter(
    "chute_uploads_failed", "Confirm or complete calls refused (mismatch, missing bytes, …)."
)
BYTES_REGISTERED = Counter("chute_bytes_registered", "Bytes of the files confirmed.")
SHARE_DOWNLOADS = Counter("chute_share_downloads", "Share-link downloads handed out.")
THROTTLED = Counter(
    "chute_throttle_refusals", "Requests refused with 429 Too Many Requests.", ["what"]
)
CONFIRM_SECONDS = Histogram(
    "chute_confirm_seconds", "Time to answer a confirm or complete call (asks the bucket)."
)
SIGN_SECONDS = Histogram(
    "chute_sign_seconds", "Time to answer an upload start or a part-signing call.", ["step"]
)

STARTS = {"create-upload", "guest-create-upload", "uppy-create-upload"}
CONFIRMS = {
    "confirm-upload",
    "complete-upload",
    "guest-confirm-upload",
    "guest-complete-upload",
    "uppy-complete-upload",
}
SIGNS = {"upload-parts", "guest-upload-parts", "uppy-sign-parts", "uppy-sign-part"}
SHARE_GETS = {"share-download", "share-view"}
THROTTLED_WHAT = {
    "login": "sign_in",
    "signup": "sign_up",
    "share": "share_password",
    "upload-request": "upload_request_password",
    "guest-create-upload": "guest_uploads",
}


def count(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    """Count one answered request by its route and status."""
    match = request.resolver_match
    name = match.url_name if match else None
    status = response.status_code
    if status == 429:
        THROTTLED.labels(THROTTLED_WHAT.get(name or "", "other")).inc()
    if name is None or request.method not in {"POST", "GET"}:
        return
    if name in STARTS and request.method == "POST":
        SIGN_SECONDS.labels("start").observe(seconds)
        if status == 201 or (name == "uppy-create-upload" and status == 200):
            UPLOADS_STARTED.inc()
    elif name in CONFIRMS and request.method == "POST":
        CONFIRM_SECONDS.observe(seconds)
        if status >= 400 and status not in {401, 403, 404, 429, 503}:
            UPLOADS_FAILED.inc()
    elif name in SIGNS and request.method == "POST":
        SIGN_SECONDS.labels("parts").observe(seconds)
    elif name in SHARE_GETS and status == 302:
        SHARE_DOWNLOADS.inc()


def on_registered(sender: Any, upload: Upload, **kwargs: Any) -> None:
    """`files.events.registered`: one file became READY (sent once per file, after the commit;
    a repeated confirm or complete registers nothing)."""
    UPLOADS_CONFIRMED.inc()
    BYTES_REGISTERED.inc(upload.size)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        count(request, response, time.monotonic() - started)
        return response


class DatabaseCollector(Collector):
    """Gauges read from the database when Prometheus scrapes: the same on every worker."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        pending = Q(status=Upload.Status.PENDING)
        uploads = Upload.objects.aggregate(
            pending=Count("pk", filter=pending),
            abandoned=Count(
                "pk",
                filter=(pending & Q(expires_at__lt=now - timedelta(minutes=15)))
                | Q(status=Upload.Status.ABORTED),
            ),
            ready=Count("pk", filter=Q(status=Upload.Status.READY)),
            stored=Sum("size", filter=Q(status=Upload.Status.READY)),
        )
        yield GaugeMetricFamily(
            "chute_uploads_pending", "Uploads started and not yet confirmed.", uploads["pending"]
        )
        yield GaugeMetricFamily(
            "chute_uploads_abandoned",
            "Uploads left unconfirmed past their URLs' expiry, or aborted, awaiting the cleanup.",
            uploads["abandoned"],
        )
        yield GaugeMetricFamily("chute_files_ready", "Ready files.", uploads["ready"])
        yield GaugeMetricFamily(
            "chute_bytes_stored", "Bytes of the ready files.", uploads["stored"] or 0
        )
        depth, failed = task_queue()
        yield GaugeMetricFamily("chute_task_queue_depth", "Tasks waiting to run.", depth)
        yield GaugeMetricFamily(
            "chute_task_failures", "Failed task results kept by the queue.", failed
        )


def task_queue() -> tuple[int, int]:
    """(waiting, failed) on the configured queue: the database's, or Redis's (RQ)."""
    if settings.CHUTE_TASKS_REDIS_URL:
        import django_rq

        queues = [django_rq.get_queue(name) for name in settings.TASK_QUEUES]
        return (
            sum(queue.count for queue in queues),
            sum(queue.failed_job_registry.count for queue in queues),
        )
    from django_tasks_db.models import DBTaskResult

    results = DBTaskResult.objects.aggregate(
        waiting=Count("pk", filter=Q(status="READY")),
        failed=Count("pk", filter=Q(status="FAILED")),
    )
    return results["waiting"], results["failed"]


# Whether this process's counters live in PROMETHEUS_MULTIPROC_DIR's files: prometheus-client
# decides once, when it is imported, so ask it rather than the environment of today.
MULTIPROCESS = values.ValueClass is not values.MutexValue


def _registry() -> CollectorRegistry:
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        counted: list[Collector] = [UPLOADS_STARTED, UPLOADS_CONFIRMED, UPLOADS_FAILED]
        counted += [BYTES_REGISTERED, SHARE_DOWNLOADS, THROTTLED, CONFIRM_SECONDS, SIGN_SECONDS]
        for collector in counted:
            registry.register(collector)
    registry.register(DatabaseCollector())
    return registry


def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics with `Authorization: Bearer <CHUTE_METRICS_TOKEN>`; 404 when no token is set."""
    token = settings.CHUTE_METRICS_TOKEN
    if not token:
        return HttpResponse(
            "Metrics are off: set CHUTE_METRICS_TOKEN to turn them on.\n",
            status=404,
            content_type="text/plain",
        )
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        refused = HttpResponse(
            "Send the metrics token as 'Authorization: Bearer <token>'.\n",
            status=401,
            content_type="text/plain",
        )
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    response = HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
