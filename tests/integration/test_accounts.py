"""Sign-in lockouts (django-axes, in the database) and sign-up rules and throttling."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from files.web.http import client_address

pytestmark = pytest.mark.django_db

PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


def sign_in(password: str, client: Client | None = None, **extra: str):
    return (client or Client()).post(
        "/accounts/login/", {"username": "alice", "password": password}, **extra
    )


@pytest.fixture
def three_tries(settings):
    settings.AXES_FAILURE_LIMIT = 3


# --- Sign-in lockout ----------------------------------------------------------------------


def test_wrong_passwords_lock_the_address_out_with_429_saying_when_to_try_again(user, three_tries):
    for _ in range(2):
        assert sign_in("wrong").status_code == 200
    locked = sign_in("wrong")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert "Too many failed sign-ins from your address. Try again in 15 minutes (at " in page
    # The right password no longer helps until the cool-off ends.
    assert sign_in("correct horse battery").status_code == 429


def test_lockout_is_kept_in_the_database_so_every_worker_sees_it(user, three_tries):
    for _ in range(3):
        sign_in("wrong", REMOTE_ADDR="198.51.100.7")
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(ip_address="198.51.100.7").failures_since_start == 3
    # A fresh client (another worker, another session) from the same address is refused...
    assert sign_in("correct horse battery", REMOTE_ADDR="198.51.100.7").status_code == 429
    # ...and another address is not.
    assert sign_in("correct horse battery", REMOTE_ADDR="198.51.100.8").status_code == 302


def test_right_password_clears_the_addresss_failures(user, three_tries):
    sign_in("wrong")
    sign_in("wrong")
    assert sign_in("correct horse battery").status_code == 302
    assert sign_in("wrong").status_code == 200
    assert sign_in("wrong").status_code == 200


def test_lockout_counts_the_last_forwarded_address_behind_a_trusted_proxy(
    user, three_tries, settings
):
    settings.SECURE_PROXY_SSL_HEADER = PROXY
    for claimed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        # The client varies what it claims; the proxy's own entry (last) stays the same.
        sign_in("wrong", HTTP_X_FORWARDED_FOR=f"{claimed}, 192.0.2.9", secure=True)
    assert sign_in("wrong", HTTP_X_FORWARDED_FOR="192.0.2.9", secure=True).status_code == 429
    other = sign_in("correct horse battery", HTTP_X_FORWARDED_FOR="192.0.2.10", secure=True)
    assert other.status_code == 302


def test_lockout_ignores_forwarded_for_without_a_trusted_proxy(user, three_tries, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    for n in range(3):
        sign_in("wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert sign_in("correct horse battery", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_client_address_follows_the_same_rule_as_share_link_throttling(rf, settings):
    from files.web.pages.shares import client_address as share_client_address

    request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.9")
    for proxy in (None, PROXY):
        settings.SECURE_PROXY_SSL_HEADER = proxy
        assert client_address(request) == share_client_address(request)
    assert client_address(request) == "192.0.2.9"


def test_admin_lists_sign_in_failures(admin_client):
    assert admin_client.get("/admin/axes/accessattempt/").status_code == 200


# --- Sign-up ------------------------------------------------------------------------------


@pytest.fixture
def signup_open(settings):
    settings.CHUTE_SIGNUP_ENABLED = True


def sign_up(username: str, client: Client | None = None, **extra: str):
    password = "a long passphrase 42"
    return (client or Client()).post(
        "/accounts/signup/",
        {"username": username, "password1": password, "password2": password},
        **extra,
    )


def test_signup_shows_the_password_rules_before_anything_is_typed(client, signup_open):
    page = client.get("/accounts/signup/").content.decode()
    assert "at least 8 characters" in page
    assert 'id="id_password1_helptext"' in page
    assert 'aria-describedby="id_password1_helptext"' in page


@pytest.mark.parametrize("name", ["аlice", "pаypal", "Ωmega"])  # Cyrillic а; Greek Ω
def test_signup_refuses_names_that_mix_alphabets(signup_open, name):
    response = sign_up(name)
    assert response.status_code == 200
    assert "Use letters from one alphabet only" in response.content.decode()
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("name", ["josé", "иван", "bob_99"])
def test_signup_accepts_names_written_in_one_alphabet(signup_open, name):
    assert sign_up(name).status_code == 302
    assert get_user_model().objects.filter(username=name).exists()


def test_signup_is_throttled_per_address_with_429_and_retry_after(signup_open, settings):
    settings.CHUTE_SIGNUP_ATTEMPTS_PER_HOUR = 2
    assert sign_up("", REMOTE_ADDR="198.51.100.7").status_code == 200
    assert sign_up("", REMOTE_ADDR="198.51.100.7").status_code == 200
    refused = sign_up("newcomer", REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert 3500 < int(refused["Retry-After"]) <= 3600
    assert "Too many sign-up attempts from your address. Try again in 60 minutes" in (
        refused.content.decode()
    )
    assert not get_user_model().objects.exists()
    assert sign_up("newcomer", REMOTE_ADDR="198.51.100.8").status_code == 302


def test_throttled_signup_says_nothing_about_the_username(user, signup_open, settings):
    settings.CHUTE_SIGNUP_ATTEMPTS_PER_HOUR = 1
    assert "already exists" in sign_up("alice").content.decode()
    refused = sign_up("alice")
    assert refused.status_code == 429
    assert "already exists" not in refused.content.decode()
