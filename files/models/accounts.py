"""An account's email preferences: the address it verified and what it wants to hear about.

Django's `User.email` holds the address; `Account` (made on first use, `Account.of`) holds
which address was verified (verified iff it equals `User.email` and is not empty) and the
notification switches the account page shows.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models


class Account(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="account"
    )
    # The address whose verification link was opened; stale once User.email changes.
    verified_email = models.EmailField(blank=True)
    # scheme://host where the address was confirmed: where links in notifications point
    # when CHUTE_ORIGIN is not set (notifications are caused by no request of the owner's).
    origin = models.CharField(max_length=255, blank=True)
    notify_request_files = models.BooleanField(
        default=True, help_text="Mail when files arrive through an upload request."
    )
    notify_share_downloads = models.BooleanField(
        default=True, help_text="Mail when a link is first downloaded, and when it is used up."
    )
    notify_expiring = models.BooleanField(
        default=False, help_text="Mail when a link or request expires within 24 hours."
    )

    def __str__(self) -> str:
        return f"account of {self.user_id}"

    @classmethod
    def of(cls, user: User) -> Account:
        account, _ = cls.objects.get_or_create(user=user)
        return account

    @property
    def is_verified(self) -> bool:
        return bool(self.user.email) and self.verified_email == self.user.email
