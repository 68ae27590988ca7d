"""Keyboard, screen readers and phones, in Chromium: axe-core finds no serious problem on any
page, a keyboard alone uploads and shares, and no page scrolls sideways at phone widths."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from files.models import Share
from tests.e2e.conftest import sign_in_context
from tests.helpers import choose_files, ready_file

ROOT = Path(__file__).resolve().parents[2]
NPM_PREFIX = ROOT / ".cache" / "npm"  # git-ignored: axe-core comes from npm, never the repo
AXE = NPM_PREFIX / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(NPM_PREFIX),
                "axe-core@4.10.x",
                "--no-audit",
                "--no-fund",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE


@pytest.fixture
def axe_context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    # add_script_tag(path=...) injects axe as an inline script, which the page's CSP refuses:
    # only this context, used for axe alone, bypasses the policy.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()


def serious_violations(page: Page, axe: Path) -> list[dict]:
    page.add_script_tag(path=str(axe))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" "))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def refused_and_done_transfers(page: Page, tmp_path: Path) -> None:
    """Upload one file that lands and one the server refuses (too large), leaving both rows."""
    small = tmp_path / "fine.txt"
    small.write_bytes(b"fine\n" * 20)
    big = tmp_path / "too big.bin"
    big.write_bytes(b"x" * 5000)
    choose_files(page, [str(small), str(big)])
    expect(page.locator(".transfer.failed")).to_have_count(1)
    expect(page.locator(".transfer.done")).to_have_count(1)


@pytest.fixture
def small_limit(settings):
    settings.CHUTE_MAX_UPLOAD_SIZE = 1000


def test_no_serious_axe_violations_on_any_page(
    axe_context: BrowserContext, axe_script, live_server, user, tmp_path, settings, small_limit
):
    settings.CHUTE_SIGNUP_ENABLED = True
    ready_file(user, b"x" * 1000, name="report.pdf")
    share_url = make_share_url(user)

    visitor = axe_context.new_page()
    visitor_pages = ("/accounts/login/", "/accounts/signup/", "/accounts/password_reset/")
    for path in (*visitor_pages, share_url, "/s/no-such-link"):
        visitor.goto(path)
        assert serious_violations(visitor, axe_script) == [], path

    sign_in_context(axe_context, user, live_server.url)
    page = axe_context.new_page()
    page.goto("/")
    refused_and_done_transfers(page, tmp_path)
    assert serious_violations(page, axe_script) == [], "home"
    open_share_dialog(page, "report.pdf")
    assert serious_violations(page, axe_script) == [], "share dialog"
    page.goto("/account/")
    page.get_by_role("textbox", name="Email address").fill("alice@example.com")
    with page.expect_navigation():  # the form posts; measure the page it loads
        page.get_by_role("button", name="Save address").click()
    assert serious_violations(page, axe_script) == [], "account"
    page.goto("/links/")
    page.get_by_text("Send by email").first.click()
    assert serious_violations(page, axe_script) == [], "links with Send by email open"
    page.goto("/no-such-page")
    assert serious_violations(page, axe_script) == [], "404"


def make_share_url(user) -> str:
    from django.urls import reverse

    from files.models import Upload
    from files.shares import single

    upload = Upload.objects.filter(owner=user).first()
    new = single.create_share(upload, expires_in=3600, max_downloads=None, password="")
    return reverse("share", args=[new.token])


def open_share_dialog(page: Page, name: str) -> None:
    page.locator("#file-rows tr", has_text=name).get_by_role("link", name="Share").click()
    expect(page.locator("dialog[data-share-dialog]")).to_be_visible()


def focused(page: Page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return `${e.tagName} ${e.textContent.trim()}`; }"
    )


def tab_to(page: Page, wanted: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == wanted:
            return
    raise AssertionError(f"Tab never reached {wanted!r}; last focus: {focused(page)!r}")


def test_keyboard_alone_uploads_a_file_and_makes_a_share_link(signed_in_page: Page, tmp_path: Path):
    page = signed_in_page
    choosers: list = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    page.goto("/")
    source = tmp_path / "keyboard.txt"
    source.write_bytes(b"typed, not dragged\n" * 10)
    page.locator("[data-uploader][data-ready]").wait_for(state="attached")

    tab_to(page, "BUTTON Choose files")
    # The focused control is visibly marked.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    # Listen from the start: Playwright turns on file chooser interception asynchronously, and
    # a chooser opened before that is the browser's own (headless: nothing happens).
    page.keyboard.press("Enter")
    wait_until(lambda: choosers, page)
    choosers[0].set_files(str(source))
    expect(page.locator("#file-rows")).to_contain_text("keyboard.txt")
    # Screen readers hear the outcome once, from the one polite live region.
    expect(page.locator("#upload-status")).to_have_text("keyboard.txt uploaded.")
    assert page.locator("#transfers").get_attribute("aria-live") is None
    expect(page.get_by_role("progressbar", name="Upload of keyboard.txt")).to_be_attached()

    tab_to(page, "A Share")
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[data-share-dialog]")
    expect(dialog).to_be_visible()
    # Focus starts in the form's first field, not on Close.
    expect(dialog.get_by_label("Expires")).to_be_focused()
    tab_to(page, "BUTTON Create link", limit=6)
    page.keyboard.press("Enter")
    expect(dialog.locator("[data-share-url]")).to_be_focused()
    assert Share.objects.count() == 1
    page.keyboard.press("Escape")
    expect(page.locator("dialog[data-share-dialog]")).to_have_count(0)


def test_refused_file_offers_no_retry_and_delete_counts_down(
    signed_in_page: Page, user, tmp_path: Path, small_limit
):
    ready_file(user, b"x" * 100, name="old.txt")
    page = signed_in_page
    page.goto("/")
    refused_and_done_transfers(page, tmp_path)
    refused = page.locator(".transfer.failed")
    expect(refused).to_contain_text("too big.bin")
    expect(refused.get_by_role("button", name="Retry")).to_be_hidden()
    expect(refused.get_by_role("button", name="Cancel")).to_be_visible()

    count = page.locator("#file-list .count")
    expect(count).to_have_text("2")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#file-rows tr", has_text="old.txt").get_by_role("button", name="Delete").click()
    expect(page.locator("#file-rows tr", has_text="old.txt")).to_have_count(0)
    expect(count).to_have_text("1")


def wait_until(condition, page: Page, timeout_ms: int = 10_000) -> None:
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("condition not reached in time")


def fits(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [360, 390])
def test_no_page_scrolls_sideways_on_a_phone(
    browser: Browser, live_server, user, tmp_path, settings, small_limit, width
):
    settings.CHUTE_SIGNUP_ENABLED = True
    ready_file(user, b"x" * 1000, name="a rather long file name for a small screen.pdf")
    share_url = make_share_url(user)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 780},
        is_mobile=True,  # a coarse pointer, as on a phone
        has_touch=True,
    )
    try:
        visitor = context.new_page()
        for path in (
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password_reset/",
            share_url,
            "/s/no-such-link",
        ):
            visitor.goto(path)
            assert fits(visitor), path
        # A phone is not told to drop files.
        sign_in_context(context, user, live_server.url)
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Choose files")
        expect(page.locator(".pointer-only")).to_be_hidden()
        refused_and_done_transfers(page, tmp_path)
        assert fits(page), "home"
        name = page.locator(".transfer.failed .transfer-name")
        assert name.bounding_box()["width"] > 80, "a failed row's message squeezes its name"
        page.goto("/tokens/")
        page.get_by_label("Name").fill("a phone script")
        with page.expect_navigation():  # the form posts; measure the page it loads
            page.get_by_role("button", name="Create token").click()
        assert fits(page), "API tokens"
        page.goto("/account/")
        page.get_by_role("textbox", name="Email address").fill("a.rather.long.address@example.com")
        with page.expect_navigation():  # the form posts; measure the page it loads
            page.get_by_role("button", name="Save address").click()
        assert fits(page), "account"
        page.goto("/")
        open_share_dialog(page, "a rather long")
        assert fits(page), "share dialog"
        box = page.locator("dialog[data-share-dialog]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert abs(box["x"] - (width - box["x"] - box["width"])) <= 2, "the dialog is centred"
        page.goto("/no-such-page")
        assert fits(page), "404"
    finally:
        context.close()


def test_row_actions_name_their_file(signed_in_page: Page, user):
    """A screen reader hears "Delete notes.bin", not the same three words once per row."""
    ready_file(user, b"x" * 10, name="notes.bin")
    ready_file(user, b"y" * 10, name="summary.txt")
    page = signed_in_page
    page.goto("/")
    for name in ("notes.bin", "summary.txt"):
        expect(page.get_by_role("link", name=f"Download {name}", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=f"Share {name}", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name=f"Delete {name}", exact=True)).to_be_visible()
    open_share_dialog(page, "notes.bin")
    page.locator("dialog[data-share-dialog]").get_by_role("button", name="Create link").click()
    revoke = page.locator("dialog[data-share-dialog]").get_by_role("button", name="Revoke")
    expect(revoke).to_be_visible()  # the link exists once its row is shown
    expect(revoke).to_have_accessible_name(f"Revoke link {Share.objects.get().token_prefix}…")


def secret_boxes_keep_underscores(page: Page) -> None:
    """A monospace underscore sits below a "normal" line box and is clipped at 1x: the boxes
    holding links and tokens give it room (line-height of at least 1.4)."""
    for box in page.locator(".copy-row input").all():
        ratio = box.evaluate(
            "(el) => { const s = getComputedStyle(el); return parseFloat(s.lineHeight) / parseFloat(s.fontSize); }"
        )
        assert ratio >= 1.4, ratio


def test_request_links_and_new_tokens_have_copy_buttons(
    context: BrowserContext, signed_in_page: Page
):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = signed_in_page
    page.goto("/requests/")
    page.get_by_label("Title").fill("Scans")
    page.get_by_role("button", name="Create request").click()
    link = page.locator("[data-request-url]").input_value()
    secret_boxes_keep_underscores(page)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

    page.goto("/tokens/")
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Token").input_value()
    secret_boxes_keep_underscores(page)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token


def test_copy_fallback_selects_the_secret_and_names_the_macs_key(
    context: BrowserContext, signed_in_page: Page
):
    # A Mac whose clipboard refuses (an insecure origin, a denied permission).
    context.add_init_script(
        """Object.defineProperty(navigator, "platform", {get: () => "MacIntel"});
           Object.defineProperty(navigator, "userAgentData", {get: () => undefined});
           navigator.clipboard.writeText = () => Promise.reject(new DOMException("denied"));"""
    )
    page = signed_in_page
    page.goto("/tokens/")
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Press ⌘C")).to_be_visible()
    selected = page.evaluate(
        "() => { const i = document.activeElement; return i.value.slice(i.selectionStart, i.selectionEnd); }"
    )
    assert selected == page.get_by_label("Token").input_value()


def test_encrypted_states_have_no_serious_axe_violations_and_work_from_the_keyboard(
    axe_context: BrowserContext, axe_script, live_server, user, tmp_path
):
    from tests.e2e.test_encrypted_flow import encrypted_link

    url = encrypted_link(user, {"plan.txt": b"plan", "budget.ods": b"1,2,3"})
    visitor = axe_context.new_page()
    visitor.goto(url)
    expect(visitor.locator("[data-decrypt][data-ready]")).to_be_attached()
    assert serious_violations(visitor, axe_script) == [], "encrypted landing page"
    # Each decrypted file's Download button is named after it.
    expect(visitor.get_by_role("button", name="Download budget.ods")).to_be_visible()
    for broken in ("", "#" + "A" * 22):
        visitor.goto(url.split("#")[0] + broken)
        expect(visitor.get_by_role("alert")).to_be_visible()
        assert serious_violations(visitor, axe_script) == [], f"landing page, key {broken!r}"

    sign_in_context(axe_context, user, live_server.url)
    page = axe_context.new_page()
    page.goto("/")
    box = page.get_by_label("Encrypt in this browser")
    for _ in range(30):  # the checkbox is reached with Tab alone
        page.keyboard.press("Tab")
        if box.evaluate("(el) => el === document.activeElement"):
            break
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    source = tmp_path / "minutes.txt"
    source.write_bytes(b"minutes\n")
    choose_files(page, str(source))
    expect(page.locator("[data-encrypted-link]")).to_have_count(1)
    expect(page.get_by_role("status").first).to_be_attached()
    assert serious_violations(page, axe_script) == [], "home with an encrypted batch's link"
