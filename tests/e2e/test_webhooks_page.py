"""The webhooks page in real Chromium: by keyboard alone a person adds a webhook, copies its
secret (shown once), reads the latest deliveries and deletes it; at 360 px nothing scrolls
sideways and each webhook's address and Delete button stay in view."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from files.models import Delivery, Event, Webhook
from files.webhooks import registration, signing
from tests.e2e.conftest import sign_in_context
from tests.e2e.test_access import axe_context, axe_script, serious_violations  # noqa: F401
from tests.e2e.test_phones import WIDTH, assert_in_view, fits, phone  # noqa: F401 (fixture)

URL = "https://93.184.215.14/hooks/chute/a-rather-long-path-that-must-wrap-on-a-phone"


def test_a_webhook_is_added_and_deleted_by_keyboard(signed_in_page: Page, user):
    page = signed_in_page
    page.goto("/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

    page.get_by_label("Address").focus()
    page.keyboard.type(URL)
    page.keyboard.press("Tab")  # file.ready, checked by default
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # request.received
    expect(page.get_by_role("checkbox", name="request.received")).to_be_checked()
    page.get_by_role("button", name="Add webhook").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("shown only once")

    row = Webhook.objects.get()
    assert row.events == ["file.ready", "request.received"]
    secret = page.get_by_label("Signing secret")
    expect(secret).to_have_value(signing.secret(row))
    page.goto("/webhooks/")
    expect(page.get_by_label("Signing secret")).to_have_count(0)  # once

    delete = page.get_by_role("button", name=f"Delete the webhook to {URL}")
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("deleted")
    assert not Webhook.objects.exists()


def test_a_refused_address_is_explained_and_what_was_typed_kept(signed_in_page: Page):
    page = signed_in_page
    page.goto("/webhooks/")
    page.get_by_label("Address").fill("https://127.0.0.1/hooks")
    page.get_by_role("button", name="Add webhook").click()

    expect(page.get_by_role("alert")).to_contain_text("public addresses only")
    expect(page.get_by_label("Address")).to_have_value("https://127.0.0.1/hooks")
    assert not Webhook.objects.exists()


def with_deliveries(user) -> None:
    webhook = registration.create(user, url=URL, events=["file.ready"]).row
    now = timezone.now()
    for number, (status, code, error) in enumerate(
        [
            ("succeeded", 200, ""),
            ("pending", 503, "Answered 503."),
            ("failed", None, "No answer within 10 seconds."),
        ]
    ):
        event = Event.objects.create(
            owner=user, type="file.ready", data={"file": {"id": str(number)}}, dispatched_at=now
        )
        Delivery.objects.create(
            webhook=webhook,
            event=event,
            status=status,
            attempts=number + 1,
            next_attempt_at=now + timedelta(minutes=2),
            last_attempt_at=now,
            last_status_code=code,
            last_error=error,
        )


def test_no_serious_axe_violations_with_deliveries_and_a_new_secret(
    axe_context: BrowserContext,  # noqa: F811
    axe_script,  # noqa: F811
    user,
    live_server,
):
    with_deliveries(user)
    sign_in_context(axe_context, user, live_server.url)
    page = axe_context.new_page()
    page.goto("/webhooks/")
    assert serious_violations(page, axe_script) == [], "webhooks"
    page.get_by_label("Address").fill("https://127.0.0.1/")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious_violations(page, axe_script) == [], "webhooks with an error"
    page.get_by_label("Address").fill(URL)
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_label("Signing secret")).to_be_visible()
    assert serious_violations(page, axe_script) == [], "webhooks with a new secret"


def test_the_page_fits_a_phone_with_deliveries_listed(
    phone: BrowserContext,  # noqa: F811
    user,
    live_server,
):
    with_deliveries(user)
    sign_in_context(phone, user, live_server.url)
    page = phone.new_page()
    page.goto("/webhooks/")

    assert fits(page), "webhooks"
    assert page.viewport_size and page.viewport_size["width"] == WIDTH
    assert_in_view(page.get_by_role("heading", name=URL))
    assert_in_view(page.get_by_role("button", name=f"Delete the webhook to {URL}"))
    table = page.get_by_role("table", name=f"Latest deliveries to {URL}")
    expect(table).to_contain_text("Delivered (200)")
    expect(table).to_contain_text("Answered 503. Next try")
    expect(table).to_contain_text("Gave up: No answer within 10 seconds.")
    page.get_by_label("Address").fill(URL)
    page.get_by_role("button", name="Add webhook").click()
    assert fits(page), "webhooks with a new secret"
    assert_in_view(page.get_by_role("button", name="Copy"))
