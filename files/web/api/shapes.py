"""How a domain value is written in the API's answers: the types and resolvers output schemas share.

Times are `datetime.isoformat()` (microseconds and "+00:00" kept: ninja's encoder would cut
them), ids are UUIDs as text; both stay plain strings in the OpenAPI document. Resolvers that
take `context` read the request ninja passes: links follow the API the call came through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pydantic import BeforeValidator, model_validator

from files.models import Share, Upload
from files.uploads import policy


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


def encrypted_meta(upload: Upload) -> str | None:
    return upload.meta if upload.encrypted else None


class _Flat:
    """A wrapper read as one object: its own attributes first, then those of the one it wraps."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, outer: Any, inner: Any) -> None:
        self._outer, self._inner = outer, inner

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._outer, name)
        except AttributeError:
            return getattr(self._inner, name)


def read_through(inner: str) -> Any:
    """A schema's validator reading a domain wrapper (start.Issued, owners.Summary) flat: as its
    `inner` object (the upload, the request) with the wrapper's own fields added."""

    def through(cls: type, value: Any, handler: Any) -> Any:
        return handler(_Flat(value, getattr(value, inner)))

    return model_validator(mode="wrap")(through)


# The next calls by link name: the owner's API, and a request's guest API under /r/<token>/.
API_LINKS = {
    "self": "api:delete-upload",
    "confirm": "api:confirm-upload",
    "parts": "api:upload-parts",
    "complete": "api:complete-upload",
    "thumbnail": "api:upload-thumbnail",
}
GUEST_LINKS = {
    "self": "guest:guest-upload",
    "confirm": "guest:guest-confirm-upload",
    "parts": "guest:guest-upload-parts",
    "complete": "guest:guest-complete-upload",
    "thumbnail": "guest:guest-upload-thumbnail",
}


def upload_links(upload: Upload, context: dict[str, Any]) -> dict[str, str]:
    """Where the uploader goes next, through the API the call came in by (owner or guest), so
    the same browser code serves the owner (/api/uploads/…) and guests (/r/<token>/uploads/…)."""
    match = context["request"].resolver_match
    if match is not None and match.namespace == "guest":
        names, args = GUEST_LINKS, [match.kwargs["token"], upload.id]
    else:
        names, args = API_LINKS, [upload.id]
    links = {link: reverse(name, args=args) for link, name in names.items()}
    if upload.encrypted:
        del links["thumbnail"]  # an encrypted file has no preview
    return links


def upload_limits(upload: Upload) -> dict[str, int]:
    return {
        "parts_per_request": policy.MAX_PARTS_PER_SIGN,
        "parallel_parts": settings.CHUTE_PARALLEL_PARTS,
    }


def part_urls(signed: Any) -> dict[str, str]:
    """Presigned part URLs by number, the numbers as JSON keys (text)."""
    return {str(number): url for number, url in signed.urls.items()}


def share_url(new: Any, context: dict[str, Any]) -> str:
    """A new link's full URL (single.NewShare): its token is shown only in this answer."""
    return str(context["request"].build_absolute_uri(reverse("share", args=[new.token])))


def upload_request_url(new: Any, context: dict[str, Any]) -> str:
    """A new request's page for guests (owners.NewUploadRequest), shown only in this answer."""
    return str(context["request"].build_absolute_uri(reverse("upload-request", args=[new.token])))
