"""Large files in real Chromium: parallel parts through failures, and resume after a reload."""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Request, Route, expect

from files import s3
from files.models import Upload
from tests.helpers import choose_files

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def small_parts(settings):
    # Small parts keep the run short; 5 MiB is S3's smallest non-final part.
    settings.CHUTE_MULTIPART_THRESHOLD = 8 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB
    settings.CHUTE_PARALLEL_PARTS = 4


def part_number(url: str) -> int | None:
    query = parse_qs(urlparse(url).query)
    if "uploadId" not in query or "partNumber" not in query:
        return None
    return int(query["partNumber"][0])


def is_part(url: str) -> bool:
    return part_number(url) is not None


def is_part_put(request: Request) -> bool:
    return request.method == "PUT" and is_part(request.url)


def write_random(path: Path, size: int) -> str:
    """Write `size` random bytes; returns their SHA-256 (hex)."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for offset in range(0, size, 8 * MiB):
            chunk = os.urandom(min(8 * MiB, size - offset))
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def stored_sha256(upload: Upload) -> str:
    return hashlib.sha256(s3.get_bytes(upload.key)).hexdigest()


def wait_until(page: Page, condition, *, timeout: float = 60) -> None:
    """Poll `condition` while letting Playwright dispatch its events (route handlers run then)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        page.wait_for_timeout(100)


class PartTraffic:
    """Counts part PUTs per part number and how many were in flight at once."""

    def __init__(self, page: Page) -> None:
        self.puts: Counter[int] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self.signed: list[list[int]] = []
        page.on("request", self.started)
        page.on("requestfinished", self.ended)
        page.on("requestfailed", self.ended)

    def started(self, request: Request) -> None:
        if is_part_put(request):
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        elif request.method == "POST" and request.url.endswith("/parts"):
            self.signed.append([part["number"] for part in request.post_data_json["parts"]])
        elif request.method == "POST" and request.url.endswith("/api/uploads"):
            # The first parts are signed with the declaration ("create and sign in one call").
            parts = request.post_data_json.get("parts")
            if parts:
                self.signed.append([part["number"] for part in parts])

    def ended(self, request: Request) -> None:
        if is_part_put(request):
            self.in_flight -= 1


