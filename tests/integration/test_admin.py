"""The Upload admin: useful list, search that never breaks, and deletes that remove bytes."""

from __future__ import annotations

import pytest

from files.models import Upload
from files.upload_requests import owners
from tests.helpers import in_bucket, ready_file


@pytest.mark.django_db
def test_changelist_shows_size_status_and_owner(admin_client, user):
    ready_file(user)

    page = admin_client.get("/admin/files/upload/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "report.pdf" in text
    assert "11 bytes" in text
    assert "alice" in text


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["report", "alice", "users/", "not-a-uuid", "ready"])
def test_search_answers_for_any_text(admin_client, user, query):
    ready_file(user)
    assert admin_client.get("/admin/files/upload/", {"q": query}).status_code == 200


@pytest.mark.django_db
def test_search_by_id_finds_the_upload(admin_client, user):
    upload = ready_file(user)
    ready_file(user, name="other.pdf")

    text = admin_client.get("/admin/files/upload/", {"q": str(upload.pk)}).content.decode()

    assert "report.pdf" in text
    assert "other.pdf" not in text


@pytest.mark.django_db
def test_filter_by_status(admin_client, user):
    ready_file(user)
    page = admin_client.get("/admin/files/upload/", {"status__exact": "pending"})
    assert page.status_code == 200
    assert "report.pdf" not in page.content.decode()


@pytest.mark.django_db
def test_deleting_one_upload_in_the_admin_deletes_its_bytes(admin_client, user):
    upload = ready_file(user)

    response = admin_client.post(f"/admin/files/upload/{upload.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not in_bucket(upload.file.name)


@pytest.mark.django_db
def test_bulk_delete_in_the_admin_deletes_every_files_bytes(admin_client, user):
    kept = ready_file(user, name="kept.pdf")
    doomed = [ready_file(user, name=f"doomed-{n}.pdf") for n in range(3)]

    response = admin_client.post(
        "/admin/files/upload/",
        {
            "action": "delete_selected",
            "_selected_action": [str(upload.pk) for upload in doomed],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert list(Upload.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not any(in_bucket(upload.file.name) for upload in doomed)
    assert in_bucket(kept.file.name)


@pytest.mark.django_db
def test_upload_requests_are_listed_with_state_and_files_and_closed_in_bulk(admin_client, user):

    first = owners.create(user, title="Scans", expires_in=3600, password="pw").row
    second = owners.create(user, title="Photos", expires_in=3600).row
    sent = ready_file(user, name="scan.pdf")
    Upload.objects.filter(pk=sent.pk).update(request=first, sender_name="Bob")

    listing = admin_client.get("/admin/files/uploadrequest/")
    text = listing.content.decode()
    assert listing.status_code == 200
    assert "Scans" in text and "Photos" in text and "Open" in text
    assert first.token_hash not in text and first.password not in text
    detail = admin_client.get(f"/admin/files/uploadrequest/{first.pk}/change/").content.decode()
    assert first.token_hash not in detail and first.password not in detail

    closed = admin_client.post(
        "/admin/files/uploadrequest/",
        {"action": "close_requests", "_selected_action": [str(first.pk), str(second.pk)]},
        follow=True,
    )
    assert "Closed 2 requests." in closed.content.decode()
    assert not owners.requests_of(user).filter(closed_at__isnull=True).exists()
