from django.contrib import admin
from django.urls import include, path

from files import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("files.urls")),
]

handler404 = "files.views.not_found"
handler500 = "files.views.server_error"
