"""Every link an owner made: GET /api/shares, PATCH expiry, a link's message, the links page."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from files.lifecycle import delete
from files.links.tokens import new_token
from files.models import Share, ShareFile
from files.shares import listing, multi, single
from tests.helpers import post_json, ready_file

LINK_KEYS = {
    "id",
    "url",
    "files",
    "message",
    "created_at",
    "expires_at",
    "max_downloads",
    "downloads",
    "has_password",
    "state",
    "notify",
}


def listed(client: Client, **params: str) -> dict:
    response = client.get("/api/shares", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_id(client: Client) -> dict[str, dict]:
    return {link["id"]: link for link in listed(client)["shares"]}


def patch(client: Client, share_id: object, body: object) -> object:
    return client.patch(
        f"/api/shares/{share_id}", json.dumps(body), content_type="application/json"
    )


def several(user, count: int = 2) -> list:
    return [ready_file(user, b"x" * (n + 1), name=f"part-{n}.bin") for n in range(count)]


# --- GET /api/shares ------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_holds_one_file_and_several_file_links_newest_first_in_the_contract_shape(
    alice, user, client
):
    one = ready_file(user, name="notes.txt")
    a, b = several(user)
    post_json(alice, f"/api/files/{one.id}/shares", {"expires_in": 3600, "password": "pw"})
    made = post_json(
        alice,
        "/api/shares",
        {"files": [str(a.id), str(b.id)], "expires_in": 3600, "max_downloads": 2, "message": "Hi"},
    ).json()

    body = listed(alice)
    assert set(body) == {"shares", "next"} and body["next"] is None
    newest, oldest = body["shares"]
    assert set(newest) == LINK_KEYS and set(oldest) == LINK_KEYS
    assert newest["id"] == made["id"] and newest["url"] == made["url"]
    assert newest["files"] == [
        {"id": str(a.id), "name": "part-0.bin", "size": 1, "encrypted": False, "meta": None},
        {"id": str(b.id), "name": "part-1.bin", "size": 2, "encrypted": False, "meta": None},
    ]
    assert (newest["message"], newest["max_downloads"], newest["downloads"]) == ("Hi", 2, 0)
    assert (newest["has_password"], newest["state"]) == (False, "active")
    assert datetime.fromisoformat(newest["created_at"]) <= timezone.now()
    assert oldest["files"] == [
        {"id": str(one.id), "name": "notes.txt", "size": one.size, "encrypted": False, "meta": None}
    ]
    assert (oldest["has_password"], oldest["message"]) == (True, "")
    # The listed address is the link: it opens the landing page.
    assert client.get(oldest["url"].removeprefix("http://testserver")).status_code == 200


@pytest.mark.django_db
def test_listed_url_is_recomputed_never_stored(alice, user):
    upload = ready_file(user)
    url = post_json(alice, f"/api/files/{upload.id}/shares", {"expires_in": 60}).json()["url"]
    token = url.rsplit("/", 1)[1]
    share = Share.objects.get()
    row = " ".join(str(value) for value in Share.objects.values().get().values())
    assert token not in row
    assert share.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert by_id(alice)[str(share.id)]["url"] == url


@pytest.mark.django_db
def test_links_made_with_a_random_token_list_no_url(alice, user, settings):
    upload = ready_file(user)
    token = new_token()  # as links were made before tokens were derived
    Share.objects.create(
        upload=upload,
        owner=user,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        token_prefix=token[:6],
        name=upload.name,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert [link["url"] for link in listed(alice)["shares"]] == [None]
    # A new SECRET_KEY without the old one among the fallbacks cannot show old addresses
    # (the domain is asked: the session cookie would not survive the new key either)...
    made = single.create_share(upload, expires_in=60)
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert [link.token for link in listing.owned(user).links] == [None, None]
    # ...while keeping the old one as a fallback still can.
    settings.SECRET_KEY_FALLBACKS = ["tests-only-secret-key"]
    assert [link.token for link in listing.owned(user).links] == [made.token, None]


@pytest.mark.django_db
def test_list_shows_only_the_callers_links(alice, mallory, user, other_user):
    single.create_share(ready_file(other_user), expires_in=60)
    assert listed(alice)["shares"] == []
    single.create_share(ready_file(user), expires_in=60)
    assert (
        listed(mallory)["shares"][0]["files"][0]["id"]
        != listed(alice)["shares"][0]["files"][0]["id"]
    )


@pytest.mark.django_db
def test_states_active_expired_used_up_revoked_and_files_deleted(alice, user):
    now = timezone.now()
    make = lambda **kw: single.create_share(ready_file(user), expires_in=3600, **kw).share  # noqa: E731
    active, expired, used_up, revoked, deleted = (make(max_downloads=1) for _ in range(5))
    Share.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(seconds=1))
    Share.objects.filter(pk=used_up.pk).update(downloads=1)
    single.revoke(revoked)
    assert deleted.upload is not None
    delete.delete(deleted.upload)

    files = several(user, 2)
    bundle = multi.create(user, [str(f.id) for f in files], expires_in=3600, max_downloads=1).share
    bundle_gone = multi.create(user, [str(f.id) for f in several(user, 2)], expires_in=3600).share
    for entry in ShareFile.objects.filter(share=bundle_gone):
        delete.delete(entry.upload)

    states = {key: link["state"] for key, link in by_id(alice).items()}
    assert states == {
        str(active.id): "active",
        str(expired.id): "expired",
        str(used_up.id): "used_up",
        str(revoked.id): "revoked",
        str(deleted.id): "files_deleted",
        str(bundle.id): "active",
        str(bundle_gone.id): "files_deleted",
    }
    assert by_id(alice)[str(deleted.id)]["files"] == []
    # A several-file link is used up once every file was fetched that often, not before.
    ShareFile.objects.filter(share=bundle, upload=files[0]).update(downloads=1)
    assert by_id(alice)[str(bundle.id)]["state"] == "active"
    ShareFile.objects.filter(share=bundle).update(downloads=1)
    assert by_id(alice)[str(bundle.id)]["state"] == "used_up"


@pytest.mark.django_db
def test_pages_follow_the_cursor_newest_first(alice, user, settings):
    settings.CHUTE_PAGE_SIZE = 4
    upload = ready_file(user)
    made = [str(single.create_share(upload, expires_in=60).share.id) for _ in range(10)]
    seen: list[str] = []
    body = listed(alice)
    while True:
        seen += [link["id"] for link in body["shares"]]
        if not body["next"]:
            break
        body = listed(alice, cursor=body["next"])
    assert seen == made[::-1]
    bad = alice.get("/api/shares", {"cursor": "nonsense"})
    assert bad.status_code == 400 and "cursor" in bad.json()["message"]


@pytest.mark.django_db
def test_a_page_costs_the_same_queries_for_1_and_30_links(alice, user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            listed(alice)
        return len(captured)

    files = several(user, 3)
    multi.create(user, [str(f.id) for f in files], expires_in=60)
    one = queries()
    for n in range(29):
        if n % 2:
            multi.create(user, [str(f.id) for f in files], expires_in=60)
        else:
            single.create_share(files[0], expires_in=60)
    assert len(listed(alice)["shares"]) == 30
    assert queries() == one


# --- A link's message -----------------------------------------------------------------------


@pytest.mark.django_db
def test_message_is_cleaned_stored_and_shown_escaped_with_line_breaks(alice, user, client):
    upload = ready_file(user)
    raw = "Hello <b>Bob</b>,\r\nthe \u202efdp.exe report\x07.  \nBye"
    made = post_json(
        alice, f"/api/files/{upload.id}/shares", {"expires_in": 60, "message": raw}
    ).json()
    share = Share.objects.get(pk=made["id"])
    assert share.message == "Hello <b>Bob</b>,\nthe fdp.exe report.\nBye"
    page = client.get(made["url"].removeprefix("http://testserver")).content.decode()
    assert "Hello &lt;b&gt;Bob&lt;/b&gt;,<br>the fdp.exe report.<br>Bye" in page
    assert "<b>Bob</b>" not in page


@pytest.mark.django_db
def test_several_file_link_takes_a_message_and_shows_it(alice, user, client):
    a, b = several(user)
    made = post_json(
        alice,
        "/api/shares",
        {"files": [str(a.id), str(b.id)], "expires_in": 60, "message": "Two\nfiles"},
    ).json()
    page = client.get(made["url"].removeprefix("http://testserver")).content.decode()
    assert "Two<br>files" in page


@pytest.mark.django_db
def test_message_too_long_or_not_text_is_refused_with_a_sentence(alice, user):
    upload = ready_file(user)
    long = post_json(
        alice, f"/api/files/{upload.id}/shares", {"expires_in": 60, "message": "x" * 2001}
    )
    assert long.status_code == 400
    assert long.json() == {
        "error": "invalid_share",
        "message": "The message can be at most 2000 characters.",
    }
    wrong = post_json(alice, f"/api/files/{upload.id}/shares", {"expires_in": 60, "message": 5})
    assert wrong.status_code == 400 and "message" in wrong.json()["message"]
    assert not Share.objects.exists()


# --- PATCH /api/shares/<id> -----------------------------------------------------------------


@pytest.mark.django_db
def test_patch_extends_an_expired_link_and_shortens_an_active_one(alice, user, client):
    made = single.create_share(ready_file(user), expires_in=3600)
    Share.objects.filter(pk=made.share.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert client.get(f"/s/{made.token}").status_code == 410

    response = patch(alice, made.share.id, {"expires_in": 7200})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == LINK_KEYS and body["state"] == "active"
    moved = datetime.fromisoformat(body["expires_at"]) - timezone.now()
    assert timedelta(seconds=7190) < moved <= timedelta(seconds=7200)
    assert client.get(f"/s/{made.token}").status_code == 200

    assert patch(alice, made.share.id, {"expires_in": 1}).status_code == 200
    Share.objects.filter(pk=made.share.pk).update(expires_at=timezone.now())
    assert by_id(alice)[str(made.share.id)]["state"] == "expired"


@pytest.mark.django_db
def test_patch_keeps_creations_limits_and_answers_sentences(alice, mallory, user, settings):
    share = single.create_share(ready_file(user), expires_in=3600).share
    too_long = patch(alice, share.id, {"expires_in": settings.CHUTE_SHARE_MAX_EXPIRY + 1})
    assert too_long.status_code == 400
    assert too_long.json()["error"] == "invalid_share"
    assert "at most 30 days" in too_long.json()["message"]
    for bad in ({"expires_in": 0}, {"expires_in": "1h"}, {}):
        answer = patch(alice, share.id, bad)
        assert answer.status_code == 400 and answer.json()["message"].endswith(".")
    assert patch(mallory, share.id, {"expires_in": 60}).status_code == 404
    share.refresh_from_db()
    assert timedelta(minutes=59) < share.expires_at - timezone.now() <= timedelta(hours=1)


@pytest.mark.django_db
def test_patch_refuses_revoked_links_and_links_whose_files_were_deleted(alice, user):
    share = single.create_share(ready_file(user), expires_in=3600).share
    single.revoke(share)
    refused = patch(alice, share.id, {"expires_in": 60})
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "link_closed",
        "message": "This link was revoked, so its expiry can no longer change.",
    }
    files = several(user)
    bundle = multi.create(user, [str(f.id) for f in files], expires_in=3600).share
    for upload in files:
        delete.delete(upload)
    gone = patch(alice, bundle.id, {"expires_in": 60})
    assert gone.status_code == 409 and "deleted" in gone.json()["message"]


# --- The links page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_links_page_lists_a_several_file_link_with_copy_qr_and_named_actions(alice, user):
    a, b = several(user)
    made = multi.create(user, [str(a.id), str(b.id)], expires_in=3600, message="For <you>")
    page = alice.get("/links/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert 'href="/links/"' in html  # the header links to it
    assert f'value="http://testserver/s/{made.token}"' in html
    assert f'data-copy="link-url-{made.share.id}"' in html
    assert 'aria-label="Copy the link to part-0.bin, part-1.bin"' in html
    assert 'aria-label="Revoke the link to part-0.bin, part-1.bin"' in html
    assert "<svg" in html and 'class="qr"' in html
    assert "For &lt;you&gt;" in html
    assert "part-0.bin" in html and "part-1.bin" in html


@pytest.mark.django_db
def test_links_page_says_so_when_there_are_none(alice):
    html = alice.get("/links/").content.decode()
    assert "You have not made any links yet." in html


@pytest.mark.django_db
def test_revoking_on_the_links_page_stops_the_link(alice, mallory, user, client):
    a, b = several(user)
    made = multi.create(user, [str(a.id), str(b.id)], expires_in=3600)
    assert mallory.post(f"/links/{made.share.id}/revoke").status_code == 404
    # Without JavaScript: a form post, then back to the page.
    response = alice.post(f"/links/{made.share.id}/revoke")
    assert response.status_code == 302 and response["Location"] == "/links/"
    assert client.get(f"/s/{made.token}").status_code == 410
    # With htmx: the row comes back, revoked, without its actions.
    other = multi.create(user, [str(a.id), str(b.id)], expires_in=3600)
    row = alice.post(f"/links/{other.share.id}/revoke", headers={"HX-Request": "true"})
    html = row.content.decode()
    assert row.status_code == 200 and html.strip().startswith(f'<tr id="link-{other.share.id}"')
    assert "state-revoked" in html and "Revoke the link" not in html
    assert by_id(alice)[str(other.share.id)]["state"] == "revoked"


@pytest.mark.django_db
def test_links_page_moves_an_expiry_with_its_form(alice, user):
    share = single.create_share(ready_file(user), expires_in=3600).share
    response = alice.post(f"/links/{share.id}/expiry", {"expires_in": str(24 * 3600)})
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.expires_at - timezone.now() > timedelta(hours=23)
    refused = alice.post(
        f"/links/{share.id}/expiry", {"expires_in": "99"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 400
    assert "Choose when the link should expire." in refused.content.decode()
    single.revoke(share)
    closed = alice.post(f"/links/{share.id}/expiry", {"expires_in": "3600"})
    assert closed.status_code == 409 and "was revoked" in closed.content.decode()
