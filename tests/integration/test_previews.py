"""Previews against a real SeaweedFS: thumbnails sent by presigned POST, shown by signed GETs,
removed with their file; "Open" inline for the allow-list only, counted on share links."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from files import s3
from files.lifecycle import cleanup
from files.models import Share, Upload
from files.shares import multi, single
from files.upload_requests import owners
from files.uploads import thumbnails
from tests.helpers import in_bucket, post_json, ready_file

WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def ask(client, upload: Upload, *, content_type: str = "image/webp", size: int = len(WEBP)):
    return post_json(
        client,
        f"/api/uploads/{upload.id}/thumbnail",
        {"content_type": content_type, "size": size},
    )


def send(post: dict, data: bytes, **fields: str) -> requests.Response:
    form = post["fields"] | fields
    return requests.post(post["url"], data=form, files={"file": ("t", data)}, timeout=30)


def with_thumbnail(client, upload: Upload, data: bytes = WEBP) -> Upload:
    answer = ask(client, upload, size=len(data))
    assert answer.status_code == 201, answer.content
    assert send(answer.json()["post"], data).status_code == 201
    confirmed = client.post(f"/api/uploads/{upload.id}/thumbnail/confirm")
    assert confirmed.status_code == 200, confirmed.content
    upload.refresh_from_db()
    return upload


# --- Thumbnails -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_thumbnail_post_policy_pins_size_and_type(alice, user):
    upload = ready_file(user, b"\x89PNG....", name="photo.png", content_type="image/png")
    answer = ask(alice, upload)
    assert answer.status_code == 201
    post = answer.json()["post"]
    assert post["fields"]["key"] == thumbnails.key_for(upload)
    assert post["fields"]["key"].startswith(f"users/{user.pk}/")
    assert send(post, WEBP + b"!").status_code in {400, 403}  # one byte more
    assert send(post, WEBP[:-1]).status_code in {400, 403}  # one byte less
    assert send(post, WEBP, **{"Content-Type": "text/html"}).status_code in {400, 403}
    assert not in_bucket(thumbnails.key_for(upload))
    assert send(post, WEBP).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "size"),
    [("image/png", 100), ("image/svg+xml", 100), ("image/webp", 64 * 1024 + 1), ("image/jpeg", 0)],
)
def test_thumbnail_refuses_other_types_and_sizes(alice, user, content_type, size):
    upload = ready_file(user)
    answer = ask(alice, upload, content_type=content_type, size=size)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_thumbnail"
    assert answer.json()["message"].endswith(".")


@pytest.mark.django_db
def test_thumbnail_is_the_owners_alone(alice, mallory, user):
    upload = ready_file(user)
    assert ask(mallory, upload).status_code == 404
    assert mallory.post(f"/api/uploads/{upload.id}/thumbnail/confirm").status_code == 404


@pytest.mark.django_db
def test_confirm_refuses_a_thumbnail_not_in_the_bucket(alice, user):
    upload = ready_file(user)
    assert alice.post(f"/api/uploads/{upload.id}/thumbnail/confirm").status_code == 422
    ask(alice, upload)
    refused = alice.post(f"/api/uploads/{upload.id}/thumbnail/confirm")
    assert refused.status_code == 422
    assert refused.json()["error"] == "thumbnail_mismatch"


@pytest.mark.django_db
def test_confirm_deletes_a_thumbnail_that_differs_from_its_declaration(alice, user):
    upload = ready_file(user)
    ask(alice, upload, size=len(WEBP))
    key = thumbnails.key_for(upload)
    s3.put_bytes(key, WEBP + b"more", content_type="image/webp")  # not through the policy
    refused = alice.post(f"/api/uploads/{upload.id}/thumbnail/confirm")
    assert refused.status_code == 422
    assert "bytes" in refused.json()["message"]
    assert not in_bucket(key)
    upload.refresh_from_db()
    assert not upload.thumbnail
    s3.put_bytes(key, WEBP, content_type="image/png")
    assert alice.post(f"/api/uploads/{upload.id}/thumbnail/confirm").status_code == 422
    assert not in_bucket(key)


@pytest.mark.django_db
def test_file_list_shows_a_working_thumbnail_url(alice, user):
    plain = ready_file(user, name="notes.pdf")
    upload = with_thumbnail(alice, ready_file(user, name="photo.png", content_type="image/png"))
    files = {item["id"]: item for item in alice.get("/api/files").json()["files"]}
    assert files[str(plain.id)]["thumbnail"] is None
    fetched = requests.get(files[str(upload.id)]["thumbnail"], timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == WEBP
    assert fetched.headers["Content-Type"] == "image/webp"
    assert fetched.headers["Content-Disposition"] == "inline"


@pytest.mark.django_db
def test_file_list_signs_thumbnails_without_a_query_per_file(alice, user):
    with_thumbnail(alice, ready_file(user, name="a.png", content_type="image/png"))
    with CaptureQueriesContext(connection) as one:
        assert alice.get("/api/files").status_code == 200
        assert alice.get("/").status_code == 200
    for name in ("b.png", "c.png"):
        with_thumbnail(alice, ready_file(user, name=name, content_type="image/png"))
    with CaptureQueriesContext(connection) as three:
        answer = alice.get("/api/files")
        page = alice.get("/")
    assert all(item["thumbnail"] for item in answer.json()["files"])
    assert page.content.count(b'class="thumb"') == 3
    assert len(three) == len(one)


@pytest.mark.django_db
def test_deleting_a_file_removes_its_thumbnail(alice, user):
    upload = with_thumbnail(alice, ready_file(user))
    key = thumbnails.key_for(upload)
    assert in_bucket(key)
    assert alice.delete(f"/api/uploads/{upload.id}").status_code == 204
    assert not in_bucket(key)


@pytest.mark.django_db
def test_guest_sends_a_thumbnail_for_the_file_they_delivered(user):
    made = owners.create(user, title="Photos", expires_in=3600)
    guest = Client()
    assert guest.get(f"/r/{made.token}").status_code == 200
    started = post_json(
        guest,
        f"/r/{made.token}/uploads",
        {"name": "a.png", "size": 8, "content_type": "image/png"},
    )
    assert started.status_code == 201, started.content
    issued = started.json()
    assert send(issued["post"], b"\x89PNG....").status_code == 201
    assert guest.post(issued["links"]["confirm"]).status_code == 200
    answer = post_json(
        guest, issued["links"]["thumbnail"], {"content_type": "image/webp", "size": len(WEBP)}
    )
    assert answer.status_code == 201, answer.content
    assert send(answer.json()["post"], WEBP).status_code == 201
    confirmed = guest.post(issued["links"]["thumbnail"] + "/confirm")
    assert confirmed.status_code == 200
    assert requests.get(confirmed.json()["thumbnail"], timeout=30).content == WEBP
    # Another session cannot.
    stranger = Client()
    stranger.get(f"/r/{made.token}")
    refused = post_json(
        stranger, issued["links"]["thumbnail"], {"content_type": "image/webp", "size": 9}
    )
    assert refused.status_code == 404


# --- The cleanup ------------------------------------------------------------------------------


def after_every_url(upload: Upload):
    return timezone.now() + cleanup.minimum_age() + timedelta(minutes=1)


@pytest.mark.django_db
def test_cleanup_keeps_a_ready_files_thumbnail_and_removes_an_orphaned_one(own_bucket, alice, user):
    upload = with_thumbnail(alice, ready_file(user))
    key = thumbnails.key_for(upload)
    found = cleanup.cleanup(now=after_every_url(upload))
    assert key not in {item.key for item in found.strays}
    assert in_bucket(key)
    # A thumbnail POST may still write after its file is gone: the cleanup removes what it left.
    Upload.objects.filter(pk=upload.pk).delete()
    found = cleanup.cleanup(now=after_every_url(upload))
    assert key in {item.key for item in found.strays}
    assert not in_bucket(key)


@pytest.mark.django_db
def test_cleanup_removes_a_thumbnail_that_was_never_confirmed(own_bucket, alice, user):
    upload = ready_file(user)
    assert send(ask(alice, upload).json()["post"], WEBP).status_code == 201
    cleanup.cleanup(now=after_every_url(upload))
    assert not in_bucket(thumbnails.key_for(upload))
    assert in_bucket(upload.file.name)


# --- Open ---------------------------------------------------------------------------------------


def follow(response) -> requests.Response:
    assert response.status_code == 302, response.content
    return requests.get(response["Location"], timeout=30)


@pytest.mark.django_db
def test_open_shows_a_png_inline(alice, user):
    upload = ready_file(user, b"\x89PNG....", name="photo.png", content_type="image/png")
    fetched = follow(alice.get(f"/files/{upload.id}/view"))
    assert fetched.headers["Content-Disposition"].startswith("inline;")
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.content == b"\x89PNG...."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content_type"),
    [("page.html", "text/html"), ("logo.svg", "image/svg+xml"), ("x.bin", "application/x-foo")],
)
def test_open_serves_everything_else_as_a_download(alice, user, name, content_type):
    upload = ready_file(user, b"<h1>hi</h1>", name=name, content_type=content_type)
    fetched = follow(alice.get(f"/files/{upload.id}/view"))
    assert fetched.headers["Content-Disposition"].startswith("attachment;")
    assert fetched.headers["Content-Type"] in {"application/octet-stream", content_type}
    assert fetched.headers["Content-Type"] != "text/html"


@pytest.mark.django_db
def test_open_is_the_owners_alone(mallory, user):
    upload = ready_file(user, b"\x89PNG....", name="photo.png", content_type="image/png")
    assert mallory.get(f"/files/{upload.id}/view").status_code == 404


@pytest.mark.django_db
def test_opening_a_shared_file_is_inline_and_counts_a_download(client, user):
    png = ready_file(user, b"\x89PNG....", name="photo.png", content_type="image/png")
    made = single.create_share(png, max_downloads=1)
    fetched = follow(client.post(f"/s/{made.token}/view", {"file": str(png.id)}))
    assert fetched.headers["Content-Disposition"].startswith("inline;")
    assert Share.objects.get(pk=made.share.pk).downloads == 1
    assert client.post(f"/s/{made.token}/view").status_code == 410  # used up


@pytest.mark.django_db
def test_opening_an_html_file_of_a_several_file_link_is_an_attachment(client, user):
    page = ready_file(user, b"<h1>hi</h1>", name="page.html", content_type="text/html")
    png = ready_file(user, b"\x89PNG....", name="photo.png", content_type="image/png")
    made = multi.create(user, [str(page.id), str(png.id)], expires_in=3600)
    fetched = follow(client.post(f"/s/{made.token}/view", {"file": str(page.id)}))
    assert fetched.headers["Content-Disposition"].startswith("attachment;")
    inline = follow(client.post(f"/s/{made.token}/view", {"file": str(png.id)}))
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert Share.objects.get(pk=made.share.pk).downloads == 2
    assert client.get(f"/s/{made.token}/view").status_code == 405  # a form post, never a link


@pytest.mark.django_db
def test_landing_page_shows_the_thumbnail_without_counting_a_download(alice, client, user):
    png = with_thumbnail(alice, ready_file(user, name="photo.png", content_type="image/png"))
    made = single.create_share(png, max_downloads=1)
    landing = client.get(f"/s/{made.token}").content.decode()
    src = unescape(re.search(r'<img class="thumb large" src="([^"]+)"', landing)[1])
    assert requests.get(src, timeout=30).content == WEBP
    assert 'aria-label="Open photo.png"' in landing
    assert Share.objects.get(pk=made.share.pk).downloads == 0
    locked = single.create_share(png, password="open sesame")
    assert 'class="thumb' not in client.get(f"/s/{locked.token}").content.decode()
