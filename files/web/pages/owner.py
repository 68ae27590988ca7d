"""The one view shape of the owner pages (API tokens, upload requests, the share dialogs).

Each is a function view: GET shows the page; POST is either a row's button (Revoke, Close),
named for its action and carrying the row's id, or the page's create form. One domain call
either way; a refusal keeps what was typed (`form`) and says why (`error`) with its status.
What a page makes (a token, a link) is shown once, so these answers are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from files.errors import ChuteError
from files.web.http import AuthenticatedRequest
from files.web.pages.forms import RowActionForm

Context = dict[str, Any]


def create_or_revoke(
    request: AuthenticatedRequest,
    *,
    create: Callable[[QueryDict], Context],
    action: str = "revoke",
    revoke: Callable[[str], Context] | None = None,
    errors: tuple[type[ChuteError], ...],
) -> tuple[Context, int]:
    """What a POST adds to the page's context, and the status; nothing for a GET."""
    if request.method != "POST":
        return {}, 200
    row = RowActionForm(request.POST, action=action)
    try:
        if revoke is not None and row.posted:
            return revoke(row.row_id), 200
        return create(request.POST), 200
    except errors as error:
        return {"error": error.message, "form": request.POST}, error.status


def owner_page(
    request: AuthenticatedRequest, template: str, context: Context, status: int = 200
) -> HttpResponse:
    """The page or fragment; it may hold a new token or link: keep it out of caches."""
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response
