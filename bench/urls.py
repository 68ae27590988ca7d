"""The app's URLs plus the benchmark baselines under /bench/ (never part of project.urls)."""

from django.urls import path

from bench import views
from project.urls import handler404, handler500
from project.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/trivial", views.trivial, name="bench-trivial"),
    path("bench/whoami", views.whoami, name="bench-whoami"),
    path("bench/classic-upload", views.classic_upload, name="bench-classic-upload"),
    path("bench/uppy/", views.uppy_page, {"name": "index.html"}, name="bench-uppy"),
    path("bench/uppy/<str:name>", views.uppy_page, name="bench-uppy-file"),
    *app_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
