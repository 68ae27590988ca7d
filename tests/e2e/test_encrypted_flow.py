"""End-to-end encrypted transfers in real Chromium (issue 23): the page encrypts a batch, its
link carries the key in the fragment, and the recipient's browser decrypts names and bytes
while a service worker saves each file. The server and the bucket see neither."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from files import s3
from files.models import Share, Upload
from tests.e2e.conftest import sign_in_context
from tests.helpers import choose_files

MiB = 1024 * 1024
LABEL = "Encrypted file"


@pytest.fixture(autouse=True)
def small_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB
    settings.CHUTE_PARALLEL_PARTS = 2


class Recorder:
    """Every request a page makes, with its body: what the server (or anyone) could see."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("request", self.heard)

    def heard(self, request: Request) -> None:
        body = request.post_data_buffer or b""
        headers = " ".join(f"{k}: {v}" for k, v in request.headers.items())
        self.seen.append(f"{request.method} {request.url} {headers} {body[:100_000]!r}")

    def holds(self, text: str) -> bool:
        return any(text in line for line in self.seen)


def upload_encrypted(page: Page, files: list[Path]) -> str:
    """Tick "Encrypt in this browser", choose `files`, wait for the batch's link; the link."""
    page.goto("/")
    page.get_by_label("Encrypt in this browser").check()
    choose_files(page, [str(path) for path in files])
    link = page.locator("[data-encrypted-link]")
    expect(link).to_have_count(1, timeout=120_000)
    return link.input_value()


def recipient(browser: Browser, live_server) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(30_000)
    return context


def download(page: Page, name: str, target: Path):
    with page.expect_download() as info:
        page.get_by_role("button", name=f"Download {name}").click()
    saved = info.value
    assert saved.suggested_filename == name
    failure = None
    try:
        saved.save_as(target)
    except Exception as error:  # a failed download cannot be saved
        failure = str(error)
    return failure or saved.failure()


def test_an_encrypted_batch_reaches_its_recipient_byte_exact_and_the_server_sees_no_name_or_key(
    browser: Browser, signed_in_page: Page, live_server, tmp_path
):
    big = tmp_path / "holiday film.bin"
    big.write_bytes(os.urandom(12 * MiB + 12345))  # three 5 MiB parts of ciphertext
    small = tmp_path / "notes ünïcode.txt"
    small.write_bytes(b"meet at the old mill at noon\n")
    owner = Recorder(signed_in_page)

    url = upload_encrypted(signed_in_page, [big, small])
    base, key = url.split("#")
    assert len(key) == 22
    expect(signed_in_page.locator(".encrypted-link")).to_contain_text(
        "The key is only in this link"
    )
    # The owner's list shows the names this browser holds the key of.
    rows = signed_in_page.locator("#file-rows")
    expect(rows).to_contain_text(big.name)
    expect(rows).to_contain_text(small.name)

    uploads = list(Upload.objects.filter(status=Upload.Status.READY))
    assert len(uploads) == 2
    assert {u.name for u in uploads} == {LABEL}
    assert {u.content_type for u in uploads} == {"application/octet-stream"}
    assert sorted(u.size for u in uploads) == [
        21 + small.stat().st_size + 17,
        21 + big.stat().st_size + 17 * -(-big.stat().st_size // 65519),
    ]
    for upload in uploads:
        stored = s3.get_bytes(upload.file.name)
        assert small.read_bytes() not in stored and big.read_bytes()[:1000] not in stored
        assert "holiday" not in upload.meta and "notes" not in upload.meta
    share = Share.objects.get()  # made at once, for the batch
    assert "/s/" in base
    assert share.entries.count() == 2

    # Neither the names nor the key were in any request the page made.
    for secret in (big.name, small.name, "holiday", key):
        assert not owner.holds(secret), secret

    context = recipient(browser, live_server)
    try:
        page = context.new_page()
        seen = Recorder(page)
        page.goto(url)
        expect(page.locator("[data-decrypt][data-ready]")).to_be_attached()
        table = page.locator(".shared-files")
        expect(table).to_contain_text(big.name)
        expect(table).to_contain_text(small.name)
        expect(table).not_to_contain_text(LABEL)
        for source in (big, small):
            target = tmp_path / f"got-{source.name}"
            assert download(page, source.name, target) is None
            assert target.read_bytes() == source.read_bytes(), source.name
        expect(page.locator("[data-decrypt-status]")).to_contain_text(f"{small.name} is saved.")
        expect(page.get_by_role("alert")).to_be_hidden()
        # "Download all" would zip ciphertext: it is not offered.
        expect(page.get_by_role("button", name="Download all as one zip")).to_be_hidden()
        assert not seen.holds(key)
        assert not seen.holds("holiday")
        # Nothing of the key stays in the recipient's storage.
        state = context.storage_state()
        assert key not in str(state)
    finally:
        context.close()
    share.refresh_from_db()
    assert share.downloads == 2


def tamper(upload: Upload, offset: int) -> None:
    data = bytearray(s3.get_bytes(upload.file.name))
    data[offset] ^= 0x01
    s3.put_bytes(upload.file.name, bytes(data))


def test_a_tampered_object_fails_its_download_with_a_sentence(
    browser: Browser, signed_in_page: Page, live_server, tmp_path
):
    source = tmp_path / "ledger.bin"
    source.write_bytes(os.urandom(400_000))  # 7 records
    url = upload_encrypted(signed_in_page, [source])
    tamper(Upload.objects.get(), 21 + 4 * 65536 + 10)  # inside the fifth record

    context = recipient(browser, live_server)
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.locator(".share-name")).to_have_text(source.name)
        failure = download(page, source.name, tmp_path / "got.bin")
        assert failure, "a damaged record must fail the download"
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(f"{source.name} could not be saved")
        expect(alert).to_contain_text("damaged")
    finally:
        context.close()


