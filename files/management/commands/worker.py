from argparse import BooleanOptionalAction
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from files.tasks import worker


class Command(BaseCommand):
    help = (
        "Run background tasks with the configured backend: the database queue by default, "
        "RQ on Redis with CHUTE_TASKS_REDIS_URL. Ctrl-C or SIGTERM stops it after the task "
        "that is running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Run the tasks that are ready, then exit (tests, one-off runs).",
        )
        parser.add_argument(
            "--reload",
            action=BooleanOptionalAction,
            default=settings.DEBUG,
            help="Restart on code changes, database queue only (default: on with DEBUG).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker.run(burst=options["burst"], reload=options["reload"], stdout=self.stdout)
