import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from files import s3
from files.uploads import policy


def setup_bucket(origins: list[str], *, abort_after_days: int | None = None) -> bool:
    """Create or verify the bucket, Chute's CORS rule and its abort-incomplete lifecycle rule.

    Idempotent, and it merges: Chute's own CORS rule, lifecycle rule and policy statement are
    added or replaced by id; every other rule the bucket holds stays. Returns True when the
    bucket was created.
    """
    created = s3.ensure_bucket()
    if origins:
        s3.put_cors(origins)
    s3.put_abort_incomplete_rule(abort_after_days or policy.abort_incomplete_after_days())
    if settings.CHUTE_STATIC_ON_S3 and not settings.CHUTE_STATIC_CUSTOM_DOMAIN:
        # Static files are linked unsigned (signed URLs inside CSS would change the
        # manifest's hashes on every pass), so browsers must read static/ anonymously.
        s3.put_public_read_policy("static/")
    return created


class Command(BaseCommand):
    help = (
        "Create or verify the bucket, allow browser uploads from the configured origins (CORS) "
        "and abort incomplete multipart uploads after a few days. Safe to run repeatedly; "
        "rules the bucket holds for other uses stay in place."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin",
            action="append",
            dest="origins",
            help="Browser origin allowed to upload (repeatable); default CHUTE_CORS_ORIGINS.",
        )
        parser.add_argument(
            "--abort-after-days",
            type=int,
            default=None,
            help="Days after which the bucket aborts incomplete multipart uploads "
            "(default: CHUTE_RESUME_DAYS + 1, so no resumable upload is aborted early).",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            help="Seconds to keep retrying while the bucket server starts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        origins = options["origins"] or settings.CHUTE_CORS_ORIGINS
        if options["abort_after_days"] is not None and options["abort_after_days"] < 1:
            raise CommandError("--abort-after-days must be at least 1.")
        deadline = time.monotonic() + options["wait"]
        while True:
            try:
                created = setup_bucket(origins, abort_after_days=options["abort_after_days"])
                break
            except s3.AccessRefused as error:
                # Waiting cannot fix credentials or a policy: say which call was refused.
                raise CommandError(
                    f"Could not set up bucket {settings.AWS_STORAGE_BUCKET_NAME!r}. {error}"
                ) from None
            except s3.S3Failure as error:
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"Could not set up bucket {settings.AWS_STORAGE_BUCKET_NAME!r}: {error} "
                        "Check AWS_S3_ENDPOINT_URL and the credentials."
                    ) from error
                time.sleep(0.5)
        bucket = settings.AWS_STORAGE_BUCKET_NAME
        verb = "Created" if created else "Verified"
        self.stdout.write(self.style.SUCCESS(f"{verb} bucket {bucket!r}."))
        if origins:
            self.stdout.write(f"CORS allows uploads from: {', '.join(origins)}")
        else:
            self.stdout.write(
                self.style.WARNING(
                    "No origins configured; browsers cannot upload (set CHUTE_CORS_ORIGINS)."
                )
            )
        self.stdout.write(
            "Incomplete multipart uploads are aborted after "
            f"{options['abort_after_days'] or policy.abort_incomplete_after_days()} days."
        )
