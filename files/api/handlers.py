"""How the APIs answer what they refuse: a JSON body's parsing and every error as a sentence."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from files import s3
from files.api.responses import chute_error_response, error_response
from files.api.schemas import BODY_SCHEMAS
from files.errors import ChuteError, StorageDown


class NotAnObject(ValueError):
    """Raised when a request body is valid JSON but not an object."""


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
        return data


def invalid_code(request: HttpRequest) -> str:
    """The error code for a malformed body: named for the resource the path addresses."""
    match = request.resolver_match
    name = (match.url_name if match else "") or ""
    if "upload-request" in name:
        return "invalid_upload_request"
    if "share" in name:
        return "invalid_share"
    if "token" in name:
        return "invalid_token_request"
    if "upload" in name or "part" in name:
        return "invalid_upload"
    return "invalid_request"


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
    description = _description(body_schema(request), loc) or "of another type"
    where = f" (item {loc[1] + 1} of {loc[0]})" if len(loc) > 2 and isinstance(loc[1], int) else ""
    return f"{field}{where} must be {description}."


def _description(schema: type[Schema] | None, loc: list[Any]) -> str:
    """The description of the field at `loc` (e.g. ["parts", 0, "number"]) in `schema`."""
    current: Any = schema
    found = ""
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return ""
        info = fields[part]
        found = info.description or ""
        inner = getattr(info.annotation, "__args__", None)  # list[PartIn] -> PartIn
        current = inner[0] if inner else info.annotation
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
        return error_response(
            "csrf_failed",
            "The request was refused because its CSRF token is missing or wrong. "
            "Reload the page and try again.",
            403,
        )
    if error.status_code == 400:  # ninja could not parse the body
        sentence = (
            send_an_object(request)
            if isinstance(error.__cause__, NotAnObject)
            else "The request body is not valid JSON."
        )
        return error_response(invalid_code(request), sentence, 400)
    return error_response("invalid_request", str(error), error.status_code)


def install(api: NinjaAPI) -> None:
    """Answer every refusal of `api` as `{"error","message"}` with a sentence."""
    api.exception_handler(ChuteError)(on_chute_error)
    api.exception_handler(s3.StorageUnavailable)(on_storage_unavailable)
    api.exception_handler(ValidationError)(on_invalid)
    api.exception_handler(AuthenticationError)(on_unauthenticated)
    api.exception_handler(HttpError)(on_http_error)
