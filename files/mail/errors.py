"""The refusals of files/mail/: files.errors' shape (code, sentence, status), kept here because
files/errors.py is at its size limit."""

from __future__ import annotations

from files.errors import ChuteError, Throttled


class InvalidRecipients(ChuteError):
    """Raised when a link mail's list of addresses is empty, too long, repeated or malformed."""

    code = "invalid_recipients"


class LinkNotSendable(ChuteError):
    """Raised when a link no longer works (expired, used up, revoked), so it is not mailed."""

    status = 410
    code = "link_gone"


class LinkUnknown(ChuteError):
    """Raised when Chute cannot show a link's address again (made before tokens were derived)."""

    status = 409
    code = "link_unknown"
    message = (
        "Chute cannot show this link's address again (it was made before links could be "
        "shown again), so it cannot mail it either. Make a new link and send that one."
    )


class LinkMailsThrottled(Throttled):
    """Raised when an account sent too many link mails in the last hour."""

    code = "too_many_mails"
    reason = "You have sent too many links by email in the last hour."


class VerificationsThrottled(Throttled):
    """Raised when an account asked for too many verification mails in the last hour."""

    code = "too_many_verifications"
    reason = "Too many verification mails were sent for your account in the last hour."


class VerificationRefused(ChuteError):
    """Raised when a verification link is wrong, used, expired or for an address since changed."""

    code = "verification_refused"
    message = (
        "This verification link does not work: it was already used, it expired, or the "
        "address was changed since it was sent. Ask for a new one on your account page."
    )
