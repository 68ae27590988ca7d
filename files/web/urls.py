"""Chute's addresses: the JSON API under api/, the pages, share links (s/) and upload requests (r/)."""

from django.urls import path, re_path

from files.web.api import api, handlers
from files.web.api.guests import guest_api
from files.web.pages import account, home, links, shares, tokens, upload_requests, webhooks

urlpatterns = [
    path("api/", api.urls),
    # Any other address under api/ (and r/ below) is a JSON 404, with DEBUG on too. No "$"
    # in these: "." stops at a newline, and an address may hold an encoded one.
    re_path(r"^api/", handlers.unknown),
    path("files/<uuid:upload_id>/download", home.download, name="download"),
    path("files/<uuid:upload_id>/view", home.view, name="view"),
    path("tokens/", tokens.api_tokens, name="api-tokens"),
    path("account/", account.account, name="account"),
    path("account/verify/<str:uidb64>/<str:token>", account.verify_email, name="verify-email"),
    path("webhooks/", webhooks.webhooks, name="webhooks"),
    # Share links: the owner's dialog, then the public pages a link opens.
    path("files/<uuid:upload_id>/shares", shares.manage_shares, name="file-shares"),
    path("shares/new", shares.share_files, name="share-files"),
    # Every link the owner made (files/web/pages/links.py).
    path("links/", links.links, name="links"),
    path("links/<uuid:share_id>/revoke", links.revoke, name="link-revoke"),
    path("links/<uuid:share_id>/expiry", links.change_expiry, name="link-expiry"),
    path("links/<uuid:share_id>/send", links.send, name="link-send"),
    path("s/<str:token>", shares.landing, name="share"),
    path("s/<str:token>/download", shares.download, name="share-download"),
    path("s/<str:token>/view", shares.view, name="share-view"),
    re_path(r"^s/(?P<rest>.*)$", shares.unknown),
    # Upload requests: the owner's page, the guests' page and their upload protocol.
    path("requests/", upload_requests.owner_requests, name="upload-requests"),
    path("r/<str:token>", upload_requests.guest_page, name="upload-request"),
    path("r/", guest_api.urls),
    re_path(r"^r/", upload_requests.unknown),
]
