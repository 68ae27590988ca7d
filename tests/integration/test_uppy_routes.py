"""Uppy Companion's S3 routes (/api/uppy/s3/…) against a real SeaweedFS, with real PUTs/POSTs.

Shapes are those @uppy/aws-s3 6.x (CompanionS3.ts) sends and reads.
"""

from __future__ import annotations

import hashlib
import os

import pytest
import requests
from django.test import Client

from files import s3
from files.lifecycle import cleanup
from files.models import Upload
from files.uploads import uppy
from tests.helpers import in_bucket, post_json

MiB = 1024 * 1024
BASE = "/api/uppy/s3"


def params(client: Client, name: str, type_: str, **metadata: str):
    query = {"filename": name, "type": type_} | {f"metadata[{k}]": v for k, v in metadata.items()}
    return client.get(f"{BASE}/params", query)


def post_form(answer: dict, data: bytes) -> requests.Response:
    """What Uppy's postObject does: the fields, then the file, to the bucket URL."""
    return requests.post(
        answer["url"], data=answer["fields"], files={"file": ("f", data)}, timeout=30
    )


def create(client: Client, name: str, type_: str, **metadata: str):
    body = {"filename": name, "type": type_, "metadata": {"name": name, "type": type_, **metadata}}
    return post_json(client, f"{BASE}/multipart", body)


def put_parts(client: Client, upload_id: str, key: str, data: bytes, chunk: int) -> list[dict]:
    """Uppy's loop: sign each part, PUT it, keep the ETag (quotes stripped, as Uppy does)."""
    parts = []
    for number, offset in enumerate(range(0, len(data), chunk), start=1):
        signed = client.get(f"{BASE}/multipart/{upload_id}/{number}", {"key": key})
        assert signed.status_code == 200, signed.content
        assert set(signed.json()) == {"url", "expires"}
        stored = requests.put(signed.json()["url"], data=data[offset : offset + chunk], timeout=60)
        assert stored.status_code == 200, stored.text
        parts.append({"PartNumber": number, "ETag": stored.headers["ETag"].strip('"')})
    return parts


