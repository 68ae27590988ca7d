"""Error reports through Sentry when SENTRY_DSN is set (sentry-sdk's Django integration).

The same redaction as the logs (project/logging.py): every string in an event, its
breadcrumbs and its log records passes `redact`, query strings are dropped, and headers that
carry credentials are replaced; `send_default_pii` stays off (no cookies, no user details, no
request bodies), so presigned URLs, link tokens and API tokens never leave the app this way.
"""

from __future__ import annotations

from typing import Any

from project.logging import REDACTED, redact, redact_path

# Headers whose values are credentials or sessions, whatever sentry-sdk's own list holds.
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-csrftoken", "proxy-authorization"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and key.lower() in _SECRET_HEADERS
            else _clean(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """sentry-sdk's before_send (and before_breadcrumb): the event with every secret redacted."""
    request = event.get("request")
    if isinstance(request, dict):
        if request.get("url"):
            request["url"] = redact_path(str(request["url"]))
        if request.get("query_string"):
            request["query_string"] = REDACTED
        request.pop("cookies", None)
        request.pop("data", None)  # bodies may hold passwords and link passwords
    cleaned: dict[str, Any] = _clean(event)
    return cleaned


def init(dsn: str, environment: str) -> None:
    """Start sentry-sdk when a DSN is configured; nothing otherwise."""
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        before_send=scrub,  # type: ignore[arg-type]  # sentry-sdk types events as its own TypedDict
        before_breadcrumb=scrub,
        traces_sample_rate=0.0,
    )
