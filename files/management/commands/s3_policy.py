import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from files import s3


class Command(BaseCommand):
    help = (
        "Print the IAM policy Chute's credentials need on the bucket (files/s3/permissions.py): "
        "everything the release phase (s3_setup) and the app do, and nothing else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bucket", help="Bucket name (default AWS_STORAGE_BUCKET_NAME).")

    def handle(self, *args: Any, **options: Any) -> None:
        bucket = options["bucket"] or settings.AWS_STORAGE_BUCKET_NAME
        self.stdout.write(json.dumps(s3.iam_policy(bucket), indent=2))
