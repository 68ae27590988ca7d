from typing import Any

from django.conf import settings
from django.http import HttpRequest


def chute(request: HttpRequest) -> dict[str, Any]:
    return {
        "signup_enabled": settings.CHUTE_SIGNUP_ENABLED,
        # The uploader reads it from a data- attribute: parts it keeps in flight at once.
        "parallel_parts": settings.CHUTE_PARALLEL_PARTS,
    }
