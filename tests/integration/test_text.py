"""What people type reaches the database clean, through every way in (files/text.py's rule)."""

from __future__ import annotations

import pytest

from files.models import ApiToken, Upload, UploadRequest
from files.upload_requests import guests, owners
from tests.helpers import post_json
from tests.integration.test_requests import Guest, send_small

# A right-to-left override (shows "txt.exe" as "exe.txt"), an escape (a terminal control), a
# zero-width space and a bidi isolate: none may be stored. (NUL, which PostgreSQL refuses in
# text, is refused in any JSON body by the API's parser: test_api_contract.py; in a page's
# form it is removed with the rest: HIDDEN_IN_FORMS.)
HIDDEN = "\u202e\x1b\u200b\u2066"
HIDDEN_IN_FORMS = HIDDEN + "\x00"


@pytest.mark.django_db
def test_a_token_name_is_stored_without_control_or_bidi_characters(alice):
    made = post_json(alice, "/api/tokens", {"name": f"{HIDDEN}laptop\nCLI\u2069"})
    assert made.status_code == 201, made.content
    assert made.json()["name"] == "laptop CLI"
    assert ApiToken.objects.get().name == "laptop CLI"


@pytest.mark.django_db
def test_a_token_name_of_only_hidden_characters_is_refused_like_an_empty_one(alice):
    empty = post_json(alice, "/api/tokens", {"name": ""})
    hidden = post_json(alice, "/api/tokens", {"name": HIDDEN + " \ud800"})
    assert hidden.status_code == empty.status_code == 400
    assert hidden.json()["message"] == empty.json()["message"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_token_name_is_measured_after_cleaning(alice):
    assert post_json(alice, "/api/tokens", {"name": "x" * 100 + HIDDEN}).status_code == 201
    too_long = post_json(alice, "/api/tokens", {"name": "x" * 101})
    assert too_long.status_code == 400 and "at most 100" in too_long.json()["message"]


@pytest.mark.django_db
def test_a_requests_title_and_message_are_stored_clean(alice):
    made = post_json(
        alice,
        "/api/requests",
        {
            "title": f"  Trip{HIDDEN}\r\nphotos ",
            "message": f"Hello,\r\n\r\n\tthe {HIDDEN}Tuesday\x0b ones.\u2029Thanks\x07",
            "expires_in": 3600,
        },
    )
    assert made.status_code == 201, made.content
    row = UploadRequest.objects.get()
    assert row.title == "Trip photos"
    assert row.message == "Hello,\n\n\tthe Tuesday ones.\nThanks"


@pytest.mark.django_db
def test_a_request_title_of_only_hidden_characters_is_refused_like_an_empty_one(alice):
    empty = post_json(alice, "/api/requests", {"title": " ", "expires_in": 3600})
    hidden = post_json(alice, "/api/requests", {"title": HIDDEN, "expires_in": 3600})
    assert hidden.status_code == empty.status_code == 400
    assert hidden.json()["message"] == empty.json()["message"]
    assert not UploadRequest.objects.exists()


@pytest.mark.django_db
def test_a_request_message_over_its_cap_is_refused_with_a_sentence(alice):
    body = {"title": "Photos", "message": "x" * 2001, "expires_in": 3600}
    refused = post_json(alice, "/api/requests", body)
    assert refused.status_code == 400
    assert "at most 2000" in refused.json()["message"]


@pytest.mark.django_db
def test_a_guests_name_from_the_request_page_is_stored_clean(user):
    token = owners.create(user, title="Photos", expires_in=3600).token
    guest = Guest(token)
    named = guest.client.post(
        f"/r/{token}", {"sender_name": f"{HIDDEN_IN_FORMS}Bob\tSmith" + "x" * 200}
    )
    assert named.status_code == 303
    page = guest.client.get(f"/r/{token}").content.decode()
    assert "\u202e" not in page

    send_small(guest)  # no name in the body: the page's name is used

    sender_name = Upload.objects.get().sender_name
    assert sender_name.startswith("Bob Smithxxx")
    assert len(sender_name) == guests.MAX_SENDER_NAME  # cut, not refused: the file still came


@pytest.mark.django_db
def test_a_guests_name_in_the_upload_call_is_stored_clean(user):
    token = owners.create(user, title="Photos", expires_in=3600).token
    send_small(Guest(token), sender_name=f"{HIDDEN}Bob")
    assert Upload.objects.get().sender_name == "Bob"


@pytest.mark.django_db
def test_an_upload_name_is_stored_without_control_or_bidi_characters(alice):
    issued = post_json(
        alice,
        "/api/uploads",
        {"name": f"{HIDDEN}photo\u2069.jpg", "size": 11, "content_type": "image/jpeg"},
    )
    assert issued.status_code == 201, issued.content
    assert issued.json()["name"] == "photo.jpg"
    assert Upload.objects.get().name == "photo.jpg"


@pytest.mark.django_db
def test_an_upload_name_of_only_hidden_characters_is_refused_like_an_empty_one(alice):
    def start(name: str):
        body = {"name": name, "size": 11, "content_type": "image/jpeg"}
        return post_json(alice, "/api/uploads", body)

    empty, hidden = start("  "), start(HIDDEN)
    assert hidden.status_code == empty.status_code == 400
    assert hidden.json()["message"] == empty.json()["message"]
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_the_admin_cleans_a_token_name_and_a_requests_wording(admin_client, user):
    token = ApiToken.objects.create(owner=user, name="old", token_hash="h" * 64)
    changed = admin_client.post(
        f"/admin/files/apitoken/{token.pk}/change/", {"name": f"\u202enew{HIDDEN[2:]} name"}
    )
    assert changed.status_code == 302, changed.content
    token.refresh_from_db()
    assert token.name == "new name"

    row = owners.create(user, title="Photos", expires_in=3600).row
    refused = admin_client.post(
        f"/admin/files/uploadrequest/{row.pk}/change/",
        {
            "title": "\u202e\u200b",
            "message": "",
            "expires_at_0": "2030-01-01",
            "expires_at_1": "0:0",
        },
    )
    assert refused.status_code == 200
    assert "Give the request a title" in refused.content.decode()
