"""`/api/files/<id>/shares`, `/api/shares` and `/api/shares/<id>`: make, list, revoke links."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from ninja import Router, Status

from files.mail import links
from files.shares import listing, multi, single
from files.tasks.mail import send_link_mail
from files.web.api.schemas import ErrorOut, MultiShareIn, NewShareOut, ShareIn, ShareListOut
from files.web.api.share_schemas import LinkListOut, LinkMailIn, LinkMailOut, LinkOut, ShareExpiryIn
from files.web.http import AuthenticatedRequest, origin_of

router = Router(tags=["shares"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}


@router.get(
    "/files/{uuid_any:upload_id}/shares",
    url_name="file-shares-api",
    response={200: ShareListOut, **ERRORS},
)
def list_shares(request: AuthenticatedRequest, upload_id: uuid.UUID) -> Any:
    """The file's links, newest first, with their state and downloads so far."""
    upload = single.get_shareable(request.user, upload_id)
    return {"shares": single.shares_of(upload)}


@router.post(
    "/files/{uuid_any:upload_id}/shares",
    url_name="file-shares-api",
    response={201: NewShareOut, **ERRORS},
)
def create_share(request: AuthenticatedRequest, upload_id: uuid.UUID, body: ShareIn) -> Any:
    """Make a link; its full URL is shown only in this answer."""
    upload = single.get_shareable(request.user, upload_id)
    new = single.create_share(
        upload,
        expires_in=body.expires_in,
        max_downloads=body.max_downloads,
        password=body.password or "",
        message=body.message or "",
        notify=body.notify,
    )
    return Status(201, new)


@router.post("/shares", url_name="shares", response={201: NewShareOut, **ERRORS})
def create_multi_share(request: AuthenticatedRequest, body: MultiShareIn) -> Any:
    """One link to several of your ready files; max_downloads counts each file fetched."""
    new = multi.create(
        request.user,
        body.files,
        expires_in=body.expires_in,
        max_downloads=body.max_downloads,
        password=body.password or "",
        message=body.message or "",
        notify=body.notify,
    )
    return Status(201, new)


@router.get("/shares", url_name="shares", response={200: LinkListOut, **ERRORS})
def list_links(request: AuthenticatedRequest, cursor: str | None = None) -> Any:
    """Every link you made (one file or several), newest first; follow `next` for more."""
    page = listing.owned(request.user, cursor=cursor, limit=settings.CHUTE_PAGE_SIZE)
    return {"shares": page.links, "next": page.next_cursor}


@router.patch(
    "/shares/{uuid_any:share_id}", url_name="share-api", response={200: LinkOut, **ERRORS}
)
def change_expiry(request: AuthenticatedRequest, share_id: uuid.UUID, body: ShareExpiryIn) -> Any:
    """Move a link's expiry to `expires_in` seconds from now (revoked links stay closed)."""
    single.change_expiry(single.get_owned_share(request.user, share_id), body.expires_in)
    return listing.one(request.user, share_id)


@router.delete("/shares/{uuid_any:share_id}", url_name="share-api", response={204: None, **ERRORS})
def revoke_share(request: AuthenticatedRequest, share_id: uuid.UUID) -> HttpResponse:
    """Stop a link from handing out its file; idempotent."""
    single.revoke(single.get_owned_share(request.user, share_id))
    return HttpResponse(status=204)


@router.post(
    "/shares/{uuid_any:share_id}/send",
    url_name="share-send",
    response={202: LinkMailOut, **ERRORS, 410: ErrorOut, 429: ErrorOut},
)
def send_share(request: AuthenticatedRequest, share_id: uuid.UUID, body: LinkMailIn) -> Any:
    """Mail the link to up to 10 addresses with your message; sent shortly by the worker.

    The mail says who sent it and holds the files' names and sizes, the expiry and the link,
    never its password. The addresses are forgotten once the mail is sent. Limited to
    CHUTE_LINK_MAILS_PER_HOUR sends an hour (429 with Retry-After past it); 410 when the
    link no longer works.
    """
    mail = links.prepare(request.user, share_id, body.to, body.message or "")
    send_link_mail.enqueue(str(mail.id), origin_of(request))
    return Status(202, {"recipients": mail.count})
