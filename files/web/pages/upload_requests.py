"""Upload requests: the owner's page (make, list, close) and the page a request's link opens.

The guest's page carries the same uploader as the home page; its calls go to the guests'
protocol under /r/<token>/uploads (files/web/api/guests.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from files.errors import (
    InvalidUploadRequest,
    PasswordRefused,
    TooManyAttempts,
    UploadRequestGone,
    UploadRequestNotFound,
)
from files.models import UploadRequest
from files.upload_requests import guests, owners
from files.web import guest_session
from files.web.errors import not_found_response, wants_json
from files.web.http import AuthenticatedRequest, client_address
from files.web.pages.shares import public

# Lifetimes offered on the owner's page (seconds, label); the API takes any up to 90 days.
EXPIRY_CHOICES = [
    (str(24 * 3600), "1 day"),
    (str(7 * 24 * 3600), "7 days"),
    (str(30 * 24 * 3600), "30 days"),
    (str(90 * 24 * 3600), "90 days"),
]
MB = 1000 * 1000  # decimal, as every size on the pages is shown (files/sizes.py)

# --- The owner's page ---------------------------------------------------------------------


def _whole_number(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):  # "²".isdigit() is True, yet int("²") fails
        raise InvalidUploadRequest(f"{field} must be a whole number, or empty for no limit.")
    return int(raw)


def _create_from_form(request: AuthenticatedRequest) -> owners.NewUploadRequest:
    data = request.POST
    expiry = data.get("expires_in", "")
    if expiry not in dict(EXPIRY_CHOICES):
        raise InvalidUploadRequest("Choose how long the request stays open.")
    max_mb = _whole_number(data.get("max_mb", ""), "The size limit")
    return owners.create(
        request.user,
        title=data.get("title", ""),
        message=data.get("message", ""),
        expires_in=int(expiry),
        max_files=_whole_number(data.get("max_files", ""), "The number of files"),
        max_bytes=max_mb * MB if max_mb is not None else None,
        password=data.get("password", ""),
    )


@require_http_methods(["GET", "POST"])
@login_required
def owner_requests(request: AuthenticatedRequest) -> HttpResponse:
    """Make a request (its link shown once), see what each one received, close one."""
    context: dict[str, Any] = {"choices": EXPIRY_CHOICES}
    status = 200
    if request.method == "POST":
        try:
            if "close" in request.POST:
                owners.close(owners.get_owned(request.user, request.POST["close"]))
                context["notice"] = "The request was closed; its link takes no more files."
            else:
                new = _create_from_form(request)
                context["created"] = new.row
                context["created_url"] = request.build_absolute_uri(
                    reverse("upload-request", args=[new.token])
                )
        except (InvalidUploadRequest, UploadRequestNotFound) as error:
            context["error"] = error.message
            context["form"] = request.POST
            status = error.status
    context["summaries"] = owners.overview(request.user)
    response = render(request, "upload_requests/owner.html", context, status=status)
    # The answer may hold a new request's link: keep it out of caches.
    response["Cache-Control"] = "no-store"
    return response


# --- The page a request's link opens --------------------------------------------------------


def _unavailable(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "shares/unavailable.html",
        {"title": title, "message": message},
        status=status,
    )


def _guest_context(request: HttpRequest, row: UploadRequest, token: str) -> dict[str, Any]:
    guest_session.guest_key(request.session)  # before the page starts uploads at once (see there)
    taken = guests.received(row)
    return {
        "upload_request": row,
        "owner_name": row.owner.get_username(),
        "token": token,
        "unlocked": guest_session.is_unlocked(request.session, row),
        "sender_name": guest_session.sender_name(request.session, row),
        "files_left": None if row.max_files is None else max(row.max_files - taken.files, 0),
        "bytes_left": None if row.max_bytes is None else max(row.max_bytes - taken.bytes, 0),
        "sent": guest_session.sent_files(request.session, row),
        "create_url": reverse("guest:guest-create-upload", args=[token]),
    }


# No CSRF check on the form post (password, name): the page's `Referrer-Policy: no-referrer`
# makes browsers send `Origin: null` on form posts, which Django's check refuses, and what it
# changes (this session's unlock and name) is no authority worth forging. The uploads
# themselves are fetch() calls with the CSRF token (files/web/api/guests.py).
@csrf_exempt
@public
@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def guest_page(request: HttpRequest, token: str) -> HttpResponse:
    """Who asks and why, the limits and what is left, a password form or the drop zone."""
    try:
        row = guests.find(token)
        guests.ensure_open(row)
    except UploadRequestNotFound as error:
        return _unavailable(request, "Link not found", error.message, 404)
    except UploadRequestGone as error:
        return _unavailable(request, "This request no longer takes files", error.message, 410)
    refused: PasswordRefused | None = None
    if request.method == "POST":
        try:
            if row.has_password and not guest_session.is_unlocked(request.session, row):
                guests.verify_password(
                    row, request.POST.get("password", ""), client_address(request)
                )
                guest_session.unlock(request.session, row)
            if "sender_name" in request.POST:
                guest_session.set_sender_name(request.session, row, request.POST["sender_name"])
        except PasswordRefused as error:
            refused = error
        else:
            return HttpResponseRedirect(request.path, status=303)
    context = _guest_context(request, row, token) | {"error": refused.message if refused else ""}
    response = render(
        request, "upload_requests/guest.html", context, status=refused.status if refused else 200
    )
    if isinstance(refused, TooManyAttempts):
        response["Retry-After"] = str(refused.retry_after)
    return response


@csrf_exempt
@public
def unknown(request: HttpRequest) -> HttpResponse:
    """Any other address under /r/: the same 404 as an unknown token (JSON for the protocol)."""
    if wants_json(request):
        return not_found_response()
    return _unavailable(request, "Link not found", UploadRequestNotFound.message, 404)
