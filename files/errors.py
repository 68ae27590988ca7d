"""Every refusal Chute explains to a person: one base error with a code, a sentence and a status.

In the spirit of Zulip's `JsonableError`: domain modules raise these with a sentence; the API
layer (files/web/api/) turns them into `{"error": code, "message": sentence}` with `status` and
`headers`, and the pages render the same sentence. No module here knows about HTTP requests.

Over 300 lines on purpose: the core's refusals in one place (a few lines each), so a reader
finds the codes and sentences together; later packages keep theirs beside them in their own
errors.py (files/mail/errors.py, files/webhooks/errors.py), built on ChuteError.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from files.models import Share

RETRY_AFTER_SECONDS = 30  # what a client should wait when the bucket does not answer


class ChuteError(Exception):
    """Base for refusals: `code` for programs, `message` for people, `status` for HTTP."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"
    message: str = "The request could not be understood."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.message
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(ChuteError):
    """Raised when a request's values make no sense for the call (a foreign cursor, say)."""


class Throttled(ChuteError):
    """Base for refusals of a client that tried too often: says when to try again (Retry-After)."""

    status = 429
    code = "throttled"
    reason: ClassVar[str] = "Too many attempts."

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        self.retry_after = max(math.ceil((retry_at - now).total_seconds()), 1)
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            f"{self.reason} Try again in {minutes} minute{'s' if minutes != 1 else ''} "
            f"(at {retry_at.astimezone(UTC):%H:%M} UTC)."
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# --- Accounts -----------------------------------------------------------------------------


class SignupThrottled(Throttled):
    """Raised when an address submitted the sign-up form too often; says when to try again."""

    code = "too_many_signups"
    reason = "Too many sign-up attempts from your address."


class LoginLockedOut(Throttled):
    """What django-axes' lockout page says: too many failed sign-ins from one address."""

    code = "locked_out"
    reason = "Too many failed sign-ins from your address."


# --- Uploads ------------------------------------------------------------------------------


class InvalidUpload(ChuteError):
    """Raised when the declared name, size, type or checksum is not acceptable."""

    code = "invalid_upload"


class UploadNotFound(ChuteError):
    """Raised when the id does not name an upload of the signed-in user."""

    status = 404
    code = "not_found"
    message = "There is no such upload."


class NotUploaded(ChuteError):
    """Raised when confirm finds nothing in the bucket yet."""

    status = 409
    code = "not_uploaded"
    message = "The file has not arrived in the bucket yet. Finish the upload, then confirm."


class UploadClosed(ChuteError):
    """Raised when an upload was cancelled or deleted and cannot continue."""

    status = 409
    code = "upload_closed"
    message = "This upload was cancelled. Start a new upload to send the file."


class UploadMismatch(ChuteError):
    """Raised when what landed in the bucket differs from what was declared."""

    status = 422
    code = "mismatch"


class UploadChanged(ChuteError):
    """Raised when the object was overwritten while confirm was checking it."""

    status = 409
    code = "upload_changed"
    message = (
        "The file in the bucket changed while Chute was checking it. "
        "Let the upload finish, then confirm again."
    )


class SizeRequired(ChuteError):
    """Raised when an Uppy upload in parts declares no size: no part's length could be signed."""

    code = "size_required"
    message = (
        "Chute needs the file's size to upload it in parts: declare it in Uppy's metadata "
        "(onBeforeFileAdded: file => ({...file, meta: {...file.meta, size: file.size}})) "
        "and upload the file again."
    )


class QuotaExceeded(ChuteError):
    """Raised when an upload would take the user over their storage quota."""

    status = 413
    code = "quota_exceeded"


class InvalidThumbnail(ChuteError):
    """Raised when a thumbnail's declared type or size is not one Chute stores."""

    code = "invalid_thumbnail"


class ThumbnailMismatch(ChuteError):
    """Raised when the thumbnail in the bucket is missing or differs from its declaration."""

    status = 422
    code = "thumbnail_mismatch"


# --- Multipart ----------------------------------------------------------------------------


class PartsMismatch(ChuteError):
    """Raised when a completion's part list disagrees with the parts in the bucket."""

    status = 409
    code = "parts_mismatch"
    message = "The list of parts does not match what the bucket holds."


class NotMultipart(ChuteError):
    """Raised when a multipart call names an upload that is not a multipart upload."""

    status = 409
    code = "not_multipart"
    message = "This upload is sent in a single request; it has no parts."


class UploadGone(ChuteError):
    """Raised when the bucket no longer holds the multipart upload (aborted or expired)."""

    status = 410
    code = "upload_gone"
    message = (
        "The bucket no longer holds this upload's parts (it was aborted or expired). "
        "Start the upload again."
    )


