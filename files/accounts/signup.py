"""Sign-up: the form's rules and the sign-up throttle.

Sign-ins are throttled by django-axes (settings: AXES_*), whose lockout answer is
`files.web.pages.auth.lockout_response`. Sign-ups are throttled here, per client address, in
the database so the limit holds across workers and servers (axes only watches sign-ins).

The sign-up form still says when a username is taken: an account's name is shown on every
link it shares, so it is not a secret, and a vague error would only confuse people. The
throttle is what keeps enumeration slow: CHUTE_SIGNUP_ATTEMPTS_PER_HOUR tries an hour for
each address, counted before the form is checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from confusable_homoglyphs import confusables  # type: ignore[import-untyped]
from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.contrib.auth.models import User
from django.utils import timezone

from files.accounts import throttle
from files.errors import SignupThrottled

SIGNUP_WINDOW = timedelta(hours=1)


if TYPE_CHECKING:  # django-stubs makes the form generic; Django's class is not subscriptable
    _UserCreationForm = UserCreationForm[User]
else:
    _UserCreationForm = UserCreationForm


class SignupForm(_UserCreationForm):
    """Django's sign-up form, refusing names that could pass for someone else's, with an
    optional email address (verified by a mailed link before anything else is sent to it)."""

    class Meta:  # Django's UserCreationForm.Meta, with the address
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}
        help_texts = {
            "email": "Optional: for resetting a forgotten password and hearing about your "
            "files. Chute mails a link to confirm it."
        }
        labels = {"email": "Email address (optional)"}

    def clean_username(self) -> str:
        # UsernameField has NFKC-normalised the name already (fullwidth "ａｌｉｃｅ" is "alice").
        username = super().clean_username()
        if not username:  # taken: Django's clean_username recorded the error already
            return username
        if confusables.is_mixed_script(username):
            # e.g. a Cyrillic "а" in "аlice" would show as "shared by аlice".
            raise forms.ValidationError(
                "Use letters from one alphabet only: this name mixes alphabets, so it could "
                "look like someone else's.",
                code="mixed_script",
            )
        if confusables.is_dangerous(username):
            raise forms.ValidationError(
                "This name contains letters that look like other letters; choose another.",
                code="confusable",
            )
        return username


def check_signup_allowed(address: str, now: datetime | None = None) -> None:
    """Count one sign-up attempt from `address`; raise SignupThrottled past the hourly limit."""
    now = now or timezone.now()
    retry_at = throttle.hit(
        "signup",
        address,
        limit=settings.CHUTE_SIGNUP_ATTEMPTS_PER_HOUR,
        window=SIGNUP_WINDOW,
        now=now,
    )
    if retry_at:
        raise SignupThrottled(retry_at, now)


def sign_up(form: SignupForm, address: str) -> User | None:
    """The new user when the throttle allows and the form is valid, else None (form errors)."""
    check_signup_allowed(address)
    if not form.is_valid():
        return None
    return form.save()
