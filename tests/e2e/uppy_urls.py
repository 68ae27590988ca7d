"""Chute's URLs plus /uppy-test/<name>: the Uppy test page, served by Chute with its CSP.

Only tests/e2e/test_uppy.py uses this URLconf (ROOT_URLCONF is switched for that test).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path

from project.urls import handler404, handler500
from project.urls import urlpatterns as chute_urlpatterns

PAGE_DIR = Path(__file__).resolve().parent / "uppy"


def uppy_test_file(request: HttpRequest, name: str) -> FileResponse:
    files = {
        "index.html": (PAGE_DIR / "index.html", "text/html"),
        "page.js": (PAGE_DIR / "page.js", "text/javascript"),
        "uppy.bundle.js": (Path(settings.UPPY_TEST_BUNDLE), "text/javascript"),
    }
    if name not in files:
        raise Http404(name)
    file, content_type = files[name]
    return FileResponse(file.open("rb"), content_type=content_type)


urlpatterns = [
    path("uppy-test/", uppy_test_file, {"name": "index.html"}),
    path("uppy-test/<str:name>", uppy_test_file),
    *chute_urlpatterns,
]
__all__ = ["handler404", "handler500", "urlpatterns"]
