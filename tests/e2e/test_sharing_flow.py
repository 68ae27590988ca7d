"""Share links in real Chromium: make one in the dialog, open it signed out, download, revoke."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, expect

from files.models import Share
from tests.helpers import ready_file


def test_share_link_made_in_the_dialog_downloads_signed_out_until_revoked(
    browser: Browser, context, signed_in_page, live_server, user
):
    data = os.urandom(300_000)
    ready_file(user, data, name="holiday photos.zip", content_type="application/octet-stream")
    context.grant_permissions(["clipboard-read", "clipboard-write"])

    owner = signed_in_page
    owner.goto("/")
    row = owner.locator("#file-rows tr", has_text="holiday photos.zip")
    row.get_by_role("link", name="Share").click()

    dialog = owner.locator("dialog[data-share-dialog]")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("holiday photos.zip")
    # A refused form (400) is shown in place, with its reason.
    dialog.get_by_label("Expires").select_option(label="on a date…")
    dialog.get_by_label("Date and time").fill("2001-01-01T10:00")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.get_by_role("alert")).to_contain_text("in the future")
    assert not Share.objects.exists()

    dialog.get_by_label("Expires").select_option(label="in 1 day")
    dialog.get_by_label("Maximum downloads").fill("3")
    dialog.get_by_role("button", name="Create link").click()

    url_field = dialog.locator("[data-share-url]")
    expect(url_field).to_be_visible()
    url = url_field.input_value()
    assert url.startswith(f"{live_server.url}/s/")
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    assert owner.evaluate("navigator.clipboard.readText()") == url
    expect(dialog.locator(".share-row")).to_have_count(1)
    expect(dialog.locator(".share-row")).to_contain_text("Active")

    # Someone else, in a fresh browser with no session, opens the link.
    stranger_context = browser.new_context(accept_downloads=True)
    try:
        stranger = stranger_context.new_page()
        landing = stranger.goto(url)
        assert landing is not None and landing.status == 200
        expect(stranger.get_by_role("heading", name="holiday photos.zip")).to_be_visible()
        # The count itself, not any "3" on the card (the size "300.0 KB" has one too).
        expect(stranger.locator(".share-facts dt:text-is('Downloads left') + dd")).to_have_text("3")
        # The recipient is not asked to sign in or make an account.
        expect(stranger.locator("header.topbar nav")).to_have_count(0)
        expect(stranger.get_by_role("link", name="Sign in")).to_have_count(0)
        with stranger.expect_download() as download_info:
            stranger.get_by_role("button", name="Download").click()
        download = download_info.value
        assert download.suggested_filename == "holiday photos.zip"
        assert Path(download.path()).read_bytes() == data
        assert Share.objects.get().downloads == 1

        # The owner revokes it from the same dialog, after confirming; the link now answers 410.
        asked: list[str] = []
        owner.once("dialog", lambda prompt: (asked.append(prompt.message), prompt.accept()))
        dialog.get_by_role("button", name="Revoke").click()
        expect(dialog.locator(".share-row")).to_contain_text("Revoked")
        expect(dialog.get_by_role("button", name="Revoke")).to_have_count(0)
        assert asked and asked[0].startswith("Revoke this link?")

        revoked = stranger.goto(url)
        assert revoked is not None and revoked.status == 410
        expect(stranger.get_by_role("heading", name="This link no longer works")).to_be_visible()
        expect(stranger.locator("main")).to_contain_text("revoked")
    finally:
        stranger_context.close()

    # Closing the dialog removes it; the Share button opens a fresh one.
    dialog.get_by_role("button", name="Close").click()
    expect(owner.locator("dialog[data-share-dialog]")).to_have_count(0)
    row.get_by_role("link", name="Share").click()
    expect(owner.locator("dialog[data-share-dialog] .share-row")).to_contain_text("Revoked")


def test_refused_share_form_shows_in_place_with_debug_on(signed_in_page, user, settings):
    # DEBUG makes {% htmx_script %} add django-htmx's debug script, which would replace the
    # whole page with a 400 answer; the share form's refusal must still show in the dialog.
    settings.DEBUG = True
    ready_file(user, b"x" * 1000, name="debug.txt")
    page = signed_in_page
    page.goto("/")
    assert page.locator("script[src*='django-htmx']").count() == 1
    page.locator("#file-rows tr", has_text="debug.txt").get_by_role("link", name="Share").click()
    dialog = page.locator("dialog[data-share-dialog]")
    dialog.get_by_label("Expires").select_option(label="on a date…")
    dialog.get_by_label("Date and time").fill("2001-01-01T10:00")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.get_by_role("alert")).to_contain_text("in the future")
    expect(page.locator("#file-rows")).to_contain_text("debug.txt")
