"""Share links against a real SeaweedFS: tokens, the public pages, limits, passwords, owners."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
import requests
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from files import errors
from files.links import passwords
from files.links.tokens import PREFIX_LENGTH
from files.models import Attempt, Event, Share, Upload
from files.shares import single
from files.uploads import declarations, start
from files.web.pages.forms import ShareForm
from tests.helpers import form_once, post_json, race, ready_file

DATA = b"Shared through Chute\n" * 50
PASSWORD = "open sesame"


def ready_upload(
    owner, data: bytes = DATA, name: str = "report.pdf", content_type: str = "application/pdf"
) -> Upload:
    """A READY file with this module's sample bytes in the bucket."""
    return ready_file(owner, data, name=name, content_type=content_type)


def download_path(token: str) -> str:
    return f"/s/{token}/download"


def assert_no_presigned_url(response) -> None:
    assert "Location" not in response
    assert b"X-Amz-Signature" not in response.content
    assert b"X-Amz-Credential" not in response.content


def filename_of(disposition: str) -> str:
    """The file name in a Content-Disposition header as Django builds it."""
    extended = re.search(r"filename\*=utf-8''(\S+)", disposition)
    if extended:
        return unquote(extended.group(1))
    quoted = re.search(r'filename="((?:[^"\\]|\\.)*)"', disposition)
    assert quoted, disposition
    return re.sub(r"\\(.)", r"\1", quoted.group(1))


def create_via_api(client: Client, upload: Upload, body) -> object:
    return post_json(client, f"/api/files/{upload.id}/shares", body)


