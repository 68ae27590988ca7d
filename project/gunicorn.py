"""Gunicorn settings for the Procfile's `web` process (`gunicorn -c project/gunicorn.py`).

Django logs one line per request (files/web/access_log.py); gunicorn's own access log is off
unless GUNICORN_ACCESS_LOG asks for it, and then it never shows a query string (presigned URLs
and pagination alike) and redacts link and API tokens. The platform's router terminates TLS.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]  # gunicorn ships no types

from project.logging import REDACTED, redact, redact_path

wsgi_app = "project.wsgi:application"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Django never touches file bytes, so requests are short; this only has to exceed the worst
# case of one bucket call (CHUTE_S3_* timeouts and retries, 22 s by default) so a dead
# bucket produces a 503 from Django rather than a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Heroku-style routers reach the dyno from changing addresses and set X-Forwarded-Proto;
# nothing else can reach the port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# Django writes the one line per request (files/web/access_log.py: timestamp, request id,
# the client's address); gunicorn's own access log would be a second line with the router's
# address. Its format below applies if GUNICORN_ACCESS_LOG=- turns it on again.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# %(U)s is the path without its query string; no referrer, which may hold a share link.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


class RedactingLogger(Logger):
    """Gunicorn's logger with every atom that can carry a URL or a token made safe."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        atoms["U"] = path
        atoms["q"] = REDACTED if environ.get("QUERY_STRING") else ""
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}"
        atoms["f"] = redact_path(environ.get("HTTP_REFERER", "-"))
        # Header and environ atoms ({referer}i, {raw_uri}e, ...) may be named in a custom format.
        for name, value in list(atoms.items()):
            if isinstance(value, str) and name.startswith("{"):
                atoms[name] = (
                    redact_path(value) if "uri" in name or "referer" in name else redact(value)
                )
        return atoms


logger_class = RedactingLogger


# /metrics (files/web/metrics.py): the workers' counters are summed through files in a
# directory of this server's own (prometheus-client's multiprocess mode), emptied at start.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="chute-metrics-")


def on_starting(server: Any) -> None:
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
