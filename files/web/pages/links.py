"""The links page: every share link its owner made, with Copy, a QR code, Revoke and expiry.

Named for what the page says ("Links", at /links/); the model and the domain say Share
(files/shares/listing.py). The share dialogs and the public /s/ pages stay in shares.py.
Each action posts a form: htmx swaps the link's row, and without JavaScript the page reloads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from files.errors import ChuteError, InvalidShare, LinkClosed, ShareNotFound
from files.links.passwords import format_duration
from files.mail import links as link_mails
from files.shares import listing, single
from files.tasks.mail import send_link_mail
from files.web.http import AuthenticatedRequest, origin_of


class ExpiryForm(forms.Form):
    """A link's new lifetime from now: one of the dialog's presets (within the cap)."""

    expires_in = forms.TypedChoiceField(label="New expiry", coerce=int, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["expires_in"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(seconds, f"in {label}") for seconds, label in single.expiry_presets()]
        field.initial = single.default_expiry()


@dataclass(frozen=True)
class Row:
    """What the page shows of one link: the listing's Link, its address, QR code and form."""

    link: listing.Link
    url: str | None
    qr: SafeString | None
    form: ExpiryForm
    error: str = ""


def qr_svg(url: str) -> SafeString:
    """The address as an inline SVG QR code (segno); no script, no style attribute (the CSP)."""
    svg = segno.make(url, error="m").svg_inline(scale=3, omitsize=True, svgclass="qr")
    return mark_safe(svg)  # noqa: S308 - segno's own markup around the address it encoded


def row(
    request: AuthenticatedRequest,
    link: listing.Link,
    form: ExpiryForm | None = None,
    error: str = "",
) -> Row:
    url = request.build_absolute_uri(reverse("share", args=[link.token])) if link.token else None
    form = form or ExpiryForm(auto_id=f"expiry-{link.share.id}-%s")
    return Row(link=link, url=url, qr=qr_svg(url) if url else None, form=form, error=error)


def _page(request: AuthenticatedRequest, status: int = 200, **extra: Any) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    page = listing.owned(request.user, cursor=cursor, limit=50)
    rows = [extra.get("rows", {}).get(link.share.id) or row(request, link) for link in page.links]
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor,
        "max_expiry": format_duration(single.max_expiry()),
    }
    response = render(request, "shares/links.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page holds every link's address
    return response


@require_safe
@login_required
def links(request: AuthenticatedRequest) -> HttpResponse:
    """Every link the owner made, newest first."""
    try:
        return _page(request)
    except ChuteError:  # a cursor that was not given out: start again from the newest
        return HttpResponseRedirect(reverse("links"))


def _answer(
    request: AuthenticatedRequest,
    link: listing.Link,
    form: ExpiryForm | None,
    error: str,
    status: int,
) -> HttpResponse:
    if not request.htmx and not error:
        return HttpResponseRedirect(reverse("links"))
    shown = row(request, link, form, error)
    if request.htmx:
        response = render(request, "shares/links.html#link-row", {"row": shown}, status=status)
        response["Cache-Control"] = "no-store"
        return response
    return _page(request, status=status, rows={link.share.id: shown})


def _owned(request: AuthenticatedRequest, share_id: uuid.UUID) -> listing.Link:
    try:
        return listing.one(request.user, share_id)
    except ShareNotFound:
        raise Http404("No such link.") from None


@require_POST
@login_required
@vary_on_headers("HX-Request")
def revoke(request: AuthenticatedRequest, share_id: uuid.UUID) -> HttpResponse:
    """Stop the link; htmx gets its row back, showing it revoked."""
    single.revoke(_owned(request, share_id).share)
    return _answer(request, _owned(request, share_id), None, "", 200)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def change_expiry(request: AuthenticatedRequest, share_id: uuid.UUID) -> HttpResponse:
    """Move the link's expiry to the chosen time from now (a refusal comes back in its row)."""
    link = _owned(request, share_id)
    form = ExpiryForm(request.POST, auto_id=f"expiry-{share_id}-%s")
    if not form.is_valid():
        return _answer(request, link, form, "Choose when the link should expire.", 400)
    try:
        single.change_expiry(link.share, form.cleaned_data["expires_in"])
    except (InvalidShare, LinkClosed) as error:
        return _answer(request, link, form, error.message, error.status)
    return _answer(request, _owned(request, share_id), None, "", 200)


class SendForm(forms.Form):
    """ "Send by email": the addresses as typed in one box, and the message."""

    to = forms.CharField(required=False, strip=False)
    message = forms.CharField(required=False, strip=False)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def send(request: AuthenticatedRequest, share_id: uuid.UUID) -> HttpResponse:
    """Mail the link (the worker sends it); htmx gets the sentence saying so, or why not."""
    link = _owned(request, share_id)
    form = SendForm(request.POST)
    form.is_valid()  # two free texts: the domain checks them, in its own words
    typed = form.cleaned_data.get("to", "")
    try:
        mail = link_mails.prepare(
            request.user, share_id, link_mails.split(typed), form.cleaned_data.get("message", "")
        )
    except ChuteError as error:
        refusal = error.message
        context: dict[str, Any] = {"send_error": refusal, "share": link.share}
        status, headers = error.status, error.headers
    else:
        send_link_mail.enqueue(str(mail.id), origin_of(request))
        count = f"{mail.count} address{'es' if mail.count != 1 else ''}"
        context = {"send_notice": f"The link is on its way to {count}.", "share": link.share}
        status, headers = 202 if request.htmx else 200, {}
    if request.htmx:
        response = render(request, "shares/_send_link.html#result", context, status=status)
    elif status < 400:
        return HttpResponseRedirect(reverse("links"))
    else:
        response = _page(
            request,
            status=status,
            rows={link.share.id: row(request, link, None, refusal)},
        )
    for name, value in headers.items():
        response[name] = value
    return response
