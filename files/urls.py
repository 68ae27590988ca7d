from django.urls import path

from files import views

urlpatterns = [
    path("api/uploads", views.create_upload, name="create-upload"),
    path("api/uploads/<uuid:upload_id>/confirm", views.confirm_upload, name="confirm-upload"),
    path("api/uploads/<uuid:upload_id>", views.delete_upload, name="delete-upload"),
    path("files/<uuid:upload_id>/download", views.download, name="download"),
]
