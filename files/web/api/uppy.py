"""`/api/uppy/s3/…`: Uppy Companion's S3 routes, so `@uppy/aws-s3` needs only configuration.

Point Uppy at `companionEndpoint: "<origin>/api/uppy"`. Routes and JSON shapes are Companion's
(packages/@uppy/companion/src/server/controllers/s3.js; the client is @uppy/aws-s3 6.x
CompanionS3.ts); the work is Chute's core (files/uploads/uppy.py): server-chosen keys, quotas,
confirm. Uppy's `filename` is display metadata and its `key` is only ever compared with the
key of one of the caller's uploads.

Auth: `Authorization: Bearer <token>`, or the session. Uppy 6 sends no custom header (no CSRF
token), so for the session these routes rely on what the browser itself says: a
`Sec-Fetch-Site` other than same-origin is refused, and a POST or DELETE must carry an
`Origin` naming this site (or one of CSRF_TRUSTED_ORIGINS). A client that sends neither
header must send Django's CSRF token, as on the rest of /api/.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router
from ninja.security import SessionAuth
from ninja.utils import check_csrf

from files.errors import ChuteError, InvalidUpload, UploadNotFound
from files.lifecycle import delete
from files.models import Upload
from files.text import whole_number
from files.uploads import multipart, uppy
from files.web.api.auth import BearerToken
from files.web.api.schemas import ErrorOut, UppyCompleteIn, UppyCreateIn
from files.web.errors import CSRF_REFUSED
from files.web.http import AuthenticatedRequest

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class CrossSiteRefused(ChuteError):
    """Raised when a session call to the Uppy routes comes from another site."""

    status = 403
    code = "cross_site"
    message = (
        "This call came from another site. Uppy on another origin must send an API token "
        "as “Authorization: Bearer <token>”."
    )


class SameOriginSession(SessionAuth):
    """The session, with the browser's Sec-Fetch-Site and Origin in place of a CSRF token."""

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def __call__(self, request: HttpRequest) -> Any:
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site != "same-origin":
            raise CrossSiteRefused()
        origin = request.headers.get("Origin")
        if request.method in UNSAFE_METHODS:
            if origin is not None:
                own = f"{request.scheme}://{request.get_host()}"
                if origin not in {own, *settings.CSRF_TRUSTED_ORIGINS}:
                    raise CrossSiteRefused()
            elif site is None and check_csrf(request) is not None:
                raise CrossSiteRefused(CSRF_REFUSED)
        return super().__call__(request)


# Django tries the patterns in order: the fixed words (complete, batch) before {part_number}.
router = Router(tags=["uppy"], auth=[BearerToken(), SameOriginSession()])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 410, 413, 422, 503)}


def _query(request: HttpRequest, name: str, *, example: str) -> str:
    value = request.GET.get(name, "")
    if not value:
        raise InvalidUpload(f'The "{name}" query parameter is required, for example ?{example}.')
    return value


def _metadata_from_query(request: HttpRequest) -> dict[str, str]:
    return {
        name[len("metadata[") : -1]: request.GET.get(name, "")
        for name in request.GET
        if name.startswith("metadata[") and name.endswith("]")
    }


def _number(raw: str) -> int:
    try:
        number = whole_number(raw, max_digits=5)
    except ValueError:
        number = 0
    if not 1 <= number <= 10_000:
        raise InvalidUpload(f"The part number must be a number between 1 and 10000, not “{raw}”.")
    return number


def _upload(request: AuthenticatedRequest, upload_id: str) -> Upload:
    key = _query(request, "key", example="key=<the key Chute answered>")
    if "\x00" in upload_id + key:  # PostgreSQL's text cannot hold NUL, so no upload has one
        raise UploadNotFound()
    return uppy.find(request.user, upload_id=upload_id, key=key)


def _sweep(request: AuthenticatedRequest) -> None:
    """Register the caller's earlier single-request uploads that have landed since."""
    uppy.confirm_landed(request.user)


