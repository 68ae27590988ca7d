"""Link tokens: the secret in a share link's or an upload request's address.

A token is 256 bits, shown when the link is made. Only its SHA-256 is stored
(`files.accounts.tokens.hash_token`, as for API tokens) plus a short prefix to recognise it,
so a copy of the database cannot be turned into working links; a plain hash is enough
because the input is random (or a keyed hash), not a password.

Upload requests' tokens are random (`new_token`), shown once. Share links' tokens are
*derived* (`derive`): HMAC-SHA256 of the link's id under a key made from SECRET_KEY, so the
server can show a link's address again on the owner's links page without storing it;
`recover` recomputes it under SECRET_KEY and each SECRET_KEY_FALLBACKS entry and answers it
only when its hash is the stored one (None for links made with a random token, or under a
key since dropped). docs/security.md weighs this.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from files.accounts.tokens import hash_token

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
# secrets.token_urlsafe(32) is exactly 43 URL-safe base64 characters.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
PREFIX_LENGTH = 6


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def derive(purpose: str, ident: object, secret: str | bytes | None = None) -> str:
    """The token of link `ident`: 43 URL-safe characters, like `new_token`'s."""
    digest = salted_hmac(
        f"chute.links.{purpose}", str(ident), secret=secret, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")  # 32 bytes: 43 characters


def _secrets() -> Iterable[str | bytes]:
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def recover(purpose: str, ident: object, token_hash: str) -> str | None:
    """Link `ident`'s token again, if it was derived under a key the server still holds."""
    for secret in _secrets():
        token = derive(purpose, ident, secret)
        if hash_token(token) == token_hash:
            return token
    return None
