"""Send a link by email: the API and the links page, the mail received over SMTP (aiosmtpd)
from the task the database queue's worker runs, and the addresses gone once it is sent."""

from __future__ import annotations

import uuid
from datetime import timedelta

import django_rq
import pytest
import redis
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from files.models import Account, LinkMail
from files.shares import single
from files.tasks.mail import MAIL_BACKOFF, forget_unsent_link_mails, unsent_horizon
from tests.helpers import form_once, post_json, ready_file
from tests.integration.mail_server import free_port
from tests.integration.test_api_contract import assert_json_refusal
from tests.integration.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = "redis://127.0.0.1:6379/13"  # this file's own database on the server


@pytest.fixture
def link(user):
    upload = ready_file(user, b"x" * 2_500_000, name="holiday photos.zip")
    return single.create_share(
        upload, expires_in=3600, password="s3cret-pass", message="for the album"
    )


def send(client, share_id, body):
    return post_json(client, f"/api/shares/{share_id}/send", body)


def test_a_sent_link_reaches_each_recipient_without_its_password(smtp, alice, link):
    response = send(
        alice,
        link.share.id,
        {"to": ["ann@example.com", "Bob@Example.org"], "message": "Here are the photos.\nLove, A"},
    )
    assert response.status_code == 202, response.content
    assert response.json() == {"recipients": 2}
    # The task's arguments are the row's id and the origin: no address, no token.
    # (The file's events enqueued their own tasks: webhooks' dispatch, notifications' collect.)
    [task] = DBTaskResult.objects.filter(task_path="files.tasks.mail.send_link_mail")
    assert "ann@example.com" not in str(task.args_kwargs)
    assert link.token not in str(task.args_kwargs)
    assert smtp.received == []
    run_worker()

    assert sorted(mail.envelope_to[0] for mail in smtp.received) == [
        "Bob@Example.org",
        "ann@example.com",
    ]
    for mail in smtp.received:
        assert mail.to == mail.envelope_to[0]  # no one sees the other addresses
        assert mail.subject == "alice sent you holiday photos.zip with Chute"
        for part in (mail.text, mail.html):
            assert "holiday photos.zip" in part
            assert "2.5 MB" in part
            assert "Here are the photos." in part
            assert f"/s/{link.token}" in part
            assert link.share.expires_at.strftime("%-d %B %Y, %H:%M") in part
            assert "s3cret-pass" not in part
            assert "asks for a password" in part
        assert "alice sent you a file" in mail.text
    # The landing page the mail points at works.
    assert alice.get(smtp.received[0].link("/s/")).status_code == 200

    [row] = LinkMail.objects.all()
    assert row.recipients == ""
    assert row.sent_at is not None and row.count == 2
    assert smtp.received[0].message["Reply-To"] is None  # alice has no verified address


def test_replies_go_to_a_sender_with_a_verified_address(smtp, alice, user, link):
    user.email = "alice@example.com"
    user.save()
    Account.objects.create(user=user, verified_email="alice@example.com")
    send(alice, link.share.id, {"to": ["ann@example.com"]})
    run_worker()
    assert smtp.received[0].message["Reply-To"] == "alice@example.com"


def test_a_mail_server_that_is_down_keeps_the_addresses_until_a_retry_sends_them(
    smtp, alice, link, settings
):
    running = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    send(alice, link.share.id, {"to": ["ann@example.com"]})
    run_worker()
    failed = DBTaskResult.objects.get(status="FAILED")
    assert "retrying at" in failed.traceback
    assert LinkMail.objects.get().recipients == "ann@example.com"
    assert smtp.received == []

    settings.EMAIL_PORT = running
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # due now
    run_worker()
    assert [mail.envelope_to for mail in smtp.received] == [["ann@example.com"]]
    assert LinkMail.objects.get().recipients == ""


def test_addresses_are_kept_only_until_the_mail_is_sent(smtp, alice, link):
    send(alice, link.share.id, {"to": ["ann@example.com"]})
    assert LinkMail.objects.get().recipients == "ann@example.com"
    run_worker()
    assert LinkMail.objects.get().recipients == ""


def test_a_link_revoked_before_the_mail_went_is_not_sent(smtp, alice, link):
    send(alice, link.share.id, {"to": ["ann@example.com"]})
    single.revoke(link.share)
    run_worker()
    assert smtp.received == []
    assert LinkMail.objects.get().recipients == ""


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"to": []}, "at least one email address"),
        ({"to": ["not-an-address"]}, "is not an email address"),
        ({"to": [f"p{n}@example.com" for n in range(11)]}, "at most 10 addresses"),
        ({"to": ["a@example.com", "A@example.com"]}, "in the list twice"),
        ({"to": ["a@example.com"], "message": "x" * 2001}, "at most 2000 characters"),
        ({"to": "a@example.com"}, ""),
        ({"message": "hi"}, ""),
    ],
)
def test_bad_recipients_are_refused_with_a_sentence(alice, link, body, words):
    payload = assert_json_refusal(send(alice, link.share.id, body), 400)
    assert words in payload["message"]
    assert not LinkMail.objects.exists()


