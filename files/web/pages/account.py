"""The account page (/account/): the email address, its verification, what to be told about;
the verification link it mails; and password reset through Django's own auth views.

Every mail goes out from a task (files/tasks/mail.py) given the user's id and the request's
origin, never from the request itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from files.accounts import throttle
from files.errors import ChuteError
from files.mail import addresses
from files.mail.errors import VerificationRefused
from files.models import Account
from files.tasks.mail import send_password_reset, send_verification
from files.web.http import AuthenticatedRequest, origin_of

# Reset mails one account may be sent in an hour; past it, requests quietly send nothing (the
# page says the same either way, so nobody learns whether an account matched).
RESETS_PER_HOUR = 3


class EmailForm(forms.Form):
    email = forms.EmailField(
        required=False,
        label="Email address",
        error_messages={"invalid": "Write an email address like name@example.com."},
    )


if TYPE_CHECKING:  # django-stubs makes ModelForm generic; Django's class is not subscriptable
    _ModelForm = forms.ModelForm[Account]
else:
    _ModelForm = forms.ModelForm


class PreferencesForm(_ModelForm):
    class Meta:
        model = Account
        fields = ["notify_request_files", "notify_share_downloads", "notify_expiring"]
        labels = {
            "notify_request_files": "Files arrive through one of my upload requests",
            "notify_share_downloads": (
                "A link of mine is downloaded for the first time, or used up "
                "(for links made with “Tell me when it is downloaded”, ticked by default)"
            ),
            "notify_expiring": "A link or request of mine expires within 24 hours",
        }
        help_texts = dict.fromkeys(fields, "")  # the labels say it all


def _context(request: AuthenticatedRequest, **extra: Any) -> dict[str, Any]:
    account = Account.of(request.user)
    return {
        "account": account,
        "email_form": extra.pop("email_form", None)
        or EmailForm(initial={"email": request.user.email}),
        "preferences": extra.pop("preferences", None) or PreferencesForm(instance=account),
        **extra,
    }


def _page(request: AuthenticatedRequest, status: int = 200, **extra: Any) -> HttpResponse:
    response = render(request, "account/account.html", _context(request, **extra), status=status)
    response["Cache-Control"] = "no-store"
    return response


def _refused(request: AuthenticatedRequest, error: ChuteError, **extra: Any) -> HttpResponse:
    response = _page(request, error.status, error=error.message, **extra)
    for name, value in error.headers.items():
        response[name] = value
    return response


@require_http_methods(["GET", "POST"])
@login_required
def account(request: AuthenticatedRequest) -> HttpResponse:
    """GET shows the page; POST saves the address, sends its verification again, or saves
    the notification switches (the pressed button's `action` says which)."""
    if request.method != "POST":
        return _page(request)
    action = request.POST.get("action")
    user = request.user
    if action == "preferences":
        account = Account.of(user)
        preferences = PreferencesForm(request.POST, instance=account)
        preferences.save()  # three checkboxes: nothing can be invalid
        if not settings.CHUTE_ORIGIN:  # where the notifications' links point
            Account.objects.filter(pk=account.pk).update(origin=origin_of(request))
        return _page(request, notice="Your notification choices are saved.")
    if action == "resend":
        if not user.email or addresses.is_verified(user):
            return _page(request, notice="There is no address waiting for confirmation.")
        try:
            addresses.allow_verification_mail(user)
        except ChuteError as error:
            return _refused(request, error)
        send_verification.enqueue(user.pk, origin_of(request))
        return _page(request, notice=f"A new confirmation link is on its way to {user.email}.")
    form = EmailForm(request.POST)
    if not form.is_valid():
        return _page(request, 400, email_form=form, error=form.errors["email"][0])
    try:
        due = addresses.change(user, form.cleaned_data["email"])
    except ChuteError as error:
        return _refused(request, error, email_form=form)
    if due:
        send_verification.enqueue(user.pk, origin_of(request))
        notice = f"Check {user.email}: Chute sent a link to confirm it is yours."
    elif not user.email:
        notice = "Your email address is removed; Chute will send you nothing."
    else:
        notice = "Your email address is saved."
    return _page(request, notice=notice)


def _user_of(uidb64: str) -> User | None:
    try:
        return User.objects.filter(pk=int(urlsafe_base64_decode(uidb64).decode())).first()
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None


@require_GET
@never_cache
def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link in the verification mail: confirms the address it was sent to, once."""
    user = _user_of(uidb64)
    try:
        if user is None:
            raise VerificationRefused()
        address = addresses.verify(user, token, origin_of(request))
    except VerificationRefused as error:
        return render(request, "account/verified.html", {"error": error.message}, status=400)
    return render(request, "account/verified.html", {"address": address})


class PasswordResetRequestForm(PasswordResetForm):
    """Django's form, but the mail goes from a task, and only to a verified address."""

    def save(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        assert request is not None  # PasswordResetView passes it
        for user in self.get_users(self.cleaned_data["email"]):
            if throttle.hit(
                "password-reset", str(user.pk), limit=RESETS_PER_HOUR, window=timedelta(hours=1)
            ):
                continue
            send_password_reset.enqueue(user.pk, origin_of(request))


password_reset = PasswordResetView.as_view(form_class=PasswordResetRequestForm)
