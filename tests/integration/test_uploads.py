"""The single-request upload protocol against a real SeaweedFS: POST policies, PUT URLs, confirm."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from files import errors, s3
from files.models import Upload
from files.shares import single
from files.uploads import confirm as confirmation
from files.uploads import declarations
from files.uploads.start import start_upload
from tests import helpers


def start(client, **overrides) -> dict:
    return helpers.start(client, **overrides)


def post_to_bucket(issued: dict, data: bytes, **field_overrides) -> requests.Response:
    fields = {**issued["post"]["fields"], **field_overrides}
    return requests.post(
        issued["post"]["url"], data=fields, files={"file": ("x", data)}, timeout=30
    )


def confirm(client, issued: dict):
    return client.post(f"/api/uploads/{issued['id']}/confirm")


@pytest.mark.django_db
def test_post_policy_upload_is_stored_and_confirm_registers_it(alice, user):
    issued = start(alice)
    assert issued["method"] == "post"
    assert issued["key"].startswith(f"users/{user.pk}/")

    stored = post_to_bucket(issued, b"hello world")
    assert stored.status_code == 201

    response = confirm(alice, issued)
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    upload = Upload.objects.get(pk=issued["id"])
    assert upload.status == Upload.Status.READY
    # Registered at a key no upload URL can write; the upload key is emptied.
    assert upload.file.name.startswith(upload.key + ".")
    assert upload.etag == hashlib.md5(b"hello world").hexdigest()
    assert s3.get_bytes(upload.file.name) == b"hello world"
    with pytest.raises(s3.ObjectNotFound):
        s3.head(upload.key)


@pytest.mark.django_db
def test_bucket_refuses_body_larger_than_declared_and_nothing_is_registered(alice):
    issued = start(alice)
    stored = post_to_bucket(issued, b"hello world, and then some")
    assert stored.status_code in (400, 403)
    assert confirm(alice, issued).status_code == 409
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.PENDING


@pytest.mark.django_db
def test_bucket_refuses_tampered_key(alice, user):
    issued = start(alice)
    stolen = f"users/{user.pk + 1}/elsewhere"
    stored = post_to_bucket(issued, b"hello world", key=stolen)
    assert stored.status_code == 403
    with pytest.raises(s3.ObjectNotFound):
        s3.head(stolen)


@pytest.mark.django_db
def test_bucket_refuses_tampered_content_type(alice):
    issued = start(alice)
    stored = post_to_bucket(issued, b"hello world", **{"Content-Type": "text/html"})
    assert stored.status_code == 403
    assert confirm(alice, issued).status_code == 409


@pytest.mark.django_db
def test_confirm_before_upload_is_409_and_a_later_confirm_succeeds(alice):
    issued = start(alice)
    early = confirm(alice, issued)
    assert early.status_code == 409
    assert early.json()["error"] == "not_uploaded"
    assert "not arrived" in early.json()["message"]

    post_to_bucket(issued, b"hello world")
    assert confirm(alice, issued).status_code == 200


@pytest.mark.django_db
def test_confirm_deletes_object_whose_size_differs_from_declared(alice):
    issued = start(alice)
    # Bypass the policy, as a misbehaving S3-compatible store or an operator might.
    s3.put_bytes(issued["key"], b"short", content_type="application/pdf")
    response = confirm(alice, issued)
    assert response.status_code == 422
    assert response.json()["error"] == "mismatch"
    assert "5 bytes" in response.json()["message"]
    with pytest.raises(s3.ObjectNotFound):
        s3.head(issued["key"])
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED
    assert confirm(alice, issued).status_code == 409


@pytest.mark.django_db
def test_confirm_is_idempotent(alice):
    issued = start(alice)
    post_to_bucket(issued, b"hello world")
    first = confirm(alice, issued).json()
    second = confirm(alice, issued).json()
    assert first == second
    assert Upload.objects.filter(status=Upload.Status.READY).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_register_one_file(user):
    upload = start_upload(
        user,
        declarations.Declaration(name="a.bin", size=4, content_type="application/octet-stream"),
    ).upload
    s3.put_bytes(upload.key, b"data")

    results = helpers.race(
        4, lambda _: confirmation.confirm(Upload.objects.get(pk=upload.pk)).status
    )
    assert results == ["ready"] * 4
    assert Upload.objects.filter(pk=upload.pk, status=Upload.Status.READY).count() == 1


@pytest.mark.django_db
def test_put_url_upload_signs_size_and_type(alice, settings):
    settings.CHUTE_UPLOAD_METHOD = "put"
    issued = start(alice)
    assert issued["method"] == "put"
    put = issued["put"]
    wrong_size = requests.put(put["url"], data=b"hello world!", headers=put["headers"], timeout=30)
    assert wrong_size.status_code == 403
    wrong_type = requests.put(
        put["url"], data=b"hello world", headers={"Content-Type": "text/html"}, timeout=30
    )
    assert wrong_type.status_code == 403
    right = requests.put(put["url"], data=b"hello world", headers=put["headers"], timeout=30)
    assert right.status_code == 200
    assert confirm(alice, issued).status_code == 200


@pytest.mark.django_db
def test_put_url_with_declared_sha256_refuses_other_bytes(alice, settings):
    settings.CHUTE_UPLOAD_METHOD = "put"
    digest = base64.b64encode(hashlib.sha256(b"hello world").digest()).decode()
    issued = start(alice, sha256=digest)
    put = issued["put"]
    assert put["headers"]["x-amz-checksum-sha256"] == digest
    corrupted = requests.put(put["url"], data=b"hello wOrld", headers=put["headers"], timeout=30)
    assert corrupted.status_code in (400, 403)
    right = requests.put(put["url"], data=b"hello world", headers=put["headers"], timeout=30)
    assert right.status_code == 200
    response = confirm(alice, issued)
    assert response.status_code == 200


@pytest.mark.django_db
def test_keys_are_unique_and_never_contain_the_file_name(alice):
    first = start(alice, name="../../etc/passwd")
    second = start(alice, name="../../etc/passwd")
    assert first["key"] != second["key"]
    assert "passwd" not in first["key"] and ".." not in first["key"]
    assert first["name"] == "passwd"


@pytest.mark.django_db
def test_delete_pending_upload_removes_its_bytes_and_hides_it_while_its_url_works(alice):
    issued = start(alice)
    post_to_bucket(issued, b"hello world")
    response = alice.delete(f"/api/uploads/{issued['id']}")
    assert response.status_code == 204
    # The row stays, hidden, until the URL expires: the cleanup then purges it again.
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED
    assert confirm(alice, issued).status_code == 409
    with pytest.raises(s3.ObjectNotFound):
        s3.head(issued["key"])


@pytest.mark.django_db
def test_delete_ready_file_removes_its_bytes(alice):
    issued = start(alice)
    post_to_bucket(issued, b"hello world")
    confirm(alice, issued)
    confirmed_key = Upload.objects.get(pk=issued["id"]).file.name
    response = alice.delete(f"/api/uploads/{issued['id']}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content == b""
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED
    assert alice.get(f"/files/{issued['id']}/download").status_code == 404
    for key in (issued["key"], confirmed_key):
        with pytest.raises(s3.ObjectNotFound):
            s3.head(key)


@pytest.mark.django_db
def test_delete_of_a_file_whose_url_expired_removes_its_row(alice):
    issued = start(alice)
    post_to_bucket(issued, b"hello world")
    confirm(alice, issued)
    Upload.objects.filter(pk=issued["id"]).update(expires_at=timezone.now() - timedelta(hours=1))
    assert alice.delete(f"/api/uploads/{issued['id']}").status_code == 204
    assert not Upload.objects.filter(pk=issued["id"]).exists()


@pytest.mark.django_db
def test_confirm_with_htmx_answers_the_file_row(alice):
    issued = start(alice, name="notes <b>.pdf")
    post_to_bucket(issued, b"hello world")
    response = alice.post(f"/api/uploads/{issued['id']}/confirm", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="file-{issued["id"]}"' in html
    assert "notes &lt;b&gt;.pdf" in html
    assert f"/files/{issued['id']}/download" in html


# --- What the bucket holds is what Django confirmed (issue 11) ----------------------------


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def served(client, upload_id: str) -> bytes:
    response = client.get(f"/files/{upload_id}/download")
    assert response.status_code == 302
    return requests.get(response["Location"], timeout=30).content


def shared(upload_id: str) -> bytes:
    new = single.create_share(Upload.objects.get(pk=upload_id), expires_in=3600)
    response = Client().get(f"/s/{new.token}/download")
    assert response.status_code == 302
    return requests.get(response["Location"], timeout=30).content


@pytest.mark.django_db
def test_a_still_valid_post_form_cannot_change_what_a_ready_file_serves(alice):
    issued = start(alice)
    assert post_to_bucket(issued, b"hello world").status_code == 201
    assert confirm(alice, issued).status_code == 200

    # The form lives on for its whole lifetime: S3 cannot revoke a presigned request.
    post_to_bucket(issued, b"HELLO WORLD")
    confirm(alice, issued)

    assert served(alice, issued["id"]) == b"hello world"
    assert shared(issued["id"]) == b"hello world"


@pytest.mark.django_db
def test_a_still_valid_put_url_cannot_change_what_a_ready_file_serves(alice, settings):
    settings.CHUTE_UPLOAD_METHOD = "put"
    issued = start(alice)
    put = issued["put"]
    assert requests.put(put["url"], data=b"hello world", headers=put["headers"]).status_code == 200
    assert confirm(alice, issued).status_code == 200

    requests.put(put["url"], data=b"HELLO WORLD", headers=put["headers"], timeout=30)

    assert served(alice, issued["id"]) == b"hello world"
    assert shared(issued["id"]) == b"hello world"


@pytest.mark.django_db
def test_post_upload_with_a_declared_sha256_refuses_other_bytes(alice):
    issued = start(alice, sha256=b64sha(b"hello world"))

    stored = post_to_bucket(issued, b"hello wOrld")
    response = confirm(alice, issued)

    assert stored.status_code in (400, 403) or response.status_code == 422
    assert Upload.objects.get(pk=issued["id"]).status != Upload.Status.READY


@pytest.mark.django_db
def test_post_upload_with_a_declared_sha256_registers_the_right_bytes(alice):
    issued = start(alice, sha256=b64sha(b"hello world"))
    assert post_to_bucket(issued, b"hello world").status_code == 201

    response = confirm(alice, issued)

    assert response.status_code == 200, response.content
    assert response.json()["checksum_sha256"] == b64sha(b"hello world")


@pytest.mark.django_db
def test_confirm_refuses_a_declared_sha256_the_bucket_cannot_vouch_for(user):
    declared = declarations.declare(
        name="a.txt", size=11, content_type="text/plain", sha256=b64sha(b"hello world")
    )
    upload = start_upload(user, declared).upload
    # Stored without a checksum (an operator, or a store that drops the form field):
    # nothing in the bucket says these are the declared bytes.
    s3.put_bytes(upload.key, b"hello wOrld", content_type="text/plain")

    with pytest.raises(errors.UploadMismatch, match="SHA-256"):
        confirmation.confirm(upload)
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.ABORTED


@pytest.mark.django_db
def test_confirm_refuses_an_object_stored_with_a_content_encoding_field(alice):
    issued = start(alice)
    # SeaweedFS stores form fields the policy does not cover (AWS refuses them).
    post_to_bucket(issued, b"hello world", **{"Content-Encoding": "gzip"})

    response = confirm(alice, issued)

    assert response.status_code == 422
    assert "Content-Encoding" in response.json()["message"]
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED


@pytest.mark.django_db
def test_confirm_refuses_an_object_put_with_an_unsigned_content_encoding(alice, settings):
    settings.CHUTE_UPLOAD_METHOD = "put"
    issued = start(alice)
    headers = {**issued["put"]["headers"], "Content-Encoding": "gzip"}
    requests.put(issued["put"]["url"], data=b"hello world", headers=headers, timeout=30)

    response = confirm(alice, issued)

    assert response.status_code == 422
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.ABORTED
