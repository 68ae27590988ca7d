from django.urls import path, re_path

from files.api import api
from files.views import pages, sharing, tokens

urlpatterns = [
    path("api/", api.urls),
    path("files/<uuid:upload_id>/download", pages.download, name="download"),
    path("tokens/", tokens.api_tokens, name="api-tokens"),
    # Share links: the owner's dialog, then the public pages a link opens.
    path("files/<uuid:upload_id>/shares", sharing.manage_shares, name="file-shares"),
    path("s/<str:token>", sharing.landing, name="share"),
    path("s/<str:token>/download", sharing.download, name="share-download"),
    re_path(r"^s/(?P<rest>.*)$", sharing.unknown),
]
