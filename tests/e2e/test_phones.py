"""Phones in real Chromium (360 px): no page scrolls sideways, each table keeps its names
readable and its buttons in view, and what a dropped column said shows under the name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from files.models import Upload
from files.shares import multi
from files.upload_requests import owners
from tests.e2e.conftest import sign_in_context
from tests.helpers import choose_files, ready_file

WIDTH = 360
LONG_NAME = "minutes of the annual general meeting, spring 2024.pdf"


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": WIDTH, "height": 780},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(30_000)
    yield context
    context.close()


def fits(page: Page) -> bool:
    return page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")


def assert_in_view(locator: Locator) -> None:
    """Shown, and wholly inside the phone's width (not pushed off the side of the page)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box


def assert_name_readable(cell: Locator) -> None:
    """The whole name shows (it wraps rather than being clipped), on lines of 20+ characters."""
    expect(cell).to_be_visible()
    clipped = cell.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert not clipped, "the name is cut off"
    width, twenty = cell.evaluate(
        """(el) => {
             const style = getComputedStyle(el);
             const c = document.createElement("canvas").getContext("2d");
             c.font = style.font;
             return [el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
                     c.measureText(el.title.slice(0, 20)).width];
           }"""
    )
    assert width >= twenty, f"{width}px holds fewer than 20 characters of the name"


def test_every_page_fits_a_phone_with_names_readable_and_buttons_in_view(
    phone: BrowserContext, live_server, user
):
    ready_file(user, b"x" * 1500, name="notes.bin")
    long = ready_file(user, b"y" * 2_000_000, name=LONG_NAME)
    made = owners.create(user, title="Receipts", expires_in=86_400, max_files=5)
    received = ready_file(user, b"z" * 3000, name="receipt from the hardware store.pdf")
    Upload.objects.filter(pk=received.pk).update(request=made.row, sender_name="Bob")
    link = multi.create(user, [str(long.pk), str(received.pk)], expires_in=3600)

    # A recipient on a phone: every file's own Download button, in view.
    visitor = phone.new_page()
    visitor.goto(reverse("share", args=[link.token]))
    assert fits(visitor), "landing page"
    rows = visitor.locator(".shared-file")
    expect(rows).to_have_count(2)
    for row in rows.all():
        assert_in_view(row.get_by_role("button", name="Download"))
        assert_name_readable(row.locator("td.name"))
    expect(rows.first.locator(".file-meta")).to_have_text("2.0 MB")

    sign_in_context(phone, user, live_server.url)
    page = phone.new_page()
    page.goto("/")
    assert fits(page), "home"
    row = page.locator("#file-rows tr", has_text=LONG_NAME)
    assert_name_readable(row.locator("td.name"))
    for role, action in (("link", "Download"), ("link", "Share"), ("button", "Delete")):
        assert_in_view(row.get_by_role(role, name=action))
    assert_in_view(row.get_by_role("checkbox"))
    # The size and the time, whose columns a phone drops, show under the name.
    expect(row.locator(".file-meta")).to_be_visible()
    expect(row.locator(".file-meta")).to_contain_text("2.0 MB")

    page.goto("/requests/")
    assert fits(page), "requests"
    received_row = page.locator(".received-row")
    assert_name_readable(received_row.locator("td.name"))
    expect(received_row).to_contain_text("Bob")
    expect(received_row.locator(".file-meta")).to_contain_text("3.0 KB")

    page.goto("/tokens/")
    page.get_by_label("Name").fill("a phone script")
    with page.expect_navigation():  # the form posts; measure the page it loads
        page.get_by_role("button", name="Create token").click()
    assert fits(page), "API tokens"
    assert_in_view(page.get_by_role("button", name="Copy"))
    assert_in_view(page.get_by_role("button", name="Revoke a phone script"))

    page.goto("/account/")
    page.get_by_role("textbox", name="Email address").fill("someone.with.a.long.name@example.com")
    with page.expect_navigation():  # the form posts; measure the page it loads
        page.get_by_role("button", name="Save address").click()
    assert fits(page), "account"
    for name in ("Save address", "Send the confirmation link again", "Save choices"):
        assert_in_view(page.get_by_role("button", name=name))

    page.goto("/links/")
    page.get_by_text("Send by email").first.click()
    assert fits(page), "links with Send by email open"
    assert_in_view(page.get_by_role("button", name="Send the link").first)


def assert_inside(locator: Locator, container: Locator) -> None:
    """Shown, and wholly inside `container` (a dialog, a card): not clipped by it, nor out
    past its edge."""
    expect(locator).to_be_visible()
    box, outer = locator.bounding_box(), container.bounding_box()
    assert box is not None and outer is not None
    assert outer["x"] <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"], (
        box,
        outer,
    )


def test_the_share_dialog_and_the_links_page_keep_their_buttons_inside_on_a_phone(
    phone: BrowserContext, live_server, user
):
    ready_file(user, b"x" * 1500, name="holiday photos.zip")
    sign_in_context(phone, user, live_server.url)
    page = phone.new_page()
    page.goto("/")
    page.locator("#file-rows tr", has_text="holiday photos.zip").get_by_role(
        "link", name="Share"
    ).click()
    dialog = page.locator("dialog[data-share-dialog]")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.locator("[data-share-url]")).to_be_visible()
    assert fits(page), "home with the share dialog open"
    for name in ("Close", "Copy", "Create link"):
        assert_inside(dialog.get_by_role("button", name=name), dialog)
    assert_inside(dialog.get_by_label("Maximum downloads"), dialog)
    revoke = dialog.get_by_role("button", name="Revoke link", exact=False)
    assert_inside(revoke, dialog)
    # The expiry, whose column a phone drops, shows under the link.
    expect(dialog.locator("tr.share-row .file-meta")).to_contain_text("expires")

    page.goto("/links/")
    card = page.locator(".card", has=page.locator("table.links"))
    for name in ("Copy", "Revoke"):
        assert_inside(card.get_by_role("button", name=name, exact=False).first, card)


def test_encrypted_uploads_and_their_links_fit_a_phone(
    phone: BrowserContext, live_server, user, tmp_path
):
    from tests.e2e.test_encrypted_flow import encrypted_link

    sign_in_context(phone, user, live_server.url)
    page = phone.new_page()
    page.goto("/")
    assert_in_view(page.get_by_label("Encrypt in this browser"))
    page.get_by_label("Encrypt in this browser").check()
    source = tmp_path / LONG_NAME
    source.write_bytes(b"q" * 5000)
    choose_files(page, str(source))
    expect(page.locator("[data-encrypted-link]")).to_have_count(1)
    assert fits(page), "home with an encrypted batch's link"
    # A long name's transfer row and the link stay inside the phone's width.
    assert_in_view(page.locator(".transfer").first)
    assert_in_view(page.locator(".encrypted-link").get_by_role("button", name="Copy"))
    row = page.locator("#file-rows tr", has_text=LONG_NAME)
    assert_name_readable(row.locator("td.name"))

    url = encrypted_link(user, {LONG_NAME: b"w" * 3000, "b.txt": b"hello"})
    visitor = phone.new_page()
    visitor.goto(url)
    rows = visitor.locator(".shared-file")
    expect(rows.first).to_contain_text(LONG_NAME)
    assert fits(visitor), "encrypted landing page"
    for row in rows.all():
        assert_in_view(row.get_by_role("button", name="Download"))
    assert_name_readable(rows.first.locator("td.name"))
    visitor.goto(url.split("#")[0])
    expect(visitor.get_by_role("alert")).to_contain_text("This link has no key")
    assert fits(visitor), "encrypted landing page without its key"
