"""Personal API tokens: made, listed, revoked, and checked on every call that carries one.

A token is `chute_` and 256 random bits (the prefix lets secret scanners and log filters
recognise it). Only its SHA-256 is stored, as for share links: a plain hash suffices because
the input is random, not a password.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from files import text
from files.errors import InvalidToken, TokenNotFound, TokenRefused
from files.models import ApiToken

PREFIX = "chute_"
TOKEN_BYTES = 32
SHOWN_PREFIX = 12  # "chute_" and six characters: enough to recognise a token in a list
MAX_NAME_LENGTH = 100
MAX_EXPIRY = 366 * 24 * 3600
# last_used_at is written at most this often, so a busy script costs one UPDATE a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made: the only moment it exists outside its owner's hands."""

    row: ApiToken
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_name(raw: str) -> str:
    """A token's name as display text (files/text.py); InvalidToken if empty or too long.

    Refused rather than cut when too long: the owner is typing it now and can shorten it.
    """
    name = text.clean(raw)
    if not name:
        raise InvalidToken("Give the token a name that says what it is for.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidToken(f"The name can be at most {MAX_NAME_LENGTH} characters.")
    return name


def create(owner: User, *, name: str, expires_in: int | None = None) -> NewToken:
    name = clean_name(name)
    if expires_in is not None and not 0 < expires_in <= MAX_EXPIRY:
        raise InvalidToken(
            f"expires_in must be between 1 and {MAX_EXPIRY} seconds (a year), "
            "or left out for a token that does not expire."
        )
    token = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken.objects.create(
        owner=owner,
        name=name,
        token_hash=hash_token(token),
        token_prefix=token[:SHOWN_PREFIX],
        expires_at=timezone.now() + timedelta(seconds=expires_in) if expires_in else None,
    )
    return NewToken(row=row, token=token)


def tokens_of(owner: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(owner=owner).order_by("-created_at"))


def get_owned(owner: User, token_id: uuid.UUID | str) -> ApiToken:
    try:
        return ApiToken.objects.get(pk=token_id, owner=owner)
    except (ApiToken.DoesNotExist, ValueError, ValidationError):
        raise TokenNotFound() from None


def revoke(token: ApiToken) -> None:
    """Stop a token from working; idempotent (the first revocation time stays)."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])


def authenticate(raw: str, now: datetime | None = None) -> User:
    """The owner of an active token; TokenRefused saying what is wrong otherwise."""
    now = now or timezone.now()
    if not raw.startswith(PREFIX):
        raise TokenRefused("That is not a Chute API token (they start with “chute_”).")
    try:
        token = ApiToken.objects.select_related("owner").get(token_hash=hash_token(raw))
    except ApiToken.DoesNotExist:
        raise TokenRefused("This API token is not known; it may have been mistyped.") from None
    if token.revoked_at is not None:
        raise TokenRefused("This API token was revoked. Make a new one on the API tokens page.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("This API token has expired. Make a new one on the API tokens page.")
    if not token.owner.is_active:
        raise TokenRefused("The account this API token belongs to is disabled.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.owner
