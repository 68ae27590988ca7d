"""Owner downloads: a short-lived presigned GET that always saves, never renders, active content."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from files import s3
from files.uploads import declarations, start
from tests.helpers import ready_file


def follow(response) -> requests.Response:
    assert response.status_code == 302
    return requests.get(response["Location"], timeout=30)


@pytest.mark.django_db
def test_download_redirects_to_a_presigned_get_that_expires_within_a_minute(alice, user):
    upload = ready_file(user, b"%PDF-1.7 data", name="report.pdf")
    response = alice.get(f"/files/{upload.id}/download")
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 60
    fetched = requests.get(response["Location"], timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == b"%PDF-1.7 data"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html"),
        ("logo.svg", "image/svg+xml"),
        ("feed.xml", "text/xml"),
        ("app.js", "text/javascript"),
    ],
)
def test_active_content_is_never_served_inline(alice, user, name, content_type):
    upload = ready_file(user, b"<h1>hi</h1>", name=name, content_type=content_type)
    for url in (f"/files/{upload.id}/download", f"/files/{upload.id}/download?inline=1"):
        fetched = follow(alice.get(url))
        assert fetched.headers["Content-Disposition"].startswith("attachment;")
        assert fetched.headers["Content-Type"] == "application/octet-stream"


@pytest.mark.django_db
def test_inline_is_allowed_only_for_the_allow_list(alice, user):
    upload = ready_file(user, b"\x89PNG....", name="photo.png", content_type="image/png")
    fetched = follow(alice.get(f"/files/{upload.id}/download?inline=1"))
    assert fetched.headers["Content-Disposition"].startswith("inline;")
    assert fetched.headers["Content-Type"] == "image/png"
    default = follow(alice.get(f"/files/{upload.id}/download"))
    assert default.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ('say "hi".txt', 'say "hi".txt'),
        ("evil\r\nSet-Cookie: x=1.txt", "evil Set-Cookie: x=1.txt"),  # a line break is a space
        ("../../etc/passwd", "passwd"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("Résumé 履歴書.pdf", "Résumé 履歴書.pdf"),
    ],
)
def test_hostile_names_give_one_well_formed_header(alice, user, raw, shown):
    upload = ready_file(
        user, b"data", name=declarations.sanitize_name(raw), content_type="application/octet-stream"
    )
    assert upload.name == shown
    fetched = follow(alice.get(f"/files/{upload.id}/download"))
    header = fetched.headers["Content-Disposition"]
    assert header.startswith("attachment; filename")
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    assert fetched.content == b"data"


@pytest.mark.django_db
def test_very_long_names_are_capped_and_keep_their_extension(alice, user):
    upload = ready_file(
        user,
        b"data",
        name=declarations.sanitize_name("x" * 400 + ".tar.gz"),
        content_type="application/gzip",
    )
    assert len(upload.name) <= declarations.MAX_NAME_LENGTH
    assert upload.name.endswith(".gz")
    assert follow(alice.get(f"/files/{upload.id}/download")).status_code == 200


@pytest.mark.django_db
def test_pending_upload_cannot_be_downloaded(alice, user):
    pending = start.start_upload(
        user, declarations.Declaration(name="a.txt", size=4, content_type="text/plain")
    ).upload
    assert alice.get(f"/files/{pending.id}/download").status_code == 404


@pytest.mark.django_db
def test_downloads_never_pass_on_a_stored_content_encoding(alice, user):
    upload = ready_file(user, b"plain bytes, not gzip", name="notes.txt", content_type="text/plain")
    # Whatever metadata the stored object carries, the browser must get the confirmed bytes.
    s3.client().put_object(
        Bucket=s3.bucket_name(),
        Key=upload.file.name,
        Body=b"plain bytes, not gzip",
        ContentType="text/plain",
        ContentEncoding="gzip",
    )

    fetched = requests.get(
        alice.get(f"/files/{upload.id}/download")["Location"], timeout=30, stream=True
    )

    assert fetched.headers.get("Content-Encoding", "identity") == "identity"
    assert fetched.raw.read() == b"plain bytes, not gzip"
