"""Upload requests against SeaweedFS: the owner's API and page, the guests' protocol and its limits."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from files import errors
from files.models import Upload, UploadRequest
from files.upload_requests import guests, owners
from files.uploads import declarations
from tests.helpers import form_once, in_bucket, post_json, post_to_bucket, race, ready_file

MiB = 1024 * 1024


def make_request(owner, **options) -> tuple[UploadRequest, str]:
    new = owners.create(
        owner, title=options.pop("title", "Trip photos"), expires_in=3600, **options
    )
    return new.row, new.token


class Guest:
    """A browser without an account: a session, the CSRF cookie the /r/ page set, its header."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client(enforce_csrf_checks=True)
        page = self.client.get(f"/r/{token}")
        self.csrf = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""

    def call(self, method: str, path: str, body: object = None, **headers: str):
        data = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
        return getattr(self.client, method)(
            path,
            data,
            content_type="application/json",
            headers={"X-CSRFToken": self.csrf, **headers},
        )

    def start(self, size: int = 11, name: str = "photo.jpg", token: str = "", **extra):
        body = {"name": name, "size": size, "content_type": "image/jpeg", **extra}
        return self.call("post", f"/r/{token or self.token}/uploads", body)

    def unlock(self, password: str):
        return self.client.post(f"/r/{self.token}", {"password": password})


def send_small(guest: Guest, data: bytes = b"hello guest", **extra) -> dict:
    issued = guest.start(len(data), **extra)
    assert issued.status_code == 201, issued.content
    assert post_to_bucket(issued.json(), data).status_code in (200, 201, 204)
    return issued.json()


