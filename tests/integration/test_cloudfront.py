"""Downloads through CloudFront: with a custom domain and a key pair, owner and share downloads
are CloudFront-signed URLs (django-storages' signer), checked here with the public key."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.files.storage import storages
from django.test import Client

from files.shares import single
from tests.helpers import ready_file

DOMAIN = "d111111abcdef8.cloudfront.net"


@pytest.fixture
def key_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, private.public_key()


@pytest.fixture
def cloudfront(settings, key_pair):
    pem, public = key_pair
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **options,
                "custom_domain": DOMAIN,
                "cloudfront_key": pem,
                "cloudfront_key_id": "K2JCJMDEHXQW5F",
            },
        },
    }
    assert storages["default"].custom_domain == DOMAIN  # the setting reached the storage
    return public


def verify(url: str, public) -> dict[str, list[str]]:
    """Check a canned-policy CloudFront URL as CloudFront does; answer its query."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    signed = url.split("&Expires=", 1)[0]  # the resource: the URL before the signing fields
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Resource": signed,
                    "Condition": {"DateLessThan": {"AWS:EpochTime": int(query["Expires"][0])}},
                }
            ]
        },
        separators=(",", ":"),
    ).encode()
    raw = query["Signature"][0].translate(str.maketrans("-_~", "+=/"))
    public.verify(base64.b64decode(raw), policy, padding.PKCS1v15(), hashes.SHA1())
    return query


@pytest.mark.django_db
def test_an_owners_download_is_a_cloudfront_signed_url_that_expires_like_the_buckets(
    cloudfront, user
):
    upload = ready_file(user, b"hello", name="report final.pdf")
    owner = Client()
    owner.force_login(user)

    location = owner.get(f"/files/{upload.id}/download")["Location"]

    assert urlsplit(location).netloc == DOMAIN
    assert urlsplit(location).path == f"/{upload.file.name}"
    query = verify(location, cloudfront)
    assert query["Key-Pair-Id"] == ["K2JCJMDEHXQW5F"]
    assert 0 < int(query["Expires"][0]) - time.time() <= 61
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment") and "report" in disposition
    assert query["response-content-type"] == ["application/pdf"]


@pytest.mark.django_db
def test_a_share_download_is_signed_and_a_changed_url_fails_the_signature(cloudfront, user):
    upload = ready_file(user, b"<p>hi</p>", name="page.html", content_type="text/html")
    share = single.create_share(upload).share

    url = single.claim_download(share)

    query = verify(url, cloudfront)
    assert query["response-content-type"] == ["application/octet-stream"]  # never rendered
    tampered = url.replace("attachment", "inline", 1)
    with pytest.raises(InvalidSignature):
        verify(tampered, cloudfront)
