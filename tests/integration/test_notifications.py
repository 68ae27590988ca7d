"""Notifications with real parts: guests' uploads into SeaweedFS, downloads through share
links, the tasks run by the database queue's worker, and the mails received over SMTP
(aiosmtpd). Time is moved in the rows (due times), never slept through.

A worker SIGKILLed mid-notification is in test_notification_workers.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import redis
from django.test import Client
from django.utils import timezone

from files.models import Account, Event, Notification, Share, UploadRequest
from files.notifications import collect, outbox
from files.notifications.tasks import announce_expiring, send_notification, sweep
from files.shares import single
from tests.helpers import form_once, post_json, race, ready_file
from tests.integration.mail_server import Received, free_port
from tests.integration.test_requests import Guest, make_request, send_small
from tests.integration.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def verified(user, address: str = "alice@example.com", **switches: bool) -> Account:
    user.email = address
    user.save()
    account, _ = Account.objects.update_or_create(
        user=user, defaults={"verified_email": address, **switches}
    )
    return account


def guest_sends(token: str, *names: str, sender: str = "") -> None:
    guest = Guest(token)
    if sender:
        guest.client.post(f"/r/{token}", {"sender_name": sender})
    for name in names:
        sent = send_small(guest, name=name)
        answer = guest.call("post", f"/r/{token}/uploads/{sent['id']}/confirm")
        assert answer.status_code == 200, answer.content


def time_passes() -> None:
    """The events are taken in, every pending notification is due, and the sweep runs, as the
    schedule would."""
    run_worker()
    Notification.objects.filter(status="pending").update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    sweep.enqueue()
    run_worker()


SIGNED = re.compile(r"X-Amz-|Signature=|AWSAccessKeyId|/s/[\w-]{8}|/r/[\w-]{8}", re.I)


def assert_clean(mail: Received, *secrets: str) -> None:
    """No signed bucket URL, no share or request link, no token in either part."""
    for part in (mail.text, mail.html):
        assert not SIGNED.search(part), part
        for secret in secrets:
            assert secret not in part


# --- Files arrived through an upload request ------------------------------------------------


def test_a_burst_of_guest_uploads_makes_one_digest_and_a_later_upload_a_second(
    smtp, user, settings
):
    settings.CHUTE_ORIGIN = "https://chute.example.com"
    verified(user)
    _, token = make_request(user, title="Scans")
    guest_sends(token, "one.jpg", "two.jpg", "three.jpg", sender="Bea")
    run_worker()  # takes the events in; the digest waits for its window
    assert smtp.received == []
    [digest] = Notification.objects.all()
    assert digest.status == "pending" and digest.kind == "request_files"
    assert timedelta(seconds=55) < digest.due_at - timezone.now() <= timedelta(seconds=60)

    time_passes()
    [mail] = smtp.received
    assert mail.envelope_to == ["alice@example.com"]
    assert mail.subject == "Bea sent 3 files through “Scans”"
    for part in (mail.text, mail.html):
        for name in ("one.jpg", "two.jpg", "three.jpg"):
            assert name in part
        assert "11 bytes" in part and "33 bytes" in part
    assert "https://chute.example.com/requests/" in mail.text
    assert mail.message["Message-ID"].startswith(f"<notification.{digest.id.hex}@")
    assert_clean(mail, token)

    guest_sends(token, "later.pdf")  # after the digest went: a new one
    time_passes()
    assert len(smtp.received) == 2
    later = smtp.received[1]
    assert later.subject == "Someone sent 1 file through “Scans”"
    assert "later.pdf" in later.text and "one.jpg" not in later.text
    assert_clean(later, token)
    time_passes()
    assert len(smtp.received) == 2


def test_a_file_after_the_window_starts_a_new_digest(user, settings):
    settings.CHUTE_DIGEST_WINDOW = 0  # every file is past the window of the one before
    verified(user)
    _, token = make_request(user)
    guest_sends(token, "a.jpg", "b.jpg")
    run_worker()
    assert Notification.objects.filter(kind="request_files").count() == 2


def test_nothing_goes_to_an_unverified_address_or_when_switched_off(smtp, user, alice):
    user.email = "alice@example.com"  # not verified
    user.save()
    _, token = make_request(user)
    guest_sends(token, "a.jpg")
    verified(user, notify_request_files=False)
    guest_sends(token, "b.jpg")
    time_passes()
    assert smtp.received == [] and not Notification.objects.exists()

    # The account page's switch takes effect for the next files.
    alice.post("/account/", {"action": "preferences", "notify_request_files": "on"})
    guest_sends(token, "c.jpg")
    time_passes()
    [mail] = smtp.received
    assert "c.jpg" in mail.text and "a.jpg" not in mail.text and "b.jpg" not in mail.text
    # Links point where the owner last used the account page.
    assert "http://testserver/requests/" in mail.text


def test_a_digest_switched_off_before_it_is_due_is_not_sent(smtp, user, alice):
    verified(user)
    _, token = make_request(user)
    guest_sends(token, "a.jpg")
    run_worker()
    alice.post("/account/", {"action": "preferences"})  # every box unticked
    time_passes()
    assert smtp.received == []
    assert Notification.objects.get().status == "skipped"


# --- A share link's first download and its end ------------------------------------------------


def make_link(client: Client, upload, **body) -> dict:
    answer = post_json(client, f"/api/files/{upload.id}/shares", {"expires_in": 3600, **body})
    assert answer.status_code == 201, answer.content
    return answer.json()


def download(url: str, times: int = 1) -> None:
    path = url.split("testserver", 1)[1]
    for _ in range(times):
        assert Client().get(f"{path}/download").status_code == 302


def test_first_download_and_used_up_are_each_mailed_once(smtp, user, alice):
    verified(user)
    upload = ready_file(user, name="report.pdf")
    link = make_link(alice, upload, max_downloads=3)  # "notify" left out: the account's choice
    [listed] = alice.get("/api/shares").json()["shares"]
    assert listed["notify"] is True
    assert "tells you when downloaded" in alice.get("/links/").content.decode()
    token = link["url"].rsplit("/", 1)[1]

    download(link["url"], 2)
    run_worker()
    [first] = smtp.received
    assert first.subject == "Your link to report.pdf was downloaded for the first time"
    assert "/links/" in first.text
    assert_clean(first, token)

    download(link["url"])  # the third and last
    run_worker()
    assert [mail.subject for mail in smtp.received[1:]] == ["Your link to report.pdf is used up"]
    assert_clean(smtp.received[1], token)

    # Retries, two sweeps, every event taken in again: nothing more.
    for notification in Notification.objects.all():
        assert send_notification.call(str(notification.id)) == (
            "not due, or claimed by another worker"
        )
    Event.objects.update(noticed_at=None)
    time_passes()
    time_passes()
    assert len(smtp.received) == 2
    assert sorted(Notification.objects.values_list("kind", "status")) == [
        ("first_download", "sent"),
        ("used_up", "sent"),
    ]


def test_the_account_switch_silences_links_made_with_tell_me(smtp, user, alice):
    verified(user)
    link = make_link(alice, ready_file(user), notify=True)
    alice.post("/account/", {"action": "preferences", "notify_request_files": "on"})
    download(link["url"])
    time_passes()
    assert smtp.received == []
    upload = ready_file(user)
    refused = post_json(alice, f"/api/files/{upload.id}/shares", {"expires_in": 60, "notify": True})
    assert refused.status_code == 400
    assert "switched off on your account page" in refused.json()["message"]


def test_a_one_download_link_says_both_in_one_mail(smtp, user, alice):
    verified(user)
    link = make_link(alice, ready_file(user, name="once.zip"), max_downloads=1, notify=True)
    download(link["url"])
    run_worker()
    [mail] = smtp.received
    assert mail.subject == "Your link to once.zip was downloaded and is used up"


def test_a_link_made_without_tell_me_sends_nothing(smtp, user, alice):
    verified(user)
    link = make_link(alice, ready_file(user), notify=False)
    download(link["url"], 2)
    time_passes()
    assert smtp.received == []
    assert alice.get("/api/shares").json()["shares"][0]["notify"] is False


def test_tell_me_needs_a_confirmed_address(user, alice):
    upload = ready_file(user)
    refused = post_json(alice, f"/api/files/{upload.id}/shares", {"expires_in": 60, "notify": True})
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_share"
    assert "confirmed email address" in refused.json()["message"]
    # Left out, it follows the account: off without an address.
    assert make_link(alice, upload) and not Share.objects.get().notify
    dialog = alice.get(f"/files/{upload.id}/shares").content.decode()
    assert re.search(r'<input type="checkbox" name="notify"\s+disabled', dialog)

    verified(user)
    dialog = alice.get(f"/files/{upload.id}/shares").content.decode()
    assert re.search(r'<input type="checkbox" name="notify"\s+checked>', dialog)
    once = form_once(alice, f"/files/{upload.id}/shares")
    made = alice.post(
        f"/files/{upload.id}/shares", {"expires": "3600", "notify": "on", "once": once}
    )
    assert made.status_code == 200
    assert Share.objects.filter(notify=True).count() == 1

    alice.post("/account/", {"action": "preferences"})  # downloads switched off
    dialog = alice.get(f"/files/{upload.id}/shares").content.decode()
    assert "switched off on your account page" in dialog


def test_a_several_file_link_tells_when_every_file_was_fetched(smtp, user, alice):
    verified(user)
    first, second = ready_file(user, name="a.pdf"), ready_file(user, name="b.pdf")
    answer = post_json(
        alice,
        "/api/shares",
        {"files": [str(first.id), str(second.id)], "expires_in": 600, "max_downloads": 1},
    )
    path = answer.json()["url"].split("testserver", 1)[1]
    assert Client().get(f"{path}/download?file={first.id}").status_code == 302
    run_worker()
    assert [mail.subject for mail in smtp.received] == [
        "Your link to a.pdf and 1 more was downloaded for the first time"
    ]
    assert Client().get(f"{path}/download?file={second.id}").status_code == 302
    run_worker()
    assert smtp.received[1].subject == "Your link to a.pdf and 1 more is used up"


def test_of_several_workers_handed_one_notification_one_sends_it(smtp, user, alice):
    verified(user)
    download(make_link(alice, ready_file(user))["url"])
    Event.objects.update(noticed_at=None)
    collect.collect()
    [notification] = Notification.objects.all()

    outcomes = race(4, lambda _: outbox.attempt(notification.id))

    assert sum(1 for outcome in outcomes if outcome is not None and outcome.sent) == 1
    assert [outcome for outcome in outcomes if outcome is not None and not outcome.sent] == []
    assert len(smtp.received) == 1


def test_a_mail_server_that_is_down_gets_the_notification_on_a_later_attempt(
    smtp, user, alice, settings
):
    verified(user)
    running = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    download(make_link(alice, ready_file(user))["url"])
    run_worker()
    notification = Notification.objects.get()
    assert notification.status == "pending" and notification.attempts == 1
    assert notification.due_at > timezone.now() + timedelta(seconds=20)  # backoff
    assert "ConnectionRefusedError" in notification.last_error

    settings.EMAIL_PORT = running
    time_passes()
    assert len(smtp.received) == 1
    assert Notification.objects.get().status == "sent"


# --- What expires within 24 hours --------------------------------------------------------------


def test_expiring_links_and_requests_are_announced_once_to_owners_who_asked(
    smtp, user, other_user, alice
):
    verified(user, notify_expiring=True)
    verified(other_user, "mallory@example.com")  # did not ask
    soon = single.create_share(ready_file(user, name="soon.pdf"), expires_in=2 * 3600)
    single.create_share(ready_file(user, name="later.pdf"), expires_in=3 * 24 * 3600)
    single.create_share(ready_file(other_user, name="theirs.pdf"), expires_in=3600)
    request, token = make_request(user, title="Tax forms")
    UploadRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() + timedelta(hours=5)
    )

    announce_expiring.enqueue()
    run_worker()
    [mail] = smtp.received
    assert mail.envelope_to == ["alice@example.com"]
    assert mail.subject == "1 link and 1 upload request of yours expire within 24 hours"
    assert "soon.pdf" in mail.text and "Tax forms" in mail.text
    assert "later.pdf" not in mail.text and "theirs.pdf" not in mail.text
    assert_clean(mail, soon.token, token)

    announce_expiring.enqueue()  # the next look: nothing new
    run_worker()
    assert len(smtp.received) == 1

    # A new expiry is announced in its turn.
    answer = alice.patch(
        f"/api/shares/{soon.share.id}", {"expires_in": 3600}, content_type="application/json"
    )
    assert answer.status_code == 200
    announce_expiring.enqueue()
    run_worker()
    assert len(smtp.received) == 2
    assert smtp.received[1].subject == "1 link of yours expires within 24 hours"


def test_expiry_mails_are_opt_in(smtp, user):
    verified(user)  # notify_expiring stays off, as by default
    single.create_share(ready_file(user), expires_in=3600)
    announce_expiring.enqueue()
    run_worker()
    assert smtp.received == [] and not Notification.objects.exists()
    assert Share.objects.get().expiry_announced_at is None  # told later, if they ask


# --- The same tasks on RQ ------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/14"  # this file's own database on the server


@pytest.fixture
def on_redis(settings):
    """The RQ backend (django-tasks-rq) on the Redis at 127.0.0.1:6379, in a database of its
    own; the tasks go to the "default" queue, as in production."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    yield
    server.flushdb()


def test_the_same_tasks_notify_from_rq_workers(smtp, user, alice, on_redis):
    verified(user)
    download(make_link(alice, ready_file(user, name="rq.pdf"), notify=True)["url"])
    run_worker()  # collect, then send: both RQ jobs
    [mail] = smtp.received
    assert mail.subject == "Your link to rq.pdf was downloaded for the first time"
    assert Notification.objects.get().status == "sent"