# --- Creating links -------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_creates_link_and_gets_contract_shape_with_a_working_url(alice, user, client):
    upload = ready_upload(user)
    response = create_via_api(alice, upload, {"expires_in": 3600, "max_downloads": 3})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "url", "expires_at", "max_downloads"}
    assert body["max_downloads"] == 3
    assert body["url"].startswith("http://testserver/s/")
    token = body["url"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits as URL-safe base64

    share = Share.objects.get(pk=body["id"])
    assert share.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert share.token_prefix == token[:PREFIX_LENGTH]
    assert datetime.fromisoformat(body["expires_at"]) == share.expires_at
    assert client.get(f"/s/{token}").status_code == 200


@pytest.mark.django_db
def test_tokens_are_distinct_and_never_stored(user):
    upload = ready_upload(user)
    made = [single.create_share(upload) for _ in range(5)]
    assert len({new.token for new in made}) == 5
    for new in made:
        row = Share.objects.filter(pk=new.share.pk).values().get()
        assert not any(new.token in str(value) for value in row.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "Missing field: expires_in"),
        ({"expires_in": -5}, "positive"),
        ({"expires_in": 0}, "positive"),
        ({"expires_in": "3600"}, "whole number of seconds"),
        ({"expires_in": 3600.5}, "whole number of seconds"),
        ({"expires_in": True}, "whole number of seconds"),
        ({"expires_in": None}, "whole number of seconds"),
        ({"expires_in": 30 * 24 * 3600 + 1}, "at most 30 days"),
        ({"expires_in": 3600, "max_downloads": 0}, "between 1 and"),
        ({"expires_in": 3600, "max_downloads": -1}, "between 1 and"),
        ({"expires_in": 3600, "max_downloads": "5"}, "whole number"),
        ({"expires_in": 3600, "password": 1234}, "password must be text"),
        ({"expires_in": 3600, "password": 0}, "password must be text"),
        ({"expires_in": 3600, "password": False}, "password must be text"),
        ({"expires_in": 3600, "password": "x" * 129}, "at most 128"),
        ([3600], "JSON object"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_create_refuses_bad_bodies_with_a_sentence(alice, user, body, words):
    upload = ready_upload(user)
    response = create_via_api(alice, upload, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert words in response.json()["message"]
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_expiry_cap_comes_from_the_setting(alice, user, settings):
    settings.CHUTE_SHARE_MAX_EXPIRY = 3600
    upload = ready_upload(user)
    refused = create_via_api(alice, upload, {"expires_in": 3601})
    assert refused.status_code == 400
    assert "at most 1 hour" in refused.json()["message"]
    assert create_via_api(alice, upload, {"expires_in": 3600}).status_code == 201
    dialog = alice.get(f"/files/{upload.id}/shares").content.decode()
    assert "in 1 hour" in dialog
    assert "in 1 day" not in dialog


@pytest.mark.django_db
def test_only_ready_files_can_be_shared(alice, user):
    issued = start.start_upload(
        user,
        declarations.Declaration(name="a.bin", size=3, content_type="application/octet-stream"),
    )
    response = create_via_api(alice, issued.upload, {"expires_in": 3600})
    assert response.status_code == 404
    with pytest.raises(errors.FileNotShareable):
        single.create_share(issued.upload)


# --- Downloading ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_link_redirects_to_short_lived_url_with_exact_bytes_and_original_name(user, client):
    upload = ready_upload(user)
    new = single.create_share(upload, max_downloads=3)

    response = client.get(download_path(new.token))
    assert response.status_code == 302
    location = response["Location"]
    expires = re.search(r"X-Amz-Expires=(\d+)", location)
    assert expires and int(expires.group(1)) <= 60

    fetched = requests.get(location, timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == DATA
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert filename_of(disposition) == "report.pdf"
    assert Share.objects.get(pk=new.share.pk).downloads == 1


@pytest.mark.django_db
def test_download_redirect_costs_three_queries(user, client, django_assert_num_queries):
    new = single.create_share(ready_upload(user), max_downloads=3)
    # One SELECT (link and file), one conditional UPDATE that answers the new count (the
    # claim), and its event's INSERT, in the claim's transaction.
    with django_assert_num_queries(3):
        assert client.get(download_path(new.token)).status_code == 302
    [event] = Event.objects.filter(type="share.downloaded")
    assert event.data["share"]["downloads"] == 1
    assert Share.objects.get(pk=new.share.pk).downloads == 1


@pytest.mark.django_db
def test_download_counts_and_stops_at_its_limit_without_returning_too(user, client, monkeypatch):
    # A database that cannot answer an UPDATE's new values (SQLite before 3.35) reads the
    # count back instead.
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    new = single.create_share(ready_upload(user), max_downloads=2)
    stale = single.find(new.token)  # read before the others counted, as a racing request
    assert [client.get(download_path(new.token)).status_code for _ in range(2)] == [302, 302]
    with pytest.raises(errors.LinkGone):
        single.claim_download(stale)  # the UPDATE's own condition refuses it
    events = Event.objects.filter(type="share.downloaded").order_by("created_at")
    assert [event.data["share"]["downloads"] for event in events] == [1, 2]
    assert Share.objects.get(pk=new.share.pk).downloads == 2


@pytest.mark.django_db
def test_landing_form_post_downloads_too(user, client):
    new = single.create_share(ready_upload(user))
    response = client.post(download_path(new.token))
    assert response.status_code == 302
    assert requests.get(response["Location"], timeout=30).content == DATA


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        'quote"d \\ name.txt',
        "line\r\nSet-Cookie: stolen=1\r\n\r\n<h1>x</h1>.txt",
        "naïve résumé 日本語.pdf",
        "<script>alert(1)</script>.html",
        "page.html",
    ],
)
def test_hostile_names_give_one_wellformed_attachment_header(user, client, name):
    upload = ready_upload(
        user,
        data=b"<html><script>alert(1)</script></html>",
        name="x.html",
        content_type="text/html",
    )
    Upload.objects.filter(pk=upload.pk).update(name=name)
    new = single.create_share(Upload.objects.get(pk=upload.pk))

    response = client.get(download_path(new.token))
    assert response.status_code == 302
    fetched = requests.get(response["Location"], timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == b"<html><script>alert(1)</script></html>"
    dispositions = fetched.raw.headers.getlist("Content-Disposition")
    assert len(dispositions) == 1
    disposition = dispositions[0]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert filename_of(disposition) == name
    assert fetched.raw.headers.getlist("Set-Cookie") == []
    assert not fetched.headers["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_landing_page_describes_the_file_and_counts_nothing(user, client):
    new = single.create_share(ready_upload(user), max_downloads=3)
    response = client.get(f"/s/{new.token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "report.pdf" in html
    assert "1.1 KB" in html  # 1050 bytes
    assert "alice" in html
    assert "Downloads left</dt><dd>3<" in html
    assert f'action="/s/{new.token}/download"' in html
    assert 'type="password"' not in html
    assert Share.objects.get(pk=new.share.pk).downloads == 0


@pytest.mark.django_db
def test_public_responses_are_never_cached_and_send_no_referrer(user, client):
    new = single.create_share(ready_upload(user), max_downloads=1)
    protected = single.create_share(ready_upload(user, name="b.pdf"), password=PASSWORD)
    responses = [
        client.get(f"/s/{new.token}"),  # 200 landing
        client.get(download_path(new.token)),  # 302
        client.get(download_path(new.token)),  # 410 used up
        client.get(f"/s/{new.token}"),  # 410 used up
        client.get("/s/" + "A" * 43),  # 404
        client.get("/s/nope/download"),  # 404
        client.get("/s/a/b/c"),  # 404
        client.get(download_path(protected.token)),  # 403 password needed
    ]
    assert [r.status_code for r in responses] == [200, 302, 410, 410, 404, 404, 404, 403]
    for response in responses:
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.django_db
def test_unknown_tokens_get_the_same_404_whatever_their_shape(user, client):
    new = single.create_share(ready_upload(user))
    shapes = [
        "A" * 43,
        new.token[:-1] + ("A" if new.token[-1] != "A" else "B"),
        new.token + "x",
        new.token[:10],
        "x",
        "%C3%A9t%C3%A9",
        "..%2F..%2Fetc%2Fpasswd",
        "a/b",
        "a" * 5000,
        "%00",
        "",
    ]
    pages = set()
    for shape in shapes:
        for path in (f"/s/{shape}", f"/s/{shape}/download"):
            response = client.get(path)
            assert response.status_code == 404, path
            # The CSRF token in the page chrome differs per response; the rest must not.
            pages.add(re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode()))
    assert len(pages) == 1
    assert "no share link at this address" in pages.pop()


@pytest.mark.django_db
def test_database_row_alone_cannot_be_turned_into_a_working_url(user, client):
    new = single.create_share(ready_upload(user))
    row = Share.objects.filter(pk=new.share.pk).values().get()
    candidates = [
        row["token_hash"],
        row["token_hash"][:43],
        row["token_prefix"],
        row["token_prefix"] + "A" * (43 - len(row["token_prefix"])),
        str(row["id"]),
        row["id"].hex,
    ]
    for candidate in candidates:
        assert client.get(f"/s/{candidate}").status_code == 404
        response = client.get(download_path(candidate))
        assert response.status_code == 404
        assert_no_presigned_url(response)
    assert Share.objects.get(pk=new.share.pk).downloads == 0


# --- Limits -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_expired_link_answers_410_and_issues_no_presigned_url(user, client):
    new = single.create_share(ready_upload(user))
    Share.objects.filter(pk=new.share.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for response in (client.get(f"/s/{new.token}"), client.get(download_path(new.token))):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert_no_presigned_url(response)
    assert client.post(download_path(new.token)).status_code == 410
    assert Share.objects.get(pk=new.share.pk).downloads == 0


@pytest.mark.django_db
def test_exhausted_link_answers_410_after_its_last_download(user, client):
    new = single.create_share(ready_upload(user), max_downloads=2)
    assert client.get(download_path(new.token)).status_code == 302
    assert client.post(download_path(new.token)).status_code == 302
    response = client.get(download_path(new.token))
    assert response.status_code == 410
    assert "used up" in response.content.decode()
    assert "allowed 2 downloads" in response.content.decode()
    assert_no_presigned_url(response)
    assert Share.objects.get(pk=new.share.pk).downloads == 2


@pytest.mark.django_db
def test_revoked_link_answers_410_and_issues_no_presigned_url(alice, user, client):
    new = single.create_share(ready_upload(user))
    response = alice.delete(f"/api/shares/{new.share.id}")
    assert response.status_code == 204
    assert alice.delete(f"/api/shares/{new.share.id}").status_code == 204  # idempotent
    for response in (client.get(f"/s/{new.token}"), client.get(download_path(new.token))):
        assert response.status_code == 410
        assert "revoked" in response.content.decode()
        assert_no_presigned_url(response)


@pytest.mark.django_db
def test_deleting_the_file_revokes_its_links(alice, user, client):
    upload = ready_upload(user)
    new = single.create_share(upload)
    assert alice.delete(f"/api/uploads/{upload.id}").status_code == 204
    share = Share.objects.get(pk=new.share.pk)
    assert share.upload is None
    assert share.revoked_at is not None
    assert share.state() == Share.State.REVOKED
    response = client.get(download_path(new.token))
    assert response.status_code == 410
    assert "deleted" in response.content.decode()
    assert_no_presigned_url(response)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_downloads_of_a_five_download_link_yield_exactly_five(user):
    new = single.create_share(ready_upload(user), max_downloads=5)
    answers = race(20, lambda _: Client().get(download_path(new.token)))
    assert sorted(answer.status_code for answer in answers) == [302] * 5 + [410] * 15
    assert Share.objects.get(pk=new.share.pk).downloads == 5


# --- Passwords ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_password_link_needs_the_password(user, client):
    new = single.create_share(ready_upload(user), password=PASSWORD)
    assert PASSWORD not in new.share.password  # a hasher's output, not the text
    landing = client.get(f"/s/{new.token}")
    assert 'type="password"' in landing.content.decode()

    without = client.get(download_path(new.token))
    assert without.status_code == 403
    assert "protected by a password" in without.content.decode()
    assert_no_presigned_url(without)

    wrong = client.post(download_path(new.token), {"password": "open sesame!"})
    assert wrong.status_code == 403
    assert "not right" in wrong.content.decode()
    assert_no_presigned_url(wrong)

    right = client.post(download_path(new.token), {"password": PASSWORD})
    assert right.status_code == 302
    assert requests.get(right["Location"], timeout=30).content == DATA
    assert Share.objects.get(pk=new.share.pk).downloads == 1
    # Only the wrong attempt stays on record.
    assert Attempt.objects.count() == 1


@pytest.mark.django_db
def test_wrong_passwords_are_throttled_per_link_and_client(user, client):
    new = single.create_share(ready_upload(user), password=PASSWORD)
    path = download_path(new.token)
    for _ in range(passwords.PASSWORD_FAILURES):
        assert client.post(path, {"password": "guess"}).status_code == 403

    throttled = client.post(path, {"password": PASSWORD})
    assert throttled.status_code == 429
    assert "Try again in 15 minutes" in throttled.content.decode()
    assert int(throttled["Retry-After"]) == 15 * 60
    assert_no_presigned_url(throttled)

    # Another client is not held back by this one's guesses.
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert elsewhere.post(path, {"password": PASSWORD}).status_code == 302

    # Another link is not held back either.
    other = single.create_share(new.share.upload, password=PASSWORD)
    assert client.post(download_path(other.token), {"password": PASSWORD}).status_code == 302

    # Once the failures leave the window, the client may try again.
    Attempt.objects.update(created_at=F("created_at") - passwords.PASSWORD_WINDOW)
    assert client.post(path, {"password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_throttle_counts_failures_from_all_clients_on_one_link(user):
    new = single.create_share(ready_upload(user), password=PASSWORD)
    path = download_path(new.token)
    for number in range(passwords.LINK_PASSWORD_FAILURES):
        visitor = Client(REMOTE_ADDR=f"198.51.100.{number}")
        assert visitor.post(path, {"password": "guess"}).status_code == 403
    newcomer = Client(REMOTE_ADDR="203.0.113.1")
    assert newcomer.post(path, {"password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_attempts_record_no_client_address(user):
    new = single.create_share(ready_upload(user), password=PASSWORD)
    Client(REMOTE_ADDR="192.0.2.55").post(download_path(new.token), {"password": "guess"})
    attempt = Attempt.objects.get()
    assert "192.0.2.55" not in attempt.client


# --- Owners -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_lists_links_with_state_and_downloads_but_no_tokens(alice, user, client):
    upload = ready_upload(user)
    used = single.create_share(upload, max_downloads=1)
    revoked = single.create_share(upload)
    active = single.create_share(upload)
    client.get(download_path(used.token))
    single.revoke(revoked.share)

    response = alice.get(f"/api/files/{upload.id}/shares")
    assert response.status_code == 200
    listed = {item["id"]: item for item in response.json()["shares"]}
    assert listed[str(used.share.id)]["state"] == "used_up"
    assert listed[str(used.share.id)]["downloads"] == 1
    assert listed[str(revoked.share.id)]["state"] == "revoked"
    assert listed[str(active.share.id)]["state"] == "active"
    text = response.content.decode()
    for new in (used, revoked, active):
        assert new.token not in text
        assert new.share.token_hash not in text


@pytest.mark.django_db
def test_another_user_cannot_list_create_or_revoke_links_to_your_files(
    user, other_user, mallory, client
):
    upload = ready_upload(user)
    new = single.create_share(upload)

    assert mallory.get(f"/api/files/{upload.id}/shares").status_code == 404
    assert create_via_api(mallory, upload, {"expires_in": 3600}).status_code == 404
    assert mallory.delete(f"/api/shares/{new.share.id}").status_code == 404
    assert mallory.get(f"/files/{upload.id}/shares").status_code == 404
    once = "a" * 22  # a well-formed number: mallory has no page of this file to take one from
    assert (
        mallory.post(f"/files/{upload.id}/shares", {"expires": "3600", "once": once}).status_code
        == 404
    )
    assert (
        mallory.post(f"/files/{upload.id}/shares", {"revoke": str(new.share.id)}).status_code == 404
    )
    # Revoking through a file of one's own does not reach someone else's link either.
    own = ready_upload(other_user, name="mine.pdf")
    assert mallory.post(f"/files/{own.id}/shares", {"revoke": str(new.share.id)}).status_code == 404
    assert Share.objects.count() == 1
    assert Share.objects.get().state() == Share.State.ACTIVE
    assert client.get(download_path(new.token)).status_code == 302


@pytest.mark.django_db
def test_api_needs_sign_in(client, user):
    upload = ready_upload(user)
    response = create_via_api(client, upload, {"expires_in": 3600})
    assert response.status_code == 401
    assert client.delete(f"/api/shares/{upload.id}").status_code == 401


# --- The dialog -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_dialog_creates_a_link_shows_its_url_once_and_revokes_it(alice, user, client):
    upload = ready_upload(user)
    htmx = {"HX-Request": "true"}
    dialog = alice.get(f"/files/{upload.id}/shares", headers=htmx)
    assert dialog.status_code == 200
    assert dialog.content.decode().lstrip().startswith("<dialog")
    assert 'value="604800" selected' in dialog.content.decode()  # 7 days unless told

    created = alice.post(
        f"/files/{upload.id}/shares",
        {
            "expires": "86400",
            "max_downloads": "2",
            "password": "",
            "once": form_once(alice, f"/files/{upload.id}/shares"),
        },
        headers=htmx,
    )
    assert created.status_code == 200
    html = created.content.decode()
    url = re.search(r'value="(http://testserver/s/[^"]+)"', html).group(1)
    share = Share.objects.get()
    assert share.max_downloads == 2
    assert share.token_prefix + "…" in html
    assert client.get(url.removeprefix("http://testserver")).status_code == 200

    again = alice.get(f"/files/{upload.id}/shares", headers=htmx).content.decode()
    assert url not in again  # shown once; only the prefix is listed afterwards
    assert share.token_prefix + "…" in again

    revoked = alice.post(f"/files/{upload.id}/shares", {"revoke": str(share.id)}, headers=htmx)
    assert revoked.status_code == 200
    assert "Revoked" in revoked.content.decode()
    assert client.get(url.removeprefix("http://testserver")).status_code == 410


ONCE = re.compile(r'name="once" value="([^"]+)"')


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [True, False], ids=["dialog", "page"])
@pytest.mark.parametrize("several", [False, True], ids=["one-file", "several-files"])
def test_sending_a_share_form_again_makes_no_second_link_and_says_so(alice, user, several, htmx):
    files = (
        [ready_upload(user, name="a.txt"), ready_upload(user, name="b.txt")]
        if several
        else [ready_upload(user)]
    )
    path = "/shares/new" if several else f"/files/{files[0].id}/shares"
    query = "?" + "&".join(f"files={f.id}" for f in files) if several else ""
    headers = {"HX-Request": "true"} if htmx else {}
    opened = alice.get(path + query, headers=headers).content.decode()
    form = {"expires": "86400", "once": ONCE.search(opened).group(1)}
    if several:
        form["files"] = [str(f.id) for f in files]

    first = alice.post(path, form, headers=headers).content.decode()
    url = re.search(r'value="(http://testserver/s/[^"]+)"', first).group(1)
    share = Share.objects.get()
    # The session remembers the form, never the link's token or address.
    session = repr(dict(alice.session.items()))
    assert form["once"] in session
    assert url.rsplit("/", 1)[1] not in session
    assert [once for once in ONCE.findall(first) if once == form["once"]] == []

    again = alice.post(path, form, headers=headers)  # a reload of the answer sends it again

    assert again.status_code == 200
    assert Share.objects.count() == 1
    body = again.content.decode()
    assert "/s/" not in body
    made = (
        "the link to “a.txt”, “b.txt” was made then; it is on the Links page."
        if several
        else f"the link {share.token_prefix}… for “report.pdf” was made then; it is in the list"
    )
    assert f'<p class="notice" role="status">This form was already sent: {made}' in body
    fresh = ONCE.search(body).group(1)  # the form shown again (swapped in by htmx) is new
    assert fresh != form["once"]
    made_again = alice.post(path, {**form, "once": fresh}, headers=headers)
    assert "http://testserver/s/" in made_again.content.decode()
    assert Share.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("once", [None, "", "short"])
def test_a_share_form_without_its_one_time_number_makes_nothing(alice, user, once):
    upload = ready_upload(user)
    form = {"expires": "86400"} if once is None else {"expires": "86400", "once": once}
    answer = alice.post(f"/files/{upload.id}/shares", form, headers={"HX-Request": "true"})
    assert answer.status_code == 400
    assert "This form is out of date: reload the page" in answer.content.decode()
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_dialog_accepts_a_date_and_refuses_a_past_one(alice, user):
    upload = ready_upload(user)
    when = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    local = when.astimezone(timezone.get_fixed_timezone(120))
    path = f"/files/{upload.id}/shares"
    created = alice.post(
        path, {"expires": "date", "expires_at": local.isoformat(), "once": form_once(alice, path)}
    )
    assert created.status_code == 200
    assert Share.objects.get().expires_at - when < timedelta(seconds=1)

    past = alice.post(
        path, {"expires": "date", "expires_on": "2001-01-01T10:00", "once": form_once(alice, path)}
    )
    assert past.status_code == 400
    assert "in the future" in past.content.decode()
    garbled = alice.post(
        path, {"expires": "date", "expires_on": "soon", "once": form_once(alice, path)}
    )
    assert garbled.status_code == 400
    assert Share.objects.count() == 1


def test_form_date_without_zone_is_read_as_utc():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    form = ShareForm(QueryDict("expires=date&expires_on=2030-01-02T00:00"), now=now)
    request = form.share_request()
    assert request.expires_in == 86400


# --- Admin --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_filters_links_by_state_and_revokes_in_bulk(admin_client, user):
    upload = ready_upload(user)
    first, second = single.create_share(upload), single.create_share(upload)
    active = admin_client.get("/admin/files/share/?state=active")
    assert active.status_code == 200
    assert first.share.token_prefix in active.content.decode()

    response = admin_client.post(
        "/admin/files/share/",
        {"action": "revoke", "_selected_action": [first.share.pk, second.share.pk]},
    )
    assert response.status_code == 302
    assert Share.objects.filter(revoked_at__isnull=False).count() == 2
    revoked = admin_client.get("/admin/files/share/?state=revoked").content.decode()
    assert first.share.token_prefix in revoked and second.share.token_prefix in revoked

    page = admin_client.get(f"/admin/files/share/{first.share.pk}/change/").content.decode()
    assert first.share.token_hash not in page
    assert first.token not in page


def test_throttle_trusts_forwarded_address_only_behind_a_trusted_proxy(rf, settings):
    from files.web.pages.shares import client_address

    request = rf.post(
        "/s/x/download", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.9"
    )
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_address(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy appends what it saw; earlier entries are whatever the client claimed.
    assert client_address(request) == "192.0.2.9"


@pytest.mark.django_db
@pytest.mark.parametrize("several", [False, True], ids=["one-file", "several-files"])
def test_the_share_dialogs_message_is_shown_on_the_links_page(alice, user, client, several):
    files = [ready_upload(user), ready_upload(user)] if several else [ready_upload(user)]
    dialog = (
        f"/shares/new?{'&'.join(f'files={f.id}' for f in files)}"
        if several
        else f"/files/{files[0].id}/shares"
    )
    form = alice.get(dialog, headers={"HX-Request": "true"}).content.decode()
    assert 'name="message"' in form

    body = {
        "expires": "86400",
        "message": "Photos from Sunday\n<b>enjoy</b>\u202e",
        "once": form_once(alice, dialog),
    }
    if several:
        body["files"] = [str(f.id) for f in files]
    created = alice.post(dialog.split("?")[0], body, headers={"HX-Request": "true"})
    assert created.status_code == 200, created.content
    url = re.search(r'value="(http://testserver/s/[^"]+)"', created.content.decode()).group(1)

    assert Share.objects.get().message == "Photos from Sunday\n<b>enjoy</b>"  # cleaned
    landing = client.get(url.removeprefix("http://testserver")).content.decode()
    assert "Photos from Sunday<br>&lt;b&gt;enjoy&lt;/b&gt;" in landing  # escaped, lines kept
