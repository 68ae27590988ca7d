"""Upload requests: the owner's page (make, list, close) and the page a request's link opens.

The guest's page carries the same uploader as the home page; its calls go to the guests'
protocol under /r/<token>/uploads (files/web/api/guests.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
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
from files.web.pages.forms import UPLOAD_REQUEST_LIFETIMES, GuestForm, UploadRequestForm, parse
from files.web.pages.owner import Context, create_or_revoke, owner_page
from files.web.pages.shares import public

MB = 1000 * 1000  # decimal, as every size on the pages is shown (files/sizes.py)

# --- The owner's page ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def owner_requests(request: AuthenticatedRequest) -> HttpResponse:
    """Make a request (its link shown once), see what each one received, close one."""

    def close(request_id: str) -> Context:
        owners.close(owners.get_owned(request.user, request_id))
        return {"notice": "The request was closed; its link takes no more files."}

    def create(data: QueryDict) -> Context:
        values = parse(UploadRequestForm(data), InvalidUploadRequest)
        max_mb = values["max_mb"]
        new = owners.create(
            request.user,
            title=values["title"],
            message=values["message"],
            expires_in=values["expires_in"],
            max_files=values["max_files"],
            max_bytes=max_mb * MB if max_mb is not None else None,
            password=values["password"],
        )
        url = request.build_absolute_uri(reverse("upload-request", args=[new.token]))
        return {"created": new.row, "created_url": url}

    def already_sent(made: Context) -> str:
        # The link was shown once (its token is random, kept only as a hash): never here.
        return (
            f"This form was already sent: the request “{made['created'].title}” was made then "
            "and its link was shown once; it is in the list below. Close it and make a new one "
            "if you lost the link."
        )

    context, status = create_or_revoke(
        request,
        action="close",
        revoke=close,
        create=create,
        errors=(InvalidUploadRequest, UploadRequestNotFound),
        already_sent=already_sent,
    )
    context |= {"choices": UPLOAD_REQUEST_LIFETIMES, "summaries": owners.overview(request.user)}
    return owner_page(request, "upload_requests/owner.html", context, status)


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
            values = parse(GuestForm(request.POST), PasswordRefused)  # text alone: never refused
            if row.has_password and not guest_session.is_unlocked(request.session, row):
                guests.verify_password(row, values["password"], client_address(request))
                guest_session.unlock(request.session, row)
            if values["sender_name"] is not None:
                guest_session.set_sender_name(request.session, row, values["sender_name"])
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
