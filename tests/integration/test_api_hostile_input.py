"""Generated hostile calls to every route: a JSON 4xx with a sentence, never a 5xx or HTML.

Every operation of the OpenAPI document (Uppy's routes too) and of the guests' protocol under
/r/<token>/uploads, with generated ids, query strings and bodies: bodies of the declared shape
with one hostile value (numbers past what a column holds, odd text), and any JSON or bytes.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from files.accounts import tokens
from files.shares import single
from files.uploads import declarations, start
from files.web.api import api
from files.web.api.guests import guest_api
from files.webhooks import registration
from tests.helpers import ready_file
from tests.integration.test_api_contract import assert_json_refusal
from tests.integration.test_requests import Guest, make_request

OVERSIZED = st.sampled_from([0, -1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30])
NUMBERS = OVERSIZED | st.integers()
TEXT = st.text(max_size=20) | st.sampled_from(["\x00", "../../etc", "😀" * 3, "9" * 40, ""])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
SEGMENTS = st.sampled_from(["x", "0", "-1", "..", "%00", "%2F", "1" * 300, str(2**64)]) | st.text(
    min_size=1, max_size=12
).map(lambda text: quote(text, safe=""))
QUERY_NAMES = ["key", "cursor", "partNumbers", "filename", "type", "metadata[size]", "page"]


def number(schema: dict) -> bool:
    return "integer" in json.dumps(schema)


def shaped(document: dict, schema: dict, ids: list[str], hostile: bool) -> st.SearchStrategy:
    """Bodies of the declared shape: plausible values and, when `hostile`, one hostile one.

    The hostile value (a huge number, odd text, any JSON) goes in one field, nested ones too
    (parts[1].number), so the rest of the body gets past validation to the domain.
    """
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:  # X | None: a hostile X (null is a plausible value)
        options = [shaped(document, option, ids, hostile) for option in schema["anyOf"]]
        return options[0] if hostile else st.one_of(options)
    kind = schema.get("type")
    if kind == "null":
        return JSON_VALUES if hostile else st.none()
    if kind == "integer":
        return OVERSIZED if hostile else st.sampled_from([1, 60])
    if kind == "string":
        return TEXT if hostile else st.sampled_from(["text/plain", "a.txt", *ids])
    if kind == "array":
        item = schema.get("items", {})
        plain = st.lists(shaped(document, item, ids, False), max_size=3)
        if not hostile:
            return plain
        return st.tuples(plain, shaped(document, item, ids, True)).map(lambda p: [*p[0], p[1]])
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        # Numbers twice: the values most likely to get past validation and overflow a column.
        names = [*schema["properties"], *(n for n, f in schema["properties"].items() if number(f))]
        return st.sampled_from(names).flatmap(
            lambda odd: st.fixed_dictionaries(
                {
                    name: shaped(document, inner, ids, hostile and name == odd)
                    for name, inner in schema["properties"].items()
                    if name in required or (hostile and name == odd)
                },
                optional={
                    name: shaped(document, inner, ids, False)
                    for name, inner in schema["properties"].items()
                    if name not in required and not (hostile and name == odd)
                },
            )
        )
    return JSON_VALUES


def operations(document: dict) -> list[tuple[str, str, dict]]:
    """(method, path template, body schema) for every operation the document declares."""
    return [
        (method, path, body.get("application/json", {}).get("schema", {}))
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        for body in [operation.get("requestBody", {}).get("content", {})]
    ]


@st.composite
def hostile_calls(draw, document: dict, route: tuple, ids: dict[str, list[str]]):
    """(method, URL, body): the route with generated ids, query string and body."""
    method, template, schema = route

    def segment(match: re.Match) -> str:
        known = ids.get(match[1], [])
        real = st.sampled_from(known + [str(uuid.uuid4())] + [item.upper() for item in known])
        return draw(real | SEGMENTS if known else SEGMENTS)

    path = re.sub(r"{(\w+)}", segment, template)
    query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES) | TEXT, TEXT | NUMBERS.map(str)))
    known = [item for values in ids.values() for item in values]
    declared = shaped(document, schema, known, hostile=True) if schema else JSON_VALUES
    junk = JSON_VALUES.map(json.dumps) | st.binary(max_size=40)
    body = draw(declared.map(json.dumps) if draw(st.integers(0, 3)) else junk)
    url = f"{path}?{urlencode(query)}" if query else path
    return method, url, body if isinstance(body, bytes) else body.encode()


def assert_no_server_error(client, call: tuple[str, str, bytes], **headers: str) -> None:
    method, url, body = call
    if method == "get":  # a GET's data is its query string, already in the URL
        response = client.get(url, headers=headers)
    else:
        response = client.generic(method.upper(), url, body, "application/json", headers=headers)
    assert response.status_code < 500, (call, response.content[:300])
    if response.status_code == 204:
        return
    assert response["Content-Type"].startswith("application/json"), (call, response.content[:300])
    if response.status_code >= 400:
        assert_json_refusal(response, response.status_code)


MULTIPART = 100 * 1024 * 1024  # above CHUTE_MULTIPART_THRESHOLD: parts to sign and list


@pytest.fixture
def owner_ids(user) -> dict[str, list[str]]:
    """Real ids of each kind the routes name, so calls also reach past the id lookups.

    Made once for all of a test's examples: a generated DELETE may remove one, after which
    the calls naming it test the 404s instead.
    """
    upload = ready_file(user, b"data")
    pending = start.start_upload(
        user, declarations.Declaration(name="big.bin", size=MULTIPART, content_type="a/b")
    ).upload
    share = single.create_share(upload, expires_in=60).share
    request, _ = make_request(user)
    token = tokens.create(user, name="cli").row
    with override_settings(CHUTE_WEBHOOK_ALLOW_PRIVATE=True):
        webhook = registration.create(user, url="http://127.0.0.1:9/", events=["file.ready"]).row
    return {
        "upload_id": [str(upload.id), str(pending.id), pending.multipart_upload_id],
        "share_id": [str(share.id)],
        "token_id": [str(token.id)],
        "request_id": [str(request.id)],
        "webhook_id": [str(webhook.id)],
        "part_number": ["1", "2"],
    }


@pytest.fixture
def guest(user) -> tuple[Guest, dict[str, list[str]]]:
    """A guest's session from the request's page, with an unfinished multipart upload."""
    _, token = make_request(user)
    guest = Guest(token)
    started = guest.start(MULTIPART)
    assert started.status_code == 201, started.content
    return guest, {"token": [token], "upload_id": [started.json()["id"]]}


API_DOCUMENT = api.get_openapi_schema()
GUEST_DOCUMENT = guest_api.get_openapi_schema(path_prefix="/r/")
GENERATED = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def route_id(route: tuple) -> str:
    return f"{route[0].upper()} {route[1]}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", operations(API_DOCUMENT), ids=route_id)
@settings(GENERATED, max_examples=25)
@given(data=st.data())
def test_generated_hostile_calls_to_every_api_route_answer_a_json_4xx(
    alice, owner_ids, route, data
):
    assert_no_server_error(alice, data.draw(hostile_calls(API_DOCUMENT, route, owner_ids)))


@pytest.mark.django_db
@pytest.mark.parametrize("route", operations(GUEST_DOCUMENT), ids=route_id)
@settings(GENERATED, max_examples=40)
@given(data=st.data())
def test_generated_hostile_calls_to_every_guest_route_answer_a_json_4xx(guest, route, data):
    session, ids = guest
    call = data.draw(hostile_calls(GUEST_DOCUMENT, route, ids))
    assert_no_server_error(session.client, call, **{"X-CSRFToken": session.csrf})
