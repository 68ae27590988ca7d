"""`GET /api/files`: the caller's ready files, newest first, one page per cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from files.models import Upload
from tests.helpers import post_json, post_to_bucket, ready_file


@pytest.mark.django_db
def test_files_are_listed_newest_first_across_pages_without_repeats(
    alice, user, other_user, settings
):
    settings.CHUTE_PAGE_SIZE = 2
    made = [ready_file(user, f"file {n}".encode(), name=f"{n}.txt") for n in range(5)]
    base = timezone.now()
    for n, upload in enumerate(made):  # distinct, known confirmation times; two share one
        Upload.objects.filter(pk=upload.pk).update(confirmed_at=base + timedelta(minutes=min(n, 3)))
    ready_file(other_user, b"not yours")
    Upload.objects.create(
        owner=user,
        key="users/x/pending",
        name="pending",
        size=1,
        content_type="text/plain",
        method="post",
        expires_at=base,
    )

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        answer = alice.get("/api/files", {"cursor": cursor} if cursor else {}).json()
        seen += [f["name"] for f in answer["files"]]
        assert len(answer["files"]) <= 2
        cursor = answer["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"{n}.txt" for n in range(5))
    assert len(seen) == len(set(seen))
    assert seen[:2] in (["4.txt", "3.txt"], ["3.txt", "4.txt"])
    assert seen[-1] == "0.txt"


@pytest.mark.django_db
def test_one_file_is_read_by_id_and_others_are_404(alice, mallory, user):
    upload = ready_file(user, b"hello", name="a.txt", content_type="text/plain")
    answer = alice.get(f"/api/files/{upload.id}").json()
    assert answer == {
        "id": str(upload.id),
        "name": "a.txt",
        "size": 5,
        "content_type": "text/plain",
        "sha256": None,
        "confirmed_at": upload.confirmed_at.isoformat(),
        "path": "a.txt",
        "thumbnail": None,  # as in GET /api/files: one file, one shape
        "encrypted": False,
        "meta": None,
    }
    assert mallory.get(f"/api/files/{upload.id}").status_code == 404


@pytest.mark.django_db
def test_a_foreign_cursor_is_refused_with_a_sentence(alice):
    response = alice.get("/api/files", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["message"]


@pytest.mark.django_db
def test_a_file_keeps_the_folders_it_was_chosen_in(alice):
    issued = post_json(
        alice,
        "/api/uploads",
        {"name": "a.jpg", "size": 5, "content_type": "image/jpeg", "path": "trip/../2024/./a.jpg"},
    ).json()
    assert post_to_bucket(issued, b"bytes").status_code == 201
    assert alice.post(f"/api/uploads/{issued['id']}/confirm").status_code == 200
    assert Upload.objects.get(pk=issued["id"]).folder == "trip/2024"
    listed = alice.get("/api/files").json()["files"]
    assert [(f["name"], f["path"]) for f in listed] == [("a.jpg", "trip/2024/a.jpg")]
    page = alice.get("/").content.decode()
    assert '<span class="folder muted">trip/2024/</span>a.jpg' in page
