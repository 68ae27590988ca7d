"""The owner pages' HTML posts, parsed by Django forms (healthchecks' forms style).

A form parses and words what it can (a missing choice, a number that is not one); the domain
still checks ranges and lengths in its own words. `parse` turns the first thing wrong into
the page's domain error, so a page shows one sentence, as the JSON API does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from files.errors import ChuteError, InvalidRequest, InvalidShare
from files.models import Event
from files.shares import single
from files.text import whole_number

DAY = 24 * 3600
# The lifetimes the owner pages offer (seconds, label), one list per kind. They differ on
# purpose: a link to files is short-lived (its presets are the domain's, capped by
# CHUTE_SHARE_MAX_EXPIRY: files/shares/single.py), a request stays open for days, a token may
# last a year or never expire. Each label is written once.
LIFETIME_LABELS = dict(single.EXPIRY_PRESETS) | {90 * DAY: "90 days", 365 * DAY: "1 year"}


def _offered(*seconds: int) -> list[tuple[str, str]]:
    return [(str(value), LIFETIME_LABELS[value]) for value in seconds]


# The API takes any lifetime up to 90 days (files/upload_requests/owners.py).
UPLOAD_REQUEST_LIFETIMES = _offered(DAY, 7 * DAY, 30 * DAY, 90 * DAY)
# The API takes any lifetime up to a year (files/accounts/tokens.py), or none.
TOKEN_LIFETIMES = [("", "Never"), *_offered(7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY)]


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits, or empty for none: "5.0", "1_000" and "²" are not."""

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return whole_number(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class TypedText(forms.CharField):
    """Free text handed to the domain as typed: the domain cleans and checks it (files/text.py).

    NUL included: files/text.py removes it with the other control characters, as the API's
    text does, rather than the form refusing it with a sentence about a character nobody sees.
    """

    def __init__(self) -> None:
        super().__init__(required=False, strip=False)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, validators.ProhibitNullCharactersValidator)
        ]


def _text() -> forms.CharField:
    return TypedText()


def parse(form: forms.Form, error: type[ChuteError]) -> dict[str, Any]:
    """The form's cleaned values, or `error` with its first sentence (fields in form order)."""
    if not form.is_valid():
        first = next(iter(form.errors.values()))
        raise error(str(first[0]))
    return form.cleaned_data


class RowActionForm(forms.Form):
    """A row's button (Revoke, Close): its name says the action, its value is the row's id."""

    def __init__(self, data: QueryDict, *, action: str) -> None:
        super().__init__(data)
        self.action = action
        self.fields[action] = forms.CharField(required=False, strip=False)

    @property
    def posted(self) -> bool:
        """The button was pressed (rather than the page's create form)."""
        return self.action in self.data

    @property
    def row_id(self) -> str:
        """The id as posted; the domain answers "not found" for anything that is not one."""
        return str(parse(self, ChuteError)[self.action])


class OnceForm(forms.Form):
    """The one-time number a create form carries (hidden `once`), so that the same form sent
    twice makes one thing (files/web/pages/owner.py)."""

    once = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{16,64}$",
        error_messages={
            "required": "This form is out of date: reload the page and fill it in again.",
            "invalid": "This form is out of date: reload the page and fill it in again.",
        },
    )

    @property
    def number(self) -> str:
        return str(parse(self, InvalidRequest)["once"])


class ShareForm(forms.Form):
    """The share dialog (one file or several): a preset (seconds) or a date, count, password,
    and a message for the landing page."""

    # The page's script sends the chosen local time as ISO 8601 with an offset (expires_at);
    # without it, the datetime-local value (expires_on) is read as UTC.
    expires_at = _text()
    expires_on = _text()
    expires = forms.CharField(
        required=False, error_messages={"required": "Choose when the link expires."}
    )
    max_downloads = WholeNumberField(
        required=False,
        error_messages={
            "invalid": "Maximum downloads must be a whole number, or empty for no limit."
        },
    )
    password = _text()
    message = _text()
    notify = forms.BooleanField(required=False)  # "Tell me when it is downloaded"

    def __init__(self, data: QueryDict, now: datetime | None = None) -> None:
        super().__init__(data)
        self.now = now or timezone.now()

    def clean_expires(self) -> int:
        choice = self.cleaned_data["expires"]  # stripped
        if choice == "date":
            expires_in = math.ceil((self._date() - self.now).total_seconds())
            if expires_in <= 0:
                raise ValidationError("Choose an expiry date in the future.")
            return expires_in
        try:
            return whole_number(choice)
        except ValueError:
            raise ValidationError("Choose when the link expires.") from None

    def _date(self) -> datetime:
        raw = (self.cleaned_data["expires_at"] or self.cleaned_data["expires_on"]).strip()
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError("Choose the expiry date and time.") from None
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)

    def share_request(self) -> single.ShareRequest:
        """What the dialog asks for, range-checked by the domain; InvalidShare otherwise."""
        values = parse(self, InvalidShare)
        return single.validate(
            single.ShareRequest(
                expires_in=values["expires"],
                max_downloads=values["max_downloads"],
                password=values["password"],
                message=values["message"],
                notify=values["notify"],
            )
        )


class UploadRequestForm(forms.Form):
    """The owner's "Ask for files" form. The size limit is asked in MB (decimal)."""

    title = _text()
    message = _text()
    expires_in = forms.TypedChoiceField(
        choices=UPLOAD_REQUEST_LIFETIMES,
        coerce=int,
        error_messages={
            "required": "Choose how long the request stays open.",
            "invalid_choice": "Choose how long the request stays open.",
        },
    )
    # Before max_files: the first of the two that is wrong is the one worded.
    max_mb = WholeNumberField(
        required=False,
        error_messages={"invalid": "The size limit must be a whole number, or empty for no limit."},
    )
    max_files = WholeNumberField(
        required=False,
        error_messages={
            "invalid": "The number of files must be a whole number, or empty for no limit."
        },
    )
    password = _text()


class TokenForm(forms.Form):
    """The API tokens page's form: what the token is for and how long it lasts."""

    name = _text()
    expires_in = forms.TypedChoiceField(
        choices=TOKEN_LIFETIMES,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose how long the token lasts."},
    )


class GuestForm(forms.Form):
    """The page a request's link opens: the password (when asked) and the guest's name."""

    password = _text()
    sender_name = _text()

    def clean_sender_name(self) -> str | None:
        # Absent (the password form) leaves the name as it was; empty clears it.
        return self.cleaned_data["sender_name"] if "sender_name" in self.data else None


class SelectedFilesForm(forms.Form):
    """The files ticked for a link to several files (?files=<id>&files=<id>…, or posted)."""

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        # Added here, not declared: a declared `files` would shadow Form.files for mypy.
        self.fields["files"] = forms.Field(required=False, widget=forms.MultipleHiddenInput)


class DownloadForm(forms.Form):
    """A link's landing page posts the password, and for several files the one to fetch."""

    password = _text()
    file = _text()


class WebhookForm(forms.Form):
    """The webhooks page's form: the receiver's URL and the events it wants (at least one;
    the rules themselves are files/webhooks/registration.py's)."""

    url = _text()
    events = forms.MultipleChoiceField(
        choices=[(choice.value, choice.value) for choice in Event.Type],
        error_messages={
            "required": "Choose at least one event.",
            "invalid_choice": "Choose events from the list.",
        },
    )
