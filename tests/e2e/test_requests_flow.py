"""Upload requests and multi-file links in real Chromium: a guest without an account sends an
owner a small and a multipart file through /r/<token>; a recipient takes three shared files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from files import s3
from files.models import Upload, UploadRequest
from tests.helpers import choose_files, ready_file

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def small_parts(settings):
    # 5 MiB, S3's smallest non-final part: the ~20 MB file goes multipart in four parts.
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB


def write_random(path: Path, size: int) -> str:
    data = os.urandom(size)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_a_guest_sends_files_through_a_request_and_the_owner_gets_them_byte_exact(
    signed_in_page: Page, browser: Browser, live_server, user, tmp_path
):
    owner = signed_in_page
    owner.goto("/requests/")
    owner.get_by_label("Title").fill("Holiday photos")
    owner.get_by_label("Message").fill("The ones from the lake, please")
    owner.get_by_label("Most files").fill("5")
    owner.get_by_role("button", name="Create request").click()
    link = owner.locator("[data-request-url]").input_value()
    assert link.startswith(live_server.url + "/r/")

    small, large = tmp_path / "note.txt", tmp_path / "lake.mov"
    small_sha = write_random(small, 1234)
    large_sha = write_random(large, 20 * MiB + 4321)

    guest_context = browser.new_context(base_url=live_server.url)  # no account, no session
    guest = guest_context.new_page()
    guest.goto(urlsplit(link).path)
    expect(guest.get_by_text("alice asks you to send files")).to_be_visible()
    expect(guest.get_by_text("The ones from the lake, please")).to_be_visible()
    expect(guest.get_by_text("5 more of 5")).to_be_visible()
    with guest.expect_response(lambda r: r.request.method == "POST" and "/r/" in r.url):
        guest.get_by_label("Your name").fill("Bob")
        guest.get_by_label("Your name").press("Tab")  # `change` saves it in the session
    expect(guest.locator("#file-list")).to_contain_text("Nothing sent yet.")
    choose_files(guest, [str(small), str(large)])
    expect(guest.locator("#file-rows tr")).to_have_count(2, timeout=120_000)
    expect(guest.locator("#file-list .count")).to_have_text("2")
    expect(guest.locator("#file-rows-empty")).to_be_hidden()
    # The limits card follows the uploads without a reload.
    expect(guest.locator("#request-limits")).to_contain_text("3 more of 5")
    guest_context.close()

    row = UploadRequest.objects.get(owner=user)
    received = {u.name: u for u in Upload.objects.filter(request=row, status=Upload.Status.READY)}
    assert set(received) == {"note.txt", "lake.mov"}
    assert received["lake.mov"].method == Upload.Method.MULTIPART
    for name, sha in (("note.txt", small_sha), ("lake.mov", large_sha)):
        upload = received[name]
        assert (upload.owner, upload.sender_name) == (user, "Bob")
        stored = s3.get_bytes(upload.file.name)  # the confirmed key
        assert hashlib.sha256(stored).hexdigest() == sha

    owner.goto("/requests/")
    expect(owner.locator("#requests")).to_contain_text("2 of 5 files,")
    expect(owner.locator(".received-row")).to_have_count(2)
    expect(owner.locator(".received-row").first).to_contain_text("Bob")
    owner.goto("/")
    expect(owner.get_by_text("from Holiday photos · Bob").first).to_be_visible()


def test_an_owner_shares_three_ticked_files_and_a_recipient_takes_each(
    signed_in_page: Page, browser: Browser, live_server, user
):
    files = [ready_file(user, os.urandom(1000 + n), name=f"part-{n}.bin") for n in range(3)]
    ready_file(user, b"not shared", name="private.txt")
    owner = signed_in_page
    owner.goto("/")
    for upload in files:
        owner.get_by_label(f"Select {upload.name}").check()
    owner.get_by_role("button", name="Share selected").click()
    dialog = owner.locator("dialog[data-share-dialog]")
    expect(dialog).to_contain_text("Share 3 files with one link")
    dialog.get_by_role("button", name="Create link").click()
    link = dialog.locator("[data-share-url]").input_value()
    assert link.startswith(live_server.url + "/s/")
    expected = {}
    for upload in files:
        with upload.file.open("rb") as stored:
            expected[upload.name] = stored.read()

    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    page.goto(urlsplit(link).path)
    expect(page.locator(".shared-file")).to_have_count(3)
    expect(page.get_by_text("private.txt")).to_have_count(0)
    got = {}
    for upload in files:
        with page.expect_download() as info:
            page.get_by_role("button", name=f"Download {upload.name}").click()
        download = info.value
        got[download.suggested_filename] = Path(download.path()).read_bytes()
    context.close()

    assert got == expected


def test_reloading_the_page_a_new_request_answered_makes_no_second_request(
    signed_in_page: Page, user
):
    page = signed_in_page
    page.goto("/requests/")
    page.get_by_label("Title").fill("Scans")
    with page.expect_navigation():
        page.get_by_role("button", name="Create request").click()
    expect(page.locator("[data-request-url]")).to_be_visible()

    with page.expect_navigation():
        page.reload()  # the browser sends the same form again

    expect(page.get_by_role("status")).to_contain_text(
        "This form was already sent: the request “Scans” was made then"
    )
    expect(page.locator("[data-request-url]")).to_have_count(0)
    assert UploadRequest.objects.filter(owner=user).count() == 1
