"""Notifications through real workers: `manage.py worker` in a subprocess, SIGKILLed while the
SMTP server (aiosmtpd) holds a notification's mail unanswered, then a new worker: every
notification arrives once, none lost and none doubled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from files.models import Account, Notification
from files.shares import single
from tests.helpers import ready_file
from tests.integration.mail_server import HoldingInbox, start
from tests.integration.workers import run_worker_until, wait_for, worker_env


@pytest.fixture
def holding_smtp() -> Iterator[tuple[HoldingInbox, int]]:
    inbox = HoldingInbox()
    controller = start(inbox)
    try:
        yield inbox, controller.port
    finally:
        inbox.release.set()
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_notification_loses_and_doubles_nothing(
    seaweedfs, own_bucket, user, holding_smtp, tmp_path
):
    inbox, port = holding_smtp
    user.email = "alice@example.com"
    user.save()
    Account.objects.create(user=user, verified_email="alice@example.com")
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        link = single.create_share(ready_file(user, name=name), expires_in=3600, notify=True)
        single.claim_download(link.share)  # commits: the collector is enqueued

    log = tmp_path / "worker.log"
    env = worker_env(
        seaweedfs,
        own_bucket,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="2",  # a claim's lease: 8 × 2 + 10 = 26 s
        DEFAULT_FROM_EMAIL="Chute <chute@example.com>",
        CHUTE_NOTIFY_SWEEP_INTERVAL="1",
    )
    # Killed while the server holds the mail unanswered.
    run_worker_until(env, log, inbox.holding.is_set, "no notification reached the mail server")
    wait_for(lambda: inbox.dropped == 1, 10, "the held mail was not dropped", log)
    assert inbox.received == []
    held = Notification.objects.filter(status__in=["sending", "pending"], attempts=1)
    assert held.count() >= 1  # claimed by the dead worker, or failed by its timeout

    run_worker_until(
        env,
        log,
        lambda: Notification.objects.filter(status="sent").count() == 3,
        "not every notification was sent",
        linger=3,  # a few more sweeps: nothing goes again
    )

    subjects = sorted(mail.subject for mail in inbox.received)
    assert subjects == [
        f"Your link to {name} was downloaded for the first time"
        for name in ("a.pdf", "b.pdf", "c.pdf")
    ]
    assert all(mail.envelope_to == ["alice@example.com"] for mail in inbox.received)
