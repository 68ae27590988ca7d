"""Events and webhooks against real parts: files in SeaweedFS, a real HTTP receiver on
127.0.0.1 that verifies Standard Webhooks signatures, the API and the page.

The worker-level flows (a worker killed mid-delivery, the RQ backend) are in
test_webhook_workers.py.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from datetime import timedelta

import pytest
import trustme
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from files import s3
from files.accounts import tokens
from files.errors import LinkGone
from files.lifecycle import cleanup
from files.models import Delivery, Event, Upload, Webhook
from files.shares import multi, single
from files.uploads import confirm, declarations
from files.uploads.start import start_upload
from files.webhooks import delivery, dispatch, registration, signing
from tests.helpers import form_once, post_json, race, ready_file
from tests.integration import webhook_receiver
from tests.integration.test_cleanup import later, single_upload
from tests.integration.test_requests import Guest, make_request, send_small
from tests.integration.workers import run_worker


@pytest.fixture
def receiver() -> Iterator[webhook_receiver.Receiver]:
    yield from webhook_receiver.serve()


@pytest.fixture
def allow_private(settings) -> None:
    settings.CHUTE_WEBHOOK_ALLOW_PRIVATE = True


def events_of(kind: str) -> list[Event]:
    return list(Event.objects.filter(type=kind))


# --- Events: exactly once per READY file and per counted download ---------------------------


@pytest.mark.django_db
def test_owner_confirm_records_file_ready_once_even_when_confirmed_again(user):
    upload = ready_file(user, b"twelve bytes", name="notes.txt", content_type="text/plain")
    confirm.confirm(upload)  # a repeated confirm (a retrying client)
    confirm.confirm(Upload.objects.get(pk=upload.pk))

    [event] = events_of("file.ready")
    assert event.owner == user
    assert event.data == {
        "file": {
            "id": str(upload.id),
            "name": "notes.txt",
            "size": 12,
            "content_type": "text/plain",
            "sha256": None,
        }
    }
    assert not events_of("request.received")


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_record_one_file_ready(user):
    upload = start_upload(
        user,
        declarations.Declaration(name="a.bin", size=4, content_type="application/octet-stream"),
    ).upload
    s3.put_bytes(upload.key, b"data")

    results = race(4, lambda _: confirm.confirm(Upload.objects.get(pk=upload.pk)).status)

    assert results == ["ready"] * 4
    assert len(events_of("file.ready")) == 1


@pytest.mark.django_db
def test_guest_upload_records_file_ready_and_request_received_once(user):
    request, token = make_request(user, title="Scans")
    guest = Guest(token)
    guest.client.post(f"/r/{token}", {"sender_name": "Bea"})
    sent = send_small(guest)
    for _ in range(2):
        answer = guest.call("post", f"/r/{token}/uploads/{sent['id']}/confirm")
        assert answer.status_code == 200, answer.content

    [ready] = events_of("file.ready")
    [received] = events_of("request.received")
    assert ready.owner == received.owner == user
    assert received.data["request"] == {"id": str(request.id), "title": "Scans"}
    assert received.data["file"]["id"] == sent["id"]
    assert received.data["sender_name"] == "Bea"


@pytest.mark.django_db
def test_cleanup_registering_a_landed_upload_records_file_ready_once(own_bucket, user):
    landed = single_upload(user)  # the bytes came; the confirm never did

    found = cleanup.cleanup(now=later(landed))
    cleanup.cleanup(now=later(landed))

    assert [item.pk for item in found.registered] == [landed.pk]
    [event] = events_of("file.ready")
    assert event.data["file"]["id"] == str(landed.pk)


@pytest.mark.django_db
def test_each_counted_download_records_one_event_and_a_refused_one_none(user):
    upload = ready_file(user, name="report.pdf")
    share = single.create_share(upload, expires_in=600, max_downloads=2).share
    for _ in range(2):
        single.claim_download(share)
    with pytest.raises(LinkGone):
        single.claim_download(share)  # used up: not counted, no event

    events = events_of("share.downloaded")
    assert [event.data["share"]["downloads"] for event in events] == [1, 2]
    assert events[0].data == {
        "share": {"id": str(share.id), "downloads": 1, "max_downloads": 2},
        "files": [{"id": str(upload.id), "name": "report.pdf"}],
    }


@pytest.mark.django_db(transaction=True)
def test_a_counted_download_enqueues_one_task_that_dispatches_and_collects_its_event(user):
    share = single.create_share(ready_file(user, name="report.pdf"), expires_in=600).share
    DBTaskResult.objects.all().delete()  # what the file's confirm enqueued
    single.claim_download(share)  # commits: one task takes its event in, for every package

    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "files.tasks.events.take_in"
    run_worker()
    [event] = events_of("share.downloaded")
    assert event.dispatched_at is not None  # the webhooks' dispatcher saw it
    assert event.noticed_at is not None  # the notifications' collector too


@pytest.mark.django_db
def test_a_download_of_one_file_of_a_multi_file_link_records_one_event(user):
    first, second = ready_file(user, name="a.pdf"), ready_file(user, name="b.pdf")
    share = multi.create(user, [str(first.id), str(second.id)], expires_in=600).share
    multi.claim_file(share, str(second.id))

    [event] = events_of("share.downloaded")
    assert event.data["files"] == [{"id": str(second.id), "name": "b.pdf"}]
    assert event.data["share"]["downloads"] == 1


@pytest.mark.django_db
def test_event_data_holds_ids_and_names_never_a_url_or_token(user):
    upload = ready_file(user)
    new = single.create_share(upload, expires_in=600)
    single.claim_download(new.share)
    text = json.dumps([event.data for event in Event.objects.all()])
    assert "http" not in text and new.token not in text and upload.key not in text


# --- The API --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_list_and_delete_a_webhook(alice, user, allow_private, receiver):
    created = post_json(alice, "/api/webhooks", {"url": receiver.url, "events": ["file.ready"]})
    assert created.status_code == 201, created.content
    answer = created.json()
    assert set(answer) == {"id", "url", "events", "secret", "created_at"}
    assert answer["url"] == receiver.url and answer["events"] == ["file.ready"]
    row = Webhook.objects.get(pk=answer["id"])
    # The secret is derived from the id, Standard Webhooks' form, and never stored.
    assert answer["secret"].startswith("whsec_") and answer["secret"] == signing.secret(row)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM files_webhook")
        assert answer["secret"][6:] not in repr(cursor.fetchall())

    listed = alice.get("/api/webhooks").json()["webhooks"]
    assert [item["id"] for item in listed] == [answer["id"]]
    assert "secret" not in listed[0] and listed[0]["deliveries"] == []

    assert alice.delete(f"/api/webhooks/{answer['id']}").status_code == 204
    assert alice.delete(f"/api/webhooks/{answer['id']}").status_code == 404
    assert alice.get("/api/webhooks").json() == {"webhooks": []}


@pytest.mark.django_db
def test_list_shows_the_latest_deliveries_and_their_answers(alice, user, allow_private, receiver):
    new = registration.create(user, url=receiver.url, events=["file.ready"])
    receiver.secret, receiver.first_status = new.secret, 500
    ready_file(user)
    dispatch.dispatch()
    delivery.attempt(Delivery.objects.get().pk)

    [item] = alice.get("/api/webhooks").json()["webhooks"]
    [shown] = item["deliveries"]
    assert shown["event_id"] == Event.objects.get().webhook_id
    assert (shown["type"], shown["status"], shown["attempts"]) == ("file.ready", "pending", 1)
    assert shown["last_status_code"] == 500 and shown["last_error"] == "Answered 500."
    assert shown["next_attempt_at"] and shown["last_attempt_at"]


@pytest.mark.django_db
def test_an_api_token_may_manage_webhooks_and_others_cannot_see_them(client, user, other_user):
    token = tokens.create(user, name="ci").token
    bearer = {"Authorization": f"Bearer {token}"}
    answer = client.post(
        "/api/webhooks",
        json.dumps({"url": "https://93.184.215.14/hooks", "events": ["share.downloaded"]}),
        content_type="application/json",
        headers=bearer,
    )
    assert answer.status_code == 201, answer.content
    client.force_login(other_user)
    assert client.get("/api/webhooks").json() == {"webhooks": []}
    assert client.delete(f"/api/webhooks/{answer.json()['id']}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"url": "http://93.184.215.14/", "events": ["file.ready"]}, "invalid_webhook", "https"),
        (
            {"url": "https://93.184.215.14/", "events": ["file.sent"]},
            "invalid_webhook",
            "Unknown event",
        ),
        ({"url": "https://93.184.215.14/", "events": []}, "invalid_webhook", "at least one"),
        (
            {"url": "https://u:p@93.184.215.14/", "events": ["file.ready"]},
            "invalid_webhook",
            "password",
        ),
        ({"url": "https://exa mple.com/", "events": ["file.ready"]}, "invalid_webhook", "spaces"),
        ({"url": "https:///x", "events": ["file.ready"]}, "invalid_webhook", "name a host"),
        ({"url": "https://93.184.215.14/", "events": "file.ready"}, "invalid_webhook", "events"),
        ({"events": ["file.ready"]}, "invalid_webhook", "url"),
    ],
)
def test_bad_webhooks_are_refused_with_a_sentence(alice, body, code, words):
    answer = post_json(alice, "/api/webhooks", body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"] == code
    assert words in answer.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",  # a name: refused for what it resolves to
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",  # link-local: cloud metadata
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "[::1]",
        "[fe80::1]",
        "[fc00::1]",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::a00:1]",
    ],
)
def test_non_public_targets_are_refused_at_registration(alice, host):
    answer = post_json(
        alice, "/api/webhooks", {"url": f"https://{host}/x", "events": ["file.ready"]}
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"] == "webhook_target_refused"
    assert "public addresses only" in answer.json()["message"]
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_an_account_has_at_most_ten_webhooks(alice, user):
    for number in range(registration.MAX_WEBHOOKS):
        registration.create(user, url=f"https://93.184.215.14/{number}", events=["file.ready"])
    answer = post_json(
        alice, "/api/webhooks", {"url": "https://93.184.215.14/x", "events": ["file.ready"]}
    )
    assert answer.status_code == 400
    assert "delete one first" in answer.json()["message"]


# --- Delivery ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_delivery_failing_once_is_retried_with_the_same_webhook_id(
    user, allow_private, receiver
):
    new = registration.create(user, url=receiver.url, events=["file.ready", "request.received"])
    receiver.secret, receiver.first_status = new.secret, 500
    upload = ready_file(user)
    assert dispatch.dispatch() == 1
    pending = Delivery.objects.get()

    started = timezone.now()
    first = delivery.attempt(pending.pk)
    assert first is not None and not first.succeeded and first.status_code == 500
    assert first.next_attempt_at is not None
    assert first.next_attempt_at - started <= timedelta(minutes=1)  # the first retry
    assert delivery.attempt(pending.pk) is None  # not due yet
    second = delivery.attempt(pending.pk, now=first.next_attempt_at)  # the clock moved on
    assert second is not None and second.succeeded and second.status_code == 200

    event = Event.objects.get()
    assert receiver.ids() == [event.webhook_id, event.webhook_id]
    assert [item.status for item in receiver.received] == [500, 200]
    for item in receiver.received:  # each verified by the standardwebhooks verifier
        assert item.verified == {
            "type": "file.ready",
            "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": event.data,
        }
    assert receiver.received[0].verified["data"]["file"]["id"] == str(upload.id)
    done = Delivery.objects.get()
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 2, 200)


@pytest.mark.django_db
def test_delivery_refuses_a_name_that_resolves_to_loopback(user, settings, receiver):
    settings.CHUTE_WEBHOOK_ALLOW_PRIVATE = True
    url = receiver.url.replace("http://127.0.0.1", "https://localhost")
    receiver.secret = registration.create(user, url=url, events=["file.ready"]).secret
    ready_file(user)
    dispatch.dispatch()
    settings.CHUTE_WEBHOOK_ALLOW_PRIVATE = False  # e.g. the name moved to 127.0.0.1 since

    outcome = delivery.attempt(Delivery.objects.get().pk)

    assert outcome is not None and not outcome.succeeded and outcome.status_code is None
    assert "public addresses only" in outcome.error
    assert receiver.received == []
    assert Delivery.objects.get().status == "pending"  # tried again later, checked again


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(user, allow_private, receiver):
    receiver.secret = registration.create(user, url=receiver.url, events=["file.ready"]).secret
    receiver.first_status = 302
    ready_file(user)
    dispatch.dispatch()

    outcome = delivery.attempt(Delivery.objects.get().pk)

    assert outcome is not None and outcome.status_code == 302
    assert outcome.error == "Answered 302 (a redirect, not followed)."
    assert len(receiver.received) == 1  # nothing went to the Location


@pytest.mark.django_db
def test_delivery_gives_up_after_the_last_retry(user, allow_private, settings):
    settings.CHUTE_WEBHOOK_RETRY_DELAYS = [1]
    registration.create(user, url="http://127.0.0.1:9/closed", events=["file.ready"])
    ready_file(user)
    dispatch.dispatch()
    pk = Delivery.objects.get().pk

    first = delivery.attempt(pk)
    assert first is not None and first.next_attempt_at is not None
    assert first.error == "The connection was refused or could not be made."
    last = delivery.attempt(pk, now=first.next_attempt_at)

    assert last is not None and last.next_attempt_at is None
    assert Delivery.objects.get().status == "failed"


def test_the_default_retries_start_within_a_minute_and_last_over_a_day(settings):
    delays = settings.CHUTE_WEBHOOK_RETRY_DELAYS
    assert delays[0] <= 60
    assert sum(delays) >= 24 * 3600
    assert delays == sorted(delays)


@pytest.mark.django_db
def test_a_webhook_receives_only_its_events_and_those_after_it_was_made(user, allow_private):
    ready_file(user)  # before any webhook
    downloads = registration.create(user, url="http://127.0.0.1:9/", events=["share.downloaded"])
    ready = registration.create(user, url="http://127.0.0.1:9/", events=["file.ready"])
    upload = ready_file(user)
    single.claim_download(single.create_share(upload, expires_in=60).share)

    assert dispatch.dispatch() == 3
    assert dispatch.dispatch() == 0  # each event fans out once
    assert sorted(
        (item.webhook_id == downloads.row.id, item.event.type)
        for item in Delivery.objects.select_related("event")
    ) == [(False, "file.ready"), (True, "share.downloaded")]
    assert ready.row.deliveries.get().event.data["file"]["id"] == str(upload.id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {},
        {"url": "https://93.184.215.14/"},
        {"url": "\x00", "events": "file.ready"},
        {"url": "https://93.184.215.14/", "events": "nope"},
        {"url": "https://[::1", "events": "file.ready"},
        {"url": "https://" + "a" * 3000, "events": "file.ready"},
        {"delete": "not-an-id"},
        {"delete": "6f1c1f0e-0000-4000-8000-000000000000"},
    ],
)
def test_the_page_refuses_odd_form_values_with_a_sentence(alice, form):
    answer = alice.post("/webhooks/", {**form, "once": form_once(alice, "/webhooks/")})
    assert 400 <= answer.status_code < 500, answer.status_code
    assert 'role="alert"' in answer.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_sending_the_webhooks_form_again_adds_no_second_webhook_and_says_so(alice):
    url = "https://93.184.215.14/hooks/chute"
    form = {"url": url, "events": ["file.ready"], "once": form_once(alice, "/webhooks/")}
    first = alice.post("/webhooks/", form)
    assert 'value="whsec_' in first.content.decode()

    again = alice.post("/webhooks/", form)  # a reload of the answer sends the same form

    assert again.status_code == 200
    assert Webhook.objects.count() == 1
    body = again.content.decode()
    assert 'value="whsec_' not in body
    assert (
        '<p class="notice" role="status">This form was already sent: the webhook to '
        f"{url} was added then, and its signing secret was shown once." in body
    )
    fresh = alice.post("/webhooks/", {**form, "once": form_once(alice, "/webhooks/")})
    assert 'value="whsec_' in fresh.content.decode()
    assert Webhook.objects.count() == 2


@pytest.mark.django_db
def test_the_admin_lists_deliveries_with_their_last_answer(admin_client, user, allow_private):
    registration.create(user, url="http://127.0.0.1:9/closed", events=["file.ready"])
    ready_file(user)
    dispatch.dispatch()
    delivery.attempt(Delivery.objects.get().pk)

    page = admin_client.get("/admin/files/delivery/").content.decode()
    assert "The connection was refused or could not be made." in page
    assert admin_client.get("/admin/files/webhook/").status_code == 200


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[webhook_receiver.Receiver]:
    """A receiver on https://localhost:<port> whose certificate (for "localhost") comes from
    a CA this process trusts, as a public receiver's comes from a public CA."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    yield from webhook_receiver.serve(tls=server)


@pytest.mark.django_db
def test_https_delivery_connects_to_the_checked_address_and_verifies_the_name(
    user, allow_private, tls_receiver
):
    new = registration.create(user, url=tls_receiver.url, events=["file.ready"])
    tls_receiver.secret = new.secret
    ready_file(user)
    dispatch.dispatch()

    outcome = delivery.attempt(Delivery.objects.get().pk)

    assert outcome is not None and outcome.succeeded, outcome
    [received] = tls_receiver.received
    assert received.verified is not None
    assert received.headers["host"] == tls_receiver.url.split("/")[2]  # localhost:<port>


@pytest.mark.django_db
def test_https_delivery_refuses_a_certificate_for_another_name(user, allow_private, tls_receiver):
    # The same server under another name of 127.0.0.1: its certificate does not match.
    url = tls_receiver.url.replace("https://localhost", "https://127.0.0.1")
    registration.create(user, url=url, events=["file.ready"])
    ready_file(user)
    dispatch.dispatch()

    outcome = delivery.attempt(Delivery.objects.get().pk)

    assert outcome is not None and not outcome.succeeded
    assert outcome.error == "The TLS handshake failed (certificate or protocol)."
    assert tls_receiver.received == []
