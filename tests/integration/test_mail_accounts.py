"""Accounts' addresses and password reset, with mail received over SMTP (aiosmtpd) from the
tasks the database queue's worker runs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tasks_db.models import DBTaskResult

from files.models import Account
from tests.integration.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

NEUTRAL = "If an account has this address and confirmed it, a link to choose a new password"


def set_email(client: Client, address: str):
    return client.post("/account/", {"action": "email", "email": address})


def verified(user, address: str) -> None:
    user.email = address
    user.save()
    Account.objects.update_or_create(user=user, defaults={"verified_email": address})


def test_sign_up_with_an_address_mails_a_link_that_confirms_it_once(smtp, settings):
    settings.CHUTE_SIGNUP_ENABLED = True
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "username": "bea",
            "email": "bea@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert smtp.received == []  # not sent while the request ran
    run_worker()

    [mail] = smtp.received
    assert mail.envelope_to == ["bea@example.com"]
    assert mail.subject == "Confirm your email address for Chute"
    link = mail.link("/account/verify/")
    assert link in mail.html

    confirmed = client.get(link)
    assert confirmed.status_code == 200
    assert "bea@example.com is confirmed" in confirmed.content.decode()
    bea = get_user_model().objects.get(username="bea")
    assert Account.of(bea).is_verified

    again = client.get(link)
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_the_verification_task_holds_no_address_or_token(smtp, alice):
    set_email(alice, "alice@example.com")
    [row] = DBTaskResult.objects.all()
    assert "alice@example.com" not in str(row.args_kwargs)
    assert row.args_kwargs["args"][1] == "http://testserver"


def test_a_changed_address_makes_the_earlier_link_fail(smtp, alice, user):
    set_email(alice, "old@example.com")
    run_worker()
    response = set_email(alice, "new@example.com")
    assert "Check new@example.com" in response.content.decode()
    run_worker()
    old, new = smtp.received
    assert new.envelope_to == ["new@example.com"]

    refused = alice.get(old.link("/account/verify/"))
    assert refused.status_code == 400
    assert "address was changed" in refused.content.decode()
    assert not Account.of(user).is_verified

    assert alice.get(new.link("/account/verify/")).status_code == 200
    user.refresh_from_db()
    assert Account.of(user).verified_email == "new@example.com"


def test_a_wrong_token_is_refused_with_a_sentence(smtp, alice):
    set_email(alice, "alice@example.com")
    run_worker()
    link = smtp.received[0].link("/account/verify/")
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    response = alice.get(forged)
    assert response.status_code == 400
    assert "does not work" in response.content.decode()
    assert alice.get("/account/verify/!!/x").status_code == 400


def test_password_reset_goes_nowhere_for_an_unverified_address(smtp, user):
    user.email = "alice@example.com"
    user.save()
    client = Client()
    answer = client.post("/accounts/password_reset/", {"email": "alice@example.com"}, follow=True)
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"}, follow=True)
    # The same sentence whether or not an account matched.
    assert NEUTRAL in answer.content.decode()
    assert NEUTRAL in unknown.content.decode()
    run_worker()
    assert smtp.received == []


def test_password_reset_by_mail_sets_a_new_password(smtp, user):
    verified(user, "alice@example.com")
    client = Client()
    done = client.post("/accounts/password_reset/", {"email": "alice@example.com"}, follow=True)
    assert NEUTRAL in done.content.decode()
    run_worker()

    [mail] = smtp.received
    assert mail.envelope_to == ["alice@example.com"]
    assert mail.subject == "Reset your Chute password"
    form = client.get(mail.link("/accounts/reset/"), follow=True)
    assert "Choose a new password" in form.content.decode()
    changed = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        follow=True,
    )
    assert "Your new password is set" in changed.content.decode()
    signed_in = Client().post(
        "/accounts/login/", {"username": "alice", "password": "a brand new passphrase"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    # The link worked once.
    again = client.get(mail.link("/accounts/reset/"), follow=True)
    assert "already used" in again.content.decode()


def test_the_account_page_sets_removes_and_switches(smtp, alice, user):
    page = alice.get("/account/").content.decode()
    assert "No address yet." in page
    assert 'name="notify_request_files" id="id_notify_request_files" checked' in page
    assert 'name="notify_expiring" id="id_notify_expiring">' in page

    shown = set_email(alice, "alice@example.com").content.decode()
    assert "Not confirmed yet" in shown
    assert "Send the confirmation link again" in shown
    resent = alice.post("/account/", {"action": "resend"})
    assert "A new confirmation link is on its way" in resent.content.decode()
    run_worker()
    assert [mail.envelope_to for mail in smtp.received] == [["alice@example.com"]] * 2

    alice.post("/account/", {"action": "preferences", "notify_expiring": "on"})
    account = Account.of(user)
    assert (account.notify_request_files, account.notify_expiring) == (False, True)

    removed = set_email(alice, "").content.decode()
    assert "Your email address is removed" in removed
    user.refresh_from_db()
    assert user.email == ""
    assert set_email(alice, "not an address").status_code == 400


def test_verification_mails_are_limited_per_hour(smtp, alice):
    for number in range(5):
        assert set_email(alice, f"a{number}@example.com").status_code == 200
    refused = set_email(alice, "a5@example.com")
    assert refused.status_code == 429
    assert "Too many verification mails" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
