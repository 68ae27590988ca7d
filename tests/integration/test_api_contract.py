"""The API's declared contract: OpenAPI 3 for every /api/ call, and JSON sentences for any input."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from files.api import api
from files.models import Share, Upload

DESIGN_PATHS = {
    "/api/uploads",
    "/api/uploads/{upload_id}",
    "/api/uploads/{upload_id}/confirm",
    "/api/uploads/{upload_id}/parts",
    "/api/uploads/{upload_id}/complete",
    "/api/uploads/resumable",
    "/api/files/{upload_id}/shares",
    "/api/shares",
    "/api/shares/{share_id}",
    "/api/files",
    "/api/files/{upload_id}",
    "/api/tokens",
    "/api/tokens/{token_id}",
    "/api/requests",
    "/api/requests/{request_id}",
    # Uppy Companion's S3 routes (files/api/uppy.py), in Companion's shapes.
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
    assert set(schema["required"]) == {"name", "size", "content_type"}
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
        ('{"name": "a", "size": 1' + "0" * 400 + ', "content_type": "text/plain"}', "largest"),
    ],
    ids=["5000-digit size", "100000 brackets", "size 10**400"],
)
def test_absurd_bodies_are_refused_with_a_sentence(alice, raw, words):
    payload = assert_json_refusal(post(alice, "/api/uploads", raw))
    assert words in payload["message"]
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_method_the_api_does_not_take_answers_json_405(alice):
    response = alice.put("/api/uploads", "{}", content_type="application/json")
    payload = assert_json_refusal(response, 405)
    assert payload["error"] == "method_not_allowed"
    assert "POST" in response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/uploads/not-a-uuid", "/api/shares/1", "/api/nowhere"])
def test_addresses_that_name_nothing_answer_json_404(alice, path):
    assert_json_refusal(alice.delete(path), 404)


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
    from tests.helpers import ready_file

    upload = ready_file(user, b"data")
    response = alice.post(f"/files/{upload.id}/shares", form, headers={"HX-Request": "true"})
    assert response.status_code in {400, 404}
    assert not Share.objects.exists()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["name", "size", "content_type", "sha256", "parts", "number", "etag", "title"]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)
BODIES = JSON_VALUES.map(json.dumps) | st.binary(max_size=40)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES)
def test_generated_bad_bodies_never_cause_a_500_on_any_api_call(alice, user, body):
    from tests.helpers import ready_file

    upload = Upload.objects.filter(owner=user).first() or ready_file(user, b"data")
    targets = [
        ("post", "/api/uploads"),
        ("post", f"/api/uploads/{upload.id}/parts"),
        ("post", f"/api/uploads/{upload.id}/complete"),
        ("post", f"/api/uploads/{upload.id}/confirm"),
        ("post", f"/api/files/{upload.id}/shares"),
        ("post", f"/api/uploads/{uuid.uuid4()}/parts"),
        ("delete", f"/api/shares/{uuid.uuid4()}"),
        ("post", "/api/tokens"),
        ("post", "/api/requests"),
        ("post", "/api/shares"),
        ("delete", f"/api/requests/{uuid.uuid4()}"),
    ]
    for method, path in targets:
        response = getattr(alice, method)(path, body, content_type="application/json")
        assert response.status_code < 500, (path, body, response.content[:300])
        if response.status_code >= 400:
            assert_json_refusal(response, response.status_code)
