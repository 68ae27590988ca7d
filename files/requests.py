"""The request types views and API operations receive, typed once for mypy.

django-htmx's middleware adds `request.htmx`; `login_required` and the API's session auth
guarantee a signed-in user.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    user: User  # narrowed from User | AnonymousUser by login_required and the API auth
