"""`/r/<token>/uploads…`: the upload protocol for a request's guests, who have no account.

The same calls and shapes as `/api/uploads…` (files/api/uploads.py builds the JSON, with
links under /r/<token>/), so the page's uploader works unchanged. A guest is a browser
session: it must carry the CSRF token the /r/ page set, unlock a password-protected request
once (kept in the session), and can touch only the uploads that session started.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from ninja import NinjaAPI, Status
from ninja.errors import HttpError
from ninja.utils import check_csrf

from files import confirm, inbox, lifecycle, multipart
from files.api import handlers
from files.api.schemas import (
    CompleteIn,
    ConfirmedOut,
    ErrorOut,
    GuestUploadIn,
    SignedPartsOut,
    SignPartsIn,
    StoredPartsOut,
    UploadOut,
)
from files.api.uploads import (
    declaration,
    issued_json,
    signed_parts_json,
    stored_parts_json,
    upload_json,
)
from files.clients import client_address
from files.errors import PasswordRefused, UploadClosed
from files.models import Upload, UploadRequest
from files.requests import HtmxRequest

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


# --- What a guest's session holds -----------------------------------------------------------


GUEST_SECRET = "chute:guest"  # noqa: S105 (the session key, not a secret)


def _entry(session: SessionBase, row: UploadRequest) -> dict[str, Any]:
    return dict(session.get(f"chute:request:{row.pk}", {}))


def _save(session: SessionBase, row: UploadRequest, entry: dict[str, Any]) -> None:
    session[f"chute:request:{row.pk}"] = entry


def unlock(session: SessionBase, row: UploadRequest) -> None:
    _save(session, row, _entry(session, row) | {"unlocked": True})


def is_unlocked(session: SessionBase, row: UploadRequest) -> bool:
    return not row.has_password or bool(_entry(session, row).get("unlocked"))


def set_sender_name(session: SessionBase, row: UploadRequest, name: str) -> None:
    _save(session, row, _entry(session, row) | {"name": inbox.clean_sender_name(name)})


def sender_name(session: SessionBase, row: UploadRequest) -> str:
    return str(_entry(session, row).get("name", ""))


def guest_key(session: SessionBase) -> str:
    """The key this guest's uploads carry: the SHA-256 of a secret kept in their session.

    Set when the guest opens the request's page, before any upload starts, so uploads the
    page starts at once all carry it (a list of ids in the session would lose some: each
    concurrent request saves its own copy of the session).
    """
    if GUEST_SECRET not in session:
        session[GUEST_SECRET] = secrets.token_urlsafe(32)
    return hashlib.sha256(str(session[GUEST_SECRET]).encode()).hexdigest()


def sent_files(session: SessionBase, row: UploadRequest) -> list[Upload]:
    """The files this session delivered through the request, newest first (the "Sent" list)."""
    return list(
        Upload.objects.filter(
            request=row, guest_key=guest_key(session), status=Upload.Status.READY
        ).order_by("-confirmed_at")
    )


# --- The calls ------------------------------------------------------------------------------


def guest_links(token: str) -> Any:
    def links(upload: Upload) -> dict[str, str]:
        return {
            "self": reverse("guest:guest-upload", args=[token, upload.id]),
            "confirm": reverse("guest:guest-confirm-upload", args=[token, upload.id]),
            "parts": reverse("guest:guest-upload-parts", args=[token, upload.id]),
            "complete": reverse("guest:guest-complete-upload", args=[token, upload.id]),
        }

    return links


def require_csrf(request: HttpRequest) -> None:
    """The CSRF check ninja's SessionAuth makes: the guest's session is ambient authority."""
    if check_csrf(request):
        raise HttpError(403, "CSRF check Failed")  # worded by handlers.on_http_error


def unlocked_request(request: HttpRequest, token: str) -> UploadRequest:
    """The request `token` opens, once this session entered its password (if it has one)."""
    row = inbox.find(token)
    if not is_unlocked(request.session, row):
        raise PasswordRefused(
            "This request is protected by a password. Open its page and enter the password first."
        )
    return row


def own_upload(request: HttpRequest, token: str, upload_id: uuid.UUID) -> Upload:
    """An upload this session started through this request, while the request is not closed."""
    require_csrf(request)
    row = unlocked_request(request, token)
    upload = inbox.get_guest_upload(row, upload_id, guest_key(request.session))
    inbox.ensure_not_closed(row)
    return upload


def confirmed(request: HtmxRequest, token: str, upload: Upload) -> Any:
    """A delivered file: its row in the page's "Sent" list for htmx, JSON otherwise."""
    if request.htmx:
        response = render(request, "requests/guest.html#sent-row", {"file": upload})
        response["Vary"] = "HX-Request"
        return response
    return upload_json(upload, guest_links(token)) | {
        "etag": upload.etag,
        "checksum_sha256": upload.checksum_sha256,
    }


@guest_api.post(
    "/{token}/uploads",
    url_name="guest-create-upload",
    response={201: UploadOut, **ERRORS},
    exclude_none=True,
)
def create_upload(request: HtmxRequest, token: str, body: GuestUploadIn) -> Status:
    """Declare a file; its size is reserved against the request's limits and the owner's quota."""
    require_csrf(request)
    inbox.check_upload_rate(client_address(request))  # before the token is looked up: no probing
    row = unlocked_request(request, token)
    declared = declaration(body)
    name = body.sender_name if body.sender_name is not None else sender_name(request.session, row)
    issued = inbox.start_guest_upload(
        row, declared, sender_name=name, guest_key=guest_key(request.session)
    )
    return Status(201, issued_json(issued, guest_links(token)))


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/parts",
    url_name="guest-upload-parts",
    response={200: SignedPartsOut, **ERRORS},
)
def sign_parts(request: HtmxRequest, token: str, upload_id: uuid.UUID, body: SignPartsIn) -> Any:
    upload = own_upload(request, token, upload_id)
    return signed_parts_json(upload, body)


@guest_api.get(
    "/{token}/uploads/{uuid_any:upload_id}/parts",
    url_name="guest-upload-parts",
    response={200: StoredPartsOut, **ERRORS},
)
def list_parts(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> Any:
    upload = own_upload(request, token, upload_id)
    return stored_parts_json(upload)


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
    return confirmed(request, token, done)


@guest_api.post(
    "/{token}/uploads/{uuid_any:upload_id}/confirm",
    url_name="guest-confirm-upload",
    response={200: ConfirmedOut, **ERRORS},
)
def confirm_upload(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> Any:
    upload = own_upload(request, token, upload_id)
    return confirmed(request, token, confirm.confirm(upload))


@guest_api.delete(
    "/{token}/uploads/{uuid_any:upload_id}", url_name="guest-upload", response={204: None, **ERRORS}
)
def cancel_upload(request: HtmxRequest, token: str, upload_id: uuid.UUID) -> HttpResponse:
    """Cancel this session's unfinished upload; a delivered file is the owner's to delete."""
    require_csrf(request)
    row = unlocked_request(request, token)
    upload = inbox.get_guest_upload(row, upload_id, guest_key(request.session))
    if upload.status == Upload.Status.READY:
        raise UploadClosed(
            "This file was delivered; only the person who asked for it can delete it."
        )
    lifecycle.delete(upload)
    return HttpResponse(status=200 if request.htmx else 204)