def test_large_file_uploads_in_parallel_parts_through_failures_and_is_stored_intact(
    signed_in_page: Page, live_server, tmp_path
):
    page = signed_in_page
    source = tmp_path / "big.bin"
    size = 105 * MiB  # 21 parts of 5 MiB
    expected = write_random(source, size)

    traffic = PartTraffic(page)
    origin = live_server.url

    def flaky_bucket(route: Route) -> None:
        request = route.request
        if request.method != "PUT":
            route.continue_()
            return
        number = part_number(request.url)
        traffic.puts[number] += 1
        first = traffic.puts[number] == 1
        if first and number in (2, 9, 16):
            route.abort("failed")  # the connection drops
        elif first and number == 11:
            route.fulfill(status=503, headers={"Access-Control-Allow-Origin": origin}, body="")
        elif first and number == 5:
            # What the bucket answers once a URL has expired: the page must sign it again.
            route.fulfill(
                status=403,
                headers={"Access-Control-Allow-Origin": origin, "Content-Type": "application/xml"},
                body="<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            )
        else:
            route.continue_()

    page.route(is_part, flaky_bucket)
    page.goto("/")
    with page.expect_response("**/api/uploads") as created:
        choose_files(page, str(source))
    # The page takes the server's limits from the create answer; it copies none.
    assert created.value.json()["limits"]["parallel_parts"] == 4

    expect(page.locator("#file-rows")).to_contain_text("big.bin", timeout=180_000)
    expect(page.locator(".transfer.done")).to_have_count(1)

    upload = Upload.objects.get(name="big.bin")
    assert upload.status == Upload.Status.READY
    assert (upload.method, upload.part_count) == ("multipart", 21)
    assert stored_sha256(upload) == expected

    # Every part went once, and each failed part exactly once more.
    assert traffic.puts == Counter({n: 2 if n in (2, 5, 9, 11, 16) else 1 for n in range(1, 22)})
    # In parallel, never more than twice what the server suggests (pace.js may double it).
    assert 1 < traffic.most_in_flight <= 2 * 4
    # URLs were signed in batches, and part 5 was signed again after its 403.
    signed = Counter(n for batch in traffic.signed for n in batch)
    assert len(traffic.signed) < 21
    assert signed[5] == 2
    assert set(signed) == set(range(1, 22))


class PartGate:
    """Lets parts 1..allowed reach the bucket and holds later ones unanswered until opened.

    Held requests are never released: the page itself cancels them (reload, pause), so the
    counts after opening show exactly what the page sent again.
    """

    def __init__(self, page: Page, allowed: int) -> None:
        self.allowed = allowed
        self.held: list[Route] = []
        self.before: Counter[int] = Counter()
        self.after: Counter[int] = Counter()
        self.opened = False
        page.route(is_part, self.handle)

    def handle(self, route: Route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        number = part_number(route.request.url)
        if self.opened:
            self.after[number] += 1
            route.continue_()
            return
        self.before[number] += 1
        if number <= self.allowed:
            route.continue_()
        else:
            self.held.append(route)

    def open(self) -> None:
        self.opened = True


def stored_part_numbers(name: str) -> list[int]:
    upload = Upload.objects.filter(name=name).first()
    if not upload or not upload.multipart_upload_id:
        return []
    return [part.number for part in s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)]


def test_reload_mid_upload_resumes_and_sends_only_the_missing_parts(
    signed_in_page: Page, live_server, tmp_path, settings
):
    settings.CHUTE_PARALLEL_PARTS = 2
    page = signed_in_page
    source = tmp_path / "resume.bin"
    size = 7 * 5 * MiB + 123_456  # 8 parts, the last one short
    expected = write_random(source, size)

    gate = PartGate(page, allowed=3)
    page.goto("/")
    choose_files(page, str(source))
    # Two workers: parts 1-3 land, then parts 4 and 5 hang, so the upload is stuck partway.
    wait_until(page, lambda: stored_part_numbers("resume.bin") == [1, 2, 3] and len(gate.held) == 2)

    listed: list[str] = []
    page.on(
        "request",
        lambda request: (
            listed.append(request.url)
            if request.method == "GET" and request.url.endswith("/parts")
            else None
        ),
    )
    page.reload()
    gate.open()

    resumable = page.locator("#resumable [data-resumable]")
    expect(resumable).to_have_count(1)
    expect(resumable).to_contain_text("resume.bin")
    choose_files(page, str(source))
    expect(resumable).to_have_count(0)

    expect(page.locator("#file-rows")).to_contain_text("resume.bin", timeout=120_000)
    upload = Upload.objects.get(name="resume.bin")
    assert upload.status == Upload.Status.READY
    assert stored_sha256(upload) == expected

    # The parts already in the bucket were not sent again; each missing one went once.
    assert gate.after == Counter({4: 1, 5: 1, 6: 1, 7: 1, 8: 1})
    assert gate.before == Counter({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    assert len(listed) == 1  # the page asked the bucket what it held (ListParts) once
    assert Upload.objects.count() == 1


def test_pause_stops_sending_and_resume_sends_only_the_rest(
    signed_in_page: Page, tmp_path, settings
):
    settings.CHUTE_PARALLEL_PARTS = 2
    page = signed_in_page
    source = tmp_path / "paused.bin"
    expected = write_random(source, 6 * 5 * MiB)  # 6 parts

    gate = PartGate(page, allowed=2)
    page.goto("/")
    choose_files(page, str(source))
    wait_until(page, lambda: stored_part_numbers("paused.bin") == [1, 2] and len(gate.held) == 2)

    transfer = page.locator(".transfer")
    transfer.get_by_role("button", name="Pause").click()
    expect(transfer).to_have_class("transfer paused")
    expect(transfer.locator(".transfer-stats")).to_contain_text("Paused")

    gate.open()
    transfer.get_by_role("button", name="Resume").click()

    expect(page.locator("#file-rows")).to_contain_text("paused.bin", timeout=60_000)
    upload = Upload.objects.get(name="paused.bin")
    assert stored_sha256(upload) == expected
    assert gate.after == Counter({3: 1, 4: 1, 5: 1, 6: 1})


def test_cancel_aborts_the_multipart_upload_in_the_bucket(signed_in_page: Page, user, tmp_path):
    page = signed_in_page
    source = tmp_path / "cancelled.bin"
    write_random(source, 4 * 5 * MiB)

    gate = PartGate(page, allowed=1)
    page.goto("/")
    choose_files(page, str(source))
    wait_until(page, lambda: stored_part_numbers("cancelled.bin") == [1] and gate.held)
    key = Upload.objects.get(name="cancelled.bin").key
    assert [m.key for m in s3.list_multipart_uploads(prefix=key)] == [key]

    page.locator(".transfer").get_by_role("button", name="Cancel").click()
    expect(page.locator(".transfer")).to_have_count(0)
    wait_until(page, lambda: not Upload.objects.filter(name="cancelled.bin").exists())
    assert s3.list_multipart_uploads(prefix=key) == []
    assert (
        page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('chute:'))") == []
    )
