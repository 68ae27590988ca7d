"""Each mail Chute sends: a subject a person understands, plain text and an HTML alternative.

Bodies come from templates/mail/<name>.txt and <name>.html. Links in them are absolute, on
CHUTE_ORIGIN when it is set, else on the origin of the request that caused the mail (which
ALLOWED_HOSTS vetted); the tokens in them are made here, in the task, never stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from files.mail import addresses
from files.mail.links import Pending
from files.sizes import format_size

SUBJECT_NAMES = 60  # characters of file names a subject line holds


def absolute(origin: str, path: str) -> str:
    return (settings.CHUTE_ORIGIN or origin).rstrip("/") + path


def build(
    name: str, subject: str, to: str, context: dict[str, Any], reply_to: str | None = None
) -> EmailMultiAlternatives:
    context = {**context, "subject": subject}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"mail/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach_alternative(render_to_string(f"mail/{name}.html", context), "text/html")
    return message


def _uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def verification(user: User, origin: str) -> EmailMultiAlternatives:
    """The mail that asks the owner of `user.email` to confirm it (the only mail sent to an
    address before it is verified)."""
    token = addresses.tokens.make_token(user)
    path = reverse("verify-email", kwargs={"uidb64": _uid(user), "token": token})
    return build(
        "verify",
        "Confirm your email address for Chute",
        user.email,
        {"user": user, "url": absolute(origin, path), "account_url": absolute(origin, "/account/")},
    )


def password_reset(user: User, origin: str) -> EmailMultiAlternatives:
    """The password-reset mail: Django's own confirm view checks the token."""
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": _uid(user), "token": token})
    return build(
        "password_reset",
        "Reset your Chute password",
        user.email,
        {"user": user, "url": absolute(origin, path)},
    )


def link_mails(pending: Pending, origin: str) -> list[EmailMultiAlternatives]:
    """One mail per recipient (no one sees the others' addresses); never the link's password.
    Replies go to the sender when their address is verified."""
    link, mail = pending.link, pending.mail
    assert link.token is not None  # links.sendable refuses links whose address is unknown
    sender = mail.sender.get_username()
    names = link.names
    if len(names) > SUBJECT_NAMES:
        names = names[: SUBJECT_NAMES - 1] + "…"
    context = {
        "sender": sender,
        "message": mail.message,
        "files": [{"name": upload.name, "size": format_size(upload.size)} for upload in link.files],
        "expires_at": link.share.expires_at,
        "has_password": link.share.has_password,
        "max_downloads": link.share.max_downloads,
        "url": absolute(origin, reverse("share", args=[link.token])),
    }
    subject = f"{sender} sent you {names} with Chute"
    reply_to = addresses.verified_address(mail.sender)
    return [build("link", subject, address, context, reply_to) for address in mail.addresses]
