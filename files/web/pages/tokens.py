"""The API tokens page: make a token (shown once), see when each was last used, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from files.accounts import tokens
from files.errors import InvalidToken, TokenNotFound
from files.web.http import AuthenticatedRequest

# Lifetimes offered on the page (seconds, label); the API takes any up to a year.
EXPIRY_CHOICES = [
    ("", "Never"),
    (str(7 * 24 * 3600), "7 days"),
    (str(30 * 24 * 3600), "30 days"),
    (str(90 * 24 * 3600), "90 days"),
    (str(365 * 24 * 3600), "1 year"),
]


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    context: dict[str, Any] = {"choices": EXPIRY_CHOICES}
    status = 200
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                tokens.revoke(tokens.get_owned(request.user, request.POST["revoke"]))
                context["notice"] = "The token was revoked; calls carrying it now answer 401."
            else:
                expiry = request.POST.get("expires_in", "")
                if expiry not in dict(EXPIRY_CHOICES):
                    raise InvalidToken("Choose how long the token lasts.")
                context["created"] = tokens.create(
                    request.user,
                    name=request.POST.get("name", ""),
                    expires_in=int(expiry) if expiry else None,
                )
        except (InvalidToken, TokenNotFound) as error:
            context["error"] = error.message
            status = error.status
    context["tokens"] = tokens.tokens_of(request.user)
    response = render(request, "files/tokens.html", context, status=status)
    # The answer may hold a new token: keep it out of caches.
    response["Cache-Control"] = "no-store"
    return response
