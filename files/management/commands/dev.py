import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from files.embedded import Ports, SeaweedFS


class Command(BaseCommand):
    help = (
        "Development: start the embedded SeaweedFS S3 server, set up the bucket, migrate and "
        "serve the app. Ctrl-C stops everything; data stays in .data/ for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="App port (default 8000).")
        parser.add_argument(
            "--data-dir",
            default=str(Path(settings.BASE_DIR) / ".data"),
            help="Where S3 data lives.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("`manage.py dev` is for development; run it with DEBUG=1.")
        endpoint = settings.AWS_S3_ENDPOINT_URL
        if endpoint != "http://127.0.0.1:8333":
            raise CommandError(
                f"AWS_S3_ENDPOINT_URL is {endpoint!r}; the embedded server serves http://127.0.0.1:8333."
            )
        server = SeaweedFS(
            data_dir=Path(options["data_dir"]),
            access_key=settings.AWS_ACCESS_KEY_ID,
            secret_key=settings.AWS_SECRET_ACCESS_KEY,
            ports=Ports(),
        )
        # A process manager's SIGTERM stops everything as Ctrl-C does (no orphaned servers).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        self.stdout.write("Starting SeaweedFS (S3 on http://127.0.0.1:8333) …")
        try:
            server.start()
        except RuntimeError as error:
            raise CommandError(
                f"{error} (is another SeaweedFS already running on these ports?)"
            ) from error
        try:
            call_command("s3_setup", wait=30)
            call_command("migrate", interactive=False, verbosity=1)
            address = f"127.0.0.1:{options['port']}"
            self.stdout.write(
                self.style.SUCCESS(f"Chute is starting on http://{address}/ — Ctrl-C stops it.")
            )
            # Its own process group, so stopping it also stops the autoreloader's child.
            runserver = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", address],
                cwd=settings.BASE_DIR,
                env=os.environ.copy(),
                start_new_session=True,
            )
            try:
                runserver.wait()
            except (KeyboardInterrupt, SystemExit):
                pass
            finally:
                if runserver.poll() is None:
                    os.killpg(runserver.pid, signal.SIGTERM)
                    runserver.wait(timeout=15)
        finally:
            self.stdout.write("Stopping SeaweedFS …")
            server.stop()