# --- The owner's API ------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_makes_a_request_and_its_url_is_shown_once_and_stored_hashed(alice, user):
    body = {"title": "Scans", "expires_in": 3600, "max_files": 3, "max_bytes": 5000}
    response = post_json(alice, "/api/requests", body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"id", "url", "expires_at", "max_files", "max_bytes"}
    assert answer["url"].startswith("http://testserver/r/")
    token = answer["url"].rsplit("/", 1)[-1]
    row = UploadRequest.objects.get(pk=answer["id"])
    assert (row.owner, row.max_files, row.max_bytes) == (user, 3, 5000)
    assert (
        token not in row.token_hash and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"title": " ", "expires_in": 60}, "title"),
        ({"title": "x", "expires_in": 0}, "expires_in"),
        ({"title": "x", "expires_in": 60, "max_files": 0}, "max_files"),
        ({"title": "x", "expires_in": "soon"}, "expires_in must be a whole number of seconds"),
        ({"expires_in": 60}, "Missing field: title"),
    ],
)
def test_bad_request_bodies_get_a_sentence(alice, body, words):
    response = post_json(alice, "/api/requests", body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_upload_request"
    assert words in response.json()["message"]


@pytest.mark.django_db
def test_owner_lists_requests_with_who_sent_what_and_others_see_none(alice, mallory, user):
    row, token = make_request(user, max_files=5)
    guest = Guest(token)
    sent = send_small(guest, sender_name="Bob")
    assert guest.call("post", f"/r/{token}/uploads/{sent['id']}/confirm").status_code == 200

    listed = alice.get("/api/requests").json()["requests"]
    assert [r["id"] for r in listed] == [str(row.id)]
    assert listed[0]["state"] == "open"
    assert (listed[0]["received_files"], listed[0]["received_bytes"]) == (1, 11)
    [received] = listed[0]["files"]
    assert (received["name"], received["sender_name"], received["size"]) == ("photo.jpg", "Bob", 11)
    assert mallory.get("/api/requests").json() == {"requests": []}
    assert mallory.delete(f"/api/requests/{row.id}").status_code == 404


@pytest.mark.django_db
def test_closing_a_request_stops_new_uploads_and_unfinished_ones(alice, user):
    row, token = make_request(user)
    guest = Guest(token)
    pending = guest.start().json()

    assert alice.delete(f"/api/requests/{row.id}").status_code == 204

    refused = guest.start()
    assert refused.status_code == 410
    assert refused.json()["error"] == "request_closed"
    assert "alice closed this request" in refused.json()["message"]
    assert guest.call("post", f"/r/{token}/uploads/{pending['id']}/confirm").status_code == 410
    page = guest.client.get(f"/r/{token}")
    assert page.status_code == 410
    assert b"alice closed this request" in page.content
    assert alice.get("/api/requests").json()["requests"][0]["state"] == "closed"


# --- A guest's upload -----------------------------------------------------------------------


@pytest.mark.django_db
def test_guest_upload_lands_in_the_owners_files_under_their_prefix(user):
    row, token = make_request(user)
    guest = Guest(token)
    issued = send_small(guest, b"guest bytes", sender_name="  Bob   Smith ")

    assert issued["key"].startswith(f"users/{user.pk}/")
    assert all(
        link.startswith(f"/r/{token}/uploads/{issued['id']}") for link in issued["links"].values()
    )
    confirmed = guest.call("post", issued["links"]["confirm"])

    assert confirmed.status_code == 200, confirmed.content
    upload = Upload.objects.get(pk=issued["id"])
    assert (upload.owner, upload.request, upload.sender_name) == (user, row, "Bob Smith")
    assert upload.status == Upload.Status.READY
    assert in_bucket(upload.file.name)


@pytest.mark.django_db
def test_a_guests_file_from_a_dropped_folder_keeps_its_folders_as_the_owners_do(user):
    _, token = make_request(user)
    issued = send_small(Guest(token), path="Trip/day 1/photo.jpg")
    assert Upload.objects.get(pk=issued["id"]).folder == "Trip/day 1"


@pytest.mark.django_db
def test_confirm_with_htmx_answers_the_sent_row_for_the_guest_page(user):
    _, token = make_request(user)
    guest = Guest(token)
    issued = send_small(guest)
    row = guest.call("post", issued["links"]["confirm"], **{"HX-Request": "true"})
    assert row.status_code == 200
    assert row["Content-Type"].startswith("text/html")
    assert b'id="file-' in row.content and b"photo.jpg" in row.content
    assert b"/api/" not in row.content  # no owner's actions in a guest's row


@pytest.mark.django_db
def test_a_guest_multipart_upload_completes_through_the_request(user, settings):
    settings.CHUTE_MULTIPART_THRESHOLD = settings.CHUTE_PART_SIZE = 5 * MiB
    _, token = make_request(user)
    guest = Guest(token)
    data = os.urandom(5 * MiB + 100)
    issued = guest.start(len(data)).json()
    assert issued["method"] == "multipart"
    parts = {1: data[: 5 * MiB], 2: data[5 * MiB :]}
    sha = {n: base64.b64encode(hashlib.sha256(b).digest()).decode() for n, b in parts.items()}
    signed = guest.call(
        "post",
        issued["links"]["parts"],
        {"parts": [{"number": n, "sha256": s} for n, s in sha.items()]},
    )
    assert signed.status_code == 200, signed.content
    etags = {}
    for number, body in parts.items():
        put = requests.put(
            signed.json()["urls"][str(number)],
            data=body,
            headers={"x-amz-checksum-sha256": sha[number]},
            timeout=60,
        )
        assert put.status_code == 200, put.text
        etags[number] = put.headers["ETag"].strip('"')
    assert len(guest.call("get", issued["links"]["parts"]).json()["parts"]) == 2
    done = guest.call(
        "post",
        issued["links"]["complete"],
        {"parts": [{"number": n, "etag": e} for n, e in etags.items()]},
    )

    assert done.status_code == 200, done.content
    upload = Upload.objects.get(pk=issued["id"])
    assert upload.status == Upload.Status.READY and upload.owner == user


@pytest.mark.django_db
def test_a_guest_who_reloads_continues_their_upload_and_no_one_else_can(user, alice, settings):
    settings.CHUTE_MULTIPART_THRESHOLD = settings.CHUTE_PART_SIZE = 5 * MiB
    _, token = make_request(user)
    guest = Guest(token)
    size, modified = 5 * MiB + 100, 1_764_000_000_000
    first = guest.start(size, name="clip.mov", last_modified=modified).json()

    again = Guest.__new__(Guest)  # the same browser after a reload: same session and cookie
    again.token, again.client, again.csrf = token, guest.client, guest.csrf
    assert again.start(size, name="clip.mov", last_modified=modified).json()["id"] == first["id"]

    stranger = Guest(token).start(size, name="clip.mov", last_modified=modified).json()
    assert stranger["id"] != first["id"]
    owner = post_json(
        alice,
        "/api/uploads",
        {"name": "clip.mov", "size": size, "content_type": "image/jpeg", "last_modified": modified},
    ).json()
    assert owner["id"] not in {first["id"], stranger["id"]}


# --- Tampering ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_cannot_touch_another_sessions_upload(user):
    _, token = make_request(user)
    first, second = Guest(token), Guest(token)
    issued = send_small(first)

    for method, path in [
        ("post", f"/r/{token}/uploads/{issued['id']}/confirm"),
        ("post", f"/r/{token}/uploads/{issued['id']}/complete"),
        ("get", f"/r/{token}/uploads/{issued['id']}/parts"),
        ("delete", f"/r/{token}/uploads/{issued['id']}"),
    ]:
        body = {"parts": []} if path.endswith("complete") else None
        response = second.call(method, path, body)
        assert response.status_code == 404, (path, response.content)
        assert response.json()["error"] == "not_found"
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.PENDING


@pytest.mark.django_db
def test_a_guest_cannot_reach_the_owners_files_or_other_requests(user, other_user):
    _, token = make_request(user)
    _, other_token = make_request(other_user)
    own_file = ready_file(user, b"private")
    guest = Guest(token)
    issued = send_small(guest)

    # The owner's own file through the request's link, and the guest's upload through another link.
    assert guest.call("post", f"/r/{token}/uploads/{own_file.id}/confirm").status_code == 404
    assert guest.call("delete", f"/r/{token}/uploads/{own_file.id}").status_code == 404
    assert guest.call("post", f"/r/{other_token}/uploads/{issued['id']}/confirm").status_code == 404
    # Nothing of the owner's API answers a guest's session.
    assert guest.client.get("/api/files").status_code == 401
    assert guest.client.get("/api/requests").status_code == 401
    assert Upload.objects.get(pk=own_file.pk).status == Upload.Status.READY


@pytest.mark.django_db
def test_the_bucket_refuses_a_guest_key_or_size_other_than_issued(user):
    _, token = make_request(user, max_bytes=100)
    guest = Guest(token)
    issued = guest.start(10).json()

    forged = {
        **issued,
        "post": {
            **issued["post"],
            "fields": {**issued["post"]["fields"], "key": f"users/{user.pk}/forged"},
        },
    }
    assert post_to_bucket(forged, b"0123456789").status_code == 403
    assert not in_bucket(f"users/{user.pk}/forged")
    assert post_to_bucket(issued, b"x" * 11).status_code in (400, 403)  # more than declared
    assert guest.call("post", issued["links"]["confirm"]).status_code == 409  # nothing arrived


@pytest.mark.django_db
def test_requests_without_the_csrf_token_are_refused(user):
    _, token = make_request(user)
    guest = Guest(token)
    guest.csrf = ""
    refused = guest.start()
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_failed"
    assert not Upload.objects.exists()


# --- Limits ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_takes_no_more_files_or_bytes_than_it_asked_for(user):
    _, token = make_request(user, max_files=2, max_bytes=100)
    guest = Guest(token)

    too_big = guest.start(101)
    assert too_big.status_code == 413
    assert too_big.json()["error"] == "over_request_limit"
    assert "takes only 100 bytes more" in too_big.json()["message"]
    assert guest.start(60).status_code == 201
    assert guest.start(41).status_code == 413
    assert guest.start(40).status_code == 201  # 100 bytes, 2 files: full
    full = guest.start(1)
    assert full.status_code == 410
    assert "received all the files" in full.json()["message"]
    page = Client().get(f"/r/{token}")
    assert page.status_code == 410 and b"received all the files" in page.content


@pytest.mark.django_db
def test_an_expired_request_answers_410_saying_when(user):
    row, token = make_request(user)
    UploadRequest.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = Client().get(f"/r/{token}")
    assert page.status_code == 410
    assert b"This request expired on" in page.content


@pytest.mark.django_db
def test_guest_uploads_count_against_the_owners_quota(user, settings):
    settings.CHUTE_USER_QUOTA = 100
    ready_file(user, b"x" * 90)
    _, token = make_request(user)
    refused = Guest(token).start(11)
    assert refused.status_code == 413
    assert refused.json()["error"] == "quota_exceeded"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limit", [{"max_files": 1}, {"max_bytes": 600}])
def test_guests_racing_for_the_last_place_get_one_success(user, limit):
    row, _ = make_request(user, **limit)
    declared = declarations.Declaration(
        name="f.bin", size=600, content_type="application/octet-stream"
    )

    results = race(4, lambda _: guests.start_guest_upload(row, declared))

    refused = [
        r for r in results if isinstance(r, errors.OverRequestLimit | errors.UploadRequestGone)
    ]
    assert (len(results) - len(refused), len(refused)) == (1, 3), results
    assert Upload.objects.filter(request=row).count() == 1


def same_browser(guest: Guest) -> Guest:
    """Another connection of the same guest's browser: its session and CSRF cookies."""
    twin = Guest.__new__(Guest)
    twin.token, twin.csrf = guest.token, guest.csrf
    twin.client = Client(enforce_csrf_checks=True)
    twin.client.cookies = copy.deepcopy(guest.client.cookies)
    return twin


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("files", [3, 10])
def test_a_guest_dropping_several_files_gets_every_one_started(user, files):
    _, token = make_request(user)
    guest = Guest(token)
    browsers = [same_browser(guest) for _ in range(files)]

    answers = race(files, lambda index: browsers[index].start(100 + index, name=f"{index}.jpg"))

    assert [answer.status_code for answer in answers] == [201] * files, [
        answer.content for answer in answers
    ]
    assert Upload.objects.filter(request__owner=user).count() == files


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("limit", "size", "status", "sentence"),
    [
        ({"max_files": 3}, 100, 410, "received all the files it asked for"),
        ({"max_bytes": 1000}, 300, 413, "but the request takes only"),
    ],
    ids=["last-files", "last-bytes"],
)
def test_ten_guests_racing_for_a_requests_last_room_get_exact_limits_and_json_refusals(
    user, limit, size, status, sentence
):
    row, token = make_request(user, **limit)
    assert send_small(Guest(token), b"x" * 200)  # left: 2 files, or 800 bytes (2 × 300)
    guests = [Guest(token) for _ in range(10)]

    answers = race(10, lambda index: guests[index].start(size))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 201] + [status] * 8, [answer.content for answer in answers]
    for refused in (answer for answer in answers if answer.status_code != 201):
        assert refused["Content-Type"] == "application/json"
        assert sentence in refused.json()["message"]
    assert Upload.objects.filter(request=row).count() == 3


