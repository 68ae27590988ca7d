"""The HTTP adapter for programs: django-ninja declares every /api/ call and its shapes.

Request bodies are parsed and validated here (files/web/api/schemas.py); domain functions get
typed values and raise files.errors; this package turns those into `{"error","message"}`
answers and serves the contract as OpenAPI 3 at /api/openapi.json. The page calls it with its
session and a CSRF token; scripts and other origins with `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from django.urls import register_converter
from ninja import NinjaAPI
from ninja.security import SessionAuth

from files.web.api import (
    files,
    handlers,
    shared,
    shares,
    tokens,
    upload_requests,
    uploads,
    uppy,
    webhooks,
)
from files.web.api.auth import BearerToken


class AnyCaseUUID:
    """`{uuid_any:upload_id}`: an id in a path, a UUID in either case.

    UUIDs are case-insensitive on input (RFC 9562, section 4) but Django's `uuid` converter
    matches lower case only. The text goes on to the view's `uuid.UUID` parameter, as ninja's
    own `uuidstr` converter does; anything else under /api/ is a JSON 404 (files/web/urls.py).
    """

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(AnyCaseUUID, "uuid_any")  # before files/web/urls.py asks for the APIs' URLs


api = NinjaAPI(
    title="Chute API",
    version="1",
    description=(
        "Upload big files straight to an S3 bucket with URLs Chute presigns, confirm them, "
        "and share them with expiring links. Errors are "
        '`{"error": "<code>", "message": "<sentence>"}`.'
    ),
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth(csrf=True)],
    parser=handlers.StrictJSONParser(),
    docs_url=None,
    openapi_url="/openapi.json",
)
api.add_router("/", uploads.router)
api.add_router("/", files.router)
api.add_router("/", shares.router)
api.add_router("/", shared.router)  # a link's recipient: no sign-in
api.add_router("/", tokens.router)
api.add_router("/", upload_requests.router)
api.add_router("/", webhooks.router)
api.add_router("/uppy", uppy.router)  # Uppy Companion's S3 routes
handlers.install(api)
