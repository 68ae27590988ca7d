"""Uppy's real npm packages in Chromium, configured only, upload into Chute (/api/uppy).

@uppy/core and @uppy/aws-s3 are installed at test time into the git-ignored .cache/npm-uppy
and bundled with esbuild into a temporary directory; nothing of Uppy is in the repository.
The test page and its scripts are served on the live server's origin by Playwright, with the
Content-Security-Policy Chute sends on its own pages.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page

from files import s3
from files.models import Upload

UPPY_VERSION = "6.3.1"  # `npm view @uppy/aws-s3 version` when this was written
ESBUILD_VERSION = "0.28.2"
ROOT = Path(__file__).resolve().parents[2]
NPM_DIR = ROOT / ".cache" / "npm-uppy"
PAGE_DIR = Path(__file__).resolve().parent / "uppy"  # entry.js; the page: uppy_urls.py
MiB = 1024 * 1024
BIG = 105 * MiB  # over Uppy's default multipart threshold (100 MiB): 21 parts of 5 MiB


def installed(package: str) -> str:
    manifest = NPM_DIR / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else ""


@pytest.fixture(scope="session")
def uppy_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The npm packages (installed when missing) bundled into one script, in a temp dir."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed; the Uppy test needs Node.js and npm")
    wanted = {"@uppy/core": UPPY_VERSION, "@uppy/aws-s3": UPPY_VERSION, "esbuild": ESBUILD_VERSION}
    if any(installed(name) != version for name, version in wanted.items()):
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NPM_DIR),
                *(f"{name}@{version}" for name, version in wanted.items()),
            ],
            check=True,
            timeout=600,
        )
    out = tmp_path_factory.mktemp("uppy") / "uppy.bundle.js"
    # esbuild resolves the bare imports from the entry's directory upwards.
    entry = NPM_DIR / "entry.js"
    shutil.copy(PAGE_DIR / "entry.js", entry)
    subprocess.run(
        [
            str(NPM_DIR / "node_modules" / ".bin" / "esbuild"),
            str(entry),
            "--bundle",
            "--format=iife",
            "--target=es2022",
            f"--outfile={out}",
            "--log-level=warning",
        ],
        check=True,
        timeout=300,
    )
    return out


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
def uppy_test_page(settings, uppy_bundle: Path) -> str:
    """/uppy-test/ on the live server: Chute's own middleware (and CSP) serve it."""
    settings.ROOT_URLCONF = "tests.e2e.uppy_urls"
    settings.UPPY_TEST_BUNDLE = str(uppy_bundle)
    return "/uppy-test/"


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


def test_uppy_configured_only_uploads_a_small_and_a_100_mb_file(
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
    # the big one's first Uppy call confirmed.
    assert uploads["movie.bin"].method == Upload.Method.MULTIPART
    assert uploads["movie.bin"].part_count == 21
    assert uploads["notes.txt"].method == Upload.Method.POST
    assert results[1]["location"].endswith(f"/files/{uploads['movie.bin'].id}/download")
    for path in (small, big):
        stored = uploads[path.name]
        assert stored.status == Upload.Status.READY, stored
        assert stored.size == path.stat().st_size
        assert hashlib.sha256(s3.get_bytes(stored.file.name)).hexdigest() == sha256_of(path)
