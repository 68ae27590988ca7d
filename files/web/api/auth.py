"""Who is calling the API: `Authorization: Bearer <token>`, shared by every router.

Its own module so the routers (uppy.py among them) and the NinjaAPI in __init__.py can all
import it without importing each other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from files.accounts.tokens import authenticate as authenticate_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`: scripts and other origins, no CSRF needed."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # A refused token raises TokenRefused (401 with WWW-Authenticate), never falls back
        # to the session: a script should hear that its token is wrong.
        request.user = authenticate_token(token)
        return request.user
