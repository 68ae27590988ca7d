"""Download all on a several-file link in real Chromium: one .zip made in the browser by a
service worker from the bucket's signed GETs, each file counted as a download."""

from __future__ import annotations

import os
import zipfile

from playwright.sync_api import Browser, expect

from files.models import Share, ShareFile
from files.shares import multi
from tests.helpers import ready_file

DAY = 24 * 3600


def shared(user, *, password: str = "") -> tuple[str, list, Share]:
    files = [
        ready_file(user, os.urandom(700_000), name="holiday.bin"),
        ready_file(user, os.urandom(1_300_001), name="notes.bin"),
        ready_file(user, b"tiny", name="readme.txt", content_type="text/plain"),
    ]
    new = multi.create(user, [str(f.pk) for f in files], expires_in=DAY, password=password)
    return f"/s/{new.token}", files, new.share


def stored(upload) -> bytes:
    with upload.file.open("rb") as handle:
        return handle.read()


def test_download_all_saves_one_zip_whose_entries_are_the_files_byte_for_byte(
    browser: Browser, live_server, user, tmp_path
):
    url, files, share = shared(user)
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(url)
        button = page.get_by_role("button", name="Download all as one zip")
        # From the keyboard: the button is a real button with its name.
        button.focus()
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        download = info.value
        assert download.suggested_filename == f"{share.name}.zip"
        saved = tmp_path / "all.zip"
        download.save_as(saved)
        assert download.failure() is None

        with zipfile.ZipFile(saved) as archive:
            assert archive.testzip() is None  # every CRC-32 checks
            entries = archive.infolist()
            assert [entry.filename for entry in entries] == [f.name for f in files]
            assert {entry.compress_type for entry in entries} == {zipfile.ZIP_STORED}
            for entry, upload in zip(entries, files, strict=True):
                assert archive.read(entry) == stored(upload), entry.filename

        # Progress ends on the whole count, said politely, and the button works again.
        expect(page.locator("[data-zip-stats]")).to_have_text(f"3 files in {share.name}.zip")
        expect(page.get_by_role("status")).to_contain_text("Done: 3 files saved")
        expect(button).to_be_enabled()
        expect(button).to_be_focused()
        expect(page.get_by_role("alert")).to_be_hidden()
    finally:
        context.close()

    share.refresh_from_db()
    assert share.downloads == 3
    assert sorted(ShareFile.objects.filter(share=share).values_list("downloads", flat=True)) == [
        1,
        1,
        1,
    ]


def test_a_wrong_password_saves_nothing_counts_nothing_and_offers_the_buttons(
    browser: Browser, live_server, user
):
    url, _, share = shared(user, password="open sesame")
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    try:
        page = context.new_page()
        downloads: list = []
        page.on("download", lambda download: downloads.append(download))
        page.goto(url)
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Download all as one zip").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("The password is not right.")
        expect(alert).to_contain_text("one by one")
        assert downloads == []
        expect(page.get_by_role("button", name="Download notes.bin")).to_be_visible()
    finally:
        context.close()
    share.refresh_from_db()
    assert share.downloads == 0


def test_when_no_service_worker_can_run_the_page_says_so_and_keeps_the_per_file_buttons(
    browser: Browser, live_server, user
):
    url, _, share = shared(user)
    # Playwright's "block" refuses every registration, as a browser with service workers
    # switched off (or a private window that has none) would.
    context = browser.new_context(base_url=live_server.url, service_workers="block")
    try:
        page = context.new_page()
        page.goto(url)
        button = page.get_by_role("button", name="Download all as one zip")
        button.click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("This browser could not make one zip of these files.")
        expect(alert).to_contain_text("one by one")
        expect(button).to_be_enabled()
        expect(page.get_by_role("button", name="Download holiday.bin")).to_be_visible()
    finally:
        context.close()
    share.refresh_from_db()
    assert share.downloads == 0
