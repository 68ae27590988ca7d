import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from files import s3
from files.lifecycle import cleanup
from files.sizes import format_size

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    """ "90", "90s", "30m", "6h" or "2d" as a timedelta (argparse type)."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(text)
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Remove leftovers of uploads: unfinished or cancelled uploads with their bytes and "
        "multipart parts, multipart uploads in the bucket that no row knows, and (with "
        "CHUTE_RETENTION_DAYS) files past retention. Never touches an upload whose URLs are "
        "still valid. Safe to run repeatedly, e.g. hourly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=duration,
            default=None,
            help=(
                "Only unfinished uploads older than this (e.g. 6h, 2d; default: the upload "
                "URL lifetime plus 15 minutes, which is also the minimum)."
            ),
        )
        parser.add_argument(
            "--everything",
            action="store_true",
            help=(
                "Also list every object under users/ for bytes no row accounts for (slow on a "
                "large bucket; once after upgrading, or after putting objects there by hand). "
                "Without it, only the keys of uploads that could have left bytes are listed."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be removed without removing anything.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        try:
            found = cleanup.cleanup(
                older_than=options["older_than"],
                dry_run=dry_run,
                everything=options["everything"],
            )
        except s3.S3Failure as error:
            raise CommandError(
                f"The bucket {settings.AWS_STORAGE_BUCKET_NAME!r} failed during cleanup: {error} "
                "Whatever was removed stays removed; run the command again later."
            ) from error

        verb = "Would remove" if dry_run else "Removed"
        registered = "Would register" if dry_run else "Registered"
        for upload in found.registered:
            self.stdout.write(
                f"{registered} {upload.name!r} ({format_size(upload.size)}, upload {upload.id}): "
                "its bytes were all in the bucket"
            )
        for upload in found.stale:
            self.stdout.write(
                f"{verb} {upload.get_status_display().lower()} upload {upload.id} "
                f"({format_size(upload.size)}, {upload.key})"
            )
        for info in found.orphans:
            self.stdout.write(f"{verb} multipart upload with no record at {info.key}")
        for upload in found.expired:
            self.stdout.write(f"{verb} file {upload.id} past retention ({upload.key})")
        for item in found.strays:
            self.stdout.write(
                f"{verb} object with no record at {item.key} ({format_size(item.size)})"
            )
        summary = (
            f"{registered} {len(found.registered)} finished upload(s). "
            f"{verb} {len(found.stale)} unfinished upload(s), {len(found.orphans)} orphaned "
            f"multipart upload(s), {len(found.expired)} file(s) past retention and "
            f"{len(found.strays)} object(s) no upload accounts for."
        )
        self.stdout.write(self.style.SUCCESS(summary) if found else summary)
