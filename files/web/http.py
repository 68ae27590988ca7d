"""The request as views and API operations see it: its types, typed once for mypy, and who sent it.

django-htmx's middleware adds `request.htmx`; `login_required` and the API's session auth
guarantee a signed-in user. `client_address` is the address throttles count by (sign-ins,
sign-ups, link passwords, guest uploads).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    user: User  # narrowed from User | AnonymousUser by login_required and the API auth


def client_address(request: HttpRequest) -> str:
    """The client's address, the same rule as share-link password throttling and the logs.

    Behind the proxies Django is told to trust (SECURE_PROXY_SSL_HEADER, as on Heroku; their
    number is CHUTE_TRUSTED_PROXIES, 1 by default), each proxy appends the address it saw to
    X-Forwarded-For, so the entry the outermost trusted proxy appended is the client; earlier
    entries are whatever the client sent. Otherwise REMOTE_ADDR is the client. django-axes
    calls this too (AXES_CLIENT_IP_CALLABLE), so sign-in lockouts agree.
    """
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    proxies = getattr(settings, "CHUTE_TRUSTED_PROXIES", 1)
    if settings.SECURE_PROXY_SSL_HEADER and forwarded and proxies > 0:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")


def origin_of(request: HttpRequest) -> str:
    """scheme://host of the request (ALLOWED_HOSTS vetted the host): where links in the mails
    it causes point, unless CHUTE_ORIGIN says otherwise (files/mail/messages.py)."""
    return f"{request.scheme}://{request.get_host()}"
