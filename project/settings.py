"""Chute settings: twelve-factor, every value from the environment.

Development defaults apply only when DEBUG is on; with DEBUG off the service refuses
to start without SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and a bucket, naming what is missing.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from project.database import database
from project.env import env, env_bool, env_int, env_list, origin, s3_origins
from project.logging import config as logging_config
from project.sentry import init as sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB


def required(name: str, dev_default: str) -> str:
    """An environment value production must set; DEBUG falls back to `dev_default`."""
    value = env(name)
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"Set the {name} environment variable (required when DEBUG is off).")


# --- Core ---------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = required("SECRET_KEY", "django-insecure-chute-development-only")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]"))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "storages",
    "corsheaders",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "files",
    "files.tasks",
]

MIDDLEWARE = [
    "files.web.access_log.AccessLogMiddleware",  # one line per request, X-Request-ID
    "files.web.metrics.MetricsMiddleware",  # counts answers by route for /metrics
    # /healthz answers before the HTTPS redirect and the ALLOWED_HOSTS check (platform probes).
    "files.web.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "files.web.middleware.ApiAnswersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "files.web.middleware.ServiceUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "files.web.context_processors.chute",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

DATABASES = {
    # An empty DATABASE_URL means "unset", as platforms sometimes export it blank. Production
    # must name its database: SQLite on a dyno's temporary disk would be an empty file per dyno.
    "default": database(required("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in and sign-up throttling (django-axes; files/accounts/signup.py) ---------------------------

# Axes' backend refuses sign-ins from a locked-out address before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins live in the database, so the lockout holds across workers and servers.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
# The same client address as share-link throttling (last X-Forwarded-For entry only behind
# a trusted proxy), not django-ipware's guess.
AXES_CLIENT_IP_CALLABLE = "files.web.http.client_address"
# Failed sign-ins from one address before it is locked out, and for how long.
AXES_FAILURE_LIMIT = env_int("CHUTE_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CHUTE_LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True  # a right password clears the address's count
AXES_VERBOSE = False  # no banner in every process (project/logging.py quiets the rest)
AXES_LOCKOUT_CALLABLE = "files.web.pages.auth.lockout_response"  # 429, Retry-After, a sentence
# Sign-up form submissions each address may make in an hour (files/accounts/signup.py).
CHUTE_SIGNUP_ATTEMPTS_PER_HOUR = env_int("CHUTE_SIGNUP_ATTEMPTS_PER_HOUR", 10)
# Uploads one client address may start through upload request links in an hour.
CHUTE_GUEST_UPLOADS_PER_HOUR = env_int("CHUTE_GUEST_UPLOADS_PER_HOUR", 100)

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Storage: private S3 bucket for files, whitenoise for static ----------------------------

AWS_STORAGE_BUCKET_NAME = required("AWS_STORAGE_BUCKET_NAME", "chute")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL") or ("http://127.0.0.1:8333" if DEBUG else "")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", "us-east-1")
AWS_ACCESS_KEY_ID = required("AWS_ACCESS_KEY_ID", "chute-dev")
AWS_SECRET_ACCESS_KEY = required("AWS_SECRET_ACCESS_KEY", "chute-dev-secret")

STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        # django-storages' S3Storage with Chute's client configuration (files/s3/connection.py).
        "BACKEND": "files.s3.ChuteS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": AWS_S3_REGION_NAME,
            "access_key": AWS_ACCESS_KEY_ID,
            "secret_key": AWS_SECRET_ACCESS_KEY,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # Path-style URLs work for S3-compatible servers on an IP address as well as AWS.
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", "path"),
        },
    },
    # whitenoise's CompressedManifestStaticFilesStorage, also hashing ES module imports.
    "staticfiles": {"BACKEND": "project.storage.StaticStorage"},
}

# Optional: downloads through CloudFront. With a distribution's domain and a key of its trusted
# key group, owner and share downloads are CloudFront-signed URLs (django-storages' signer,
# canned policy, expiring like the bucket's); uploads still go to the bucket (docs/operations.md).
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN")
AWS_CLOUDFRONT_KEY_ID = env("AWS_CLOUDFRONT_KEY_ID")
# The PEM private key; "\n" stands for a line break where the platform keeps one line.
AWS_CLOUDFRONT_KEY = env("AWS_CLOUDFRONT_KEY").replace("\\n", "\n")
if AWS_S3_CUSTOM_DOMAIN:
    if not (AWS_CLOUDFRONT_KEY and AWS_CLOUDFRONT_KEY_ID):
        raise ImproperlyConfigured(
            "AWS_S3_CUSTOM_DOMAIN needs AWS_CLOUDFRONT_KEY and AWS_CLOUDFRONT_KEY_ID: the bucket "
            "is private, so downloads through the domain must be signed."
        )
    STORAGES["default"]["OPTIONS"] |= {
        "custom_domain": AWS_S3_CUSTOM_DOMAIN,
        "cloudfront_key": AWS_CLOUDFRONT_KEY.encode(),
        "cloudfront_key_id": AWS_CLOUDFRONT_KEY_ID,
    }

STATIC_URL = "static/"
# Where collectstatic writes (whitenoise serves it); the platform builds it at deploy time.
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# Optional: `collectstatic` into the bucket under static/ (hashed names, as the classic
# tutorials do) instead of serving from the dyno with whitenoise. Links are unsigned: a
# signed URL inside CSS would change the file's hash on every post-processing pass. So
# static/ is public, by a bucket policy s3_setup applies, or served by a CDN in front of
# the bucket named in CHUTE_STATIC_CUSTOM_DOMAIN (e.g. cdn.example.com); users/ stays private.
CHUTE_STATIC_ON_S3 = env_bool("CHUTE_STATIC_ON_S3", False)
CHUTE_STATIC_CUSTOM_DOMAIN = env("CHUTE_STATIC_CUSTOM_DOMAIN")
if CHUTE_STATIC_ON_S3:
    STORAGES["staticfiles"] = {
        "BACKEND": "project.storage.S3StaticStorage",
        "OPTIONS": {
            **STORAGES["default"]["OPTIONS"],
            "location": "static",
            "file_overwrite": True,  # staticfiles.json is rewritten on every collectstatic
            "signature_version": "s3v4",
            "querystring_auth": False,
            "custom_domain": CHUTE_STATIC_CUSTOM_DOMAIN or None,
        },
    }
    MIDDLEWARE.remove("whitenoise.middleware.WhiteNoiseMiddleware")

# --- Chute --------------------------------------------------------------------------------

# Presigned URLs are signed for the endpoint the browser reaches; set this when Django
# reaches the bucket by an internal address (e.g. http://seaweedfs:8333 inside a network).
CHUTE_S3_PUBLIC_ENDPOINT_URL = env("CHUTE_S3_PUBLIC_ENDPOINT_URL")
# Largest file accepted, in bytes (S3's own limit for one object is 5 TiB).
CHUTE_MAX_UPLOAD_SIZE = env_int("CHUTE_MAX_UPLOAD_SIZE", 5 * GiB)
# Comma-separated content types ("image/*,application/pdf"); empty accepts any type.
CHUTE_ALLOWED_CONTENT_TYPES = env_list("CHUTE_ALLOWED_CONTENT_TYPES")
# How small files go to the bucket: one presigned "post" (policy) or one presigned "put".
CHUTE_UPLOAD_METHOD = env("CHUTE_UPLOAD_METHOD", "post")
# Files at least this large use multipart uploads.
CHUTE_MULTIPART_THRESHOLD = env_int("CHUTE_MULTIPART_THRESHOLD", 64 * MiB)
# Multipart part size: smaller for files under 8 parts of it, larger for files that would need
# over 10,000 parts.
CHUTE_PART_SIZE = env_int("CHUTE_PART_SIZE", 64 * MiB)
# Parts the browser sends at once to begin with (the page then adjusts, up to twice as many).
CHUTE_PARALLEL_PARTS = env_int("CHUTE_PARALLEL_PARTS", 4)
# Files the page uploads at once; the rest wait in order.
CHUTE_PARALLEL_FILES = env_int("CHUTE_PARALLEL_FILES", 3)
# Lifetime of presigned upload URLs, in seconds (capped at a day; SigV4 allows 7 days).
CHUTE_UPLOAD_URL_TTL = env_int("CHUTE_UPLOAD_URL_TTL", 3600)
# Lifetime of presigned download URLs, in seconds (at most 60).
CHUTE_DOWNLOAD_URL_TTL = env_int("CHUTE_DOWNLOAD_URL_TTL", 60)
# Whether anyone may create an account at /accounts/signup/.
CHUTE_SIGNUP_ENABLED = env_bool("CHUTE_SIGNUP_ENABLED", DEBUG)
# Browser origins allowed to upload to the bucket (CORS); defaults to CSRF_TRUSTED_ORIGINS.
CHUTE_CORS_ORIGINS = (
    env_list("CHUTE_CORS_ORIGINS")
    or CSRF_TRUSTED_ORIGINS
    or (["http://127.0.0.1:8000", "http://localhost:8000"] if DEBUG else [])
)
# Front ends on these origins may call /api/ with an API token (django-cors-headers); their
# browsers also upload to the bucket, so the bucket's CORS rule allows them too.
CHUTE_API_CORS_ORIGINS = env_list("CHUTE_API_CORS_ORIGINS")
CHUTE_CORS_ORIGINS = [
    *CHUTE_CORS_ORIGINS,
    *(origin for origin in CHUTE_API_CORS_ORIGINS if origin not in CHUTE_CORS_ORIGINS),
]
CORS_ALLOWED_ORIGINS = CHUTE_API_CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False  # tokens, never the session cookie, from other origins
CORS_EXPOSE_HEADERS = ["Retry-After", "WWW-Authenticate"]
# Files listed per page.
CHUTE_PAGE_SIZE = env_int("CHUTE_PAGE_SIZE", 50)
# Bytes each user may store, counting ready files and unexpired pending uploads; 0 = no limit.
CHUTE_USER_QUOTA = env_int("CHUTE_USER_QUOTA", 0)
# Days an unfinished multipart upload (and its quota reservation) waits for its owner to
# resume it; its part URLs stay short-lived and are signed again on demand.
CHUTE_RESUME_DAYS = env_int("CHUTE_RESUME_DAYS", 7)
# cleanup_uploads deletes ready files older than this many days; 0 keeps files forever.
CHUTE_RETENTION_DAYS = env_int("CHUTE_RETENTION_DAYS", 0)
# Bucket calls give up quickly so a dead or hanging bucket becomes a 503 with Retry-After
# inside the router's 30 s: at worst (1 + retries) x (connect + read timeout), 22 s with
# these defaults (files.W003 warns past 30 s). CHUTE_S3_MAX_ATTEMPTS counts retries after
# the first try (botocore's `max_attempts`, standard retry mode).
CHUTE_S3_CONNECT_TIMEOUT = env_int("CHUTE_S3_CONNECT_TIMEOUT", 3)
CHUTE_S3_READ_TIMEOUT = env_int("CHUTE_S3_READ_TIMEOUT", 8)
CHUTE_S3_MAX_ATTEMPTS = env_int("CHUTE_S3_MAX_ATTEMPTS", 1)
# Longest a share link may live, in seconds (links are Chute URLs, so beyond SigV4's 7 days).
CHUTE_SHARE_MAX_EXPIRY = env_int("CHUTE_SHARE_MAX_EXPIRY", 30 * 24 * 3600)

# --- Tasks (django-tasks; files/tasks/) ------------------------------------------------------

# Work that happens later runs as tasks through Django's Tasks API, on `manage.py worker`
# (the Procfile's worker, and bin/run). By default the queue is the database itself
# (django-tasks-db: no other server); with CHUTE_TASKS_REDIS_URL (e.g. redis://host:6379/0)
# the same tasks go to Redis and run on RQ workers (django-tasks-rq).
CHUTE_TASKS_REDIS_URL = env("CHUTE_TASKS_REDIS_URL")
TASK_QUEUES = ["default"]
if CHUTE_TASKS_REDIS_URL:
    if urlsplit(CHUTE_TASKS_REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            "CHUTE_TASKS_REDIS_URL must be a redis://, rediss:// or unix:// URL, "
            f"not {CHUTE_TASKS_REDIS_URL!r}."
        )
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {name: {"URL": CHUTE_TASKS_REDIS_URL} for name in TASK_QUEUES}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}

# The worker's periodic jobs (files/tasks/schedule.py), run by `manage.py worker` itself: the
# cleanup every CHUTE_CLEANUP_INTERVAL seconds (0: off, for sites running cleanup_uploads from
# cron), and the webhooks' sweep every CHUTE_WEBHOOK_SWEEP_INTERVAL seconds.
CHUTE_CLEANUP_INTERVAL = env_int("CHUTE_CLEANUP_INTERVAL", 15 * 60)
# Days finished bookkeeping is kept before the `prune` job deletes it (files/tasks/prune.py).
CHUTE_HISTORY_DAYS = env_int("CHUTE_HISTORY_DAYS", 30)

# --- What leaves Chute: email (files/mail/) and webhooks (files/webhooks/) ------------------

from project.outbound import *  # noqa: E402, F403

# --- Security -----------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "files.web.pages.home.csrf_failure"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True


BUCKET_ORIGINS = s3_origins(
    CHUTE_S3_PUBLIC_ENDPOINT_URL or AWS_S3_ENDPOINT_URL, AWS_STORAGE_BUCKET_NAME, AWS_S3_REGION_NAME
)
STATIC_ORIGINS = [SELF]
if CHUTE_STATIC_ON_S3:
    STATIC_ORIGINS += (
        [origin(CHUTE_STATIC_CUSTOM_DOMAIN)] if CHUTE_STATIC_CUSTOM_DOMAIN else BUCKET_ORIGINS
    )
# Content-Security-Policy (django-csp 4): no inline script or style anywhere; the page loads
# the uploader modules and htmx from static files (htmx's inline indicator style is switched off in
# base.html), and the uploader talks to the bucket. form-action includes the bucket because
# browsers apply it to redirects: share-link download forms answer 302 to a presigned GET.
# files.W002 checks that presigned URLs point at an origin listed here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": STATIC_ORIGINS,
        "style-src": STATIC_ORIGINS,
        # Thumbnails are short-lived signed GETs from the bucket (files/uploads/thumbnails.py).
        "img-src": [*dict.fromkeys([*STATIC_ORIGINS, *BUCKET_ORIGINS]), "data:"],
        "font-src": STATIC_ORIGINS,
        # A chosen video's first frame becomes its thumbnail through an object URL (blob:).
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF, *BUCKET_ORIGINS],
        "form-action": [SELF, *BUCKET_ORIGINS],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Logging ------------------------------------------------------------------------------

# One timestamped line per request (files/web/access_log.py), secrets redacted; the rest in
# project/logging.py.
LOGGING = logging_config(env("LOG_LEVEL", "INFO"))
# Proxies in front of the app that append to X-Forwarded-For (Heroku's router: 1); the client's
# address in the logs and for every throttle is the entry the outermost one appended.
CHUTE_TRUSTED_PROXIES = env_int("CHUTE_TRUSTED_PROXIES", 1)
# Error reports to Sentry, redacted as the logs are (project/sentry.py); unset, none are sent.
SENTRY_DSN = env("SENTRY_DSN")
sentry_init(SENTRY_DSN, env("SENTRY_ENVIRONMENT"))
# GET /metrics (Prometheus) answers with `Authorization: Bearer <this>`; unset, it is off (404).
CHUTE_METRICS_TOKEN = env("CHUTE_METRICS_TOKEN")
