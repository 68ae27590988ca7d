"""Personal API tokens: made in a session, shown once, stored hashed, usable as Bearer, revocable."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from files.accounts import tokens
from files.models import ApiToken
from files.web.pages import owner
from tests.helpers import form_once, post_json, ready_file


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make(client: Client, **body) -> dict:
    response = post_json(client, "/api/tokens", {"name": "laptop CLI", **body})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_a_token_is_shown_once_and_stored_only_as_its_hash(alice):
    made = make(alice, expires_in=3600)
    assert made["token"].startswith("chute_")
    row = ApiToken.objects.get()
    assert row.token_hash == hashlib.sha256(made["token"].encode()).hexdigest()
    assert made["token"] not in {row.token_hash, row.token_prefix}
    listed = alice.get("/api/tokens").json()["tokens"]
    assert [t["id"] for t in listed] == [made["id"]]
    assert "token" not in listed[0]
    assert listed[0]["expires_at"] is not None


@pytest.mark.django_db
def test_bearer_token_works_on_the_api_without_csrf_and_records_its_use(user, alice):
    made = make(alice)
    strict = Client(enforce_csrf_checks=True)  # no session, no CSRF token: only the bearer
    ready = ready_file(user, b"hello")
    listed = strict.get("/api/files", headers=bearer(made["token"]))
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()["files"]] == [str(ready.id)]
    created = post_json(
        strict,
        "/api/uploads",
        {"name": "a.txt", "size": 3, "content_type": "text/plain"},
        headers=bearer(made["token"]),
    )
    assert created.status_code == 201
    assert ApiToken.objects.get().last_used_at is not None
    download = strict.get(f"/files/{ready.id}/download", headers=bearer(made["token"]))
    assert download.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("unknown", "not known"),
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("foreign", "start"),
    ],
)
def test_refused_tokens_answer_401_with_www_authenticate_and_a_sentence(user, state, words):
    new = tokens.create(user, name="script")
    token = new.token
    if state == "unknown":
        token = token[:-4] + "AAAA"
    elif state == "revoked":
        tokens.revoke(new.row)
    elif state == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "foreign":
        token = "ghp_0123456789"
    for response in (
        Client().get("/api/files", headers=bearer(token)),
        Client().get(f"/files/{new.row.id}/download", headers=bearer(token)),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"] == "invalid_token"
        assert words in response.json()["message"]


@pytest.mark.django_db
def test_no_credentials_answer_401_naming_both_ways_in(client):
    response = client.get("/api/files")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "Bearer" in response.json()["message"]


@pytest.mark.django_db
def test_tokens_cannot_manage_tokens(alice):
    made = make(alice)
    for response in (
        Client().get("/api/tokens", headers=bearer(made["token"])),
        post_json(Client(), "/api/tokens", {"name": "x"}, headers=bearer(made["token"])),
        Client().delete(f"/api/tokens/{made['id']}", headers=bearer(made["token"])),
    ):
        assert response.status_code == 403
        assert response.json()["error"] == "session_required"
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_revoking_stops_the_token_and_only_its_owner_can(alice, mallory):
    made = make(alice)
    assert mallory.delete(f"/api/tokens/{made['id']}").status_code == 404
    assert Client().get("/api/files", headers=bearer(made["token"])).status_code == 200
    assert alice.delete(f"/api/tokens/{made['id']}").status_code == 204
    assert Client().get("/api/files", headers=bearer(made["token"])).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "at most 100"),
        ({"name": "x", "expires_in": 0}, "between"),
    ],
)
def test_bad_token_requests_are_refused_with_a_sentence(alice, body, words):
    response = post_json(alice, "/api/tokens", body)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_tokens_page_shows_a_new_token_once_and_revokes(alice):
    once = form_once(alice, "/tokens/")
    page = alice.post("/tokens/", {"name": "backup script", "expires_in": "2592000", "once": once})
    assert page.status_code == 200
    token = ApiToken.objects.get()
    body = page.content.decode()
    assert 'value="chute_' in body
    assert page["Cache-Control"] == "no-store"
    again = alice.get("/tokens/").content.decode()
    assert "backup script" in again and 'value="chute_' not in again
    alice.post("/tokens/", {"revoke": str(token.id)})
    assert ApiToken.objects.get().revoked_at is not None


@pytest.mark.django_db
def test_sending_the_tokens_form_again_makes_no_second_token_and_says_so(alice):
    form = {"name": "backup script", "expires_in": "2592000", "once": form_once(alice, "/tokens/")}
    first = alice.post("/tokens/", form)
    secret = re.search(r'value="(chute_[^"]+)"', first.content.decode())
    assert secret
    # The session remembers the form, never the token's secret.
    assert list(alice.session[owner.SENT_FORMS]) == [form["once"]]
    assert secret.group(1) not in json.dumps(dict(alice.session.items()))

    again = alice.post("/tokens/", form)  # a reload of the answer sends the same form

    assert again.status_code == 200
    assert ApiToken.objects.count() == 1
    body = again.content.decode()
    assert 'value="chute_' not in body
    assert re.search(
        r'<p class="notice" role="status">This form was already sent: the token '
        r"“backup script” was made then, and its secret was shown once\.",
        body,
    )
    fresh = alice.post("/tokens/", {**form, "once": form_once(alice, "/tokens/")})
    assert 'value="chute_' in fresh.content.decode()
    assert ApiToken.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("once", [None, "", "short", "x" * 65, "not/a=number-at-all"])
def test_a_tokens_form_without_its_one_time_number_makes_nothing(alice, once):
    form = {"name": "backup script", "expires_in": "2592000"}
    page = alice.post("/tokens/", form if once is None else {**form, "once": once})
    assert page.status_code == 400
    assert "This form is out of date: reload the page" in page.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_api_answers_cors_only_to_listed_origins(settings, alice):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    made = make(alice)
    allowed = Client().options(
        "/api/files",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    refused = Client().get(
        "/api/files", headers={"Origin": "https://evil.example", **bearer(made["token"])}
    )
    assert "Access-Control-Allow-Origin" not in refused
    page = Client().get("/accounts/login/", headers={"Origin": "https://app.example.com"})
    assert "Access-Control-Allow-Origin" not in page


@pytest.mark.django_db
def test_the_header_links_to_the_api_tokens_page(alice):
    page = alice.get("/").content.decode()
    assert 'href="/tokens/"' in page
