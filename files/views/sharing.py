"""Share links: the owner's API and dialog, and the public pages a link opens."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from files import sharing, uploads
from files.models import Share, Upload
from files.views.api import View, api, read_json

# --- Owner API ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@api
def file_shares(request: HttpRequest, upload_id: str) -> HttpResponse:
    """GET lists a file's links; POST makes one → 201 {"id","url","expires_at","max_downloads"}."""
    upload = sharing.get_shareable(request.user, upload_id)
    if request.method == "GET":
        now = timezone.now()
        return JsonResponse(
            {"shares": [sharing.share_json(share, now) for share in sharing.shares_of(upload)]}
        )
    declared = sharing.parse_request(read_json(request))
    new = sharing.create_share(
        upload,
        expires_in=declared.expires_in,
        max_downloads=declared.max_downloads,
        password=declared.password,
    )
    return JsonResponse(
        {
            "id": str(new.share.id),
            "url": request.build_absolute_uri(new.path),
            "expires_at": new.share.expires_at.isoformat(),
            "max_downloads": new.share.max_downloads,
        },
        status=201,
    )


@require_http_methods(["DELETE"])
@api
def revoke_share(request: HttpRequest, share_id: str) -> HttpResponse:
    sharing.revoke(sharing.get_owned_share(request.user, share_id))
    return HttpResponse(status=204)


# --- Owner dialog (htmx) ------------------------------------------------------------------


def _manage_context(request: HttpRequest, upload: Upload, **extra: Any) -> dict[str, Any]:
    return {
        "file": upload,
        "shares": sharing.shares_of(upload),
        "presets": sharing.expiry_presets(),
        "default_expiry": sharing.default_expiry(),
        "max_expiry": sharing.format_duration(sharing.max_expiry()),
        "now": timezone.now(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def manage_shares(request: HttpRequest, upload_id: str) -> HttpResponse:
    """The file's share dialog: GET shows it, POST makes a link (or revokes one) from the form."""
    try:
        upload = sharing.get_shareable(request.user, upload_id)
    except uploads.UploadNotFound:
        raise Http404("No such file.") from None

    status = 200
    extra: dict[str, Any] = {}
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                share = sharing.get_owned_share(request.user, request.POST["revoke"])
            except sharing.ShareNotFound:
                raise Http404("No such share link.") from None
            if share.upload_id != upload.id:
                raise Http404("No such share link.")
            sharing.revoke(share)
        else:
            try:
                declared = sharing.parse_form(request.POST)
                new = sharing.create_share(
                    upload,
                    expires_in=declared.expires_in,
                    max_downloads=declared.max_downloads,
                    password=declared.password,
                )
                extra["created"] = new.share
                extra["created_url"] = request.build_absolute_uri(new.path)
            except sharing.ShareError as error:
                status = error.status
                extra["error"] = error.message
                extra["form"] = request.POST

    if request.htmx:
        # A GET opens the dialog; a form post replaces the panel inside it.
        template = (
            "sharing/manage.html#panel"
            if request.method == "POST"
            else "sharing/manage.html#dialog"
        )
    else:
        template = "sharing/manage.html"
    response = render(request, template, _manage_context(request, upload, **extra), status=status)
    # The panel may hold a new link's full URL: keep it out of caches.
    response["Cache-Control"] = "no-store"
    return response


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
        "sharing/unavailable.html",
        {"title": "Link not found", "message": "There is no share link at this address."},
        status=404,
    )


def gone(request: HttpRequest, error: sharing.LinkGone) -> HttpResponse:
    share = error.share
    message = GONE_MESSAGES[error.state].format(
        expires=share.expires_at,
        max=share.max_downloads,
        plural="" if share.max_downloads == 1 else "s",
    )
    if error.state == Share.State.REVOKED and share.upload_id is None:
        message = "The shared file was deleted, so this link no longer works."
    return render(
        request,
        "sharing/unavailable.html",
        {"title": "This link no longer works", "message": message, "state": error.state},
        status=410,
    )


def landing_page(
    request: HttpRequest, share: Share, token: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "sharing/landing.html",
        {"share": share, "file": share.upload, "token": token, "error": error},
        status=status,
    )


def client_address(request: HttpRequest) -> str:
    """The address password attempts are throttled by.

    Behind the proxy Django is told to trust (SECURE_PROXY_SSL_HEADER, as on Heroku), the
    proxy appends the address it saw to X-Forwarded-For, so the last entry is the client;
    earlier entries are whatever the client sent. Otherwise REMOTE_ADDR is the client.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


@public
@require_safe
def landing(request: HttpRequest, token: str) -> HttpResponse:
    """Name, size, who shared it, time and downloads left; opening it counts nothing."""
    try:
        share = sharing.find(token, with_owner=True)
        sharing.ensure_open(share)
    except sharing.ShareNotFound:
        return not_found(request)
    except sharing.LinkGone as error:
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
    try:
        share = sharing.find(token)
        sharing.ensure_open(share)
        password = request.POST.get("password", "") if request.method == "POST" else ""
        sharing.verify_password(share, password, client_address(request))
        url = sharing.claim_download(share)
    except sharing.ShareNotFound:
        return not_found(request)
    except sharing.LinkGone as error:
        return gone(request, error)
    except sharing.PasswordRefused as refused:
        response = landing_page(request, share, token, error=refused.message, status=refused.status)
        if isinstance(refused, sharing.TooManyAttempts):
            response["Retry-After"] = str(refused.retry_after)
        return response
    return HttpResponseRedirect(url)


@csrf_exempt
@public
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /s/: the same 404 as an unknown token."""
    return not_found(request)
