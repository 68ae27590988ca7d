"""The batch SigV4 query signer for UploadPart URLs: the one module that touches botocore internals.

Checked against botocore 1.44.5 (pinned in requirements.txt). It uses botocore's private
client steps (`_emit_api_params`, `_resolve_endpoint_ruleset`, `_convert_to_request_dict`,
`_request_signer._choose_signer`), `botocore.signers._should_use_global_endpoint`,
`botocore.auth._host_from_url`, `botocore.auth.get_current_datetime` and `percent_encode`.
tests/unit/test_s3.py fails first if an upgrade moves or changes them: it compares this
signer's URLs with botocore's byte for byte. presign.presign_parts falls back to botocore's
documented `generate_presigned_url` whenever `part_signer` answers None.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

import botocore.auth
from botocore.auth import S3SigV4QueryAuth, _host_from_url  # type: ignore[attr-defined]
from botocore.signers import _should_use_global_endpoint  # type: ignore[attr-defined]
from botocore.utils import percent_encode

# Where UploadPart puts the values that differ between the parts of one upload (the S3 API
# model: PartNumber is the `partNumber` query parameter, ContentLength and ChecksumSHA256 are
# headers). Everything else in a part URL is the same for every part of the upload.
_PART_NUMBER_QUERY = "partNumber"
_LENGTH_HEADER = "Content-Length"
_SHA256_HEADER = "x-amz-checksum-sha256"


def part_signer(client: Any, params: dict[str, Any], lifetime: int) -> PartSigner | None:
    """A signer for the UploadPart URLs `client` would presign from `params`, or None.

    botocore's own steps run once (parameter events, endpoint resolution and serialization
    build one request and its URL); `PartSigner` then signs each part, varying only its
    `partNumber` and its signed Content-Length and x-amz-checksum-sha256 headers. None unless
    botocore would sign with S3SigV4QueryAuth itself and the request is the one `PartSigner`
    knows: a PUT with no headers of its own and `partNumber` once in its query.
    """
    # generate_presigned_url's own context (botocore.signers; the helper is private, and
    # botocore-stubs leave it out).
    context: dict[str, Any] = {
        "is_presign_request": True,
        "use_global_endpoint": _should_use_global_endpoint(client),
    }
    operation = client.meta.service_model.operation_model("UploadPart")
    params = client._emit_api_params(api_params=params, operation_model=operation, context=context)
    endpoint_url, extra_headers, _ = client._resolve_endpoint_ruleset(
        operation, params, context, ignore_signing_region=True
    )
    template = client._convert_to_request_dict(
        api_params=params,
        operation_model=operation,
        endpoint_url=endpoint_url,
        context=context,
        headers=extra_headers,
        set_user_agent_header=False,
    )
    context = template["context"]
    signer = client._request_signer
    version = signer._choose_signer("UploadPart", "presign-url", context)
    if version != "s3v4-query":
        return None
    signing = context.get("signing", {})
    region = signing.get("region") or signer.region_name
    service = signing.get("signing_name") or signer.signing_name
    auth = signer.get_auth_instance(
        signing_name=service, region_name=region, signature_version=version, expires=lifetime
    )
    url = urlsplit(template["url"])
    query = parse_qsl(url.query, keep_blank_values=True)
    if (
        type(auth) is not S3SigV4QueryAuth
        or auth.credentials is None
        or template["method"] != "PUT"
        or set(template["headers"]) - {_LENGTH_HEADER, _SHA256_HEADER}
        or [name for name, _ in query].count(_PART_NUMBER_QUERY) != 1
        or len({name for name, _ in query}) != len(query)
    ):
        return None
    return PartSigner(
        credentials=auth.credentials,
        region=region,
        service=service,
        lifetime=lifetime,
        url=url,
        query=query,
    )


class PartSigner:
    """SigV4 query-string signing (S3SigV4QueryAuth's algorithm) for the parts of one batch.

    Hand-written, not botocore's signer, because of what botocore's costs. Measured
    2026-12-01 on a busy shared machine: S3SigV4QueryAuth.add_auth cost ~0.19 ms a URL in
    the server (README, "API cost") and 0.29 ms in a micro-benchmark of `presign_parts`, as
    it re-parses, re-encodes and re-sorts the whole URL and its headers for every URL; this
    one costs ~0.015 ms a URL. Another SigV4 package would be a second dependency doing the
    same per-URL work in Python; the saving comes from doing once per batch what does not
    change between parts, which a general signer cannot know. Computed once a batch: the
    signing key (it depends only on the date, region, service and secret), the URL without
    its query, the encoded query parameters and the host header. Each URL then builds its
    canonical request and string to sign with hashlib/hmac (the steps of
    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
    Credentials are the frozen ones botocore would sign with (a session token included),
    and the clock is botocore's, read once: every URL of a batch carries the same
    X-Amz-Date and expires at the same second.
    """

    def __init__(
        self,
        *,
        credentials: Any,
        region: str,
        service: str,
        lifetime: int,
        url: SplitResult,
        query: list[tuple[str, str]],
    ) -> None:
        # botocore's clock (its stubs leave the function out), so tests freeze both signers.
        now = botocore.auth.get_current_datetime()  # type: ignore[attr-defined]
        timestamp = now.strftime(botocore.auth.SIGV4_TIMESTAMP)
        scope = f"{timestamp[:8]}/{region}/{service}/aws4_request"
        key = f"AWS4{credentials.secret_key}".encode()
        for step in (timestamp[:8], region, service, "aws4_request"):
            key = hmac.new(key, step.encode(), hashlib.sha256).digest()
        self._signing_key = key
        self._header = f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n"
        self._host = _host_from_url(url.geturl())
        self._path = url.path  # S3 signs the path as sent (SigV4 normalizes it elsewhere)
        self._base = urlunsplit((url.scheme, url.netloc, url.path, "", ""))
        # Operation parameters first, in botocore's order, then the auth parameters.
        self._operation = [(percent_encode(name), percent_encode(value)) for name, value in query]
        self._auth = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", percent_encode(f"{credentials.access_key}/{scope}")),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", str(lifetime)),
        ]
        self._token = (
            [("X-Amz-Security-Token", percent_encode(credentials.token))]
            if credentials.token is not None
            else []
        )

    def sign(self, number: int, *, sha256: str, size: int) -> str:
        """The URL for part `number`, its length and SHA-256 (base64) signed in."""
        headers = {
            "content-length": str(size),
            "host": self._host,
            "x-amz-checksum-sha256": " ".join(sha256.split()),
        }
        names = sorted(headers)
        signed_headers = ";".join(names)
        operation = [
            (name, str(number) if name == _PART_NUMBER_QUERY else value)
            for name, value in self._operation
        ]
        query = [
            *operation,
            *self._auth,
            ("X-Amz-SignedHeaders", percent_encode(signed_headers)),
            *self._token,
        ]
        canonical = "\n".join(
            (
                "PUT",
                self._path,
                "&".join(f"{name}={value}" for name, value in sorted(query)),
                "".join(f"{name}:{headers[name]}\n" for name in names),
                signed_headers,
                botocore.auth.UNSIGNED_PAYLOAD,
            )
        )
        to_sign = self._header + hashlib.sha256(canonical.encode()).hexdigest()
        signature = hmac.new(self._signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        encoded = "&".join(f"{name}={value}" for name, value in query)
        return f"{self._base}?{encoded}&X-Amz-Signature={signature}"
