"""The links page in real Chromium: a several-file link listed with its QR code, copied,
its expiry moved and revoked in place; at phone width nothing scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from files.models import Share
from files.shares import multi
from tests.helpers import ready_file


def test_several_file_link_is_listed_copied_extended_and_revoked_on_the_links_page(
    context, signed_in_page, live_server, user
):
    files = [ready_file(user, b"x" * 10, name=name) for name in ("a.txt", "b.txt")]
    made = multi.create(user, [str(f.id) for f in files], expires_in=3600, message="Hi there")
    context.grant_permissions(["clipboard-read", "clipboard-write"])

    page = signed_in_page
    page.goto("/")
    page.locator("header.topbar").get_by_role("link", name="Links").click()
    row = page.locator("tr.link-row", has_text="a.txt")
    expect(row).to_contain_text("b.txt")
    expect(row).to_contain_text("Hi there")
    expect(row.locator(".badge.state-active")).to_be_visible()

    row.get_by_role("button", name="Copy the link to a.txt, b.txt").click()
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/s/{made.token}"

    row.get_by_text("QR code").click()
    qr = row.get_by_role("img", name="QR code of the link to a.txt, b.txt")
    expect(qr.locator("svg.qr")).to_be_visible()
    assert qr.locator("svg.qr").bounding_box()["width"] > 50  # type: ignore[index]

    # The expiry form swaps the row in place (no reload: the open QR code stays open).
    row.get_by_label("Expires", exact=True).select_option(label="in 30 days")
    row.get_by_role("button", name="Change when the link to a.txt, b.txt expires").click()
    later = (timezone.now() + timedelta(days=30)).strftime("%b %-d, %Y")
    expect(page.locator(f"#link-{made.share.id} time").first).to_contain_text(later)
    assert Share.objects.get().expires_at > timezone.now() + timedelta(days=29)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#link-{made.share.id}").get_by_role(
        "button", name="Revoke the link to a.txt, b.txt"
    ).click()
    expect(page.locator(f"#link-{made.share.id} .badge.state-revoked")).to_be_visible()
    assert Share.objects.get().revoked_at is not None
    assert page.request.get(f"{live_server.url}/s/{made.token}").status == 410


def test_links_page_fits_a_phone(signed_in_page, user):
    files = [ready_file(user, b"x", name=f"a-rather-long-file-name-{n}.bin") for n in range(3)]
    multi.create(user, [str(f.id) for f in files], expires_in=3600, message="x " * 80)
    page = signed_in_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/links/")
    expect(page.locator("tr.link-row")).to_have_count(1)
    expect(page.get_by_role("button", name="Revoke the link to")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
