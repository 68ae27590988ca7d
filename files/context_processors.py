from typing import Any

from django.conf import settings
from django.http import HttpRequest


def chute(request: HttpRequest) -> dict[str, Any]:
    return {"signup_enabled": settings.CHUTE_SIGNUP_ENABLED}
