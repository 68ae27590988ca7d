"""The API's declared contract: OpenAPI 3 for every /api/ call, and JSON sentences for any input."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from annotated_types import Le
from django.urls import URLPattern, URLResolver
from ninja import Schema
from openapi_spec_validator import validate

from files.models import ApiToken, Share, Upload, UploadRequest
from files.uploads import declarations, start
from files.web.api import api
from files.web.api.schemas import BIGINT_MAX, BODY_SCHEMAS, INTEGER_MAX, TIME_VALUE_MAX
from tests.helpers import form_once, ready_file
from tests.integration.test_requests import Guest, make_request

DESIGN_PATHS = {
    "/api/uploads",
    "/api/uploads/{upload_id}",
    "/api/uploads/{upload_id}/confirm",
    "/api/uploads/{upload_id}/parts",
    "/api/uploads/{upload_id}/complete",
    "/api/uploads/resumable",
    "/api/uploads/{upload_id}/thumbnail",
    "/api/uploads/{upload_id}/thumbnail/confirm",
    "/api/files/{upload_id}/shares",
    "/api/shares",
    "/api/shares/{share_id}",
    "/api/shares/{share_id}/send",
    "/api/files",
    "/api/files/{upload_id}",
    "/api/tokens",
    "/api/tokens/{token_id}",
    "/api/requests",
    "/api/requests/{request_id}",
    "/api/webhooks",
    "/api/webhooks/{webhook_id}",
    "/api/s/{token}",  # a share link's files for its recipient (encrypted uploads)
    # Uppy Companion's S3 routes (files/web/api/uppy.py), in Companion's shapes.
    "/api/uppy/s3/params",
    "/api/uppy/s3/multipart",
    "/api/uppy/s3/multipart/{upload_id}",
    "/api/uppy/s3/multipart/{upload_id}/batch",
    "/api/uppy/s3/multipart/{upload_id}/{part_number}",
    "/api/uppy/s3/multipart/{upload_id}/complete",
}


def routed_api_paths() -> set[str]:
    """Every path the API's URL patterns serve, in OpenAPI's {name} form."""
    found: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name != "openapi-json":
                found.add(route)

    walk(api.urls[0], "/api/")
    return {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path.strip("/"))
        for path in found
        if path.strip("/") != "api"
    }


@pytest.mark.django_db
def test_openapi_document_is_valid_openapi_3_and_lists_every_api_path(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises on anything that is not valid OpenAPI 3.x
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == DESIGN_PATHS
    assert routed_api_paths() == DESIGN_PATHS


@pytest.mark.django_db
def test_openapi_declares_request_bodies_and_the_error_shape(client):
    document = client.get("/api/openapi.json").json()
    create = document["paths"]["/api/uploads"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    # name is left out of an encrypted upload (its real name is inside meta)
    assert set(schema["required"]) == {"size", "content_type"}
    assert schema["properties"]["size"]["description"]
    error = create["responses"]["400"]["content"]["application/json"]["schema"]
    assert error["$ref"].endswith("/ErrorOut")


# --- Hostile input: a JSON 4xx with a sentence, never a 500 --------------------------------


def post(client, path: str, raw: str | bytes):
    return client.post(path, raw, content_type="application/json")


def assert_json_refusal(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == {"error", "message"}
    assert payload["message"].endswith((".", "?"))
    return payload


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"name": "a", "size": ' + "9" * 5000 + ', "content_type": "text/plain"}', "JSON"),
        ("[" * 100_000, "JSON"),
        ('{"name": "a", "size": 1' + "0" * 400 + ', "content_type": "text/plain"}', "at most"),
    ],
    ids=["5000-digit size", "100000 brackets", "size 10**400"],
)
def test_absurd_bodies_are_refused_with_a_sentence(alice, raw, words):
    payload = assert_json_refusal(post(alice, "/api/uploads", raw))
    assert words in payload["message"]
    assert not Upload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/api/tokens", {"name": "cli\u0000"}, 400),
        (
            "post",
            "/api/webhooks",
            {"url": "https://a.example/\u0000", "events": ["file.ready"]},
            400,
        ),
        ("post", "/api/requests", {"title": "Scans", "expires_in": 60, "x": ["\u0000"]}, 400),
        ("delete", "/api/uppy/s3/multipart/%00?key=k", {}, 404),
        ("get", "/api/uppy/s3/multipart/u?key=%00", {}, 404),
    ],
)
def test_text_holding_nul_is_refused_not_sent_to_postgresql(alice, method, path, body, status):
    response = alice.generic(method.upper(), path, json.dumps(body), "application/json")
    payload = assert_json_refusal(response, status)
    assert status == 404 or "NUL" in payload["message"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_method_the_api_does_not_take_answers_json_405(alice):
    response = alice.put("/api/uploads", "{}", content_type="application/json")
    payload = assert_json_refusal(response, 405)
    assert payload["error"] == "method_not_allowed"
    assert "POST" in response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/uploads/not-a-uuid"),
        ("get", "/api/files/x"),
        ("delete", "/api/shares/0"),
        ("delete", "/api/shares/1"),
        ("get", "/api/nowhere"),
        ("post", "/api/uploads/%00/confirm"),
        ("get", "/api/uppy/s3/multipart/x/1/2"),
        ("get", "/r/{token}/uploads/x"),
        ("post", "/r/{token}/uploads/not-a-uuid/confirm"),
        ("delete", "/r/{token}/uploads/0"),
        ("get", "/r/unknown-token/uploads/x/y"),
    ],
)
def test_addresses_that_name_nothing_answer_json_404(alice, user, settings, debug, method, path):
    settings.DEBUG = debug  # Django answers its own HTML page for a 404 with DEBUG on
    _, token = make_request(user)
    assert_json_refusal(getattr(alice, method)(path.format(token=token)), 404)


@pytest.mark.django_db
def test_upper_case_ids_name_the_same_object(alice, user):
    upload = ready_file(user, b"data")
    answer = alice.get(f"/api/files/{str(upload.id).upper()}")
    assert answer.status_code == 200, answer.content[:300]
    assert answer.json()["id"] == str(upload.id)
    assert alice.get(f"/api/files/{str(uuid.uuid4()).upper()}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
@pytest.mark.parametrize("path", ["/api/uploads", "/api/uppy/s3/multipart", "/r/{token}/uploads"])
def test_a_body_larger_than_django_reads_answers_json_413(user, settings, debug, path):
    settings.DEBUG = debug
    _, token = make_request(user)
    guest = Guest(token)  # a session with the CSRF cookie the /r/ page set
    guest.client.force_login(user)
    body = json.dumps({"name": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    payload = assert_json_refusal(guest.call("post", path.format(token=token), body), 413)
    assert payload["error"] == "body_too_large"
    assert not Upload.objects.exists()


# --- Numbers past what the database holds: a sentence naming the limit ----------------------

HUGE = [2**63, 2**64, 10**30]


def numbered_calls(upload: Upload, token: str) -> list[tuple[str, dict, str]]:
    """(path, body, the largest value that field takes) for every whole number a call stores."""
    file = {"name": "a.txt", "size": 5, "content_type": "text/plain"}
    share = {"expires_in": 60}
    request = {"title": "Scans", "expires_in": 60}
    return [
        ("/api/uploads", file | {"size": "N"}, f"{BIGINT_MAX:,}"),
        ("/api/uploads", file | {"last_modified": "N"}, f"{TIME_VALUE_MAX:,}"),
        (f"/api/uploads/{upload.id}/parts", {"parts": [{"number": "N", "sha256": "x"}]}, "10,000"),
        (f"/api/uploads/{upload.id}/complete", {"parts": [{"number": "N", "etag": "x"}]}, "10,000"),
        (f"/api/files/{upload.id}/shares", {"expires_in": "N"}, f"{INTEGER_MAX:,}"),
        (f"/api/files/{upload.id}/shares", share | {"max_downloads": "N"}, f"{INTEGER_MAX:,}"),
        ("/api/shares", share | {"files": [str(upload.id)], "max_downloads": "N"}, "2,147,483,647"),
        ("/api/tokens", {"name": "cli", "expires_in": "N"}, f"{INTEGER_MAX:,}"),
        ("/api/requests", request | {"expires_in": "N"}, f"{INTEGER_MAX:,}"),
        ("/api/requests", request | {"max_files": "N"}, f"{INTEGER_MAX:,}"),
        ("/api/requests", request | {"max_bytes": "N"}, f"{BIGINT_MAX:,}"),
        (f"/r/{token}/uploads", file | {"size": "N"}, f"{BIGINT_MAX:,}"),
        (f"/r/{token}/uploads", file | {"last_modified": "N"}, f"{TIME_VALUE_MAX:,}"),
        (
            f"/api/uppy/s3/multipart/{upload.multipart_upload_id}/complete?key={upload.key}",
            {"parts": [{"PartNumber": "N", "ETag": "x"}]},
            "10,000",
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("huge", HUGE, ids=["2**63", "2**64", "10**30"])
def test_numbers_past_what_a_column_holds_are_refused_naming_the_limit(user, settings, huge):
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * 1024 * 1024
    upload = start.start_upload(
        user, declarations.Declaration(name="big.bin", size=20 * 1024 * 1024, content_type="a/b")
    ).upload
    row, token = make_request(user)
    guest = Guest(token)
    guest.client.force_login(user)  # the owner's calls and the guest's from one client
    for path, body, limit in numbered_calls(upload, token):
        raw = json.dumps(body).replace('"N"', str(huge))
        payload = assert_json_refusal(guest.call("post", path, raw))
        assert limit in payload["message"], (path, payload)
    assert list(UploadRequest.objects.all()) == [row] and not ApiToken.objects.exists()
    assert list(Upload.objects.all()) == [upload] and not Share.objects.exists()


def test_every_whole_number_a_call_takes_declares_its_largest_value():
    def walk(schema) -> list[tuple[str, object]]:
        found = []
        for name, info in schema.model_fields.items():
            inner = getattr(info.annotation, "__args__", None) or ()
            nested = [arg for arg in inner if isinstance(arg, type) and issubclass(arg, Schema)]
            found += [item for arg in nested for item in walk(arg)]
            if "int" in str(info.annotation):
                found.append((f"{schema.__name__}.{name}", info))
        return found

    numbers = [item for schema in set(BODY_SCHEMAS.values()) for item in walk(schema)]
    assert len(numbers) >= 10
    for name, info in numbers:
        assert any(isinstance(bound, Le) for bound in info.metadata), name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {"expires": "3600", "max_downloads": "²"},
        {"expires": "³600"},
        {"revoke": "not-a-uuid"},
        {"revoke": ""},
    ],
)
def test_share_dialog_refuses_odd_form_values_without_a_500(alice, user, form):
    upload = ready_file(user, b"data")
    once = form_once(alice, f"/files/{upload.id}/shares")
    response = alice.post(
        f"/files/{upload.id}/shares", {**form, "once": once}, headers={"HX-Request": "true"}
    )
    assert response.status_code in {400, 404}
    assert not Share.objects.exists()
