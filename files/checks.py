"""System checks: configuration mistakes fail at start-up with the setting's name."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from files import s3
from files.uploads import policy

# Above this, single-request uploads cost the browser's memory and confirm's copy too much.
LARGEST_COMFORTABLE_SINGLE_UPLOAD = 1024 * s3.MiB


@register()
def check_limits(app_configs: Any = None, **kwargs: Any) -> list:
    problems: list[CheckMessage] = []
    if not 0 < settings.CHUTE_MAX_UPLOAD_SIZE <= s3.MAX_OBJECT_SIZE:
        problems.append(
            Error(
                "CHUTE_MAX_UPLOAD_SIZE must be between 1 byte and 5 TiB (S3's object limit).",
                id="files.E001",
            )
        )
    if not 0 < settings.CHUTE_UPLOAD_URL_TTL <= policy.MAX_UPLOAD_URL_TTL:
        problems.append(
            Error(
                "CHUTE_UPLOAD_URL_TTL must be between 1 and 86400 seconds; "
                "long-lived upload URLs are a liability (SigV4 stops at 7 days).",
                id="files.E002",
            )
        )
    if not 0 < settings.CHUTE_DOWNLOAD_URL_TTL <= 60:
        problems.append(
            Error("CHUTE_DOWNLOAD_URL_TTL must be between 1 and 60 seconds.", id="files.E003")
        )
    if settings.CHUTE_UPLOAD_METHOD not in {"post", "put"}:
        problems.append(Error('CHUTE_UPLOAD_METHOD must be "post" or "put".', id="files.E004"))
    if not s3.MIN_PART_SIZE <= settings.CHUTE_PART_SIZE <= s3.MAX_PART_SIZE:
        problems.append(
            Error(
                "CHUTE_PART_SIZE must be between 5 MiB and 5 GiB (S3's part limits).",
                id="files.E005",
            )
        )
    if not s3.MIN_PART_SIZE <= settings.CHUTE_MULTIPART_THRESHOLD <= s3.MAX_PART_SIZE:
        problems.append(
            Error(
                "CHUTE_MULTIPART_THRESHOLD must be between 5 MiB and 5 GiB: S3 takes at most "
                "5 GiB in one POST or PUT, and confirm copies such an upload in one CopyObject.",
                id="files.E006",
            )
        )
    elif settings.CHUTE_MULTIPART_THRESHOLD > LARGEST_COMFORTABLE_SINGLE_UPLOAD:
        problems.append(
            Warning(
                "CHUTE_MULTIPART_THRESHOLD is above 1 GiB: a file just under it goes in one "
                "request that cannot resume, the page holds it whole in memory to hash it "
                "(WebCrypto has no streaming digest), and confirm copies it whole in the "
                "bucket. Multipart uploads have none of these costs.",
                id="files.W004",
            )
        )
    if not 1 <= settings.CHUTE_PARALLEL_PARTS <= 32:
        problems.append(Error("CHUTE_PARALLEL_PARTS must be between 1 and 32.", id="files.E012"))
    if not 1 <= settings.CHUTE_PARALLEL_FILES <= 16:
        problems.append(Error("CHUTE_PARALLEL_FILES must be between 1 and 16.", id="files.E014"))
    if settings.CHUTE_SHARE_MAX_EXPIRY <= 0:
        problems.append(
            Error("CHUTE_SHARE_MAX_EXPIRY must be a positive number of seconds.", id="files.E007")
        )
    if not settings.CHUTE_CORS_ORIGINS:
        problems.append(
            Warning(
                "CHUTE_CORS_ORIGINS (or CSRF_TRUSTED_ORIGINS) is empty: s3_setup cannot let "
                "browsers upload to the bucket.",
                id="files.W001",
            )
        )
    return problems


@register("storage", deploy=True)
def check_bucket(app_configs: Any = None, **kwargs: Any) -> list:
    """With --deploy: the bucket answers with the configured credentials."""
    try:
        s3.ping()
    except Exception as error:  # any failure here is a configuration problem to report
        return [
            Error(
                f"The bucket {settings.AWS_STORAGE_BUCKET_NAME!r} did not answer: {error}",
                hint="Check AWS_S3_ENDPOINT_URL, the credentials, and run `manage.py s3_setup`.",
                id="files.E010",
            )
        ]
    return []


@register("security", deploy=True)
def check_bucket_endpoint_scheme(app_configs: Any = None, **kwargs: Any) -> list:
    """With --deploy: an https site cannot use presigned URLs on an http:// bucket endpoint.

    Browsers block an https page's requests to http:// (mixed content), so every upload and
    thumbnail would fail with nothing but a console message.
    """
    endpoint = settings.CHUTE_S3_PUBLIC_ENDPOINT_URL or settings.AWS_S3_ENDPOINT_URL
    site_is_https = getattr(settings, "SECURE_SSL_REDIRECT", False) or any(
        str(origin).startswith("https://") for origin in settings.CSRF_TRUSTED_ORIGINS
    )
    # Browsers treat loopback as secure (development, a tunnel on the same machine).
    loopback = urlsplit(str(endpoint)).hostname in {"localhost", "127.0.0.1", "::1"}
    if site_is_https and str(endpoint).startswith("http://") and not loopback:
        return [
            Warning(
                f"The bucket's public endpoint {_origin(endpoint)} is plain http:// but the "
                "site is https: browsers refuse an https page's uploads to it (mixed content).",
                hint="Serve the bucket over https and set CHUTE_S3_PUBLIC_ENDPOINT_URL (or "
                "AWS_S3_ENDPOINT_URL) to its https:// address.",
                id="files.W005",
            )
        ]
    return []


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@register("security")
def check_csp_allows_bucket(app_configs: Any = None, **kwargs: Any) -> list:
    """The Content-Security-Policy lets the page reach the URLs Chute presigns.

    Presigning is local computation, so this costs no network call. A mismatch (say, a
    public endpoint added without the policy following) would make every browser upload
    fail with nothing but a console message.
    """
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES") or {}
    try:
        upload_url = s3.presign_post(
            "chute-check", content_type="text/plain", size=1, expires_in=60
        ).url
        download_url = s3.storage().url("chute-check", expire=60)
    except Exception:  # no S3 storage configured: check_bucket and files.E0xx say why
        return []
    problems: list[CheckMessage] = []
    for directive, url in (("connect-src", upload_url), ("form-action", download_url)):
        allowed = directives.get(directive) or directives.get("default-src") or []
        if _origin(url) not in allowed:
            problems.append(
                Warning(
                    f"CONTENT_SECURITY_POLICY {directive} does not allow {_origin(url)}, where "
                    "browsers send presigned requests; uploads and share downloads would fail.",
                    hint="Set CHUTE_S3_PUBLIC_ENDPOINT_URL (or AWS_S3_ENDPOINT_URL) to the "
                    "endpoint browsers reach; the policy is derived from it.",
                    id="files.W002",
                )
            )
    return problems


# Gunicorn's worker timeout (project/gunicorn.py) and Heroku's router both stop at 30 s.
REQUEST_DEADLINE = 30


@register()
def check_operations(app_configs: Any = None, **kwargs: Any) -> list:
    """Quota, retention and bucket timeouts: sane values, and a dead bucket answers in time."""
    problems: list[CheckMessage] = []
    if settings.CHUTE_USER_QUOTA < 0:
        problems.append(
            Error("CHUTE_USER_QUOTA must be 0 (no limit) or a number of bytes.", id="files.E008")
        )
    if not 1 <= settings.CHUTE_RESUME_DAYS <= 365:
        problems.append(
            Error(
                "CHUTE_RESUME_DAYS must be between 1 and 365 days.",
                hint="Unfinished multipart uploads wait this long for their owner to resume.",
                id="files.E013",
            )
        )
    if settings.CHUTE_RETENTION_DAYS < 0:
        problems.append(
            Error(
                "CHUTE_RETENTION_DAYS must be 0 (keep files) or a number of days.",
                id="files.E009",
            )
        )
    connect, read = settings.CHUTE_S3_CONNECT_TIMEOUT, settings.CHUTE_S3_READ_TIMEOUT
    retries = settings.CHUTE_S3_MAX_ATTEMPTS
    if connect < 1 or read < 1 or retries < 0:
        problems.append(
            Error(
                "CHUTE_S3_CONNECT_TIMEOUT and CHUTE_S3_READ_TIMEOUT must be at least 1 second "
                "and CHUTE_S3_MAX_ATTEMPTS at least 0.",
                id="files.E011",
            )
        )
    elif (retries + 1) * (connect + read) >= REQUEST_DEADLINE:
        problems.append(
            Warning(
                f"A bucket that hangs would hold a request for up to "
                f"{(retries + 1) * (connect + read)} s, past the {REQUEST_DEADLINE} s after "
                "which the server kills it: users would see a gateway error, not a 503 "
                "asking them to retry.",
                hint="Lower CHUTE_S3_READ_TIMEOUT, CHUTE_S3_CONNECT_TIMEOUT or "
                "CHUTE_S3_MAX_ATTEMPTS (retries after the first try).",
                id="files.W003",
            )
        )
    return problems
