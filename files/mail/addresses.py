"""An account's address: setting it, its verification token, and opening the link.

The token is a Django `PasswordResetTokenGenerator` whose hash covers the address being
verified and the address verified so far: opening the link once changes the latter, so a link
works once; changing the address makes every earlier link fail; and it expires after
PASSWORD_RESET_TIMEOUT (three days by default), as password-reset links do. Nothing is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils import timezone

from files.accounts import throttle
from files.mail.errors import VerificationRefused, VerificationsThrottled
from files.models import Account

# Verification mails (a new address, or "send it again") an account may cause in an hour:
# enough for typos, too few to use Chute to pester someone else's inbox.
VERIFICATIONS_PER_HOUR = 5
WINDOW = timedelta(hours=1)


class VerificationTokens(PasswordResetTokenGenerator):
    key_salt = "chute.mail.addresses.VerificationTokens"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}{user.email}{Account.of(user).verified_email}{timestamp}"


tokens = VerificationTokens()


def is_verified(user: User) -> bool:
    return Account.of(user).is_verified


def verified_address(user: User) -> str | None:
    """The address mail may go to: the account's, once verified; None otherwise."""
    return user.email if is_verified(user) else None


def allow_verification_mail(user: User, now: datetime | None = None) -> None:
    """Count one verification mail for `user`; VerificationsThrottled past the hourly limit."""
    now = now or timezone.now()
    retry_at = throttle.hit(
        "verify-mail", str(user.pk), limit=VERIFICATIONS_PER_HOUR, window=WINDOW, now=now
    )
    if retry_at:
        raise VerificationsThrottled(retry_at, now)


def change(user: User, email: str) -> bool:
    """Set the account's address (empty removes it); True when a verification mail is due.

    Setting the address it already has changes nothing (and mails nothing).
    """
    email = User.objects.normalize_email(email.strip())
    if email == user.email:
        return False
    if email:
        allow_verification_mail(user)
    user.email = email
    user.save(update_fields=["email"])
    return bool(email) and not is_verified(user)


def verify(user: User, token: str, origin: str = "") -> str:
    """Mark the address the token was made for as verified; the address, or VerificationRefused.

    `origin` (scheme://host the link was opened at) is where links in later notifications
    point when CHUTE_ORIGIN is not set: no request of the owner's causes those mails.
    """
    if not user.email or not tokens.check_token(user, token):
        raise VerificationRefused()
    account = Account.of(user)
    account.verified_email = user.email
    account.origin = origin or account.origin
    account.save(update_fields=["verified_email", "origin"])
    return user.email