@pytest.mark.django_db
def test_one_client_starting_too_many_uploads_is_told_when_to_retry(user, settings):
    settings.CHUTE_GUEST_UPLOADS_PER_HOUR = 2
    _, token = make_request(user)
    guest = Guest(token)
    assert guest.start().status_code == 201
    assert guest.start().status_code == 201

    refused = guest.start()
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_uploads"
    assert refused.json()["message"].startswith("Too many files started from your address.")
    assert 3000 < int(refused["Retry-After"]) <= 3600
    assert Upload.objects.count() == 2


# --- Passwords ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_password_unlocks_the_request_once_per_session(user):
    _, token = make_request(user, password="open sesame")
    guest = Guest(token)
    locked = guest.start()
    assert locked.status_code == 403 and locked.json()["error"] == "password_refused"
    page = guest.client.get(f"/r/{token}")
    assert b'name="password"' in page.content and b"data-uploader" not in page.content

    wrong = guest.unlock("nope")
    assert wrong.status_code == 403 and b"That password is not right." in wrong.content
    assert guest.unlock("open sesame").status_code == 303

    assert b"data-uploader" in guest.client.get(f"/r/{token}").content
    assert guest.start().status_code == 201
    assert Guest(token).start().status_code == 403  # another session must unlock it too


@pytest.mark.django_db
def test_wrong_request_passwords_are_throttled(user):
    _, token = make_request(user, password="open sesame")
    guest = Guest(token)
    for _ in range(5):
        assert guest.unlock("nope").status_code == 403
    throttled = guest.unlock("open sesame")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert b"Too many wrong passwords" in throttled.content
    assert guest.start().status_code == 403


