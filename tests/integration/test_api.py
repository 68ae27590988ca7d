"""The upload API's edges: authentication, CSRF, other users' ids and bad request bodies."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from files import s3
from files.models import Upload
from files.uploads import confirm, declarations, start
from tests.helpers import post_json


def create(client: Client, body, **kwargs):
    return post_json(client, "/api/uploads", body, **kwargs)


VALID = {"name": "a.txt", "size": 10, "content_type": "text/plain"}


@pytest.fixture
def alices_upload(user) -> Upload:
    return start.start_upload(
        user, declarations.Declaration(name="a.txt", size=5, content_type="text/plain")
    ).upload


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "words"),
    [
        # name may be left out only for an encrypted file (which names itself in its meta).
        ({"size": 10, "content_type": "text/plain"}, "name must be the file's name"),
        ({"name": "a.txt"}, "Missing fields: size, content_type"),
        ({**VALID, "size": 0}, "empty"),
        ({**VALID, "size": -5}, "empty"),
        ({**VALID, "size": "10"}, "whole number"),
        ({**VALID, "size": 10.5}, "whole number"),
        ({**VALID, "size": True}, "whole number"),
        ({**VALID, "size": 6 * 10**12}, "largest file accepted"),
        ({**VALID, "size": 10**30}, "at most 9,223,372,036,854,775,807"),  # past bigint
        ({**VALID, "name": ""}, "name"),
        ({**VALID, "name": ["a"]}, "name"),
        ({**VALID, "content_type": "not a type"}, "not a valid content type"),
        ({**VALID, "content_type": 7}, "content_type"),
        ({**VALID, "sha256": "abc"}, "SHA-256"),
        ([1, 2], "JSON object"),
        ("{not json", "not valid JSON"),
        ("null", "JSON object"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_bad_create_bodies_get_400_with_a_sentence_and_touch_nothing(alice, body, words):
    response = create(alice, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "invalid_upload"
    assert words in payload["message"]
    assert payload["message"].endswith(".")
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_disallowed_content_type_is_refused(alice, settings):
    settings.CHUTE_ALLOWED_CONTENT_TYPES = ["image/*", "application/pdf"]
    refused = create(alice, VALID)
    assert refused.status_code == 400
    assert "text/plain are not accepted" in refused.json()["message"]
    assert create(alice, {**VALID, "content_type": "image/png"}).status_code == 201
    assert create(alice, {**VALID, "content_type": "application/pdf"}).status_code == 201


@pytest.mark.django_db
def test_size_limit_is_a_setting(alice, settings):
    settings.CHUTE_MAX_UPLOAD_SIZE = 10
    assert create(alice, {**VALID, "size": 10}).status_code == 201
    too_big = create(alice, {**VALID, "size": 11})
    assert too_big.status_code == 400
    assert "11 bytes" in too_big.json()["message"]


@pytest.mark.django_db
def test_empty_content_type_means_octet_stream(alice):
    response = create(alice, {**VALID, "content_type": ""})
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/octet-stream"


@pytest.mark.django_db
def test_post_policy_pins_every_field_and_the_exact_size(alice):
    import base64

    issued = create(alice, VALID).json()
    policy = json.loads(base64.b64decode(issued["post"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["eq", "$key", issued["key"]] in conditions
    assert ["eq", "$Content-Type", "text/plain"] in conditions
    assert ["eq", "$success_action_status", "201"] in conditions
    assert ["content-length-range", 10, 10] in conditions


@pytest.mark.django_db
def test_anonymous_calls_are_refused(client, alices_upload):
    assert create(client, VALID).status_code == 401
    assert client.post(f"/api/uploads/{alices_upload.id}/confirm").status_code == 401
    assert client.delete(f"/api/uploads/{alices_upload.id}").status_code == 401
    download = client.get(f"/files/{alices_upload.id}/download")
    assert download.status_code == 302
    assert download["Location"].startswith("/accounts/login/")
    assert Upload.objects.get(pk=alices_upload.pk).status == Upload.Status.PENDING


@pytest.mark.django_db
def test_another_users_upload_is_404_on_every_endpoint(mallory, alices_upload):
    s3.put_bytes(alices_upload.key, b"hello", content_type="text/plain")
    confirm.confirm(alices_upload)
    for response in (
        mallory.post(f"/api/uploads/{alices_upload.id}/confirm"),
        mallory.delete(f"/api/uploads/{alices_upload.id}"),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "not_found", "message": "There is no such upload."}
    assert mallory.get(f"/files/{alices_upload.id}/download").status_code == 404
    assert Upload.objects.get(pk=alices_upload.pk).status == Upload.Status.READY
    assert s3.head(alices_upload.file.name).size == 5


@pytest.mark.django_db
def test_unknown_and_malformed_ids_are_json_404s(alice):
    assert alice.post(f"/api/uploads/{uuid.uuid4()}/confirm").status_code == 404
    malformed = alice.post("/api/uploads/not-a-uuid/confirm")
    assert malformed.status_code == 404
    assert malformed.json()["error"] == "not_found"


@pytest.mark.django_db
def test_csrf_is_enforced_on_the_api(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = create(client, VALID)
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_failed"
    assert not Upload.objects.exists()

    client.get("/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert create(client, VALID, headers={"X-CSRFToken": token}).status_code == 201


@pytest.mark.django_db
def test_wrong_methods_are_405(alice, alices_upload):
    assert alice.get("/api/uploads").status_code == 405
    assert alice.get(f"/api/uploads/{alices_upload.id}/confirm").status_code == 405


@pytest.mark.django_db
def test_api_answers_are_not_cached(alice):
    assert create(alice, VALID)["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_home_lists_only_the_users_ready_files(alice, user, other_user):
    mine = start.start_upload(
        user, declarations.Declaration(name="mine.txt", size=2, content_type="text/plain")
    ).upload
    s3.put_bytes(mine.key, b"hi", content_type="text/plain")
    confirm.confirm(mine)
    start.start_upload(
        user, declarations.Declaration(name="pending.txt", size=2, content_type="text/plain")
    )
    theirs = start.start_upload(
        other_user, declarations.Declaration(name="theirs.txt", size=2, content_type="text/plain")
    ).upload
    s3.put_bytes(theirs.key, b"hi", content_type="text/plain")
    confirm.confirm(theirs)

    page = alice.get("/").content.decode()
    assert "mine.txt" in page
    assert "pending.txt" not in page
    assert "theirs.txt" not in page


@pytest.mark.django_db
def test_signup_creates_an_account_and_signs_in(client, settings):
    settings.CHUTE_SIGNUP_ENABLED = True
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_signup_can_be_switched_off(client, settings):
    settings.CHUTE_SIGNUP_ENABLED = False
    assert client.get("/accounts/signup/").status_code == 404
    assert "Create account" not in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_healthz_reports_database_and_bucket(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "bucket": "ok"}
