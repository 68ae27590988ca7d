from django.urls import path, re_path

from files.api import api, handlers
from files.api.guests import guest_api
from files.views import bundles, pages, requests, sharing, tokens

urlpatterns = [
    path("api/", api.urls),
    # Any other address under api/ (and r/ below) is a JSON 404, with DEBUG on too. No "$"
    # in these: "." stops at a newline, and an address may hold an encoded one.
    re_path(r"^api/", handlers.unknown),
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
    re_path(r"^r/", requests.unknown),
]