def test_a_damaged_start_saves_nothing_and_says_so(
    browser: Browser, signed_in_page: Page, live_server, tmp_path
):
    source = tmp_path / "start.bin"
    source.write_bytes(os.urandom(100_000))
    url = upload_encrypted(signed_in_page, [source])
    tamper(Upload.objects.get(), 30)  # the first record

    context = recipient(browser, live_server)
    try:
        page = context.new_page()
        downloads: list = []
        page.on("download", lambda download: downloads.append(download))
        page.goto(url)
        page.get_by_role("button", name="Download").click()
        expect(page.get_by_role("alert")).to_contain_text("the key is wrong or the file is damaged")
        assert downloads == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("fragment", "sentence"),
    [
        ("", "This link has no key"),
        ("#" + "A" * 22, "The key in this link does not open these files"),
    ],
)
def test_without_its_key_or_with_a_wrong_one_the_link_says_so_and_offers_no_download(
    browser: Browser, signed_in_page: Page, live_server, tmp_path, fragment, sentence
):
    source = tmp_path / "secret.txt"
    source.write_bytes(b"nothing to see")
    url = upload_encrypted(signed_in_page, [source]).split("#")[0] + fragment
    context = recipient(browser, live_server)
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("alert")).to_contain_text(sentence)
        expect(page.get_by_role("button", name="Download")).to_be_hidden()
        expect(page.locator(".share-name")).to_have_text(LABEL)
    finally:
        context.close()