class FileMissing(ChuteError):
    """Raised when a READY file's confirmed bytes are no longer in the bucket."""

    status = 410
    code = "file_missing"
    message = (
        "This file was registered, but its bytes are no longer in the storage bucket. "
        "Please upload it again."
    )


# --- Share links --------------------------------------------------------------------------


class InvalidShare(ChuteError):
    """Raised when a share link request asks for something Chute cannot make."""

    code = "invalid_share"
    message = "The share link request could not be understood."


class FileNotShareable(ChuteError):
    """Raised when the file is not (or no longer) a ready file."""

    status = 409
    code = "not_ready"
    message = "Only files that finished uploading can be shared."


class ShareNotFound(ChuteError):
    """Raised when a share id or token names no link (of this owner)."""

    status = 404
    code = "not_found"
    message = "There is no such share link."


class LinkGone(ChuteError):
    """Raised when a link exists but no longer hands out its file (expired, used up, revoked)."""

    status = 410
    code = "link_gone"

    def __init__(self, share: Share, state: Share.State) -> None:
        self.share = share
        self.state = state
        # The pages word each state with its dates (files/web/pages/shares.py); this is the API's.
        super().__init__(
            {
                "expired": "This link expired.",
                "used_up": "This link has been used up.",
            }.get(state, "This link was revoked, or its files were deleted.")
        )


class LinkClosed(ChuteError):
    """Raised when an owner changes a link that no longer works for good (revoked, files deleted)."""

    status = 409
    code = "link_closed"
    message = "This link was revoked, so its expiry can no longer change."


class PasswordRefused(ChuteError):
    """Raised when a password-protected link was opened without the right password."""

    status = 403
    code = "password_refused"


class TooManyAttempts(Throttled, PasswordRefused):
    """Raised when a client guessed wrong too often on one link; says when to try again."""

    code = "too_many_attempts"
    reason = "Too many wrong passwords for this link."


# --- Upload requests ----------------------------------------------------------------------


class InvalidUploadRequest(ChuteError):
    """Raised when an owner asks for an upload request Chute cannot make."""

    code = "invalid_upload_request"


class UploadRequestNotFound(ChuteError):
    """Raised when a token or id names no upload request (of this owner)."""

    status = 404
    code = "not_found"
    message = "There is no upload request at this address."


class UploadRequestGone(ChuteError):
    """Raised when an upload request no longer takes files: closed, expired or full."""

    status = 410
    code = "request_closed"

    def __init__(self, state: str, message: str) -> None:
        self.state = state
        super().__init__(message)


class OverRequestLimit(ChuteError):
    """Raised when a file would take an upload request past its number of files or bytes."""

    status = 413
    code = "over_request_limit"


class TooManyGuestUploads(Throttled):
    """Raised when one client started too many uploads through request links; says when to retry."""

    code = "too_many_uploads"
    reason = "Too many files started from your address."


# --- API tokens ---------------------------------------------------------------------------


class TokenRefused(ChuteError):
    """Raised when a call carries an API token that is unknown, expired or revoked."""

    status = 401
    code = "invalid_token"
    message = "The API token was refused."

    @property
    def headers(self) -> dict[str, str]:
        # RFC 6750: a refused bearer token names the scheme and why.
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InvalidToken(ChuteError):
    """Raised when a token request asks for something Chute cannot make."""

    code = "invalid_token_request"


class TokenNotFound(ChuteError):
    """Raised when a token id names no token of this owner."""

    status = 404
    code = "not_found"
    message = "There is no such API token."


class TokensNeedASession(ChuteError):
    """Raised when an API token tries to manage tokens."""

    status = 403
    code = "session_required"
    message = "API tokens cannot manage tokens; sign in to the page to do that."


# --- The bucket ---------------------------------------------------------------------------


class Unavailable(ChuteError):
    """Base for a service Chute needs that does not answer: 503, and when to try again."""

    status = 503

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class StorageDown(Unavailable):
    """Raised (or mapped from s3.StorageUnavailable) when the bucket does not answer."""

    code = "storage_unavailable"
    message = "The storage bucket is not answering right now. Please try again in a minute."


# --- The database -------------------------------------------------------------------------


class DatabaseDown(Unavailable):
    """Raised (or mapped from a database OperationalError) when the database does not answer.

    Nothing is lost by answering it: a step that may have committed before the error leaves
    its bytes for a retry, or for the cleanup to judge against the row.
    """

    code = "database_unavailable"
    message = "The database is not answering right now. Please try again in a minute."