def test_ten_recipients_are_accepted(smtp, alice, link):
    response = send(alice, link.share.id, {"to": [f"p{n}@example.com" for n in range(10)]})
    assert response.status_code == 202
    run_worker()
    assert len(smtp.received) == 10


def test_only_the_owner_may_send_a_link(alice, mallory, link):
    assert_json_refusal(send(mallory, link.share.id, {"to": ["a@example.com"]}), 404)
    assert_json_refusal(send(alice, uuid.uuid4(), {"to": ["a@example.com"]}), 404)


def test_a_link_that_no_longer_works_is_not_sent(alice, link):
    single.revoke(link.share)
    payload = assert_json_refusal(send(alice, link.share.id, {"to": ["a@example.com"]}), 410)
    assert "no longer works" in payload["message"]


def test_link_mails_are_limited_per_hour(alice, link, settings):
    settings.CHUTE_LINK_MAILS_PER_HOUR = 2
    for _ in range(2):
        assert send(alice, link.share.id, {"to": ["a@example.com"]}).status_code == 202
    refused = send(alice, link.share.id, {"to": ["a@example.com"]})
    payload = assert_json_refusal(refused, 429)
    assert payload["error"] == "too_many_mails"
    assert "Try again in" in payload["message"]
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_the_links_page_sends_a_link_and_says_why_not(smtp, alice, link):
    page = alice.get("/links/").content.decode()
    assert "Send by email" in page
    url = f"/links/{link.share.id}/send"
    sent = alice.post(
        url, {"to": "ann@example.com, bob@example.com", "message": "hi"}, HTTP_HX_REQUEST="true"
    )
    assert sent.status_code == 202
    assert "on its way to 2 addresses" in sent.content.decode()
    refused = alice.post(url, {"to": "nope"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    assert "is not an email address" in refused.content.decode()
    without_js = alice.post(url, {"to": "nope"})
    assert (
        without_js.status_code == 400 and "is not an email address" in without_js.content.decode()
    )
    run_worker()
    assert len(smtp.received) == 2


def test_the_share_dialog_offers_to_send_the_new_link(alice, user):
    upload = ready_file(user, name="notes.txt", content_type="text/plain")
    once = form_once(alice, f"/files/{upload.id}/shares")
    made = alice.post(
        f"/files/{upload.id}/shares", {"expires": "3600", "once": once}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Send by email" in made
    share = upload.shares.get()
    assert f"/links/{share.id}/send" in made
    assert share.expires_at > timezone.now()


@pytest.fixture
def on_redis(settings):
    """The RQ backend (django-tasks-rq) on the Redis at 127.0.0.1:6379, in a database of its
    own (the mail tasks go to the "default" queue, which test_tasks.py's queues never are)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    yield "default"
    server.flushdb()


def test_the_same_mail_task_sends_a_link_from_rq_workers(smtp, alice, link, on_redis):
    assert send(alice, link.share.id, {"to": ["ann@example.com"]}).status_code == 202
    assert django_rq.get_queue(on_redis).count == 1
    run_worker()
    assert [mail.envelope_to for mail in smtp.received] == [["ann@example.com"]]
    assert LinkMail.objects.get().recipients == ""


def test_link_mails_whose_every_retry_failed_lose_their_addresses(alice, link):
    for _ in range(3):
        send(alice, link.share.id, {"to": ["ann@example.com"]})
    stale, recent, sent = LinkMail.objects.order_by("created_at")
    assert unsent_horizon() > MAIL_BACKOFF.span() > timedelta(hours=4)  # past the last retry
    LinkMail.objects.filter(pk__in=[stale.pk, sent.pk]).update(
        created_at=timezone.now() - unsent_horizon() - timedelta(minutes=1)
    )
    LinkMail.objects.filter(pk=recent.pk).update(
        created_at=timezone.now() - unsent_horizon() + timedelta(minutes=1)
    )
    LinkMail.objects.filter(pk=sent.pk).update(recipients="", sent_at=timezone.now())

    assert forget_unsent_link_mails.call() == 1

    assert LinkMail.objects.get(pk=stale.pk).recipients == ""
    assert LinkMail.objects.get(pk=stale.pk).sent_at is None  # it never went
    assert LinkMail.objects.get(pk=recent.pk).recipients == "ann@example.com"  # retries left
