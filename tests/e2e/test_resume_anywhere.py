"""Resume from anywhere in real Chromium: a new browser (empty storage) continues an upload.

The server answers the owner's unfinished upload of the same file (name, size, type and
last-modified time); the page keeps a stored part only when its bytes hash to the SHA-256 that
was signed for it.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Request, Route, expect

from files import s3
from files.models import Upload
from tests.e2e.conftest import sign_in_context
from tests.e2e.test_multipart_flow import (
    is_part,
    is_part_put,
    part_number,
    stored_part_numbers,
    wait_until,
    write_random,
)
from tests.helpers import choose_files

MiB = 1024 * 1024
PARTS = 20
SENT_BEFORE_CLOSING = 8


@pytest.fixture(autouse=True)
def five_mib_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB
    settings.CHUTE_PARALLEL_PARTS = 2


def new_context(browser: Browser, user, live_server) -> BrowserContext:
    """A browser context of its own: no cookies, no localStorage, nothing from another one."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(30_000)
    sign_in_context(context, user, live_server.url)
    return context


def start_then_close(browser: Browser, user, live_server, source: Path) -> Counter[int]:
    """Send parts 1..8 of `source` from one browser, then close it with later parts in flight."""
    context = new_context(browser, user, live_server)
    page = context.new_page()
    puts: Counter[int] = Counter()
    page.on("request", lambda r: puts.update([part_number(r.url)]) if is_part_put(r) else None)
    held: list[Route] = []

    def hold_later_parts(route: Route) -> None:
        if route.request.method == "PUT" and part_number(route.request.url) > SENT_BEFORE_CLOSING:
            held.append(route)  # never answered: the closing browser drops it
        else:
            route.continue_()

    page.route(is_part, hold_later_parts)
    page.goto("/")
    choose_files(page, str(source))
    expected = list(range(1, SENT_BEFORE_CLOSING + 1))
    wait_until(page, lambda: stored_part_numbers(source.name) == expected and len(held) == 2)
    context.close()
    return puts


def resume_elsewhere(browser: Browser, user, live_server, source: Path) -> Counter[int]:
    """Choose `source` in a fresh browser and wait until it is listed; the part PUTs it sent."""
    context = new_context(browser, user, live_server)
    assert context.storage_state()["origins"] == []  # nothing in localStorage
    page = context.new_page()
    puts: Counter[int] = Counter()

    def count(request: Request) -> None:
        if is_part_put(request):
            puts[part_number(request.url)] += 1

    page.on("request", count)
    page.goto("/")
    choose_files(page, str(source))
    expect(page.locator("#file-rows")).to_contain_text(source.name, timeout=180_000)
    context.close()
    return puts


def stored_bytes_sha256(name: str) -> str:
    upload = Upload.objects.get(name=name)
    assert upload.status == Upload.Status.READY
    return hashlib.sha256(s3.get_bytes(upload.file.name)).hexdigest()


def test_a_new_browser_resumes_the_upload_and_sends_only_the_missing_parts(
    browser, user, live_server, tmp_path
):
    source = tmp_path / "film.bin"
    expected = write_random(source, PARTS * 5 * MiB)

    first = start_then_close(browser, user, live_server, source)
    # 1..8 landed; the later parts it had started (2 or more: the page adjusts how many are
    # in flight) were held and never reached the bucket.
    assert set(range(1, SENT_BEFORE_CLOSING + 3)) <= set(first)
    assert stored_part_numbers("film.bin") == list(range(1, SENT_BEFORE_CLOSING + 1))

    second = resume_elsewhere(browser, user, live_server, source)
    assert second == Counter(range(SENT_BEFORE_CLOSING + 1, PARTS + 1))  # 9..20, once each
    assert stored_bytes_sha256("film.bin") == expected
    assert Upload.objects.count() == 1  # the same upload, continued


def test_a_part_whose_bytes_changed_is_sent_again(browser, user, live_server, tmp_path):
    source = tmp_path / "edited.bin"
    write_random(source, PARTS * 5 * MiB)
    start_then_close(browser, user, live_server, source)

    # Change bytes inside part 3 (already in the bucket), keeping size and modification time,
    # so Chute still answers the same upload: only the page's hashing can tell.
    stat = source.stat()
    with source.open("r+b") as file:
        file.seek(2 * 5 * MiB + 1234)
        file.write(os.urandom(4096))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert source.stat().st_size == stat.st_size

    second = resume_elsewhere(browser, user, live_server, source)
    assert second == Counter([3, *range(SENT_BEFORE_CLOSING + 1, PARTS + 1)])
    assert stored_bytes_sha256("edited.bin") == hashlib.sha256(source.read_bytes()).hexdigest()
    assert Upload.objects.count() == 1
