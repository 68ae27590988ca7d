"""Baselines the benchmarks compare Chute against; routed only by bench/urls.py."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods


@require_GET
def trivial(request: HttpRequest) -> HttpResponse:
    """The floor of any request: the middleware stack and nothing else."""
    return HttpResponse("ok", content_type="text/plain")


@require_http_methods(["GET", "POST"])
def whoami(request: HttpRequest) -> JsonResponse:
    """The floor of any signed-in endpoint: load the session and the user, answer JSON."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "unauthenticated"}, status=401)
    return JsonResponse({"id": request.user.pk})


CLASSIC_FORM = """<!doctype html><title>Classic upload</title>
<form method="post" enctype="multipart/form-data">
<input type="hidden" name="csrfmiddlewaretoken" value="{token}">
<input type="file" name="file" id="classic-file"><button id="classic-submit">Upload</button>
</form>"""


@require_http_methods(["GET", "POST"])
def classic_upload(request: HttpRequest) -> HttpResponse:
    """The tutorial approach: the browser posts the file to Django, which saves it to S3.

    Django's upload handlers spool the body to a temporary file, then django-storages
    sends it to the bucket; every byte crosses the Django process twice.
    """
    if not request.user.is_authenticated:
        return HttpResponse("Sign in first.", status=401)
    if request.method == "GET":
        return HttpResponse(CLASSIC_FORM.format(token=escape(get_token(request))))
    upload = request.FILES.get("file")
    if upload is None:
        return HttpResponse("Choose a file.", status=400)
    name = default_storage.save(f"classic/{request.user.pk}/{upload.name}", upload)
    return HttpResponse(
        f'<!doctype html><title>Saved</title><p id="saved">Saved {escape(name)} '
        f"({upload.size} bytes)</p>"
    )


UPPY_PAGE = Path(__file__).resolve().parent / "uppy"


@require_GET
def uppy_page(request: HttpRequest, name: str) -> FileResponse:
    """The peer: Uppy's npm packages (bundled at bench time) on Chute's origin, with its CSP."""
    files = {
        "index.html": (UPPY_PAGE / "index.html", "text/html"),
        "page.js": (UPPY_PAGE / "page.js", "text/javascript"),
        "uppy.bundle.js": (
            Path(os.environ.get("BENCH_UPPY_BUNDLE", "/nonexistent")),
            "text/javascript",
        ),
    }
    if name not in files or not files[name][0].exists():
        raise Http404(name)
    path, content_type = files[name]
    return FileResponse(path.open("rb"), content_type=content_type)
