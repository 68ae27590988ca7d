"""Every list page and API list costs the same few SQL queries for 1 row as for 50.

A column the listing forgets to load (a deferred field read by the template, a relation read
per row) turns a page into one query per row shown; this counts them, through the whole
middleware stack, so such a change fails here instead of in bench/scale.py weeks later.

A new list is one more line in LISTS: its address, and a function that gives an owner `n`
rows and returns a text each row shows (the test checks every one is on the answer, so a page
that shows nothing cannot pass by costing nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from files.accounts import tokens
from files.models import Delivery, Event, Share, ShareFile, Upload, Webhook
from files.shares import single
from files.upload_requests import owners

MAX_QUERIES = 6
ROWS = (1, 50)

Seed = Callable[..., list[str]]


def _files(owner, n: int, *, request=None, prefix: str = "file") -> list[Upload]:
    """`n` ready files, varied like real ones: in folders, sent through a request, a thumbnail."""
    now = timezone.now()
    rows = []
    for index in range(n):
        upload_id = uuid.uuid4()
        key = f"users/{owner.pk}/{upload_id.hex}"
        rows.append(
            Upload(
                id=upload_id,
                owner=owner,
                key=key,
                file=key,
                name=f"{prefix}-{index:03}.bin",
                folder=f"trip/day-{index}" if index % 2 else "",
                size=1000 + index,
                content_type="image/jpeg",
                method=Upload.Method.POST,
                status=Upload.Status.READY,
                expires_at=now,
                confirmed_at=now - timedelta(seconds=index),
                request=request,
                sender_name="Guest" if request else "",
                thumbnail=f"{key}.thumb" if index % 3 == 0 else "",
                thumbnail_type="image/webp" if index % 3 == 0 else "",
            )
        )
    return Upload.objects.bulk_create(rows)


def seed_files(owner, n: int) -> list[str]:
    sent = owners.create(owner, title="Scans", expires_in=3600).row
    made = _files(owner, n // 2) + _files(owner, n - n // 2, request=sent, prefix="sent")
    return [upload.name for upload in made]


def seed_links(owner, n: int) -> list[str]:
    """Half one-file links, half links to two files (each kind reads its files differently)."""
    files = _files(owner, n + 1)
    names = []
    for index in range(n):
        if index % 2:
            share_id = uuid.uuid4()
            share = Share.objects.create(
                id=share_id,
                owner=owner,
                multi=True,
                name=f"link-{index:03} and 1 more",
                expires_at=timezone.now() + timedelta(days=1),
                **single.new_link(share_id),
            )
            ShareFile.objects.bulk_create(
                [
                    ShareFile(share=share, upload=files[index], position=0),
                    ShareFile(share=share, upload=files[index + 1], position=1),
                ]
            )
        else:
            single.create_share(files[index])
        names.append(files[index].name)
    return names


def seed_requests(owner, n: int) -> list[str]:
    titles = []
    for index in range(n):
        row = owners.create(owner, title=f"request-{index:03}", expires_in=3600).row
        if index % 2:
            _files(owner, 2, request=row, prefix=f"r{index:03}")
        titles.append(row.title)
    return titles


def seed_tokens(owner, n: int) -> list[str]:
    return [tokens.create(owner, name=f"token-{index:03}").row.name for index in range(n)]


def seed_webhooks(owner, n: int) -> list[str]:
    """`n` webhooks (past the per-account cap: the count is what is measured), each with two
    deliveries shown on the page and in the API."""
    hooks = Webhook.objects.bulk_create(
        Webhook(owner=owner, url=f"https://hooks.example.com/{index:03}", events=["file.ready"])
        for index in range(n)
    )
    events = Event.objects.bulk_create(
        Event(owner=owner, type="file.ready", data={"index": index}) for index in range(2)
    )
    Delivery.objects.bulk_create(
        Delivery(webhook=hook, event=event, next_attempt_at=timezone.now(), last_status_code=200)
        for hook in hooks
        for event in events
    )
    return [hook.url for hook in hooks]


# (address, seed): one line a list. Pages and their API lists side by side.
LISTS: dict[str, tuple[str, Seed]] = {
    "files page": ("/", seed_files),
    "GET /api/files": ("/api/files", seed_files),
    "links page": ("/links/", seed_links),
    "GET /api/shares": ("/api/shares", seed_links),
    "requests page": ("/requests/", seed_requests),
    "GET /api/requests": ("/api/requests", seed_requests),
    "tokens page": ("/tokens/", seed_tokens),
    "GET /api/tokens": ("/api/tokens", seed_tokens),
    "webhooks page": ("/webhooks/", seed_webhooks),
    "GET /api/webhooks": ("/api/webhooks", seed_webhooks),
}


def count_queries(path: str, seed: Seed, rows: int, django_user_model) -> int:
    owner = django_user_model.objects.create_user(f"owner-{rows}-{uuid.uuid4().hex[:6]}")
    shown = seed(owner, rows)
    assert len(shown) == rows
    client = Client()
    client.force_login(owner)
    client.get("/healthz")  # the session row and anything cached per process, read once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    body = response.content.decode()
    missing = [text for text in shown if text not in body]
    assert not missing, f"{path} does not show {missing[:3]}"
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_few_queries_for_one_row_and_for_fifty(
    name, settings, django_user_model
):
    settings.CHUTE_PAGE_SIZE = 50
    path, seed = LISTS[name]
    counts = {rows: count_queries(path, seed, rows, django_user_model) for rows in ROWS}
    assert counts[1] == counts[50], f"{name}: {counts} queries for 1 and 50 rows"
    assert counts[50] <= MAX_QUERIES, f"{name}: {counts[50]} queries"
