"""The page declares a large file with its first parts' checksums and uses the URLs the
declaration answers ("create and sign in one call"), in real Chromium."""

from __future__ import annotations

import hashlib

from django.core.signals import request_started
from playwright.sync_api import Page, expect

from files import s3
from files.models import Upload
from tests.e2e.test_multipart_flow import MiB, write_random
from tests.helpers import choose_files


def test_the_page_sends_sixteen_parts_with_two_requests_to_django(
    signed_in_page: Page, settings, tmp_path
):
    # 16 parts: a GiB in Chute's 64 MiB parts; here 5 MiB, so all 16 fit the first batch
    # (about 256 MiB). With 64 MiB parts a GiB costs 3: 4 parts signed with the declaration,
    # the other 12 in one call, then complete.
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB
    page = signed_in_page
    source = tmp_path / "big.bin"
    expected = write_random(source, 16 * 5 * MiB)
    # The page asks for its unfinished uploads once loaded (htmx): not part of this upload.
    with page.expect_response("**/api/uploads/resumable"):
        page.goto("/")
    seen: list[str] = []

    def count(sender, environ, **kwargs):
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    request_started.connect(count)
    try:
        with page.expect_response("**/api/uploads") as created:
            choose_files(page, str(source))
        assert sorted(created.value.json()["urls"], key=int) == [str(n) for n in range(1, 17)]
        expect(page.locator(".transfer.done")).to_have_count(1, timeout=120_000)
    finally:
        request_started.disconnect(count)

    upload = Upload.objects.get(name="big.bin")
    assert upload.status == Upload.Status.READY and upload.part_count == 16
    assert hashlib.sha256(s3.get_bytes(upload.key)).hexdigest() == expected
    uploads = [line for line in seen if "/api/uploads" in line]
    assert len(uploads) == 2, seen  # create-and-sign, complete (which confirms)
    assert uploads[0] == "POST /api/uploads" and uploads[1].endswith("/complete")
