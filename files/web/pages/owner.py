"""The one view shape of the owner pages (API tokens, upload requests, the share dialogs).

Each is a function view: GET shows the page; POST is either a row's button (Revoke, Close),
named for its action and carrying the row's id, or the page's create form. One domain call
either way; a refusal keeps what was typed (`form`) and says why (`error`) with its status.
What a page makes (a token, a link) is shown once, so these answers are never cached.

A page whose create form shows a secret once (a token, a webhook's signing secret, a link's
or an upload request's address) cannot redirect after the POST: the secret would have to be kept somewhere to show it after the
redirect. Such a form carries a one-time number instead (`once`, hidden), remembered in the
session when it made something; sending the same form again (a reload, Back then Send) makes
nothing and says what the first send made. The number is no secret; the sentence names the
thing (its name, a webhook's address, a link's listed prefix), never its secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from files.errors import ChuteError, InvalidRequest
from files.web.http import AuthenticatedRequest
from files.web.pages.forms import OnceForm, RowActionForm

Context = dict[str, Any]

SENT_FORMS = "chute_sent_forms"  # session key: {once: the sentence a second send answers}
KEEP_SENT_FORMS = 50  # the latest forms remembered; an older page's form is long gone


def create_or_revoke(
    request: AuthenticatedRequest,
    *,
    create: Callable[[QueryDict], Context],
    action: str = "revoke",
    revoke: Callable[[str], Context] | None = None,
    errors: tuple[type[ChuteError], ...],
    already_sent: Callable[[Context], str] | None = None,
) -> tuple[Context, int]:
    """What a POST adds to the page's context, and the status; nothing for a GET.

    With `already_sent`, the create form must carry its one-time number and makes something
    once: `already_sent(what create answered)` is the sentence a second send of it shows.
    """
    if request.method != "POST":
        return {}, 200
    row = RowActionForm(request.POST, action=action)
    refusals: tuple[type[ChuteError], ...] = (*errors, InvalidRequest)  # InvalidRequest: `once`
    try:
        if revoke is not None and row.posted:
            return revoke(row.row_id), 200
        if already_sent is None:
            return create(request.POST), 200
        return _create_once(request, create, already_sent), 200
    except refusals as error:
        return {"error": error.message, "form": request.POST}, error.status


def _create_once(
    request: AuthenticatedRequest,
    create: Callable[[QueryDict], Context],
    already_sent: Callable[[Context], str],
) -> Context:
    once = OnceForm(request.POST).number
    sent: dict[str, str] = request.session.get(SENT_FORMS, {})
    if once in sent:
        return {"already_sent": sent[once]}
    made = create(request.POST)
    sent[once] = already_sent(made)
    # dicts keep insertion order: drop the oldest beyond the last few.
    request.session[SENT_FORMS] = dict(list(sent.items())[-KEEP_SENT_FORMS:])
    return made


def owner_page(
    request: AuthenticatedRequest, template: str, context: Context, status: int = 200
) -> HttpResponse:
    """The page or fragment; it may hold a new token or link: keep it out of caches.

    Each answer gives the page's create form a new one-time number (`once`)."""
    context = {"once": secrets.token_urlsafe(16), **context}
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response