def assert_refusal(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == {"error", "message"}
    assert payload["message"].endswith(".")
    return payload


def test_uppy_default_chunks_match_its_source():
    # @uppy/aws-s3 6.x S3Uploader: max(ceil(size / 10000), 5 MiB).
    assert uppy.uppy_part_plan(12 * MiB) == (5 * MiB, 3)
    assert uppy.uppy_part_plan(5 * MiB) == (5 * MiB, 1)
    big = 100_000 * MiB
    assert uppy.uppy_part_plan(big) == (-(-big // 10_000), 10_000)


# --- Single files: /s3/params --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_small_file_with_declared_size_lands_and_is_confirmed_on_the_next_call(alice, user):
    data = os.urandom(3000)
    answer = params(alice, "../notes.txt", "text/plain", size=str(len(data)))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["method"] == "POST" and body["expires"] > 0
    key = body["fields"]["key"]
    assert key.startswith(f"users/{user.pk}/") and "notes" not in key
    assert post_form(body, data).status_code == 201

    upload = Upload.objects.get(key=key)
    assert upload.status == Upload.Status.PENDING and upload.size_declared
    # Uppy says nothing after its POST; the owner's next Uppy call registers it.
    params(alice, "next.txt", "text/plain", size="5")
    upload.refresh_from_db()
    assert upload.status == Upload.Status.READY
    assert upload.name == "notes.txt" and upload.size == len(data)
    assert s3.get_bytes(upload.file.name) == data


@pytest.mark.django_db(transaction=True)
def test_declared_size_is_pinned_in_the_post_policy(alice):
    answer = params(alice, "a.bin", "application/octet-stream", size="100").json()
    refused = post_form(answer, os.urandom(101))
    assert refused.status_code in {400, 403}
    assert not in_bucket(answer["fields"]["key"])


@pytest.mark.django_db(transaction=True)
def test_small_file_without_a_size_takes_what_landed_within_the_limit(alice, settings):
    settings.CHUTE_MAX_UPLOAD_SIZE = 10_000
    data = os.urandom(4321)
    answer = params(alice, "photo.jpg", "image/jpeg").json()
    assert post_form(answer, os.urandom(10_001)).status_code in {400, 403}  # over the limit
    assert post_form(answer, data).status_code == 201
    assert uppy.confirm_landed() == 1
    upload = Upload.objects.get(key=answer["fields"]["key"])
    assert upload.status == Upload.Status.READY and upload.size == len(data)
    assert not upload.size_declared
    assert s3.get_bytes(upload.file.name) == data


@pytest.mark.django_db(transaction=True)
def test_cleanup_confirms_a_landed_uppy_post_instead_of_removing_it(alice):
    data = b"x" * 2048
    answer = params(alice, "keep.txt", "text/plain", size=str(len(data))).json()
    assert post_form(answer, data).status_code == 201
    cleanup.cleanup()
    upload = Upload.objects.get(key=answer["fields"]["key"])
    assert upload.status == Upload.Status.READY


@pytest.mark.django_db(transaction=True)
def test_quota_applies_to_declared_sizes(alice, settings):
    settings.CHUTE_USER_QUOTA = 1000
    payload = assert_refusal(params(alice, "big.bin", "text/plain", size="1001"), 413)
    assert payload["error"] == "quota_exceeded"
    assert_refusal(create(alice, "big.bin", "text/plain", size=str(6 * MiB)), 413)
    assert not Upload.objects.exists()


# --- Multipart: create, sign, list, complete, abort -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_multipart_with_declared_size_ends_ready_and_byte_exact(alice, user):
    data = os.urandom(12 * MiB + 7)
    created = create(alice, "movie.mkv", "video/x-matroska", size=str(len(data)))
    assert created.status_code == 200, created.content
    upload_id, key = created.json()["uploadId"], created.json()["key"]
    assert key.startswith(f"users/{user.pk}/") and "movie" not in key

    parts = put_parts(alice, upload_id, key, data, 5 * MiB)
    assert len(parts) == 3
    listed = alice.get(f"{BASE}/multipart/{upload_id}", {"key": key})
    assert listed.status_code == 200
    assert [(p["PartNumber"], p["Size"]) for p in listed.json()] == [
        (1, 5 * MiB),
        (2, 5 * MiB),
        (3, 2 * MiB + 7),
    ]
    done = post_json(alice, f"{BASE}/multipart/{upload_id}/complete?key={key}", {"parts": parts})
    assert done.status_code == 200, done.content
    upload = Upload.objects.get(key=key)
    assert done.json() == {
        "location": f"http://testserver/files/{upload.id}/download",
        "key": key,
    }
    assert upload.status == Upload.Status.READY and upload.size == len(data)
    assert hashlib.sha256(s3.get_bytes(upload.file.name)).digest() == hashlib.sha256(data).digest()
    # Completing again (a retry) answers the same and changes nothing.
    again = post_json(alice, f"{BASE}/multipart/{upload_id}/complete?key={key}", {"parts": parts})
    assert again.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_each_part_url_signs_its_exact_length(alice):
    data = os.urandom(6 * MiB)
    created = create(alice, "a.bin", "application/octet-stream", size=str(len(data))).json()
    url = alice.get(f"{BASE}/multipart/{created['uploadId']}/2", {"key": created["key"]}).json()
    assert requests.put(url["url"], data=b"y" * (MiB + 1), timeout=30).status_code == 403
    assert requests.put(url["url"], data=b"y" * MiB, timeout=30).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_multipart_without_a_size_is_refused_with_what_to_do(alice):
    # Uppy's signPart names no part length, so the last part of an unsized file could hold
    # anything up to the planned part size; nothing is created (issue 24).
    before = {u.upload_id for u in s3.list_multipart_uploads("users/")}
    response = create(alice, "clip.mp4", "video/mp4")
    payload = assert_refusal(response, 400)
    assert payload["error"] == "size_required"
    assert "meta: {...file.meta, size: file.size}" in payload["message"]
    assert response.reason_phrase == payload["message"]  # what Uppy shows (see below)
    assert not Upload.objects.exists()
    assert {u.upload_id for u in s3.list_multipart_uploads("users/")} == before


@pytest.mark.django_db(transaction=True)
def test_an_unsized_multipart_upload_from_before_gets_no_part_urls(alice):
    # A row left by the time unsized multipart uploads were allowed: its plan is the room it
    # reserved, not the file, so no part URL of it can be right.
    created = create(alice, "old.bin", "application/octet-stream", size=str(6 * MiB)).json()
    Upload.objects.filter(key=created["key"]).update(size_declared=False)
    base = f"{BASE}/multipart/{created['uploadId']}"
    for response in [
        alice.get(f"{base}/1", {"key": created["key"]}),
        alice.get(f"{base}/batch", {"key": created["key"], "partNumbers": "1,2"}),
    ]:
        payload = assert_refusal(response, 409)
        assert payload["error"] == "upload_closed"
        assert payload["message"].startswith("This upload was started without the file's size")


@pytest.mark.django_db(transaction=True)
def test_abort_removes_the_parts_and_the_upload(alice):
    created = create(alice, "gone.bin", "application/octet-stream", size=str(6 * MiB)).json()
    put_parts(alice, created["uploadId"], created["key"], os.urandom(6 * MiB), 5 * MiB)
    answer = alice.delete(f"{BASE}/multipart/{created['uploadId']}?key={created['key']}")
    assert answer.status_code == 200 and answer.json() == {}
    assert not Upload.objects.filter(key=created["key"]).exists()
    assert not any(u.key == created["key"] for u in s3.list_multipart_uploads("users/"))


@pytest.mark.django_db(transaction=True)
def test_batch_signing_answers_companions_shape(alice):
    created = create(alice, "b.bin", "application/octet-stream", size=str(11 * MiB)).json()
    answer = alice.get(
        f"{BASE}/multipart/{created['uploadId']}/batch",
        {"key": created["key"], "partNumbers": "1,3"},
    )
    assert answer.status_code == 200
    assert set(answer.json()["presignedUrls"]) == {"1", "3"}


@pytest.mark.django_db(transaction=True)
def test_refusals_are_also_the_reason_phrase_uppy_shows_in_plain_ascii(alice):
    # @uppy/aws-s3 6.x shows "Companion request failed: <statusText>" and reads no body.
    response = create(alice, "a", "text/plain", size="1\r\nX-Injected: “yes”")
    message = assert_refusal(response, 400)["message"]
    assert message.endswith("not “1\r\nX-Injected: “yes””.")
    assert response.reason_phrase.endswith('not "1??X-Injected: "yes"".')
    assert response.reason_phrase.isascii() and response.reason_phrase.isprintable()


# --- Someone else's key, bad input, auth ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_another_users_upload_is_not_found(alice, mallory):
    created = create(alice, "private.bin", "application/octet-stream", size=str(6 * MiB)).json()
    upload_id, key = created["uploadId"], created["key"]
    for response in [
        mallory.get(f"{BASE}/multipart/{upload_id}", {"key": key}),
        mallory.get(f"{BASE}/multipart/{upload_id}/1", {"key": key}),
        post_json(mallory, f"{BASE}/multipart/{upload_id}/complete?key={key}", {"parts": []}),
        mallory.delete(f"{BASE}/multipart/{upload_id}?key={key}"),
    ]:
        assert assert_refusal(response, 404)["error"] == "not_found"
    assert Upload.objects.get(key=key).status == Upload.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_key_is_only_compared_never_used_as_a_path(alice, user):
    mine = create(alice, "a.bin", "application/octet-stream", size=str(6 * MiB)).json()
    other = create(alice, "b.bin", "application/octet-stream", size=str(6 * MiB)).json()
    for key in [other["key"], f"users/{user.pk}/", "../../etc/passwd", mine["key"] + "x"]:
        response = alice.get(f"{BASE}/multipart/{mine['uploadId']}/1", {"key": key})
        assert_refusal(response, 404)
    assert_refusal(alice.get(f"{BASE}/multipart/{mine['uploadId']}/1"), 400)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("call", "status", "words"),
    [
        (lambda c: c.get(f"{BASE}/params"), 400, "filename"),
        (lambda c: params(c, "a.txt", "text/plain", size="-4"), 400, "whole number"),
        (lambda c: params(c, "a.txt", "not a type", size="4"), 400, "content type"),
        (lambda c: params(c, "a.txt", "text/plain", size="0"), 400, "empty"),
        (lambda c: post_json(c, f"{BASE}/multipart", {"type": "text/plain"}), 400, "filename"),
        (lambda c: post_json(c, f"{BASE}/multipart", "[1]"), 400, "JSON object"),
        (lambda c: post_json(c, f"{BASE}/multipart", "{"), 400, "JSON"),
        (lambda c: create(c, "a", "text/plain", size="1.5"), 400, "whole number"),
        (lambda c: create(c, "a", "text/plain", size="²"), 400, "whole number"),
        (lambda c: create(c, "a", "text/plain", size="9" * 5000), 400, "whole number"),
    ],
    ids=["no filename", "negative size", "bad type", "empty", "no filename (create)",
         "not an object", "not JSON", "fractional size", "superscript size", "5000 digits"],
)  # fmt: skip
def test_bad_input_is_a_json_sentence(alice, call, status, words):
    assert words in assert_refusal(call(alice), status)["message"]
    assert not Upload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bad_part_numbers_and_part_lists_are_sentences(alice):
    created = create(alice, "a.bin", "application/octet-stream", size=str(6 * MiB)).json()
    base = f"{BASE}/multipart/{created['uploadId']}"
    key = {"key": created["key"]}
    assert "between 1 and 10000" in assert_refusal(alice.get(f"{base}/abc", key), 400)["message"]
    assert "between 1 and 10000" in assert_refusal(alice.get(f"{base}/²", key), 400)["message"]
    assert "parts 1 to 2" in assert_refusal(alice.get(f"{base}/3", key), 400)["message"]
    url = f"{base}/complete?key={created['key']}"
    assert_refusal(post_json(alice, url, {"parts": [{"PartNumber": "x"}]}), 400)
    assert_refusal(post_json(alice, url, {"parts": [{"PartNumber": 1, "ETag": "e"}]}), 409)


@pytest.mark.django_db(transaction=True)
def test_session_calls_from_another_site_are_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    body = {"filename": "a", "type": "text/plain", "metadata": {"size": "6000000"}}
    cross = post_json(client, f"{BASE}/multipart", body, headers={"Sec-Fetch-Site": "cross-site"})
    assert assert_refusal(cross, 403)["error"] == "cross_site"
    evil = post_json(client, f"{BASE}/multipart", body, headers={"Origin": "https://evil.example"})
    assert_refusal(evil, 403)
    assert_refusal(post_json(client, f"{BASE}/multipart", body), 403)  # neither header, no token
    read = client.get(f"{BASE}/params", {"filename": "a"}, headers={"Sec-Fetch-Site": "same-site"})
    assert_refusal(read, 403)
    assert not Upload.objects.exists()
    # What Chromium sends for Uppy's same-origin fetch: no CSRF token needed.
    same = post_json(
        client,
        f"{BASE}/multipart",
        body,
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 200, same.content


@pytest.mark.django_db(transaction=True)
def test_unauthenticated_is_401_and_a_token_works(client, user):
    assert_refusal(client.get(f"{BASE}/params", {"filename": "a"}), 401)
    from files.accounts import tokens

    token = tokens.create(user, name="uppy").token
    answer = client.get(
        f"{BASE}/params",
        {"filename": "a.txt", "type": "text/plain", "metadata[size]": "3"},
        headers={"Authorization": f"Bearer {token}", "Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 200, answer.content
