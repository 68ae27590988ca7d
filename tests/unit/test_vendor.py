"""Vendored browser libraries stay exactly as npm published them (static/vendor/README.md)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"
# | npm package | version | `folder/file` | `sha256` |
ROW = re.compile(r"^\| (\S+) \| (\S+) \| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)


def listed() -> list[tuple[str, str, str, str]]:
    return ROW.findall((VENDOR / "README.md").read_text())


def test_readme_lists_every_vendored_file_under_its_package_and_version():
    rows = listed()
    assert rows, "static/vendor/README.md lists no files"
    files = {
        path.relative_to(VENDOR).as_posix()
        for path in VENDOR.rglob("*")
        if path.is_file() and path.parent != VENDOR
    }
    assert files == {name for _, _, name, _ in rows}
    for package, version, name, _ in rows:
        assert name.split("/")[0] == f"{package}-{version}", name


def test_every_vendored_package_carries_its_licence():
    for package, version, _, _ in listed():
        folder = VENDOR / f"{package}-{version}"
        assert any(path.name.upper().startswith("LICEN") for path in folder.iterdir()), folder


def test_vendored_files_match_their_published_sha256():
    for _, _, name, digest in listed():
        actual = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} changed; refresh it with bin/vendor, never by hand"
