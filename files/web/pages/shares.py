"""Share links: the owner's dialogs (one file, several files) and the public pages a link opens."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from files.errors import (
    InvalidShare,
    LinkGone,
    PasswordRefused,
    ShareNotFound,
    TooManyAttempts,
    UploadNotFound,
)
from files.links.passwords import format_duration
from files.models import Share, Upload
from files.shares import multi, single
from files.web.http import AuthenticatedRequest, client_address
from files.web.pages.forms import DownloadForm, SelectedFilesForm, ShareForm, parse
from files.web.pages.owner import Context, create_or_revoke, owner_page

View = Callable[..., HttpResponse]

# --- Owner dialog (htmx) ------------------------------------------------------------------


def _manage_context(request: AuthenticatedRequest, upload: Upload, **extra: Any) -> dict[str, Any]:
    return {
        "file": upload,
        "shares": single.shares_of(upload),
        "presets": single.expiry_presets(),
        "default_expiry": single.default_expiry(),
        "max_expiry": format_duration(single.max_expiry()),
        "now": timezone.now(),
        "notify": single.notify_choice(request.user.pk),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def manage_shares(request: AuthenticatedRequest, upload_id: uuid.UUID) -> HttpResponse:
    """The file's share dialog: GET shows it, POST makes a link (or revokes one) from the form."""
    try:
        upload = single.get_shareable(request.user, upload_id)
    except UploadNotFound:
        raise Http404("No such file.") from None

    def revoke(share_id: str) -> Context:
        try:
            share = single.get_owned_share(request.user, share_id)
        except ShareNotFound:
            raise Http404("No such share link.") from None
        if share.upload_id != upload.id:
            raise Http404("No such share link.")
        single.revoke(share)
        return {}

    def create(data: QueryDict) -> Context:
        declared = ShareForm(data).share_request()
        new = single.create_share(
            upload,
            expires_in=declared.expires_in,
            max_downloads=declared.max_downloads,
            password=declared.password,
            message=declared.message,
            notify=declared.notify,
        )
        url = request.build_absolute_uri(reverse("share", args=[new.token]))
        return {"created": new.share, "created_share": new.share, "created_url": url}

    def already_sent(made: Context) -> str:
        # The prefix, as the list below shows it; never the token or the link's address.
        return (
            f"This form was already sent: the link {made['created'].token_prefix}… for "
            f"“{upload.name}” was made then; it is in the list below."
        )

    extra, status = create_or_revoke(
        request, create=create, revoke=revoke, errors=(InvalidShare,), already_sent=already_sent
    )
    if request.htmx:
        # A GET opens the dialog; a form post replaces the panel inside it.
        template = (
            "shares/manage.html#panel" if request.method == "POST" else "shares/manage.html#dialog"
        )
    else:
        template = "shares/manage.html"
    # The panel may hold a new link's full URL (owner_page keeps it out of caches).
    return owner_page(request, template, _manage_context(request, upload, **extra), status)


# --- Owner dialog for several files (htmx) ---------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def share_files(request: AuthenticatedRequest) -> HttpResponse:
    """GET ?files=<id>&files=<id>… opens the dialog; POST makes the link (shown once)."""
    data = request.POST if request.method == "POST" else request.GET
    selected = parse(SelectedFilesForm(data), InvalidShare)["files"]
    if not selected:
        # "Share selected" with nothing ticked: say so in the dialog rather than fail silently.
        return render(
            request,
            "shares/files.html#dialog" if request.htmx else "shares/files.html",
            {"files": [], "nothing_selected": True},
        )
    try:
        files = multi.ready_files(request.user, selected)
    except (UploadNotFound, InvalidShare):
        raise Http404("Choose some of your files first.") from None

    def create(data: QueryDict) -> Context:
        declared = ShareForm(data).share_request()
        new = multi.create(
            request.user,
            [str(upload.id) for upload in files],
            expires_in=declared.expires_in,
            max_downloads=declared.max_downloads,
            password=declared.password,
            message=declared.message,
            notify=declared.notify,
        )
        return {
            "created_share": new.share,
            "created_url": request.build_absolute_uri(reverse("share", args=[new.token])),
        }

    def already_sent(made: Context) -> str:
        names = ", ".join(f"“{upload.name}”" for upload in files)
        return (
            f"This form was already sent: the link to {names} was made then; "
            "it is on the Links page."
        )

    context, status = create_or_revoke(
        request, create=create, errors=(InvalidShare,), already_sent=already_sent
    )
    context |= {
        "files": files,
        "presets": single.expiry_presets(),
        "default_expiry": single.default_expiry(),
        "max_expiry": format_duration(single.max_expiry()),
        "notify": single.notify_choice(request.user.pk),
    }
    if request.htmx:
        template = "shares/files.html#" + ("panel" if request.method == "POST" else "dialog")
    else:
        template = "shares/files.html"
    return owner_page(request, template, context, status)  # the panel may hold a new link's URL


