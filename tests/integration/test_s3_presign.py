"""The batch presigner (s3.presign_parts) against a real SeaweedFS: what the bucket accepts
and refuses through its URLs is what it accepts and refuses through presign_part's."""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from files import s3

MiB = 1024 * 1024
PART = 5 * MiB  # S3's smallest non-final part


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def put(url: str, body: bytes, *, sha256: str) -> requests.Response:
    return requests.put(url, data=body, headers={"x-amz-checksum-sha256": sha256}, timeout=60)


@pytest.fixture
def multipart_upload() -> Iterator[tuple[str, str]]:
    key = f"users/presign/{uuid.uuid4().hex}"
    upload_id = s3.create_multipart(key, content_type="application/octet-stream")
    yield key, upload_id
    s3.abort_multipart(key, upload_id=upload_id)


def sign(key: str, upload_id: str, parts: dict[int, bytes], expires_in: int = 600) -> dict:
    return s3.presign_parts(
        key,
        upload_id=upload_id,
        parts=[s3.PartToSign(n, sha256=b64sha(body), size=len(body)) for n, body in parts.items()],
        expires_in=expires_in,
    )


def test_parts_sent_to_batch_urls_complete_and_read_back_exactly(multipart_upload):
    key, upload_id = multipart_upload
    data = os.urandom(2 * PART + 12345)
    parts = {1: data[:PART], 2: data[PART : 2 * PART], 3: data[2 * PART :]}
    urls = sign(key, upload_id, parts)
    assert sorted(urls) == [1, 2, 3]
    etags = {}
    for number, body in parts.items():
        answer = put(urls[number], body, sha256=b64sha(body))
        assert answer.status_code == 200, answer.text
        etags[number] = answer.headers["ETag"].strip('"')
    s3.complete_multipart(
        key,
        upload_id=upload_id,
        parts=[(n, etags[n], b64sha(parts[n])) for n in sorted(parts)],
    )
    assert s3.get_bytes(key) == data
    s3.delete(key)


def test_a_body_that_does_not_match_its_signed_checksum_is_refused(multipart_upload):
    key, upload_id = multipart_upload
    body = os.urandom(PART)
    url = sign(key, upload_id, {1: body})[1]
    damaged = bytes([body[0] ^ 1]) + body[1:]
    # The header the URL signs, a damaged body: the bucket checks the bytes (BadDigest).
    answer = put(url, damaged, sha256=b64sha(body))
    assert answer.status_code == 400, answer.text
    assert "BadDigest" in answer.text
    # A checksum header other than the signed one: the signature no longer matches.
    answer = put(url, damaged, sha256=b64sha(damaged))
    assert answer.status_code == 403, answer.text
    assert s3.list_parts(key, upload_id=upload_id) == []


def test_a_body_of_another_length_is_refused(multipart_upload):
    key, upload_id = multipart_upload
    body = os.urandom(PART)
    url = sign(key, upload_id, {1: body})[1]
    longer = body + b"x"
    answer = put(url, longer, sha256=b64sha(longer))
    assert answer.status_code == 403, answer.text
    assert s3.list_parts(key, upload_id=upload_id) == []


def test_a_url_signed_for_one_part_number_cannot_write_another(multipart_upload):
    key, upload_id = multipart_upload
    body = os.urandom(PART)
    url = sign(key, upload_id, {1: body})[1]
    other = url.replace("partNumber=1&", "partNumber=2&")
    assert other != url
    assert put(other, body, sha256=b64sha(body)).status_code == 403
    assert s3.list_parts(key, upload_id=upload_id) == []


def test_batch_urls_live_exactly_as_long_as_asked(multipart_upload):
    key, upload_id = multipart_upload
    body = os.urandom(PART)
    url = sign(key, upload_id, {1: body}, expires_in=2)[1]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["2"]
    time.sleep(3.5)  # SigV4 counts whole seconds from X-Amz-Date
    answer = put(url, body, sha256=b64sha(body))
    assert answer.status_code == 403, answer.text
    # Signed again, the same part goes in.
    fresh = sign(key, upload_id, {1: body}, expires_in=600)[1]
    assert put(fresh, body, sha256=b64sha(body)).status_code == 200
