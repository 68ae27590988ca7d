"""Keep secrets out of logs: presigned-URL signatures, credentials, link, API and mail tokens.

Django's own loggers write request paths (django.request: "Not Found: /s/<token>",
django.server: the whole request line with its query string), and a presigned URL in an
error message would hand anyone who reads the logs a working link. `redact()` rewrites such
text; `RedactSecrets` applies it to every record a handler emits; project/gunicorn.py applies
it to the access log.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

REDACTED = "[redacted]"

# SigV4/SigV2 query parameters that make a URL work for whoever holds it, and POST-policy fields.
_SIGNED_PARAM = re.compile(
    r"(?i)\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId"
    r"|x-amz-signature|policy)=[^&\s\"'<>]+"
)
# A link's token is the path segment after /s/ (a share link: the landing page and its
# download) or /r/ (an upload request: its page and the guests' upload calls).
_LINK_TOKEN = re.compile(r"/([sr])/[^/\s?#\"'<>]+")
# A personal API token (files/accounts/tokens.py: "chute_" and token_urlsafe's alphabet), wherever it
# appears: a query string (percent-encoded in a `next=` too), an Authorization header quoted in
# an error, free text. Eight or more characters after the prefix, so the six-character prefix
# shown on the tokens page stays readable.
_API_TOKEN = re.compile(r"chute_[A-Za-z0-9_-]{8,}")
# The token in a mailed link: an address's verification (/account/verify/<uid>/<token>) and a
# password reset (/accounts/reset/<uid>/<token>; Django's own set-password step is no secret).
_MAIL_TOKEN = re.compile(
    r"(/account/verify/|/accounts/reset/)([^/\s?#\"'<>]+)/(?!set-password\b)[^/\s?#\"'<>]+"
)


def redact(text: str) -> str:
    """`text` with signatures, credentials, link and API tokens replaced by [redacted]."""
    text = _SIGNED_PARAM.sub(lambda match: f"{match.group(1)}={REDACTED}", text)
    text = _API_TOKEN.sub(f"chute_{REDACTED}", text)
    text = _MAIL_TOKEN.sub(lambda match: f"{match.group(1)}{match.group(2)}/{REDACTED}", text)
    return _LINK_TOKEN.sub(lambda match: f"/{match.group(1)}/{REDACTED}", text)


def redact_path(path: str) -> str:
    """A request path safe to log: link tokens redacted, the query string dropped."""
    return redact(path.split("?", 1)[0])


class RedactSecrets(logging.Filter):
    """A handler filter that redacts the formatted message (and any traceback text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            # Freeze the redacted text: formatters would otherwise rebuild it from msg % args.
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class UTCFormatter(logging.Formatter):
    """Lines start with an ISO 8601 UTC timestamp: 2026-12-04T19:25:01.123Z."""

    converter = time.gmtime  # type: ignore[assignment]  # typeshed: (float | None) -> …; gmtime takes that
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class OneLine(logging.Filter):
    """Drop a record's traceback: scanners' bad Host headers are one line, not thirteen."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def config(level: str) -> dict[str, Any]:
    """settings.LOGGING: one console handler, redacted, timestamped; one line per request."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # Presigned-URL signatures and share tokens never reach the logs (RedactSecrets).
        "filters": {
            "redact": {"()": "project.logging.RedactSecrets"},
            "one_line": {"()": "project.logging.OneLine"},
        },
        "formatters": {
            "line": {
                "()": "project.logging.UTCFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["redact"],
                "formatter": "line",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default configuration gives these loggers handlers of their own that
            # would print paths unredacted (and django.server never propagates): route them
            # through the redacting console handler instead.
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # The access line (files/web/access_log.py) already says each request's status:
            # Django's "Not Found: /x" lines for 4xx go, its 500s with their traceback stay.
            "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # A scanner's Host header: one short line, not a traceback.
            "django.security.DisallowedHost": {
                "handlers": ["console"],
                "level": "ERROR",
                "filters": ["one_line"],
                "propagate": False,
            },
            # django-axes' lines per sign-in and per failure: the access line says it (a failed
            # sign-in is a 200 with the form again, a lockout a 429); its errors stay.
            "axes": {"level": "ERROR"},
            # botocore logs request URLs (with signatures) at DEBUG; keep it quiet.
            "botocore": {"level": "WARNING"},
            "boto3": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
        },
    }
