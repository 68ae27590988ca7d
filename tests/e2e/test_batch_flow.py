"""Many files at once in real Chromium: the queue, the list, folders and small files' SHA-256."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from playwright.sync_api import Page, Request, expect

from files import s3
from files.models import Upload
from tests.e2e.test_upload_flow import drop_files


def write_files(folder: Path, names: list[str], *, seed: int = 0) -> list[Path]:
    """Small files of different sizes (so they finish in no fixed order)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, name in enumerate(names):
        path = folder / name
        path.write_bytes(os.urandom(1 + (index * 7919 + seed * 104729) % 400_000))
        paths.append(path)
    return paths


def listed_names(page: Page) -> list[str]:
    return page.locator("#file-rows tr td.name").all_inner_texts()


def test_files_dropped_together_into_an_empty_list_are_each_listed_once(
    signed_in_page: Page, tmp_path
):
    page = signed_in_page
    page.goto("/")
    expect(page.locator("#file-rows-empty")).to_be_visible()
    # Rows are only ever added: fetching the list again while later files finish is the race
    # that once left rows duplicated or missing.
    refetched: list[str] = []
    page.on(
        "request",
        lambda r: (
            refetched.append(r.url)
            if r.headers.get("hx-request") and "/api/" not in r.url
            else None
        ),
    )
    expected: list[str] = []
    for round_ in range(2):
        names = [f"round{round_}-{n}.bin" for n in range(4)]
        drop_files(page, write_files(tmp_path / str(round_), names, seed=round_))
        expected += names
        expect(page.locator("#file-rows tr")).to_have_count(len(expected), timeout=60_000)
        expect(page.locator("#file-list .count")).to_have_text(str(len(expected)))
        assert sorted(listed_names(page)) == sorted(expected)  # each once, none missing
    expect(page.locator("#file-rows-empty")).to_be_hidden()
    assert refetched == []
    page.reload()  # the server agrees with what the page built
    assert sorted(listed_names(page)) == sorted(expected)


class Spans:
    """Files between their create and their confirm (the bucket request in between)."""

    def __init__(self, page: Page) -> None:
        self.open = 0
        self.most = 0
        page.on("request", self.started)
        page.on("requestfinished", self.ended)
        page.on("requestfailed", self.ended)

    def started(self, request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/api/uploads"):
            self.open += 1
            self.most = max(self.most, self.open)

    def ended(self, request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/confirm"):
            self.open -= 1


def test_twenty_files_wait_in_line_three_at_a_time(signed_in_page: Page, tmp_path, settings):
    assert settings.CHUTE_PARALLEL_FILES == 3
    page = signed_in_page
    spans = Spans(page)
    page.goto("/")
    names = [f"batch-{n:02}.bin" for n in range(20)]
    drop_files(page, write_files(tmp_path, names))

    # The rest wait, each saying so, under one line for the whole batch.
    expect(page.locator(".transfer.waiting").first).to_contain_text("Waiting")
    expect(page.locator("#batch")).to_be_visible()
    expect(page.locator("#batch")).to_contain_text("of 20 files uploaded")
    assert page.locator("#batch").get_attribute("aria-live") is None  # never spoken per tick

    expect(page.locator("#file-rows tr")).to_have_count(20, timeout=120_000)
    expect(page.locator("#file-list .count")).to_have_text("20")
    assert sorted(listed_names(page)) == names
    assert 1 < spans.most <= 3
    expect(page.locator("#batch")).to_contain_text("20 of 20 files uploaded")
    expect(page.locator("#upload-status")).to_contain_text("20 of 20 files uploaded")


def test_a_small_file_declares_its_sha256_and_the_bucket_checks_it(signed_in_page: Page, tmp_path):
    page = signed_in_page
    source = tmp_path / "notes.txt"
    source.write_bytes(os.urandom(300_000))
    digest = base64.b64encode(hashlib.sha256(source.read_bytes()).digest()).decode()
    # Chromium hands Playwright no body for a FormData holding a file: note the text fields
    # of each form the page sends instead.
    page.add_init_script(
        "const send = XMLHttpRequest.prototype.send;"
        "XMLHttpRequest.prototype.send = function (body) {"
        "  if (body instanceof FormData) (window.sentForms ||= []).push("
        "    Object.fromEntries([...body].filter(([, v]) => typeof v === 'string')));"
        "  return send.call(this, body); };"
    )
    page.goto("/")
    with page.expect_request("**/api/uploads") as created:
        drop_files(page, [source])
    assert created.value.post_data_json["sha256"] == digest
    assert isinstance(created.value.post_data_json["last_modified"], int)

    expect(page.locator("#file-rows")).to_contain_text("notes.txt", timeout=30_000)
    [form] = page.evaluate("() => window.sentForms")
    assert form["x-amz-checksum-sha256"] == digest
    assert form["x-amz-checksum-algorithm"] == "SHA256"
    upload = Upload.objects.get(name="notes.txt")
    assert (upload.sha256, upload.status) == (digest, Upload.Status.READY)
    assert s3.get_bytes(upload.file.name) == source.read_bytes()


def test_a_chosen_folder_keeps_each_files_path(signed_in_page: Page, tmp_path):
    page = signed_in_page
    root = tmp_path / "trip"
    write_files(root, ["plan.txt"])
    write_files(root / "day1", ["a.jpg", "b.jpg"], seed=1)
    page.goto("/")
    page.locator("[data-uploader][data-ready]").wait_for(state="attached")
    page.set_input_files("#folder-input", str(root))

    expect(page.locator("#file-rows tr")).to_have_count(3, timeout=60_000)
    assert sorted(listed_names(page)) == ["trip/day1/a.jpg", "trip/day1/b.jpg", "trip/plan.txt"]
    assert sorted(Upload.objects.values_list("folder", "name")) == [
        ("trip", "plan.txt"),
        ("trip/day1", "a.jpg"),
        ("trip/day1", "b.jpg"),
    ]
