"""Link tokens: the secret in a share link's or an upload request's address.

A token is 256 random bits from `secrets`, shown once when the link is made. Only its SHA-256
is stored (`files.accounts.tokens.hash_token`, as for API tokens) plus a short prefix to
recognise it, so a copy of the database cannot be turned into working links; a plain hash is
enough because the input is random, not a password.
"""

from __future__ import annotations

import re
import secrets

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
# secrets.token_urlsafe(32) is exactly 43 URL-safe base64 characters.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
PREFIX_LENGTH = 6


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)