@router.get("/s3/params", url_name="uppy-params", response={200: dict[str, Any], **ERRORS})
def params(request: AuthenticatedRequest) -> Any:
    """A presigned POST for one file: ?filename=&type=&metadata[size]= (Companion's shape)."""
    _sweep(request)
    name = _query(request, "filename", example="filename=photo.jpg&type=image/jpeg")
    metadata = _metadata_from_query(request)
    upload, post = uppy.start_single(
        request.user,
        name=name,
        content_type=request.GET.get("type", ""),
        size=uppy.parse_size(metadata.get("size")),
    )
    expires = int((upload.expires_at - upload.created_at).total_seconds())
    return {"method": "POST", "url": post.url, "fields": post.fields, "expires": expires}


@router.post(
    "/s3/multipart", url_name="uppy-create-upload", response={200: dict[str, Any], **ERRORS}
)
def create_multipart(request: AuthenticatedRequest, body: UppyCreateIn) -> Any:
    """Start a multipart upload; answers {key, uploadId}: the key is Chute's, not the name."""
    _sweep(request)
    upload = uppy.start_multipart(
        request.user,
        name=body.filename,
        content_type=body.type,
        size=uppy.parse_size(body.metadata.get("size")),
    )
    return {"key": upload.key, "uploadId": upload.multipart_upload_id}


@router.get("/s3/multipart/{upload_id}", url_name="uppy-list-parts", response={200: Any, **ERRORS})
def list_parts(request: AuthenticatedRequest, upload_id: str) -> Any:
    """The parts in the bucket: [{PartNumber, ETag, Size}] (for resuming)."""
    upload = _upload(request, upload_id)
    return [
        {"PartNumber": part.number, "ETag": f'"{part.etag}"', "Size": part.size}
        for part in multipart.uploaded_parts(upload)
    ]


@router.post(
    "/s3/multipart/{upload_id}/complete",
    url_name="uppy-complete-upload",
    response={200: dict[str, Any], **ERRORS},
)
def complete(request: AuthenticatedRequest, upload_id: str, body: UppyCompleteIn) -> Any:
    """Check the parts against the bucket, assemble, confirm: {location, key}."""
    upload = _upload(request, upload_id)
    done = multipart.complete(upload, [(part.PartNumber, part.ETag) for part in body.parts])
    location = request.build_absolute_uri(reverse("download", args=[done.id]))
    return {"location": location, "key": done.key}


@router.get(
    "/s3/multipart/{upload_id}/batch",
    url_name="uppy-sign-parts",
    response={200: dict[str, Any], **ERRORS},
)
def sign_batch(request: AuthenticatedRequest, upload_id: str) -> Any:
    """Part URLs for ?partNumbers=1,2,3: {presignedUrls: {"1": url, …}} (Companion's batch)."""
    upload = _upload(request, upload_id)
    raw = _query(request, "partNumbers", example="partNumbers=1,2,3")
    numbers = [_number(item.strip()) for item in raw.split(",")]
    if len(numbers) > 100:
        raise InvalidUpload("Ask for at most 100 parts at a time.")
    return {"presignedUrls": {str(number): uppy.sign_part(upload, number)[0] for number in numbers}}


@router.get(
    "/s3/multipart/{upload_id}/{part_number}",
    url_name="uppy-sign-part",
    response={200: dict[str, Any], **ERRORS},
)
def sign_part(request: AuthenticatedRequest, upload_id: str, part_number: str) -> Any:
    """One part's URL: {url, expires}; the part's exact length is signed in."""
    upload = _upload(request, upload_id)
    url, expires = uppy.sign_part(upload, _number(part_number))
    return {"url": url, "expires": expires}


@router.delete(
    "/s3/multipart/{upload_id}", url_name="uppy-abort-upload", response={200: dict, **ERRORS}
)
def abort(request: AuthenticatedRequest, upload_id: str) -> Any:
    """Abort the multipart upload: its parts and its row go. Answers {}."""
    delete.delete(_upload(request, upload_id))
    return {}