def test_the_links_page_names_encrypted_files_where_this_browser_holds_their_key(
    browser: Browser, signed_in_page: Page, user, live_server, tmp_path
):
    first = tmp_path / "tax return 2026.pdf"
    first.write_bytes(os.urandom(3000))
    second = tmp_path / "übersicht.txt"
    second.write_bytes(b"list of things")
    upload_encrypted(signed_in_page, [first, second])  # makes the batch's link
    share = Share.objects.get()

    signed_in_page.goto("/links/")
    files = signed_in_page.locator(f"#link-{share.id} .link-files li")
    expect(files).to_have_count(2)
    expect(files.filter(has_text=first.name)).to_have_count(1)
    expect(files.filter(has_text=second.name)).to_have_count(1)
    copy = signed_in_page.get_by_role("button", name="Copy the link to")
    expect(copy).to_have_attribute("aria-label", re.compile(re.escape(first.name)))
    expect(copy).not_to_have_attribute("aria-label", re.compile(LABEL))

    # Another browser of the same owner holds no key: Chute's label, and no error.
    context = recipient(browser, live_server)
    try:
        sign_in_context(context, user, live_server.url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto("/links/")
        listed = page.locator(f"#link-{share.id} .link-files li")
        expect(listed).to_have_count(2)
        expect(listed.first).to_have_attribute("data-named", "")  # names.js looked, found no key
        expect(listed.nth(1)).to_have_attribute("data-named", "")
        for item in listed.all():
            expect(item).to_contain_text(LABEL)
        assert errors == []
    finally:
        context.close()


def test_a_password_protected_encrypted_link_downloads_after_the_password(
    browser: Browser, signed_in_page: Page, live_server, tmp_path
):
    from files.shares import multi

    source = tmp_path / "deed.pdf"
    source.write_bytes(os.urandom(70_000))
    url = upload_encrypted(signed_in_page, [source])
    key = url.split("#")[1]
    upload = Upload.objects.get()
    new = multi.create(upload.owner, [str(upload.pk)], expires_in=3600, password="open sesame")
    context = recipient(browser, live_server)
    try:
        page = context.new_page()
        page.goto(f"/s/{new.token}#{key}")
        expect(page.locator(".share-name")).to_have_text(source.name)
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Download").click()
        expect(page.get_by_role("alert")).to_contain_text("The password is not right.")
        page.get_by_label("Password").fill("open sesame")
        target = tmp_path / "got.pdf"
        assert download(page, source.name, target) is None
        assert target.read_bytes() == source.read_bytes()
    finally:
        context.close()


# --- The CLI both ways ---------------------------------------------------------------------------

CLIENT = Path(__file__).resolve().parents[2] / "client"  # this branch's chute_client


def cli_module():
    """The CLI's own format code (client/chute_client/ece.py), from this worktree's client/."""
    import sys

    if str(CLIENT) not in sys.path:
        sys.path.insert(0, str(CLIENT))
    from chute_client import ece

    return ece


def chute(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real `chute` console script, running this branch's client."""
    done = subprocess.run(
        [Path(sys.executable).with_name("chute"), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(CLIENT), **env},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def encrypted_link(user, files: dict[str, bytes], *, password: str = "") -> str:
    """A link (with its key) to `files` ({name: bytes}) encrypted by the CLI's format code."""
    from files.shares import multi
    from files.uploads import confirm, declarations
    from files.uploads.start import start_upload

    ece = cli_module()
    key = ece.new_key()
    ids = []
    for name, data in files.items():
        cipher = ece.encrypt(data, key, ece.new_salt())
        meta = ece.encrypt_meta(key, name, "application/octet-stream", len(data))
        declared = declarations.declare_encrypted(
            size=len(cipher), content_type="application/octet-stream", meta=meta
        )
        issued = start_upload(user, declared)
        s3.put_bytes(issued.upload.key, cipher)
        ids.append(str(confirm.confirm(issued.upload).pk))
    new = multi.create(user, ids, expires_in=3600, password=password)
    return f"/s/{new.token}#{ece.b64url(key)}"


def test_a_file_encrypted_on_the_page_comes_out_of_chute_get_byte_exact(
    signed_in_page: Page, tmp_path
):
    source = tmp_path / "Ångström report.bin"
    source.write_bytes(os.urandom(6 * MiB + 99))  # two parts, a record cut at their boundary
    url = upload_encrypted(signed_in_page, [source])
    out = tmp_path / "out"
    out.mkdir()
    chute("get", url, "-o", out, CHUTE_TOKEN="", CHUTE_URL="")
    assert (out / source.name).read_bytes() == source.read_bytes()


def test_a_file_from_chute_upload_encrypt_downloads_in_the_browser(
    browser: Browser, user, live_server, tmp_path, settings
):
    from files.accounts import tokens

    data = os.urandom(200_000)
    source = tmp_path / "from the terminal.tar"
    source.write_bytes(data)
    token = tokens.create(user, name="CLI").token
    done = chute(
        "upload",
        "--encrypt",
        source,
        CHUTE_URL=live_server.url,
        CHUTE_TOKEN=token,
        CHUTE_STATE_DIR=str(tmp_path / "state"),
    )
    link = done.stdout.strip().splitlines()[-1].split("\t")[-1]
    assert "#" in link
    context = recipient(browser, live_server)
    try:
        page = context.new_page()
        page.goto(link)
        expect(page.locator(".share-name")).to_have_text(source.name)
        target = tmp_path / "got.tar"
        assert download(page, source.name, target) is None
        assert target.read_bytes() == data
    finally:
        context.close()


# --- Resume -------------------------------------------------------------------------------------


def test_an_interrupted_encrypted_upload_resumes_after_a_reload_sending_only_missing_parts(
    signed_in_page: Page, live_server, tmp_path
):
    from playwright.sync_api import Route

    from tests.e2e.test_multipart_flow import is_part, is_part_put, part_number, wait_until

    page = signed_in_page
    source = tmp_path / "archive.bin"
    source.write_bytes(os.urandom(6 * 5 * MiB))  # 7 parts of ciphertext
    puts: list[int] = []
    page.on("request", lambda r: puts.append(part_number(r.url)) if is_part_put(r) else None)
    held: list[Route] = []
    holding = [True]

    def hold_later_parts(route: Route) -> None:
        if holding[0] and route.request.method == "PUT" and part_number(route.request.url) > 3:
            held.append(route)  # never answered: the reload drops it
        else:
            route.continue_()

    page.route(is_part, hold_later_parts)
    page.goto("/")
    page.get_by_label("Encrypt in this browser").check()
    choose_files(page, str(source))

    def stored() -> list[int]:
        upload = Upload.objects.filter(status=Upload.Status.PENDING).first()
        if upload is None or not upload.multipart_upload_id:
            return []
        return sorted(
            p.number for p in s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)
        )

    # Two in flight: parts 1-3 landed, then 4 and 5 hang, so the upload is stuck partway.
    wait_until(page, lambda: stored() == [1, 2, 3] and len(held) == 2)
    page.reload()
    puts.clear()
    holding[0] = False
    # The unfinished upload is listed under its real name: this browser holds its key.
    expect(page.locator("#resumable")).to_contain_text(source.name)
    # Chosen again, unticked: it goes on encrypted, with the same key and salt.
    choose_files(page, str(source))
    link = page.locator("[data-encrypted-link]")
    expect(link).to_have_count(1, timeout=120_000)
    assert sorted(puts) == [4, 5, 6, 7]  # only the missing parts, once each
    upload = Upload.objects.get()
    assert upload.status == Upload.Status.READY
    ece = cli_module()
    key = ece.parse_key(link.input_value().split("#")[1])
    assert ece.decrypt(s3.get_bytes(upload.file.name), key) == source.read_bytes()


def test_a_name_too_long_to_encrypt_is_refused_with_a_sentence(signed_in_page: Page):
    page = signed_in_page
    page.goto("/")
    page.get_by_label("Encrypt in this browser").check()
    page.locator("[data-uploader][data-ready]").wait_for(state="attached")
    # A name no disk allows, but a page can make: its meta would pass 4 KiB.
    page.evaluate(
        """() => {
             const input = document.getElementById("file-input");
             const data = new DataTransfer();
             data.items.add(new File(["x"], "é".repeat(2000) + ".txt"));
             input.files = data.files;
             input.dispatchEvent(new Event("change"));
           }"""
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "was not uploaded: This file's name is too long to encrypt"
    )
    expect(page.locator(".transfer")).to_have_count(0)
    assert Upload.objects.count() == 0
