"""Who is asking: the client address that throttles count by (sign-ins, sign-ups)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address, the same rule as share-link password throttling.

    Behind the proxy Django is told to trust (SECURE_PROXY_SSL_HEADER, as on Heroku), the
    proxy appends the address it saw to X-Forwarded-For, so the last entry is the client;
    earlier entries are whatever the client sent. Otherwise REMOTE_ADDR is the client.
    django-axes calls this too (AXES_CLIENT_IP_CALLABLE), so sign-in lockouts agree.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
