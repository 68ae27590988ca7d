"""The owner's dialog for a link to several files: the files ticked in the list, then the form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from files import bundles, sharing
from files.errors import InvalidShare, UploadNotFound
from files.passwords import format_duration
from files.requests import AuthenticatedRequest
from files.views.sharing import parse_form


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def share_files(request: AuthenticatedRequest) -> HttpResponse:
    """GET ?files=<id>&files=<id>… opens the dialog; POST makes the link (shown once)."""
    data = request.POST if request.method == "POST" else request.GET
    if not data.getlist("files"):
        # "Share selected" with nothing ticked: say so in the dialog rather than fail silently.
        return render(
            request,
            "sharing/files.html#dialog" if request.htmx else "sharing/files.html",
            {"files": [], "nothing_selected": True},
        )
    try:
        files = bundles.ready_files(request.user, data.getlist("files"))
    except (UploadNotFound, InvalidShare):
        raise Http404("Choose some of your files first.") from None
    context: dict[str, Any] = {
        "files": files,
        "presets": sharing.expiry_presets(),
        "default_expiry": sharing.default_expiry(),
        "max_expiry": format_duration(sharing.max_expiry()),
    }
    status = 200
    if request.method == "POST":
        try:
            declared = parse_form(request.POST)
            new = bundles.create(
                request.user,
                [str(upload.id) for upload in files],
                expires_in=declared.expires_in,
                max_downloads=declared.max_downloads,
                password=declared.password,
            )
            context["created_url"] = request.build_absolute_uri(reverse("share", args=[new.token]))
        except InvalidShare as error:
            status, context["error"], context["form"] = error.status, error.message, request.POST
    if request.htmx:
        template = "sharing/files.html#" + ("panel" if request.method == "POST" else "dialog")
    else:
        template = "sharing/files.html"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # the panel may hold a new link's full URL
    return response
