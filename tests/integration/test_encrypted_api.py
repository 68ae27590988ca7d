"""End-to-end encrypted uploads, the server's side: it stores ciphertext, a label and opaque meta.

The bytes here stand for ciphertext (the server never decrypts); the CLI's round trips with real
encryption are tests/integration/test_cli_encrypted.py.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from files.models import Upload
from files.shares import multi, single
from tests.helpers import post_json, post_to_bucket
from tests.integration.test_requests import Guest, make_request

META = "bWV0YS1ibG9iLXN0YW5kaW5nLWZvci1hbi1lbmNyeXB0ZWQtbmFtZQ"  # base64url, no padding
SIZE = 21 + 100 + 17  # an aes128gcm stream of 100 plaintext bytes in one record


def encrypted_body(**changes: object) -> dict:
    body: dict = {
        "encrypted": True,
        "size": SIZE,
        "meta": META,
        "content_type": "application/octet-stream",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def send_encrypted(client: Client, data: bytes | None = None) -> Upload:
    data = data if data is not None else os.urandom(SIZE)
    response = post_json(client, "/api/uploads", encrypted_body(size=len(data)))
    assert response.status_code == 201, response.content
    issued = response.json()
    assert post_to_bucket(issued, data).status_code in (200, 201, 204)
    confirmed = client.post(issued["links"]["confirm"])
    assert confirmed.status_code == 200, confirmed.content
    return Upload.objects.get(pk=issued["id"])


def test_an_encrypted_upload_stores_a_label_and_opaque_meta_and_no_name(alice):
    response = post_json(alice, "/api/uploads", encrypted_body())
    assert response.status_code == 201, response.content
    issued = response.json()
    assert issued["name"] == "Encrypted file"
    assert issued["encrypted"] is True and issued["meta"] == META
    assert "thumbnail" not in issued["links"]
    row = Upload.objects.get(pk=issued["id"])
    assert (row.encrypted, row.meta, row.name, row.folder) == (True, META, "Encrypted file", "")
    assert row.content_type == "application/octet-stream" and row.size == SIZE


def test_the_file_list_and_one_file_carry_encrypted_and_meta(alice):
    upload = send_encrypted(alice)
    listed = alice.get("/api/files").json()["files"]
    assert [(f["encrypted"], f["meta"], f["name"]) for f in listed] == [
        (True, META, "Encrypted file")
    ]
    one = alice.get(f"/api/files/{upload.id}").json()
    assert one["encrypted"] is True and one["meta"] == META


def test_plain_files_say_not_encrypted_with_no_meta(alice):
    response = post_json(
        alice, "/api/uploads", {"name": "a.txt", "size": 5, "content_type": "text/plain"}
    )
    assert response.status_code == 201
    assert response.json()["encrypted"] is False and response.json().get("meta") is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"meta": None}, "needs meta"),
        ({"meta": ""}, "needs meta"),
        ({"meta": "not base64url!"}, "base64url"),
        ({"meta": META + "="}, "base64url"),
        ({"meta": "A" * 4097}, "at most 4096"),
        ({"meta": 5}, "meta must be"),
        ({"name": "secret-plans.pdf"}, "leave name out"),
        ({"path": "plans/secret.pdf"}, "leave path out"),
        ({"last_modified": 1700000000000}, "leave last_modified out"),
        ({"content_type": "application/pdf"}, "application/octet-stream"),
        ({"size": 37}, "no size an aes128gcm stream"),
        ({"size": 21 + 65536 + 17}, "no size an aes128gcm stream"),
        ({"size": 0}, "no size an aes128gcm stream"),
    ],
)
def test_bad_encrypted_declarations_get_a_json_sentence(alice, changes, words):
    response = post_json(alice, "/api/uploads", encrypted_body(**changes))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_upload" and words in body["message"], body
    assert not Upload.objects.exists()


def test_meta_without_encrypted_is_refused(alice):
    body = {"name": "a.txt", "size": 5, "content_type": "text/plain", "meta": META}
    response = post_json(alice, "/api/uploads", body)
    assert response.status_code == 400 and "encrypted: true" in response.json()["message"]


def test_encrypted_files_skip_the_type_allow_list(alice, settings):
    settings.CHUTE_ALLOWED_CONTENT_TYPES = ["image/*"]
    assert post_json(alice, "/api/uploads", encrypted_body()).status_code == 201


def test_an_encrypted_file_gets_no_thumbnail(alice):
    upload = send_encrypted(alice)
    body = {"content_type": "image/webp", "size": 100}
    response = post_json(alice, f"/api/uploads/{upload.id}/thumbnail", body)
    assert response.status_code == 400, response.content
    assert "no thumbnail" in response.json()["message"]


def test_a_guest_cannot_send_an_encrypted_file(user):
    _, token = make_request(user)
    guest = Guest(token)
    response = guest.call("post", f"/r/{token}/uploads", encrypted_body())
    assert response.status_code == 400, response.content
    assert "not encrypted this round" in response.json()["message"]
    assert not Upload.objects.exists()


def test_open_serves_an_encrypted_file_as_a_download_whatever_its_type(alice, user):
    upload = send_encrypted(alice)
    # Declared types are forced to octet-stream; even a row that says image/png is ciphertext.
    Upload.objects.filter(pk=upload.pk).update(content_type="image/png")
    owner_view = alice.get(f"/files/{upload.id}/view")
    assert owner_view.status_code == 302
    assert "attachment" in owner_view["Location"] and "inline" not in owner_view["Location"]
    new = single.create_share(upload, expires_in=3600)
    shared = Client().post(f"/s/{new.token}/view")
    assert shared.status_code == 302 and "attachment" in shared["Location"]


def test_the_owners_list_shows_the_label_and_carries_meta_for_the_browser(alice):
    send_encrypted(alice)
    page = alice.get("/").content.decode()
    assert f'data-encrypted data-meta="{META}"' in page and "Encrypted file" in page


def test_a_links_page_and_json_carry_each_files_meta(alice, user):
    first, second = send_encrypted(alice), send_encrypted(alice)
    new = multi.create(user, [str(first.id), str(second.id)], expires_in=3600)
    page = Client().get(f"/s/{new.token}").content.decode()
    assert page.count(f'data-encrypted data-meta="{META}"') == 2
    answer = Client().get(f"/api/s/{new.token}")
    assert answer.status_code == 200, answer.content
    listed = answer.json()
    assert {f["id"] for f in listed["files"]} == {str(first.id), str(second.id)}
    assert all(f["encrypted"] and f["meta"] == META for f in listed["files"])
    assert listed["has_password"] is False
    assert listed["download"].endswith(f"/s/{new.token}/download")


def test_the_links_json_answers_404_and_410_with_sentences(alice, user):
    missing = Client().get("/api/s/" + "x" * 43)
    assert missing.status_code == 404 and missing.json()["message"]
    upload = send_encrypted(alice)
    new = single.create_share(upload, expires_in=3600)
    single.revoke(new.share)
    gone = Client().get(f"/api/s/{new.token}")
    assert gone.status_code == 410, gone.content
    assert gone.json()["message"].endswith(".")


def test_the_links_json_path_is_redacted_in_logs_like_the_links_page():
    from project.logging import redact_path

    assert redact_path("/api/s/" + "t" * 43) == "/api/s/[redacted]"
