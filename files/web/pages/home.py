"""Pages for people: the file list, sign-up, downloads, health and error pages."""

from __future__ import annotations

import logging
import sys
import uuid

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from files.accounts.signup import SignupForm, sign_up
from files.errors import SignupThrottled, UploadNotFound
from files.models import Upload
from files.tasks.mail import send_verification
from files.uploads import downloads, reconcile, start
from files.web.errors import CSRF_REFUSED_RELOAD, error_response, not_found_response, wants_json
from files.web.http import AuthenticatedRequest, client_address, origin_of
from files.web.middleware import unavailable_response
from files.web.pages.auth import login_or_token_required

logger = logging.getLogger(__name__)

# --- Pages --------------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def home(request: AuthenticatedRequest) -> HttpResponse:
    if not request.htmx:
        # A file whose tab closed after its bytes landed shows up the next time (issue 13).
        reconcile.settle_stale(request.user)
    files = (
        Upload.objects.filter(owner=request.user, status=Upload.Status.READY)
        .select_related("request")  # a file sent through a request says which, and by whom
        .only(
            "id",
            "name",
            "folder",
            "size",
            "content_type",
            "confirmed_at",
            "created_at",
            "sender_name",
            "request__title",
            "thumbnail",  # a signed GET each, signed locally: no query per file
            "thumbnail_type",
            "encrypted",  # an encrypted file's row carries its meta for the browser to name it
            "meta",
        )
        .order_by("-confirmed_at", "-created_at")
    )
    page = Paginator(files, settings.CHUTE_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "files/home.html#file-list" if request.htmx else "files/home.html"
    return render(
        request, template, {"page": page, "max_upload_size": settings.CHUTE_MAX_UPLOAD_SIZE}
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.CHUTE_SIGNUP_ENABLED:
        raise Http404("Sign-up is closed.")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            user = sign_up(form, client_address(request))
        except SignupThrottled as error:
            context = {"form": SignupForm(), "throttled": error.message}
            response = render(request, "registration/signup.html", context, status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        if user is not None:
            if user.email:
                send_verification.enqueue(user.pk, origin_of(request))
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@require_GET
@login_or_token_required
def download(request: AuthenticatedRequest, upload_id: uuid.UUID) -> HttpResponse:
    return _to_the_bucket(request, upload_id, inline=request.GET.get("inline") == "1")


@require_GET
@login_or_token_required
def view(request: AuthenticatedRequest, upload_id: uuid.UUID) -> HttpResponse:
    """ "Open": the file in the browser for the inline allow-list, otherwise as a download."""
    return _to_the_bucket(request, upload_id, inline=True)


def _to_the_bucket(
    request: AuthenticatedRequest, upload_id: uuid.UUID, *, inline: bool
) -> HttpResponse:
    """302 to a short-lived signed GET of the owner's file; the URL is neither cached nor sent on."""
    try:
        upload = start.get_ready(request.user, upload_id)
    except UploadNotFound:
        raise Http404("No such file.") from None
    response = redirect(downloads.download_url(upload, inline=inline))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Errors -------------------------------------------------------------------------------


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if wants_json(request):
        return error_response("csrf_failed", CSRF_REFUSED_RELOAD, 403)
    return render(
        request,
        "error.html",
        {"title": "Request refused", "message": CSRF_REFUSED_RELOAD},
        status=403,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return not_found_response()
    return render(
        request,
        "error.html",
        {"title": "Not found", "message": "There is nothing at this address."},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: a database or bucket outage met
    # outside a view (a middleware asking for the session's user) is a 503 like any other.
    outage = unavailable_response(request, sys.exc_info()[1])
    if outage is not None:
        return outage
    message = "Something went wrong on our side. Please try again."
    if wants_json(request):
        return error_response("server_error", message, 500)
    return render(request, "error.html", {"title": "Server error", "message": message}, status=500)
