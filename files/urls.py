from django.urls import path, re_path

from files.api import api
from files.api.guests import guest_api
from files.views import bundles, pages, requests, sharing, tokens

urlpatterns = [
    path("api/", api.urls),
    path("files/<uuid:upload_id>/download", pages.download, name="download"),
    path("tokens/", tokens.api_tokens, name="api-tokens"),
    # Share links: the owner's dialog, then the public pages a link opens.
    path("files/<uuid:upload_id>/shares", sharing.manage_shares, name="file-shares"),
    path("shares/new", bundles.share_files, name="share-files"),
    path("s/<str:token>", sharing.landing, name="share"),
    path("s/<str:token>/download", sharing.download, name="share-download"),
    re_path(r"^s/(?P<rest>.*)$", sharing.unknown),
    # Upload requests: the owner's page, the guests' page and their upload protocol.
    path("requests/", requests.owner_requests, name="upload-requests"),
    path("r/<str:token>", requests.guest_page, name="upload-request"),
    path("r/", guest_api.urls),
    re_path(r"^r/(?P<rest>.*)$", requests.unknown),
]
