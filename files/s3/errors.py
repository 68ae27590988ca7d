"""The bucket's answers Chute understands, as domain exceptions, and the translation from botocore's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from files.s3.permissions import OPERATION_ACTIONS


class S3Failure(Exception):
    """Base for the bucket's answers that Chute understands."""

    message = "The storage bucket refused the request."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class ObjectNotFound(S3Failure):
    """Raised when the key (or the bucket) does not exist."""

    message = "The file is not in the bucket."


class UploadNotFound(S3Failure):
    """Raised when a multipart upload id is unknown (completed, aborted or never made)."""

    message = "The multipart upload no longer exists in the bucket."


class InvalidParts(S3Failure):
    """Raised when CompleteMultipartUpload rejects the part list."""

    message = "The bucket rejected the list of parts."


class ObjectChanged(S3Failure):
    """Raised when a conditional request finds the object no longer the one it names."""

    message = "The object changed in the bucket."


class StorageUnavailable(S3Failure):
    """Raised when the bucket cannot be reached, times out, or answers 5xx."""

    message = "The storage bucket is not answering right now. Please try again in a minute."


class AccessRefused(S3Failure):
    """Raised when the bucket refuses the credentials or the action (403): a configuration error."""

    message = "The storage bucket refused the credentials."


# The bucket's answers for wrong credentials or a policy that lacks the action; a HEAD
# request's 403 carries no body, so its code is the bare status.
_REFUSALS = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "403"}


def refusal(error: ClientError) -> str:
    """One sentence for a refused call: the operation, the IAM action, and what to check."""
    operation = error.operation_name
    code = error_code(error)
    needed = " and ".join(OPERATION_ACTIONS.get(operation, ())) or f"s3:{operation}"
    if code == "SignatureDoesNotMatch":
        return (
            f"The bucket refused {operation} (SignatureDoesNotMatch): the secret key does not "
            "match the access key; check AWS_SECRET_ACCESS_KEY."
        )
    if code == "InvalidAccessKeyId":
        return (
            f"The bucket refused {operation} (InvalidAccessKeyId): the server does not know "
            "this access key; check AWS_ACCESS_KEY_ID (and AWS_S3_ENDPOINT_URL)."
        )
    cause = "AccessDenied" if code == "AccessDenied" else "403 Forbidden"
    return (
        f"The bucket refused {operation} ({cause}): the credentials are wrong or their IAM "
        f"policy does not allow {needed} on this bucket (docs/operations.md lists the policy)."
    )


def error_code(error: ClientError) -> str:
    """The S3 error code of a ClientError ("NoSuchKey", "404", …), "" when it has none."""
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated() -> Iterator[None]:
    """Turn botocore's errors into the domain exceptions above; re-raise the rest."""
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}:
            raise ObjectNotFound() from error
        if code == "NoSuchUpload":
            raise UploadNotFound() from error
        if code in {"PreconditionFailed", "412"}:
            raise ObjectChanged() from error
        if code in {
            "InvalidPart",
            "InvalidPartOrder",
            "EntityTooSmall",
            "BadDigest",
            "InvalidDigest",
        }:
            raise InvalidParts(error.response.get("Error", {}).get("Message") or None) from error
        if status >= 500 or code in {"SlowDown", "ServiceUnavailable", "InternalError"}:
            raise StorageUnavailable() from error
        if code in _REFUSALS:
            raise AccessRefused(refusal(error)) from error
        raise
    except (BotoConnectionError, HTTPClientError) as error:
        raise StorageUnavailable() from error
