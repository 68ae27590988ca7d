"""Shared test helpers: data with real bytes in the (SeaweedFS) bucket, and API calls."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from django.db import connection
from django.test import Client

from files import s3
from files.models import Upload
from files.uploads import confirm, declarations
from files.uploads.start import start_upload

T = TypeVar("T")


def ready_file(
    owner,
    data: bytes = b"hello world",
    *,
    name: str = "report.pdf",
    content_type: str = "application/pdf",
) -> Upload:
    """A READY file whose bytes are in the bucket. The name is used as given (not sanitised)."""
    issued = start_upload(
        owner, declarations.Declaration(name=name, size=len(data), content_type=content_type)
    )
    s3.put_bytes(issued.upload.key, data, content_type=content_type)
    return confirm.confirm(issued.upload)


def in_bucket(key: str) -> bool:
    return s3.exists(key)


def post_json(client: Client, url: str, body: Any, **kwargs: Any) -> Any:
    """POST `body` as JSON (text and bytes are sent as they are, to test malformed bodies)."""
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **kwargs)


def start(
    client: Client,
    *,
    name: str = "report.pdf",
    size: int = 11,
    content_type: str = "application/pdf",
    **extra: Any,
) -> dict:
    """Start an upload through the API and return its 201 answer."""
    body = {"name": name, "size": size, "content_type": content_type, **extra}
    response = post_json(client, "/api/uploads", body)
    assert response.status_code == 201, response.content
    return response.json()


def post_to_bucket(issued: dict, data: bytes) -> requests.Response:
    """Send `data` with the presigned POST form of an upload's answer, as a browser would."""
    post = issued["post"]
    return requests.post(post["url"], data=post["fields"], files={"file": ("f", data)}, timeout=30)


def choose_files(page: Any, files: Any) -> None:
    """Pick files in the page's chooser once the uploader listens (module scripts run late)."""
    page.locator("[data-uploader][data-ready]").wait_for(state="attached")
    page.set_input_files("#file-input", files)


def race(count: int, act: Callable[[int], T]) -> list[T | Exception]:
    """Run act(0) … act(count - 1) in threads released at once; each one's result or exception.

    Each thread has its own database connection (closed when it ends), as concurrent requests
    on separate workers would. Results come back in the order of the arguments.
    """
    barrier = threading.Barrier(count)
    results: list[T | Exception] = [RuntimeError("never ran")] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = act(index)
        except Exception as error:  # handed to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def form_once(client: Client, path: str) -> str:
    """The one-time number the page at `path` gives its create form, as a browser would send it."""
    found = re.search(r'name="once" value="([^"]+)"', client.get(path).content.decode())
    assert found, f"{path} has no one-time number in its form"
    return found.group(1)
