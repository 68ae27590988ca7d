"""Who is calling a page view: the session, or an API token for the views scripts use too;
and the page a locked-out sign-in gets."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from files.accounts.tokens import authenticate
from files.errors import LoginLockedOut, TokenRefused
from files.web.errors import chute_error_response


def login_or_token_required(view: Any) -> Any:
    """`login_required`, or `Authorization: Bearer <token>` (401 JSON when it is refused)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return login_required(view)(request, *args, **kwargs)
        try:
            request.user = authenticate(token.strip())
        except TokenRefused as error:
            return chute_error_response(error)
        return view(request, *args, **kwargs)

    return wrapper


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: 429, Retry-After and when to try again."""
    cool_off = settings.AXES_COOLOFF_TIME
    # A failed try during a lockout restarts the cool-off (AXES_RESET_COOL_OFF_ON_FAILURE_…).
    now = timezone.now()
    locked = LoginLockedOut(now + cool_off, now)
    response = render(
        request, "registration/lockout.html", {"message": locked.message}, status=locked.status
    )
    response["Retry-After"] = str(locked.retry_after)
    return response
