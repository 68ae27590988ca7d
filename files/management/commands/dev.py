import concurrent.futures
import contextlib
import copy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import autoreload

from files.embedded import (
    GRPC_OFFSET,
    EmbeddedS3Error,
    NotOurServer,
    PortBusy,
    Ports,
    SeaweedFS,
    port_free,
)

HIGHEST_S3_PORT = 65535 - GRPC_OFFSET  # SeaweedFS also listens 10,000 above the S3 port


def app_origins(port: int) -> list[str]:
    """The origins a browser may open the development server at."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


def dev_environment(environ: Mapping[str, str], *, port: int, s3_port: int) -> dict[str, str]:
    """The environment for the children (runserver, the worker): settings read the chosen ports.

    The S3 endpoint follows --s3-port; the bucket's CORS rule and CSRF's trusted origins
    follow --port, keeping any origins configured by hand.
    """
    env = dict(environ)
    env["AWS_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{s3_port}"
    configured = environ.get("CHUTE_CORS_ORIGINS") or environ.get("CSRF_TRUSTED_ORIGINS", "")
    for name, current in (
        ("CHUTE_CORS_ORIGINS", configured),
        ("CSRF_TRUSTED_ORIGINS", environ.get("CSRF_TRUSTED_ORIGINS", "")),
    ):
        origins = [item.strip() for item in current.split(",") if item.strip()]
        env[name] = ",".join(dict.fromkeys([*origins, *app_origins(port)]))
    return env


def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`manage.py <command>` in its own process group, so stopping it also stops the
    autoreloader's child (runserver's, and the worker's with DEBUG)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM to its group (the worker finishes the task it is running), then SIGKILL if it
    is still there after `timeout` seconds: nothing outlives `manage.py dev`."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def answering(port: int, process: Any, timeout: float = 60) -> bool:
    """Wait until the app accepts connections on `port` (False if it exited or took too long)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


class Command(BaseCommand):
    help = (
        "Development: start the embedded SeaweedFS S3 server, set up the bucket, migrate, "
        "serve the app and run the task worker. Ctrl-C stops everything; data stays in .data/ "
        "for the next run. SeaweedFS's internal ports are picked free on every run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="App port (default 8000).")
        parser.add_argument(
            "--s3-port", type=int, default=8333, help="Embedded S3 port (default 8333)."
        )
        parser.add_argument(
            "--data-dir",
            default=str(Path(settings.BASE_DIR) / ".data"),
            help="Where S3 data lives.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("`manage.py dev` is for development; run it with DEBUG=1.")
        port, s3_port = options["port"], options["s3_port"]
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        if not 1 <= s3_port <= HIGHEST_S3_PORT:
            raise CommandError(
                f"--s3-port must be between 1 and {HIGHEST_S3_PORT}: SeaweedFS also listens "
                "10,000 above it."
            )
        endpoint = f"http://127.0.0.1:{s3_port}"
        configured = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip().rstrip("/")
        if configured and configured != endpoint:
            raise CommandError(
                f"AWS_S3_ENDPOINT_URL is {configured!r}, but the embedded server serves "
                f"{endpoint}: unset it (choose the port with --s3-port)."
            )
        if not port_free(port):
            raise CommandError(
                f"Port {port} (the app) is already in use by another program: stop it, or "
                f"choose another port with --port (e.g. bin/run --port {port + 1})."
            )
        env = dev_environment(os.environ, port=port, s3_port=s3_port)
        server = SeaweedFS(
            data_dir=Path(options["data_dir"]),
            access_key=settings.AWS_ACCESS_KEY_ID,
            secret_key=settings.AWS_SECRET_ACCESS_KEY,
            ports=Ports.free(s3=s3_port),
        )
        # A process manager's SIGTERM stops everything as Ctrl-C does (no orphaned servers).
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            self._serve(server, env, port)
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _start(self, server: SeaweedFS) -> None:
        s3_port = server.ports.s3
        change = f"choose another S3 port with --s3-port (e.g. bin/run --s3-port {s3_port + 1})"
        try:
            server.start()
        except PortBusy as error:
            if error.port in {s3_port, s3_port + GRPC_OFFSET}:
                raise CommandError(f"{error} Stop it, or {change}.") from error
            # An internal port, picked free a moment ago, was taken since.
            raise CommandError(
                f"{error} Run it again: internal ports are picked afresh."
            ) from error
        except NotOurServer as error:
            raise CommandError(f"{error} Stop it, or {change}.") from error
        except EmbeddedS3Error as error:
            raise CommandError(str(error)) from error

    def _serve(self, server: SeaweedFS, env: dict[str, str], port: int) -> None:
        """Start everything side by side, and say so once the app answers.

        Each Django start costs a second or more on a small machine, so none waits for another
        it does not need: the app starts at once (after the migrations, only when some are
        pending), next to SeaweedFS, the migrations check and the bucket's setup (both in this
        process, once the server is up). This process is the app's autoreloader (`app`), so
        Django starts once for it, not twice; the worker starts once the app answers.
        """
        self.stdout.write(f"Starting SeaweedFS (S3 on {server.endpoint}) …")
        starting = concurrent.futures.ThreadPoolExecutor(1).submit(self._start, server)
        address = f"127.0.0.1:{port}"
        app = App(address, env)
        children: list[subprocess.Popen[bytes]] = []
        try:
            try:
                pending = pending_migrations()
            except Exception:
                starting.result()  # the server's failure is the one to report
                raise
            if pending:
                call_command("migrate", interactive=False, verbosity=1)
            else:
                app.start()
            starting.result()
            set_up_bucket(server.endpoint, env["CHUTE_CORS_ORIGINS"].split(","))
            app.start()
            if answering(port, app):
                # The task worker runs next to the app, as the Procfile's worker does.
                children.append(spawn(["worker"], env))
                self.stdout.write(
                    self.style.SUCCESS(f"Chute is starting on http://{address}/ — Ctrl-C stops it.")
                )
            app.serve()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.stdout.write("Stopping the app and the task worker …")
            app.stop()
            for child in reversed(children):
                stop(child)
            if starting.exception() is None:  # waits for a start still under way
                self.stdout.write("Stopping SeaweedFS …")
                server.stop()


def set_up_bucket(endpoint: str, origins: list[str]) -> None:
    """`s3_setup` for the embedded server, in this process: a child would start Django once
    more beside the app's own start (~0.8 s of a warm start on two cores). This process's
    settings may name another S3 port than the one chosen (children get it in their
    environment), so the storage's endpoint is overridden for the call."""
    from django.test import override_settings

    storages = copy.deepcopy(settings.STORAGES)
    storages["default"]["OPTIONS"]["endpoint_url"] = endpoint
    with override_settings(AWS_S3_ENDPOINT_URL=endpoint, STORAGES=storages):
        call_command("s3_setup", origins=origins, wait=30)


def pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class App:
    """`runserver`, restarted when its autoreloader asks (exit status 3), as Django's own
    reloading parent does, without starting Django for that parent."""

    def __init__(self, address: str, env: dict[str, str]) -> None:
        # This process ran the system checks already; the app's own start skips them.
        self.command = ["runserver", "--skip-checks", address]
        self.env = {**env, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is None:
            self.process = spawn(self.command, self.env)

    def poll(self) -> int | None:
        return self.process.poll() if self.process else None

    def serve(self) -> None:
        """Until the app stops for another reason than a changed file."""
        while self.process is not None and self.process.wait() == 3:
            self.process = spawn(self.command, self.env)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
