"""How a domain value is written in the API's answers: the types and resolvers output schemas share.

Times are `datetime.isoformat()` (microseconds and "+00:00" kept: ninja's encoder would cut
them), ids are UUIDs as text; both stay plain strings in the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.utils import timezone
from pydantic import BeforeValidator

from files.models import Share, Upload


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


Id = Annotated[str, BeforeValidator(str)]
Time = Annotated[str, BeforeValidator(_iso)]


def token_prefix(row: Any) -> str:
    """The token's first characters, to recognise a link (shares, upload requests)."""
    return str(row.token_prefix)


def share_state(share: Share) -> str:
    return share.state(timezone.now())


def declared_sha256(upload: Upload) -> str | None:
    return upload.sha256 or None
