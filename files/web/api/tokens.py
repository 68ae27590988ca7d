"""`/api/tokens`: personal API tokens, managed from a signed-in session only."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.security import SessionAuth

from files.accounts import tokens
from files.errors import TokensNeedASession
from files.web.api.schemas import ErrorOut, NewTokenOut, TokenIn, TokenListOut, TokenOut
from files.web.http import AuthenticatedRequest


class SessionOnly(SessionAuth):
    """The page's session (with CSRF); a call carrying a bearer token is told why it fails."""

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            raise TokensNeedASession()
        return super().__call__(request)


router = Router(tags=["tokens"], auth=SessionOnly(csrf=True))
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404)}


@router.post("/tokens", url_name="tokens", response={201: NewTokenOut, **ERRORS})
def create_token(request: AuthenticatedRequest, body: TokenIn) -> Status:
    """Make a token; it is in this answer only, so keep it now."""
    new = tokens.create(request.user, name=body.name, expires_in=body.expires_in)
    return Status(
        201, NewTokenOut(**TokenOut.model_validate(new.row).model_dump(), token=new.token)
    )


@router.get("/tokens", url_name="tokens", response={200: TokenListOut, **ERRORS})
def list_tokens(request: AuthenticatedRequest) -> Any:
    """Your tokens (never the tokens themselves)."""
    return {"tokens": tokens.tokens_of(request.user)}


@router.delete("/tokens/{uuid_any:token_id}", url_name="token", response={204: None, **ERRORS})
def revoke_token(request: AuthenticatedRequest, token_id: uuid.UUID) -> HttpResponse:
    """Revoke a token: calls carrying it answer 401 from now on."""
    tokens.revoke(tokens.get_owned(request.user, token_id))
    return HttpResponse(status=204)
