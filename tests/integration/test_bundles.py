"""Share links to several files (files/shares/multi.py) against SeaweedFS: make, land, fetch, count, delete."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from files import errors
from files.lifecycle import delete
from files.models import Share, ShareFile
from files.shares import multi
from tests.helpers import form_once, post_json, race, ready_file


def three_files(user):
    return [
        ready_file(user, f"file {n} ".encode() * (n + 1), name=f"part-{n}.txt") for n in range(3)
    ]


def make_link(client, files, **options) -> str:
    body = {"files": [str(f.id) for f in files], "expires_in": 3600, **options}
    response = post_json(client, "/api/shares", body)
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "url", "expires_at", "max_downloads"}
    return urlsplit(response.json()["url"]).path


@pytest.mark.django_db
def test_a_link_to_three_files_lists_each_and_hands_out_each_ones_bytes(alice, user):
    files = three_files(user)
    path = make_link(alice, files)
    visitor = Client()

    landing = visitor.get(path)
    assert landing.status_code == 200
    text = landing.content.decode()
    for upload in files:
        assert upload.name in text and f'value="{upload.id}"' in text
    assert "Download all" in text

    for upload in files:
        fetched = visitor.post(f"{path}/download", {"file": str(upload.id)})
        assert fetched.status_code == 302
        got = requests.get(fetched["Location"], timeout=30)
        with upload.file.open("rb") as stored:
            assert got.content == stored.read() and got.content.startswith(b"file ")
    assert Share.objects.get().downloads == 3


@pytest.mark.django_db
def test_max_downloads_counts_each_file_fetched(alice, user):
    files = three_files(user)
    path = make_link(alice, files, max_downloads=1)
    visitor = Client()

    assert visitor.post(f"{path}/download", {"file": str(files[0].id)}).status_code == 302
    again = visitor.post(f"{path}/download", {"file": str(files[0].id)})
    assert again.status_code == 410  # that file was fetched its once
    assert visitor.get(path).status_code == 200  # the others are still there
    for upload in files[1:]:
        assert visitor.post(f"{path}/download", {"file": str(upload.id)}).status_code == 302
    used_up = visitor.get(path)
    assert used_up.status_code == 410 and b"used up" in used_up.content


@pytest.mark.django_db
def test_a_multi_file_download_must_name_one_of_its_files(alice, user):
    files = three_files(user)
    other = ready_file(user, b"not shared", name="other.txt")
    path = make_link(alice, files)
    assert Client().post(f"{path}/download").status_code == 404
    assert Client().post(f"{path}/download", {"file": str(other.id)}).status_code == 404
    assert Client().post(f"{path}/download", {"file": "nope"}).status_code == 404
    assert Share.objects.get().downloads == 0


@pytest.mark.django_db
def test_deleting_files_takes_them_off_the_link_then_the_link_is_gone(alice, user):
    files = three_files(user)
    path = make_link(alice, files)

    delete.delete(files[0])
    landing = Client().get(path)
    assert landing.status_code == 200
    assert (
        files[0].name not in landing.content.decode() and files[1].name in landing.content.decode()
    )
    assert Client().post(f"{path}/download", {"file": str(files[0].id)}).status_code == 404

    for upload in files[1:]:
        delete.delete(upload)
    gone = Client().get(path)
    assert gone.status_code == 410
    assert b"The shared files were deleted" in gone.content


@pytest.mark.django_db
def test_only_the_callers_ready_files_can_be_shared(alice, mallory, user):
    files = three_files(user)
    refused = post_json(
        mallory, "/api/shares", {"files": [str(files[0].id), str(files[1].id)], "expires_in": 60}
    )
    assert refused.status_code == 404
    for bad in ([], [str(uuid.uuid4())], ["not-an-id"]):
        response = post_json(alice, "/api/shares", {"files": bad, "expires_in": 60})
        assert 400 <= response.status_code < 500 and set(response.json()) == {"error", "message"}
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_one_id_makes_an_ordinary_one_file_link(alice, user):
    upload = ready_file(user)
    path = make_link(alice, [upload])
    share = Share.objects.get()
    assert (share.multi, share.upload) == (False, upload)
    assert Client().post(f"{path}/download").status_code == 302


@pytest.mark.django_db
def test_a_password_protected_multi_file_link_asks_for_it(alice, user):
    files = three_files(user)
    path = make_link(alice, files, password="s3cret")
    assert b'name="password"' in Client().get(path).content
    refused = Client().post(f"{path}/download", {"file": str(files[0].id), "password": "no"})
    assert refused.status_code == 403
    ok = Client().post(f"{path}/download", {"file": str(files[0].id), "password": "s3cret"})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_the_share_selected_dialog_makes_one_link_to_the_ticked_files(alice, mallory, user):
    files = three_files(user)
    query = "&".join(f"files={f.id}" for f in files)
    dialog = alice.get(f"/shares/new?{query}", headers={"HX-Request": "true"})
    assert dialog.status_code == 200 and b"Share 3 files with one link" in dialog.content
    assert mallory.get(f"/shares/new?{query}").status_code == 404

    made = alice.post(
        "/shares/new",
        {
            "files": [str(f.id) for f in files],
            "expires": "3600",
            "max_downloads": "2",
            "once": form_once(alice, f"/shares/new?{query}"),
        },
        headers={"HX-Request": "true"},
    )
    assert made.status_code == 200
    share = Share.objects.get()
    assert share.multi and share.max_downloads == 2
    assert list(share.entries.values_list("upload_id", flat=True)) == [f.id for f in files]
    assert b"http://testserver/s/" in made.content


@pytest.mark.django_db(transaction=True)
def test_concurrent_downloads_of_one_file_never_pass_its_count(user):
    files = three_files(user)
    new = multi.create(user, [str(f.id) for f in files], expires_in=3600, max_downloads=2)

    results = race(
        6, lambda _: multi.claim_file(Share.objects.get(pk=new.share.pk), str(files[0].id))
    )

    gone = [result for result in results if isinstance(result, errors.LinkGone)]
    claimed = [result for result in results if not isinstance(result, Exception)]
    assert (len(claimed), len(gone)) == (2, 4), results
    assert ShareFile.objects.get(share=new.share, upload=files[0]).downloads == 2


@pytest.mark.django_db
def test_share_selected_with_nothing_ticked_says_so_in_the_dialog(alice):
    dialog = alice.get("/shares/new", headers={"HX-Request": "true"})
    assert dialog.status_code == 200  # htmx swaps only 2xx answers in: a 404 would show nothing
    body = dialog.content.decode()
    assert "<dialog" in body and "No files selected" in body
    assert '<form class="share-form"' not in body
