"""How the APIs answer what they refuse: a JSON body's parsing and every error as a sentence."""

from __future__ import annotations

import json
from typing import Any

from annotated_types import Ge, Le
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic.fields import FieldInfo

from files import s3
from files.errors import ChuteError, StorageDown
from files.sizes import format_size
from files.web.api.schemas import BODY_SCHEMAS
from files.web.errors import (
    CSRF_REFUSED_RELOAD,
    chute_error_response,
    error_response,
    not_found_response,
)


class NotAnObject(ValueError):
    """Raised when a request body is valid JSON but not an object."""


class HoldsNul(ValueError):
    """Raised when a request body's text holds U+0000, which PostgreSQL's text cannot store."""


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_nul(item) for item in value)


class StrictJSONParser(Parser):
    """json.loads for bodies that must be JSON objects.

    ninja reads fields off whatever it is given, so a list or `null` would otherwise be
    reported as missing fields; and a body nested 100,000 deep raises RecursionError.
    ninja answers 400 for anything raised here; the handler below words it.
    """

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except RecursionError:
            raise ValueError("The request body nests too deeply to read.") from None
        if not isinstance(data, dict):
            raise NotAnObject()
        if _holds_nul(data):
            raise HoldsNul()
        return data


def invalid_code(request: HttpRequest) -> str:
    """The error code for a malformed body: the one its input schema declares."""
    return getattr(body_schema(request), "error_code", "invalid_request")


def body_schema(request: HttpRequest) -> type[Schema] | None:
    match = request.resolver_match
    return BODY_SCHEMAS.get(match.url_name or "") if match else None


def send_an_object(request: HttpRequest) -> str:
    shape = getattr(body_schema(request), "shape", "")
    return f"Send a JSON object {shape}." if shape else "Send a JSON object."


def validation_sentence(request: HttpRequest, error: ValidationError) -> str:
    """The first thing wrong with a body, as a sentence: missing fields, then wrong types."""
    problems = error.errors
    if any(len(p["loc"]) <= 2 for p in problems):  # no body at all
        return send_an_object(request)
    missing = [list(p["loc"][2:]) for p in problems if p["type"] == "missing"]
    if len(missing) == 1:
        field, description = missing[0][-1], _description(body_schema(request), missing[0])
        return f"Missing field: {field}" + (f" ({description})." if description else ".")
    if missing:
        return f"Missing fields: {', '.join(str(loc[-1]) for loc in missing)}."
    first = problems[0]
    loc = [part for part in first["loc"][2:]]
    field = str(next((part for part in reversed(loc) if isinstance(part, str)), "value"))
    info = _field_info(body_schema(request), loc)
    description = (info.description if info else "") or "of another type"
    where = f" (item {loc[1] + 1} of {loc[0]})" if len(loc) > 2 and isinstance(loc[1], int) else ""
    if first["type"] in OUT_OF_RANGE and info is not None:
        return f"{field}{where} must be {_range(info)} ({description})."
    return f"{field}{where} must be {description}."


# pydantic's error types for a number outside a field's Field(ge=…, le=…).
OUT_OF_RANGE = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _range(info: FieldInfo) -> str:
    """The bounds a field declares, in words: "between 1 and 10,000", "at most 1,000"."""
    low = next((bound.ge for bound in info.metadata if isinstance(bound, Ge)), None)
    high = next((bound.le for bound in info.metadata if isinstance(bound, Le)), None)
    if low is not None and high is not None:
        return f"between {low:,} and {high:,}"
    return f"at most {high:,}" if high is not None else f"at least {low:,}"


def _description(schema: type[Schema] | None, loc: list[Any]) -> str:
    info = _field_info(schema, loc)
    return (info.description or "") if info else ""


def _field_info(schema: type[Schema] | None, loc: list[Any]) -> FieldInfo | None:
    """The field at `loc` (e.g. ["parts", 0, "number"]) in `schema`."""
    current: Any = schema
    found = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return None
        found = fields[part]
        inner = getattr(found.annotation, "__args__", None)  # list[PartIn] -> PartIn
        current = inner[0] if inner else found.annotation
    return found


# Plain ASCII for what Chute's sentences use beyond it: a reason phrase is one latin-1 line.
_ASCII_PUNCTUATION = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "×": "x"})


def reason_phrase(sentence: str) -> str:
    """`sentence` as an HTTP reason phrase: printable ASCII, anything else a "?"."""
    text = sentence.translate(_ASCII_PUNCTUATION)
    return "".join(char if " " <= char <= "~" else "?" for char in text)


def on_chute_error(request: HttpRequest, error: ChuteError) -> HttpResponse:
    response = chute_error_response(error)
    match = request.resolver_match
    if match and (match.url_name or "").startswith("uppy-"):
        # @uppy/aws-s3 6.x reads no body of a failed Companion call: it shows "Companion
        # request failed: <statusText>" (CompanionS3#_fetch). So the sentence is the reason
        # phrase too (HTTP/1.1 carries one to the browser; HTTP/2 has none).
        response.reason_phrase = reason_phrase(error.message)
    return response


def on_storage_unavailable(request: HttpRequest, error: s3.StorageUnavailable) -> HttpResponse:
    return on_chute_error(request, StorageDown(str(error)))


def on_invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return error_response(invalid_code(request), validation_sentence(request, error), 400)


def on_unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return error_response(
        "unauthenticated",
        "Sign in to use this API, or send an API token as “Authorization: Bearer <token>”.",
        401,
        **{"WWW-Authenticate": "Bearer"},
    )


def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 403:  # ninja's CSRF refusal
        return error_response("csrf_failed", CSRF_REFUSED_RELOAD, 403)
    if error.status_code == 400:  # ninja could not parse the body
        if isinstance(error.__cause__, NotAnObject):
            sentence = send_an_object(request)
        elif isinstance(error.__cause__, HoldsNul):
            sentence = "Text in the request body cannot hold the NUL character (\\u0000)."
        else:
            sentence = "The request body is not valid JSON."
        return error_response(invalid_code(request), sentence, 400)
    return error_response("invalid_request", str(error), error.status_code)


def on_unreadable(request: HttpRequest, error: SuspiciousOperation) -> HttpResponse:
    """Django refused to read the request: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, say."""
    if isinstance(error, RequestDataTooBig):
        limit = format_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return error_response(
            "body_too_large",
            f"The request body is larger than {limit}, the most this API reads. "
            "A file's bytes go straight to the bucket; send only the JSON the call describes.",
            413,
        )
    return error_response(
        "invalid_request", "The request could not be read; send the JSON the call describes.", 400
    )


@csrf_exempt
def unknown(request: HttpRequest) -> HttpResponse:
    """Any address under /api/ that no call serves (or whose id is not a UUID)."""
    return not_found_response()


def install(api: NinjaAPI) -> None:
    """Answer every refusal of `api` as `{"error","message"}` with a sentence."""
    api.exception_handler(ChuteError)(on_chute_error)
    api.exception_handler(s3.StorageUnavailable)(on_storage_unavailable)
    api.exception_handler(ValidationError)(on_invalid)
    api.exception_handler(AuthenticationError)(on_unauthenticated)
    api.exception_handler(HttpError)(on_http_error)
    api.exception_handler(SuspiciousOperation)(on_unreadable)
