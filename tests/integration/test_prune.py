"""The prune job on the real database: finished bookkeeping older than CHUTE_HISTORY_DAYS
goes, in bounded batches; recent rows, rows still owed and each webhook's listed deliveries
stay; running it again is harmless."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest
from axes.models import AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from files.models import (
    Attempt,
    DeletedUpload,
    Delivery,
    Event,
    LinkMail,
    Notification,
    Schedule,
    Share,
    Webhook,
)
from files.tasks import prune, schedule
from files.webhooks import registration

NOW = timezone.now()
OLD = NOW - timedelta(days=31)  # before the cut-off (30 days)
RECENT = NOW - timedelta(days=29)


@pytest.fixture(autouse=True)
def thirty_days(settings):
    settings.CHUTE_HISTORY_DAYS = 30


def link(owner, *, expires_at: datetime, revoked_at: datetime | None = None) -> Share:
    token = secrets.token_hex(16)
    return Share.objects.create(
        owner=owner,
        token_hash=token,
        token_prefix=token[:8],
        name="report.pdf",
        expires_at=expires_at,
        revoked_at=revoked_at,
        notify=True,
    )


def event(owner, when: datetime, *, dispatched: bool = True, noticed: bool = True) -> Event:
    return Event.objects.create(
        owner=owner,
        type=Event.Type.FILE_READY,
        data={},
        created_at=when,
        dispatched_at=when if dispatched else None,
        noticed_at=when if noticed else None,
    )


def webhook(owner) -> Webhook:
    return Webhook.objects.create(owner=owner, url="https://example.com/", events=["file.ready"])


def delivery(hook: Webhook, when: datetime, status: str = Delivery.Status.SUCCEEDED) -> Delivery:
    return Delivery.objects.create(
        webhook=hook, event=event(hook.owner, when), status=status, next_attempt_at=when
    )


def notification(
    owner, when: datetime, status: str, kind: str = Notification.Kind.REQUEST_FILES, **fields
) -> Notification:
    made = Notification.objects.create(owner=owner, kind=kind, status=status, due_at=when, **fields)
    Notification.objects.filter(pk=made.pk).update(created_at=when)
    return made


def link_mail(share: Share, created: datetime, *, sent: bool, recipients: str = "") -> LinkMail:
    mail = LinkMail.objects.create(
        share=share,
        sender=share.owner,
        recipients=recipients,
        count=1,
        sent_at=created if sent else None,
    )
    LinkMail.objects.filter(pk=mail.pk).update(created_at=created)
    return mail


def task_result(finished: datetime | None, status: str) -> str:
    result = schedule.fail_lost_results.enqueue()  # any task's result will do
    DBTaskResult.objects.filter(pk=result.id).update(
        status=status, enqueued_at=finished or OLD, finished_at=finished
    )
    return str(result.id)


def session(expires: datetime) -> str:
    store = SessionStore()
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=expires)
    return str(store.session_key)


def sign_in_log(when: datetime) -> int:
    row = AccessLog.objects.create(username="alice", ip_address="127.0.0.1", user_agent="test")
    AccessLog.objects.filter(pk=row.pk).update(attempt_time=when)
    return row.pk


def left(model, ids) -> set:
    return {str(pk) for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True)}


@pytest.mark.django_db
def test_prune_deletes_finished_rows_older_than_the_history_and_keeps_recent_ones(user):
    ended = link(user, expires_at=OLD)
    rows = {
        DBTaskResult: (
            [task_result(OLD, TaskResultStatus.SUCCESSFUL), task_result(OLD, "FAILED")],
            [task_result(RECENT, TaskResultStatus.SUCCESSFUL)],
        ),
        LinkMail: (
            [link_mail(ended, OLD, sent=True).pk, link_mail(ended, OLD, sent=False).pk],
            [link_mail(ended, RECENT, sent=True).pk],
        ),
        Attempt: (
            [Attempt.objects.create(scope="signup", client="c", created_at=OLD).pk],
            [Attempt.objects.create(scope="signup", client="c", created_at=RECENT).pk],
        ),
        Session: ([session(NOW - timedelta(minutes=1))], [session(NOW + timedelta(days=1))]),
        AccessLog: ([sign_in_log(OLD)], [sign_in_log(RECENT)]),
        Notification: (
            [
                notification(user, OLD, Notification.Status.SENT).pk,
                notification(user, OLD, Notification.Status.SKIPPED).pk,
                notification(user, OLD, Notification.Status.FAILED).pk,
                # A link's once-only mail, the link ended before the cut-off.
                notification(
                    user, OLD, Notification.Status.SENT, share=ended, kind="first_download"
                ).pk,
                notification(
                    user,
                    OLD,
                    Notification.Status.SENT,
                    share=link(user, expires_at=NOW + timedelta(days=1), revoked_at=OLD),
                    kind="used_up",
                ).pk,
            ],
            [notification(user, RECENT, Notification.Status.SENT).pk],
        ),
        Event: ([event(user, OLD).pk], [event(user, RECENT).pk]),
    }

    counts = prune.prune.call()

    for model, (old, recent) in rows.items():
        assert left(model, old) == set(), model.__name__
        assert left(model, recent) == {str(pk) for pk in recent}, model.__name__
    assert counts == {
        "task_results": 2,
        "link_mails": 2,
        "attempts": 1,
        "sessions": 1,
        "sign_in_logs": 1,
        "notifications": 5,
        "deliveries": 0,
        "events": 1,
    }


@pytest.mark.django_db
def test_prune_keeps_what_is_still_owed_however_old(user):
    hook = webhook(user)
    live = link(user, expires_at=NOW + timedelta(days=1))
    just_ended = link(user, expires_at=NOW - timedelta(days=1))
    # Newer finished deliveries fill the webhook's page: the owed ones are not kept as listed.
    listed = [delivery(hook, OLD + timedelta(minutes=n)) for n in range(1, 11)]
    owed = {
        Delivery: [
            delivery(hook, OLD, Delivery.Status.PENDING).pk,  # to retry
            delivery(hook, OLD, Delivery.Status.SENDING).pk,  # a worker holds it
        ],
        Event: [
            event(user, OLD, dispatched=False).pk,  # not fanned out to webhooks yet
            event(user, OLD, noticed=False).pk,  # not taken in by notifications yet
        ],
        Notification: [
            notification(user, OLD, Notification.Status.PENDING).pk,
            notification(user, OLD, Notification.Status.SENDING).pk,
            # Once-only mails of links that still work, or ended within the history.
            notification(user, OLD, Notification.Status.SENT, share=live, kind="first_download").pk,
            notification(
                user, OLD, Notification.Status.SENT, share=just_ended, kind="first_download"
            ).pk,
        ],
        LinkMail: [link_mail(live, OLD, sent=False, recipients="bob@example.com").pk],
        DBTaskResult: [
            task_result(None, TaskResultStatus.READY),
            task_result(None, TaskResultStatus.RUNNING),
        ],
        # The cleanup never looked under this key (off, or behind): it may hold bytes.
        DeletedUpload: [
            DeletedUpload.objects.create(key="users/1/" + "a" * 32, sweep_after=OLD).pk
        ],
    }
    owed[Event] += [row.event_id for row in Delivery.objects.exclude(pk__in=[d.pk for d in listed])]

    prune.prune_all()

    for model, ids in owed.items():
        assert left(model, ids) == {str(pk) for pk in ids}, model.__name__


@pytest.mark.django_db
def test_prune_keeps_each_webhooks_newest_deliveries_that_its_page_lists(user):
    busy, quiet = webhook(user), webhook(user)
    newest_first = [
        delivery(busy, OLD - timedelta(hours=n)) for n in range(registration.RECENT_DELIVERIES + 2)
    ]
    few = [delivery(quiet, OLD - timedelta(hours=n)) for n in range(3)]
    listed = {item.row.pk: item.deliveries for item in registration.webhooks_of(user)}

    counts = prune.prune_all()

    kept = newest_first[: registration.RECENT_DELIVERIES]
    assert set(Delivery.objects.filter(webhook=busy)) == set(kept)
    assert set(Delivery.objects.filter(webhook=quiet)) == set(few)
    assert {item.row.pk: item.deliveries for item in registration.webhooks_of(user)} == listed
    # The two beyond the page went, and their events with them.
    gone = newest_first[registration.RECENT_DELIVERIES :]
    assert not Event.objects.filter(pk__in=[row.event_id for row in gone]).exists()
    assert (counts["deliveries"], counts["events"]) == (2, 2)


@pytest.mark.django_db
def test_a_run_deletes_a_bounded_number_and_the_next_runs_take_the_rest_harmlessly():
    for minutes in range(7):
        Attempt.objects.create(
            scope="signup", client="c", created_at=OLD - timedelta(minutes=minutes)
        )

    assert prune.prune_all(batch=2, batches=2)["attempts"] == 4
    assert Attempt.objects.count() == 3
    assert prune.prune_all(batch=2, batches=2)["attempts"] == 3
    assert set(prune.prune_all(batch=2, batches=2).values()) == {0}  # again: nothing to do


@pytest.mark.django_db
def test_a_worker_whose_batch_another_pruned_meanwhile_deletes_and_counts_nothing_twice():
    for minutes in range(6):
        Attempt.objects.create(
            scope="signup", client="c", created_at=OLD - timedelta(minutes=minutes)
        )
    cutoff = NOW - timedelta(days=30)
    slow = prune.pick(prune.attempts(cutoff), 4)  # one worker picks its batch, then waits

    assert prune.prune_all()["attempts"] == 6  # another worker prunes everything meanwhile
    recent = Attempt.objects.create(scope="signup", client="c", created_at=RECENT)

    assert prune.delete_picked(prune.attempts(cutoff), slow) == 0
    assert list(Attempt.objects.all()) == [recent]


@pytest.mark.django_db
def test_prune_is_an_hourly_job_and_off_when_the_history_is_kept_forever(settings, user):
    now = timezone.now()
    assert "prune" in schedule.enqueue_due(now)
    assert "prune" not in schedule.enqueue_due(now + timedelta(minutes=59))
    assert "prune" in schedule.enqueue_due(now + timedelta(hours=1))

    settings.CHUTE_HISTORY_DAYS = 0
    Schedule.objects.all().delete()
    Attempt.objects.create(scope="signup", client="c", created_at=OLD)
    assert "prune" not in schedule.enqueue_due(now + timedelta(hours=2))
    assert prune.prune.call() == {}
    assert Attempt.objects.count() == 1
