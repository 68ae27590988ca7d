"""Mail in real Chromium: the account page by keyboard alone, and "Send by email" from the
links page and from the share dialog (the mail itself is tested over SMTP in integration)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from files.models import Account, LinkMail, Share
from files.shares import single
from tests.helpers import ready_file


def test_account_page_sets_the_address_and_choices_by_keyboard(signed_in_page: Page, user):
    page = signed_in_page
    page.goto("/")
    page.locator("header.topbar").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account")
    page.get_by_role("textbox", name="Email address").focus()
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Check alice@example.com")
    expect(page.locator("#email-state")).to_contain_text("Not confirmed yet")

    expiring = page.get_by_label("A link or request of mine expires within 24 hours")
    expect(expiring).not_to_be_checked()
    expect(page.get_by_label("Files arrive through one of my upload requests")).to_be_checked()
    expiring.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save choices").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("notification choices are saved")
    expect(page.get_by_label("A link or request of mine expires within 24 hours")).to_be_checked()


def test_send_by_email_from_the_links_page_says_it_went_or_why_not(signed_in_page: Page, user):
    upload = ready_file(user, name="minutes.pdf")
    made = single.create_share(upload, expires_in=3600)
    page = signed_in_page
    page.goto("/links/")
    row = page.locator("tr.link-row", has_text="minutes.pdf")
    row.get_by_text("Send by email").click()
    row.get_by_role("textbox", name="Send to").fill("not an address")
    row.get_by_role("button", name="Send the link").click()
    expect(row.get_by_role("alert")).to_contain_text("is not an email address")
    row.get_by_role("textbox", name="Send to").fill("ann@example.com, bob@example.com")
    row.get_by_role("textbox", name="Message (optional)").fill("The minutes")
    row.get_by_role("button", name="Send the link").click()
    expect(row.get_by_role("status")).to_have_text("The link is on its way to 2 addresses.")
    mail = LinkMail.objects.get(share=made.share)
    assert (mail.count, mail.message) == (2, "The minutes")


def test_the_share_dialog_sends_the_new_link(signed_in_page: Page, user):
    ready_file(user, name="report.pdf")
    page = signed_in_page
    page.goto("/")
    page.locator("#file-rows tr", has_text="report.pdf").get_by_role("link", name="Share").click()
    dialog = page.locator("dialog[data-share-dialog]")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.locator("[data-share-url]")).to_be_visible()
    dialog.get_by_text("Send by email").click()
    dialog.get_by_role("textbox", name="Send to").fill("ann@example.com")
    dialog.get_by_role("button", name="Send the link").click()
    expect(dialog.get_by_text("The link is on its way to 1 address.")).to_be_visible()
    assert LinkMail.objects.filter(sender=user).count() == 1


def test_the_share_dialogs_tell_me_box_is_ticked_for_a_confirmed_address(
    signed_in_page: Page, user
):
    user.email = "alice@example.com"
    user.save()
    Account.objects.create(user=user, verified_email="alice@example.com")
    ready_file(user, name="report.pdf")
    page = signed_in_page
    page.goto("/")
    page.locator("#file-rows tr", has_text="report.pdf").get_by_role("link", name="Share").click()
    dialog = page.locator("dialog[data-share-dialog]")
    tell_me = dialog.get_by_label("Tell me when it is downloaded")
    expect(tell_me).to_be_checked()
    # The dialog has settled (it focuses its first field as it opens): then move to the box.
    expect(dialog.get_by_role("button", name="Create link")).to_be_visible()
    tell_me.focus()
    expect(tell_me).to_be_focused()
    page.keyboard.press("Space")  # by keyboard: this link stays quiet
    expect(tell_me).not_to_be_checked()
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.locator("[data-share-url]")).to_be_visible()
    assert Share.objects.get().notify is False
