from django.urls import path

from files.views import api, pages

urlpatterns = [
    path("api/uploads", api.create_upload, name="create-upload"),
    path("api/uploads/<uuid:upload_id>/confirm", api.confirm_upload, name="confirm-upload"),
    path("api/uploads/<uuid:upload_id>", api.delete_upload, name="delete-upload"),
    path("files/<uuid:upload_id>/download", pages.download, name="download"),
]
