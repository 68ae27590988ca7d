"""GET /metrics: Prometheus text behind a bearer token, and the numbers move with the traffic."""

from __future__ import annotations

import os

import pytest
import requests
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from files.tasks.cleanup import settle_and_clean
from tests.helpers import post_json, post_to_bucket, start
from tests.integration.test_uppy_routes import BASE, MiB, create, params, post_form, put_parts

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def metrics_on(settings):
    settings.CHUTE_METRICS_TOKEN = TOKEN


def scrape() -> dict[str, float]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{key}={value}" for key, value in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def moved(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {
        name: after[name] - before.get(name, 0)
        for name in after
        if after[name] != before.get(name, 0) and not name.endswith("_created")
    }


@pytest.mark.django_db
def test_metrics_are_off_without_a_token_setting(settings):
    settings.CHUTE_METRICS_TOKEN = ""
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert b"CHUTE_METRICS_TOKEN" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", TOKEN, f"Basic {TOKEN}"])
def test_metrics_want_the_bearer_token(metrics_on, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"chute_" not in response.content


@pytest.mark.django_db(transaction=True)  # files are counted once their registration commits
def test_an_upload_a_download_a_refusal_and_a_lockout_move_the_numbers(
    metrics_on, alice, client, settings
):
    before = scrape()

    data = os.urandom(3000)
    issued = start(alice, size=len(data))
    assert post_to_bucket(issued, data).status_code == 201
    assert post_json(alice, f"/api/uploads/{issued['id']}/confirm", {}).status_code == 200
    # Confirming again (a retry) answers the same and registers nothing more.
    assert post_json(alice, f"/api/uploads/{issued['id']}/confirm", {}).status_code == 200
    shared = post_json(alice, f"/api/files/{issued['id']}/shares", {"expires_in": 3600})
    token = shared.json()["url"].rsplit("/", 1)[1]
    download = client.post(f"/s/{token}/download")
    assert requests.get(download["Location"], timeout=30).content == data

    never_sent = start(alice, size=10)  # confirmed with no bytes in the bucket: refused
    assert post_json(alice, f"/api/uploads/{never_sent['id']}/confirm", {}).status_code >= 400

    settings.AXES_FAILURE_LIMIT = 2
    wrong = {"username": "alice", "password": "wrong"}
    assert Client().post("/accounts/login/", wrong, REMOTE_ADDR="198.51.100.77").status_code == 200
    assert Client().post("/accounts/login/", wrong, REMOTE_ADDR="198.51.100.77").status_code == 429
    queued = scrape()["chute_task_queue_depth"]  # the file's events queued their dispatch
    settle_and_clean.enqueue()

    after = scrape()
    changes = moved(before, after)
    assert changes["chute_uploads_started_total"] == 2
    assert changes["chute_uploads_confirmed_total"] == 1
    assert changes["chute_uploads_failed_total"] == 1
    assert changes["chute_bytes_registered_total"] == len(data)
    assert changes["chute_share_downloads_total"] == 1
    assert changes["chute_throttle_refusals_total{what=sign_in}"] == 1
    assert changes["chute_confirm_seconds_count"] == 3
    assert changes["chute_sign_seconds_count{step=start}"] == 2
    # Gauges from the database, whichever worker answers.
    assert changes["chute_files_ready"] == 1
    assert changes["chute_bytes_stored"] == len(data)
    assert after["chute_uploads_pending"] >= 1
    assert after["chute_task_queue_depth"] - queued == 1
    assert "chute_task_failures" in after
    assert "chute_uploads_abandoned" in after


@pytest.mark.django_db(transaction=True)  # bytes are counted once the registration commits
def test_uppy_uploads_count_their_bytes_once_each(metrics_on, alice):
    before = scrape()

    data = os.urandom(5 * MiB + 7)
    created = create(alice, "movie.mkv", "video/x-matroska", size=str(len(data))).json()
    upload_id, key = created["uploadId"], created["key"]
    parts = put_parts(alice, upload_id, key, data, 5 * MiB)
    complete = f"{BASE}/multipart/{upload_id}/complete?key={key}"
    assert post_json(alice, complete, {"parts": parts}).status_code == 200
    assert post_json(alice, complete, {"parts": parts}).status_code == 200  # a retry
    # A single POST: Uppy says nothing after it; the owner's next Uppy call registers it.
    small = os.urandom(3000)
    answer = params(alice, "notes.txt", "text/plain", size=str(len(small))).json()
    assert post_form(answer, small).status_code == 201
    params(alice, "next.txt", "text/plain", size="5")

    changes = moved(before, scrape())
    assert changes["chute_bytes_registered_total"] == len(data) + len(small)
    assert changes["chute_uploads_confirmed_total"] == 2
