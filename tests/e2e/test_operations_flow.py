"""In Chromium: the Content-Security-Policy is enforced and never in the way, and a dead
bucket shows its sentence with a Retry button that works once the bucket is back."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

from django.test.utils import override_settings
from playwright.sync_api import Page, Route, expect

from files.models import Share, Upload
from tests.conftest import storage_settings
from tests.helpers import choose_files, ready_file

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__violations")


def test_upload_and_file_list_run_under_the_policy_without_violations(
    signed_in_page: Page, tmp_path: Path
):
    page = signed_in_page
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    sample = tmp_path / "policy.txt"
    sample.write_bytes(b"allowed by the policy\n" * 50)
    choose_files(page, str(sample))

    expect(page.locator("#file-rows")).to_contain_text("policy.txt", timeout=30_000)
    # htmx is loaded and working (it processes the new row), with no inline style injected.
    assert page.evaluate("() => window.htmx.config.includeIndicatorStyles") is False
    assert violations(page) == []


def test_two_share_links_in_a_row_run_under_the_policy_without_violations(
    signed_in_page: Page, user
):
    # Reported once in issue 12: the second link made in the share dialog logged a violation.
    ready_file(user, b"shared twice\n" * 100, name="twice.txt", content_type="text/plain")
    page = signed_in_page
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/")
    page.locator("#file-rows tr", has_text="twice.txt").get_by_role("link", name="Share").click()
    dialog = page.locator("dialog[data-share-dialog]")
    urls = []
    for count in (1, 2):
        dialog.get_by_role("button", name="Create link").click()
        expect(dialog.locator(".share-row")).to_have_count(count)
        urls.append(dialog.locator("[data-share-url]").input_value())
        dialog.get_by_role(
            "button", name="Copy"
        ).focus()  # the dialog's script ran on the new panel
    assert len(set(urls)) == 2 and Share.objects.count() == 2
    assert violations(page) == []


def test_inline_script_is_refused_by_the_policy(signed_in_page: Page):
    page = signed_in_page
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.append(s); }"
    )
    assert page.evaluate("() => window.__ran") is None
    assert any(item.startswith("script-src") for item in violations(page))


def test_dead_bucket_shows_the_sentence_and_retry_succeeds_after(
    signed_in_page: Page, tmp_path: Path, seaweedfs, bucket
):
    page = signed_in_page
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = SimpleNamespace(
        endpoint=dead, access_key=seaweedfs.access_key, secret_key=seaweedfs.secret_key
    )
    outage = override_settings(**storage_settings(server, bucket), CHUTE_S3_MAX_ATTEMPTS=0)
    broken: list[bool] = []

    def break_bucket_before_confirm(route: Route) -> None:
        # The bytes are in the bucket by now; the bucket dies before Django checks them.
        if not broken:
            outage.enable()
            broken.append(True)
        route.continue_()

    page.route("**/api/uploads/*/confirm", break_bucket_before_confirm)
    page.goto("/")
    sample = tmp_path / "outage.txt"
    sample.write_bytes(b"sent while the bucket died\n")
    choose_files(page, str(sample))

    transfer = page.locator(".transfer", has_text="outage.txt")
    try:
        expect(transfer).to_contain_text("not answering right now", timeout=30_000)
        expect(transfer.get_by_role("button", name="Retry")).to_be_visible()
        assert not Upload.objects.filter(status=Upload.Status.READY).exists()
    finally:
        if broken:
            outage.disable()

    transfer.get_by_role("button", name="Retry").click()
    expect(page.locator("#file-rows")).to_contain_text("outage.txt", timeout=30_000)
    assert Upload.objects.filter(status=Upload.Status.READY, name="outage.txt").count() == 1
    # Retry only confirmed again: the bytes that had landed were not sent a second time.
    assert Upload.objects.count() == 1