# --- Public pages -------------------------------------------------------------------------


def public(view: View) -> View:
    """Every answer to a link's URL: never cached, never leaking the URL in a Referer."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


GONE_MESSAGES = {
    Share.State.EXPIRED: "This link expired on {expires:%B %-d, %Y at %H:%M} UTC.",
    Share.State.USED_UP: "This link has been used up: it allowed {max} download{plural}.",
    Share.State.REVOKED: "The person who shared this link revoked it.",
}


def not_found(request: HttpRequest) -> HttpResponse:
    # The same page for every unknown token, whatever its shape: nothing to probe.
    return render(
        request,
        "shares/unavailable.html",
        {"title": "Link not found", "message": "There is no share link at this address."},
        status=404,
    )


def gone(request: HttpRequest, error: LinkGone) -> HttpResponse:
    share = error.share
    message = GONE_MESSAGES[error.state].format(
        expires=share.expires_at,
        max=share.max_downloads,
        plural="" if share.max_downloads == 1 else "s",
    )
    if error.state == Share.State.REVOKED and multi.files_were_deleted(share):
        message = "The shared files were deleted, so this link no longer works."
    elif error.state == Share.State.REVOKED and share.upload_id is None and not share.multi:
        message = "The shared file was deleted, so this link no longer works."
    return render(
        request,
        "shares/unavailable.html",
        {"title": "This link no longer works", "message": message, "state": error.state},
        status=410,
    )


def landing_page(
    request: HttpRequest, share: Share, token: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {"share": share, "file": share.upload, "token": token, "error": error}
    if share.multi:
        context["entries"] = list(multi.entries(share))
    # The page's script decrypts these in the browser (static/files/pages/decrypt.js).
    shown = [entry.upload for entry in context["entries"]] if share.multi else [share.upload]
    context["encrypted"] = any(upload is not None and upload.encrypted for upload in shown)
    return render(request, "shares/landing.html", context, status=status)


@public
@require_safe
def landing(request: HttpRequest, token: str) -> HttpResponse:
    """Name, size, who shared it, time and downloads left; opening it counts nothing."""
    try:
        share = single.find(token, with_owner=True)
        multi.ensure_open(share)
    except ShareNotFound:
        return not_found(request)
    except LinkGone as error:
        return gone(request, error)
    return landing_page(request, share, token)


# No CSRF check: a link carries no session or other ambient authority to abuse, and the
# landing page's `Referrer-Policy: no-referrer` makes browsers send `Origin: null` on its
# form posts, which Django's CSRF check would refuse.
@csrf_exempt
@public
@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    """Check expiry, revocation, password and count atomically, then 302 to the bucket."""
    return claim(request, token)


@csrf_exempt  # as download
@public
@require_POST
def view(request: HttpRequest, token: str) -> HttpResponse:
    """ "Open": as download (counted), shown in the browser for the inline allow-list."""
    return claim(request, token, inline=True)


def claim(request: HttpRequest, token: str, *, inline: bool = False) -> HttpResponse:
    try:
        share = single.find(token)
        multi.ensure_open(share)
        posted = parse(DownloadForm(request.POST), ShareNotFound)  # text alone: never refused
        single.verify_password(share, posted["password"], client_address(request))
        if share.multi:
            # A link to several files names the one to fetch (the landing page's buttons).
            chosen = posted["file"] or parse(DownloadForm(request.GET), ShareNotFound)["file"]
            url = multi.claim_file(share, chosen, inline=inline)
        else:
            url = single.claim_download(share, inline=inline)
    except ShareNotFound:
        return not_found(request)
    except LinkGone as error:
        return gone(request, error)
    except PasswordRefused as refused:
        response = landing_page(request, share, token, error=refused.message, status=refused.status)
        if isinstance(refused, TooManyAttempts):
            response["Retry-After"] = str(refused.retry_after)
        return response
    return HttpResponseRedirect(url)


@csrf_exempt
@public
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /s/: the same 404 as an unknown token."""
    return not_found(request)
