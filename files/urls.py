from django.urls import path, re_path

from files.views import api, pages, sharing

urlpatterns = [
    path("api/uploads", api.create_upload, name="create-upload"),
    path("api/uploads/<uuid:upload_id>/confirm", api.confirm_upload, name="confirm-upload"),
    path("api/uploads/<uuid:upload_id>", api.delete_upload, name="delete-upload"),
    path("api/uploads/<uuid:upload_id>/parts", api.upload_parts, name="upload-parts"),
    path("api/uploads/<uuid:upload_id>/complete", api.complete_upload, name="complete-upload"),
    path("api/uploads/resumable", api.resumable_uploads, name="resumable-uploads"),
    path("files/<uuid:upload_id>/download", pages.download, name="download"),
    # Share links: the owner's API and dialog, then the public pages a link opens.
    path("api/files/<uuid:upload_id>/shares", sharing.file_shares, name="file-shares-api"),
    path("api/shares/<uuid:share_id>", sharing.revoke_share, name="share-api"),
    path("files/<uuid:upload_id>/shares", sharing.manage_shares, name="file-shares"),
    path("s/<str:token>", sharing.landing, name="share"),
    path("s/<str:token>/download", sharing.download, name="share-download"),
    re_path(r"^s/(?P<rest>.*)$", sharing.unknown),
]
