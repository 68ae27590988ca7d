"""collectstatic under production settings hashes the uploader's ES module imports.

Run as a separate process so the settings are read from the environment, as in production.
"""

from __future__ import annotations

import json
import os
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


def test_hashed_entry_module_imports_hashed_sibling_modules(tmp_path):
    paths = collectstatic(tmp_path / "static")
    entry = paths["files/uploader.js"]
    assert re.fullmatch(r"files/uploader\.[0-9a-f]{12}\.js", entry)

    source = (tmp_path / "static" / entry).read_text()
    imported = re.findall(r'from\s+"\./([^"]+)"', source)
    assert {"transfer", "view", "protocol", "queue"} <= {name.split(".")[0] for name in imported}
    for name in imported:
        # Each import names the sibling's hashed file, which collectstatic wrote.
        original = f"files/{name.split('.')[0]}.js"
        assert f"files/{name}" == paths[original], name
        assert (tmp_path / "static" / "files" / name).is_file()
    # Modules imported by modules are rewritten too (transfer.js imports the signer).
    transfer = (tmp_path / "static" / paths["files/transfer.js"]).read_text()
    assert f'"./{paths["files/signer.js"].removeprefix("files/")}"' in transfer
    # The hashing worker is a module too: it loads the hashed hash.js.
    worker = (tmp_path / "static" / paths["files/hash-worker.js"]).read_text()
    assert f'"./{paths["files/hash.js"].removeprefix("files/")}"' in worker
