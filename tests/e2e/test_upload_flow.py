"""The core flow in real Chromium: sign in, drop files, watch progress, download."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from playwright.sync_api import Page, expect

from files.models import Upload


def drop_files(page: Page, paths: list[Path]) -> None:
    """Drop files on the window the way a desktop drag does (a DataTransfer with Files)."""
    page.locator("[data-uploader][data-ready]").wait_for(state="attached")
    handle = page.evaluate_handle("() => new DataTransfer()")
    for path in paths:
        data = list(path.read_bytes()) if path.stat().st_size < 1_000_000 else None
        if data is None:
            # Large files go through a file input to avoid shipping bytes through evaluate().
            page.set_input_files("#drop-helper", str(path))
            page.evaluate(
                "([dt]) => { for (const f of document.getElementById('drop-helper').files) dt.items.add(f); }",
                [handle],
            )
        else:
            page.evaluate(
                "([dt, name, bytes]) => dt.items.add(new File([new Uint8Array(bytes)], name))",
                [handle, path.name, data],
            )
    page.dispatch_event("body", "dragenter", {"dataTransfer": handle})
    page.dispatch_event("body", "drop", {"dataTransfer": handle})


def test_sign_in_drop_two_files_and_download_one(context, live_server, user, tmp_path):
    small = tmp_path / "notes.txt"
    small.write_bytes(b"Chute end to end\n" * 100)
    large = tmp_path / "video.bin"
    large.write_bytes(os.urandom(20 * 1024 * 1024))

    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Choose files")).to_be_visible()

    # A hidden input the test uses to hand large files to the DataTransfer.
    page.evaluate(
        "() => { const i = document.createElement('input'); i.type = 'file'; i.id = 'drop-helper';"
        " i.hidden = true; document.body.append(i); }"
    )
    drop_files(page, [small, large])

    transfers = page.locator(".transfer")
    expect(transfers).to_have_count(2)
    # Progress moves: a bar shows bytes sent, not only the bar the row's template always has.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.transfer progress')].some((bar) => bar.value > 0)"
    )

    rows = page.locator("#file-rows tr")
    expect(rows).to_have_count(2, timeout=60_000)
    expect(page.locator("#file-rows")).to_contain_text("notes.txt")
    expect(page.locator("#file-rows")).to_contain_text("video.bin")
    assert Upload.objects.filter(status=Upload.Status.READY).count() == 2

    row = page.locator("#file-rows tr", has_text="video.bin")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "video.bin"
    downloaded = Path(download.path()).read_bytes()
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(large.read_bytes()).digest()
