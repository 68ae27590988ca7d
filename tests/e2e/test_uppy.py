"""Uppy's real npm packages in Chromium, configured only, upload into Chute (/api/uppy).

@uppy/core and @uppy/aws-s3 are installed when missing into the git-ignored .cache/npm-bench
and bundled with esbuild by bench/upload_throughput.py's `uppy_bundle`; nothing of Uppy is in
the repository. The page (bench/uppy/) is the benchmark's own, served on the live server's
origin by bench/urls.py, with the Content-Security-Policy Chute sends on its own pages.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page

from bench.upload_throughput import uppy_bundle as build_uppy_bundle
from files import s3
from files.models import Upload

MiB = 1024 * 1024
BIG = 105 * MiB  # over Uppy's default multipart threshold (100 MiB): 21 parts of 5 MiB


@pytest.fixture(scope="session")
def uppy_bundle() -> Path:
    """Uppy's npm packages bundled the way the benchmark bundles its peer (one shared way)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed; the Uppy test needs Node.js and npm")
    return build_uppy_bundle()


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MiB))
            handle.write(chunk)
            left -= len(chunk)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(8 * MiB), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def uppy_test_page(settings, monkeypatch, uppy_bundle: Path) -> str:
    """The benchmark's Uppy page on the live server: Chute's own middleware (and CSP) serve it."""
    settings.ROOT_URLCONF = "bench.urls"
    monkeypatch.setenv("BENCH_UPPY_BUNDLE", str(uppy_bundle))
    return "/bench/uppy/"


def watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def upload(page: Page, path: Path, count: int, timeout: float) -> list[dict]:
    page.set_input_files("#files", str(path))
    # Functions, not expression strings: Chute's CSP forbids the eval a string would need.
    page.wait_for_function("(n) => window.results.length >= n", arg=count, timeout=timeout)
    return page.evaluate("() => window.results")


def test_uppy_declaring_sizes_uploads_a_small_and_a_100_mb_file(
    signed_in_page: Page, live_server, uppy_test_page: str, tmp_path: Path, user
):
    page = signed_in_page
    violations = watch_csp(page)
    response = page.goto(f"{live_server.url}{uppy_test_page}")
    assert response is not None
    assert "script-src" in response.headers["content-security-policy"]  # Chute's CSP applies
    page.wait_for_function("() => window.results !== undefined")

    small = random_file(tmp_path / "notes.txt", 200_000)
    results = upload(page, small, 1, 30_000)
    assert results[0]["ok"], results

    big = random_file(tmp_path / "movie.bin", BIG)
    results = upload(page, big, 2, 300_000)
    assert all(result["ok"] for result in results), results
    assert violations == []

    # Leave the page so no request of Uppy's is still open on the live server at teardown.
    page.goto("about:blank")

    uploads = {u.name: u for u in Upload.objects.filter(owner=user)}
    assert set(uploads) == {"notes.txt", "movie.bin"}
    # The big one went multipart (complete confirmed it); the small one as a POST, which
    # the big one's first Uppy call confirmed. Uppy's addFile path ran onBeforeFileAdded,
    # so both declared their size.
    assert all(stored.size_declared for stored in uploads.values())
    assert uploads["movie.bin"].method == Upload.Method.MULTIPART
    assert uploads["movie.bin"].part_count == 21
    assert uploads["notes.txt"].method == Upload.Method.POST
    assert results[1]["location"].endswith(f"/files/{uploads['movie.bin'].id}/download")
    for path in (small, big):
        stored = uploads[path.name]
        assert stored.status == Upload.Status.READY, stored
        assert stored.size == path.stat().st_size
        assert hashlib.sha256(s3.get_bytes(stored.file.name)).hexdigest() == sha256_of(path)


def test_uppy_without_size_metadata_shows_why_a_file_in_parts_is_refused(
    signed_in_page: Page, live_server, uppy_test_page: str, tmp_path: Path, user
):
    page = signed_in_page
    page.goto(f"{live_server.url}{uppy_test_page}?sizes=undeclared")
    page.wait_for_function("() => window.results !== undefined")
    big = tmp_path / "movie.bin"
    with big.open("wb") as handle:
        handle.truncate(BIG)  # sparse: refused before Uppy reads a byte

    results = upload(page, big, 1, 30_000)
    page.goto("about:blank")

    assert not results[0]["ok"]
    assert "Chute needs the file's size to upload it in parts" in results[0]["error"], results
    assert not Upload.objects.filter(owner=user).exists()
