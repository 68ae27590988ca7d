"""collectstatic under production settings hashes the uploader's ES module imports.

Run as a separate process so the settings are read from the environment, as in production.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collectstatic(static_root: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHUTE_", "AWS_", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite://:memory:",
            "AWS_STORAGE_BUCKET_NAME": "chute",
            "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
            "AWS_ACCESS_KEY_ID": "key",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "STATIC_ROOT": str(static_root),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


def imports(static_root: Path, name: str) -> list[str]:
    """The static names a collected module imports, resolved from its relative paths."""
    source = (static_root / name).read_text()
    return [
        posixpath.normpath(posixpath.join(posixpath.dirname(name), relative))
        for relative in re.findall(r'from\s+"(\.\.?/[^"]+)"', source)
    ]


def unhashed(name: str) -> str:
    return re.sub(r"\.[0-9a-f]{12}\.js$", ".js", name)


def test_hashed_entry_module_imports_hashed_modules_across_folders(tmp_path):
    root = tmp_path / "static"
    paths = collectstatic(root)
    entry = paths["files/pages/uploader.js"]
    assert re.fullmatch(r"files/pages/uploader\.[0-9a-f]{12}\.js", entry)

    imported = imports(root, entry)
    # From pages/ into uploader/ ("../uploader/…") and within pages/ ("./view.js").
    assert {
        "files/uploader/transfer.js",
        "files/uploader/protocol.js",
        "files/uploader/queue.js",
        "files/pages/view.js",
    } <= {unhashed(name) for name in imported}
    for name in imported:
        # Each import names the module's hashed file, which collectstatic wrote.
        assert paths[unhashed(name)] == name, name
        assert (root / name).is_file()
    # Modules imported by modules are rewritten too (transfer.js imports the multipart
    # pipeline, which imports the signer).
    transfer = paths["files/uploader/transfer.js"]
    assert paths["files/uploader/multipart.js"] in imports(root, transfer)
    multipart = paths["files/uploader/multipart.js"]
    assert paths["files/uploader/signer.js"] in imports(root, multipart)
    # The hashing worker is a module too: it loads the hashed hash.js.
    worker = paths["files/uploader/hash-worker.js"]
    assert imports(root, worker) == [paths["files/uploader/hash.js"]]


def test_zip_worker_loads_hashed_modules_and_the_vendored_library_unmodified(tmp_path):
    root = tmp_path / "static"
    paths = collectstatic(root)
    # The page registers the hashed worker ({% static %}); its scope is still its folder.
    worker = paths["files/pages/zip/worker.js"]
    assert re.fullmatch(r"files/pages/zip/worker\.[0-9a-f]{12}\.js", worker)
    assert set(imports(root, worker)) == {
        paths["files/pages/zip/archive.js"],
        paths["files/pages/zip/decrypt.js"],  # an encrypted file's records, decrypted as they come
    }
    archive = paths["files/pages/zip/archive.js"]
    vendored = "vendor/client-zip-2.5.1/index.js"
    assert sorted(imports(root, archive)) == sorted(
        [paths[vendored], paths["files/pages/zip/names.js"]]
    )
    # Post-processing rewrites only our own modules: the library's bytes stay npm's.
    source = ROOT / "static" / vendored
    assert (root / paths[vendored]).read_bytes() == source.read_bytes()
