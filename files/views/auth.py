"""Who is calling a page view: the session, or an API token for the views scripts use too."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from files.api.responses import chute_error_response
from files.errors import TokenRefused
from files.tokens import authenticate


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
