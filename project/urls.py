from django.contrib import admin
from django.urls import include, path

from files.web import health, metrics
from files.web.pages import account, home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/signup/", home.signup, name="signup"),
    # Django's password reset, its mail sent by a task to verified addresses only.
    path("accounts/password_reset/", account.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("files.web.urls")),
]

handler404 = "files.web.pages.home.not_found"
handler500 = "files.web.pages.home.server_error"
