"""`chute get`: follow the file's download link with the token, check size and SHA-256."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO

import httpx

from chute_client.api import Api, ChuteError, check_id, describe
from chute_client.progress import bar
from chute_client.retry import Action, bucket_action


def download(api: Api, file_id: str, output: str | None) -> Path | None:
    """Write the file to `output` (its own name by default, `-` for stdout)."""
    file_id = check_id(file_id)
    info = api.get(f"api/files/{file_id}")
    if output == "-":
        fetch(api, file_id, info, sys.stdout.buffer)
        return None
    target = Path(output) if output else Path(Path(info["name"]).name)
    if output is None and target.exists():
        raise ChuteError(f"{target} already exists; choose another path with -o.")
    partial = target.with_name(target.name + ".chute-partial")
    try:
        with partial.open("wb") as out:
            fetch(api, file_id, info, out)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def fetch(api: Api, file_id: str, info: dict, out: BinaryIO) -> None:
    """Stream the bytes into `out`, trying again (with a fresh link) on network failures."""
    for attempt in range(1, api.policy.attempts + 1):
        if out.seekable():
            out.seek(0)
            out.truncate()
        # A fresh link each try: they live for a minute at most.
        location = api.redirect(f"files/{file_id}/download")
        digest = hashlib.sha256()
        size = 0
        progress = bar(info["name"], info["size"])
        try:
            with api.bucket.stream("GET", location) as response:
                action = bucket_action(response.status_code)
                if action is Action.DONE:
                    for chunk in response.iter_bytes(1024 * 1024):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        progress.update(len(chunk))
                    break
                detail = str(response.status_code)
        except httpx.TransportError as exc:
            action, detail = Action.RETRY, describe(exc)
        finally:
            progress.close()
        if action is Action.FAIL or attempt == api.policy.attempts or not out.seekable():
            raise ChuteError(f"The bucket did not hand out {info['name']} ({detail}).")
        time.sleep(api.policy.delay(attempt))
    out.flush()
    if size != info["size"]:
        raise ChuteError(f"Received {size} bytes of {info['name']}, but it has {info['size']}.")
    expected = info.get("sha256")
    if expected and base64.b64encode(digest.digest()).decode() != expected:
        raise ChuteError(f"The bytes received do not match {info['name']}'s SHA-256.")
