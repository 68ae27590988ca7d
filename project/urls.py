from django.contrib import admin
from django.urls import include, path

from files.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", pages.healthz, name="healthz"),
    path("accounts/signup/", pages.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("files.urls")),
]

handler404 = "files.views.pages.not_found"
handler500 = "files.views.pages.server_error"