# --- Pages and answers ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_guest_page_says_who_asks_what_is_left_and_carries_the_uploader(user):
    _, token = make_request(
        user, message="The ones from Tuesday", max_files=3, max_bytes=10_000_000
    )
    Guest(token).start(2_000_000)
    page = Client().get(f"/r/{token}")

    assert page.status_code == 200
    text = page.content.decode()
    assert "alice asks you to send files" in text and "Trip photos" in text
    assert "The ones from Tuesday" in text
    assert "2 more of 3" in text and "8.0 MB more of 10.0 MB" in text
    assert f'data-create-url="/r/{token}/uploads"' in text
    assert 'id="transfer-row"' in text and 'id="upload-status"' in text and 'id="file-rows"' in text


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["", "/uploads", "/uploads/x/y"])
def test_answers_under_r_are_private_and_never_indexed(user, suffix):
    _, token = make_request(user)
    response = Client().get(f"/r/{token}{suffix}")
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.django_db
def test_unknown_tokens_and_addresses_answer_404_json_under_the_protocol(user):
    assert Client().get("/r/" + "A" * 43).status_code == 404
    response = Client().post(
        "/r/" + "A" * 43 + "/uploads/nope", "{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert set(response.json()) == {"error", "message"}
    _, token = make_request(user)
    wrong_method = Client().put(f"/r/{token}/uploads", "{}", content_type="application/json")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"


@pytest.mark.django_db
def test_a_guest_cancels_its_unfinished_upload_but_not_a_delivered_file(user):
    _, token = make_request(user)
    guest = Guest(token)
    pending = guest.start().json()
    assert guest.call("delete", pending["links"]["self"]).status_code == 204
    assert Upload.objects.get(pk=pending["id"]).status == Upload.Status.ABORTED

    delivered = send_small(guest)
    assert guest.call("post", delivered["links"]["confirm"]).status_code == 200
    refused = guest.call("delete", delivered["links"]["self"])
    assert refused.status_code == 409
    assert Upload.objects.get(pk=delivered["id"]).status == Upload.Status.READY


@pytest.mark.django_db
def test_owner_page_makes_lists_and_closes_requests(alice, user):
    form = {"title": "Receipts", "expires_in": "604800", "max_files": "2", "max_mb": ""}
    made = alice.post("/requests/", {**form, "once": form_once(alice, "/requests/")})
    assert made.status_code == 200
    text = made.content.decode()
    assert "http://testserver/r/" in text and "Receipts" in text
    row = UploadRequest.objects.get(owner=user)
    assert (row.max_files, row.max_bytes) == (2, None)

    closed = alice.post("/requests/", {"close": str(row.id)})
    assert closed.status_code == 200
    row.refresh_from_db()
    assert row.closed_at is not None
    assert b"http://testserver/r/" not in closed.content  # the link is never shown again


@pytest.mark.django_db
def test_sending_the_requests_form_again_makes_no_second_request_and_says_so(alice, user):
    form = {"title": "Receipts", "expires_in": "604800", "once": form_once(alice, "/requests/")}
    first = alice.post("/requests/", form).content.decode()
    token = re.search(r'value="http://testserver/r/([^"]+)"', first).group(1)
    # The session remembers the form, never the request's token.
    assert form["once"] in repr(dict(alice.session.items()))
    assert token not in repr(dict(alice.session.items()))

    again = alice.post("/requests/", form)  # a reload of the answer sends the same form

    assert again.status_code == 200
    assert UploadRequest.objects.count() == 1
    body = again.content.decode()
    assert "/r/" not in body
    assert (
        '<p class="notice" role="status">This form was already sent: the request “Receipts” '
        "was made then and its link was shown once; it is in the list below." in body
    )
    fresh = alice.post("/requests/", {**form, "once": form_once(alice, "/requests/")})
    assert "http://testserver/r/" in fresh.content.decode()
    assert UploadRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_requests_form_without_its_one_time_number_makes_nothing(alice, user):
    answer = alice.post("/requests/", {"title": "Receipts", "expires_in": "604800"})
    assert answer.status_code == 400
    assert "This form is out of date: reload the page" in answer.content.decode()
    assert not UploadRequest.objects.exists()


@pytest.mark.django_db
def test_owner_form_takes_its_size_limit_in_megabytes_as_sizes_are_shown(alice, user):
    form = {"title": "Scans", "expires_in": "604800", "max_mb": "5"}
    made = alice.post("/requests/", {**form, "once": form_once(alice, "/requests/")})
    assert made.status_code == 200
    assert UploadRequest.objects.get(owner=user).max_bytes == 5_000_000
    assert "0 bytes of 5.0 MB" in made.content.decode()


@pytest.mark.django_db
def test_the_file_list_marks_files_that_came_through_a_request(alice, user):
    _, token = make_request(user, title="Tax papers")
    guest = Guest(token)
    issued = send_small(guest, sender_name="Bob")
    guest.call("post", issued["links"]["confirm"])
    page = alice.get("/")
    assert b"from Tax papers \xc2\xb7 Bob" in page.content


@pytest.mark.django_db
def test_listing_requests_costs_the_same_queries_however_many_there_are(alice, user):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    make_request(user)
    with CaptureQueriesContext(db) as few:
        assert alice.get("/api/requests").status_code == 200
    for n in range(5):
        row, _ = make_request(user, title=f"Request {n}")
        sent = ready_file(user, name=f"f{n}.txt")
        Upload.objects.filter(pk=sent.pk).update(request=row)
    with CaptureQueriesContext(db) as many:
        assert len(alice.get("/api/requests").json()["requests"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)
