"""`/r/<token>/uploads…`: the upload protocol for a request's guests, who have no account.

The same calls and shapes as `/api/uploads…` (files/web/api/schemas.py; their links follow
the API a call came through, here /r/<token>/), so the page's uploader works unchanged. A
guest is a browser session: it must carry the CSRF token the /r/ page set, unlock a
password-protected request once (kept in the session), and can touch only the uploads that
session started.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Status
from ninja.errors import HttpError
from ninja.utils import check_csrf

from files.errors import InvalidUpload, PasswordRefused, UploadClosed
from files.lifecycle import delete
from files.models import Upload, UploadRequest
from files.upload_requests import guests
from files.uploads import confirm, multipart, start, thumbnails
from files.web import guest_session
from files.web.api import handlers
from files.web.api.schemas import (
    CompleteIn,
    ConfirmedOut,
    ErrorOut,
    SignedPartsOut,
    SignPartsIn,
    StoredPartsOut,
    UploadOut,
)
from files.web.api.upload_request_schemas import GuestUploadIn
from files.web.api.uploads import (
    ThumbnailIn,
    ThumbnailOut,
    ThumbnailPostOut,
    declaration,
    first_parts,
    thumbnail_post,
)
from files.web.http import HtmxRequest, client_address

ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 403, 404, 409, 410, 413, 422, 429, 503)}

guest_api = NinjaAPI(
    title="Chute guest uploads",
    version="1",
    description="Upload requests' guests: the /api/uploads protocol under /r/<token>/.",
    urls_namespace="guest",
    parser=handlers.StrictJSONParser(),
    docs_url=None,
    openapi_url=None,  # the owner-facing contract is /api/openapi.json; guests use the page
)
handlers.install(guest_api)


# --- The calls ------------------------------------------------------------------------------


def require_csrf(request: HttpRequest) -> None:
    """The CSRF check ninja's SessionAuth makes: the guest's session is ambient authority."""
    if check_csrf(request):
        raise HttpError(403, "CSRF check Failed")  # worded by handlers.on_http_error


def unlocked_request(request: HttpRequest, token: str) -> UploadRequest:
    """The request `token` opens, once this session entered its password (if it has one)."""
    row = guests.find(token)
    if not guest_session.is_unlocked(request.session, row):
        raise PasswordRefused(
            "This request is protected by a password. Open its page and enter the password first."
        )
    return row


def own_upload(request: HttpRequest, token: str, upload_id: uuid.UUID) -> Upload:
    """An upload this session started through this request, while the request is not closed."""
    require_csrf(request)
    row = unlocked_request(request, token)
    upload = guests.get_guest_upload(row, upload_id, guest_session.guest_key(request.session))
    guests.ensure_not_closed(row)
    return upload


def confirmed(request: HtmxRequest, upload: Upload) -> Any:
    """A delivered file: its row in the page's "Sent" list for htmx, JSON otherwise."""
    if request.htmx:
        response = render(request, "upload_requests/guest.html#sent-row", {"file": upload})
        response["Vary"] = "HX-Request"
        return response
    return upload


@guest_api.post(
    "/{token}/uploads",
    url_name="guest-create-upload",
    response={201: UploadOut, **ERRORS},
    exclude_none=True,
)
def create_upload(request: HtmxRequest, token: str, body: GuestUploadIn) -> Status:
    """Declare a file; its size is reserved against the request's limits and the owner's quota."""
    require_csrf(request)
    guests.check_upload_rate(client_address(request))  # before the token is looked up: no probing
    row = unlocked_request(request, token)
    if body.encrypted:
        raise InvalidUpload(
            "Upload requests are not encrypted this round: send the file without encryption, "
            "or ask its owner for an account."
        )
    declared, parts = declaration(body), first_parts(body)
    start.check_first_parts(declared, parts)
    name = (
        body.sender_name
        if body.sender_name is not None
        else guest_session.sender_name(request.session, row)
    )
    issued = guests.start_guest_upload(
        row, declared, sender_name=name, guest_key=guest_session.guest_key(request.session)
    )
    return Status(201, start.sign_first_parts(issued, parts))


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/parts",
    url_name="guest-upload-parts",
    response={200: SignedPartsOut, **ERRORS},
)
def sign_parts(request: HtmxRequest, token: str, upload_id: uuid.UUID, body: SignPartsIn) -> Any:
    upload = own_upload(request, token, upload_id)
    return multipart.sign_parts(upload, [(part.number, part.sha256) for part in body.parts])


@guest_api.get(
    "/{token}/uploads/{uuid_any:upload_id}/parts",
    url_name="guest-upload-parts",
    response={200: StoredPartsOut, **ERRORS},
)
def list_parts(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> Any:
    return {"parts": multipart.stored_parts(own_upload(request, token, upload_id))}


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/complete",
    url_name="guest-complete-upload",
    response={200: ConfirmedOut, **ERRORS},
)
def complete_upload(
    request: HtmxRequest, token: str, upload_id: uuid.UUID, body: CompleteIn
) -> Any:
    upload = own_upload(request, token, upload_id)
    done = multipart.complete(upload, [(part.number, part.etag) for part in body.parts])
    return confirmed(request, done)


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/confirm",
    url_name="guest-confirm-upload",
    response={200: ConfirmedOut, **ERRORS},
)
def confirm_upload(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> Any:
    upload = own_upload(request, token, upload_id)
    return confirmed(request, confirm.confirm(upload))


@guest_api.delete(
    "/{token}/uploads/{uuid_any:upload_id}", url_name="guest-upload", response={204: None, **ERRORS}
)
def cancel_upload(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> HttpResponse:
    """Cancel this session's unfinished upload; a delivered file is the owner's to delete."""
    require_csrf(request)
    row = unlocked_request(request, token)
    upload = guests.get_guest_upload(row, upload_id, guest_session.guest_key(request.session))
    if upload.status == Upload.Status.READY:
        raise UploadClosed(
            "This file was delivered; only the person who asked for it can delete it."
        )
    delete.delete(upload)
    return HttpResponse(status=200 if request.htmx else 204)


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/thumbnail",
    url_name="guest-upload-thumbnail",
    response={201: ThumbnailPostOut, **ERRORS},
)
def thumbnail(request: HtmxRequest, token: str, upload_id: uuid.UUID, body: ThumbnailIn) -> Status:
    """A preview of a file this session delivered, as the owner's /api/uploads/<id>/thumbnail."""
    return Status(201, thumbnail_post(own_upload(request, token, upload_id), body))


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/thumbnail/confirm",
    url_name="guest-confirm-thumbnail",
    response={200: ThumbnailOut, **ERRORS},
)
def confirm_thumbnail(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> Any:
    return thumbnails.confirm(own_upload(request, token, upload_id))
