"""Chute's JSON API with a personal token, and a plain client for the bucket's URLs.

The token goes to Chute only: presigned bucket URLs carry their own signature (and S3 refuses
a second kind of authentication). Neither the token nor a presigned URL ever appears in an
error message.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urljoin

import httpx

from chute_client import __version__
from chute_client.retry import RetryPolicy, server_should_retry

USER_AGENT = f"chute-client/{__version__}"


class ChuteError(Exception):
    """Raised when a command cannot do what was asked; the message is one sentence for people."""


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def describe(exc: httpx.TransportError) -> str:
    """A network failure in a few words, without the URL httpx may mention."""
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "the connection was refused or the host is unknown"
    return "the connection failed"


def check_id(file_id: str) -> str:
    try:
        return str(uuid.UUID(file_id))
    except ValueError:
        raise ChuteError(f"“{file_id}” is not a file id; `chute ls` lists them.") from None


class Api:
    """Calls to one Chute server as the token's owner; JSON in, JSON out, ChuteError on failure."""

    def __init__(self, base_url: str, token: str, *, policy: RetryPolicy | None = None) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ChuteError(f"“{base_url}” is not a URL such as https://chute.example.com.")
        self.base_url = base_url.rstrip("/") + "/"
        self.policy = policy or RetryPolicy()
        self._chute = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(60, connect=10),
        )
        # Part bodies take long on slow links: the read timeout is per chunk, not per request.
        self.bucket = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(120, connect=10),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    def close(self) -> None:
        self._chute.close()
        self.bucket.close()

    def url(self, path: str) -> str:
        """`api/files` is relative to CHUTE_URL; links such as `/api/uploads/…` to its origin."""
        return urljoin(self.base_url, path)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call to Chute, tried again on network failures and 502/503/504."""
        for attempt in range(1, self.policy.attempts + 1):
            last = attempt == self.policy.attempts
            try:
                response = self._chute.request(method, self.url(path), **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise ChuteError(
                        f"Could not reach Chute at {self.base_url} ({describe(exc)})."
                    ) from None
            else:
                if response.is_success or response.is_redirect:
                    return response
                if last or not server_should_retry(response.status_code):
                    raise error_from(response)
            time.sleep(self.policy.delay(attempt))
        raise AssertionError("unreachable")

    def get(self, path: str, **params: str) -> Any:
        return self.send("GET", path, params=params).json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.send("POST", path, json=body if body is not None else {})
        return response.json() if response.content else None

    def delete(self, path: str) -> None:
        self.send("DELETE", path)

    def redirect(self, path: str) -> str:
        """Where Chute redirects `path` (a presigned URL: keep it to yourself)."""
        response = self.send("GET", path)
        location = response.headers.get("Location")
        if not response.is_redirect or not location:
            raise ChuteError(f"Chute answered {response.status_code} instead of a download link.")
        return location


def error_from(response: httpx.Response) -> ChuteError:
    """Chute's own sentence (`{"error", "message"}`), or the status in words."""
    message = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("detail") or "")
    except ValueError:
        pass
    if not message:
        if response.status_code == 404:
            message = "Chute has no such file or upload (404)"
        else:
            message = f"Chute answered {response.status_code} {response.reason_phrase}"
    return ChuteError(sentence(message))
