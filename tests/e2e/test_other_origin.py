"""A front end on another origin, listed by the operator, uses the API with a token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser

from files.accounts import tokens
from tests.helpers import ready_file

PAGE = """<!doctype html><meta charset="utf-8"><title>other app</title>
<script>
window.call = async (base, token) => {
  const listed = await fetch(base + "/api/files", {headers: {Authorization: "Bearer " + token}});
  const made = await fetch(base + "/api/uploads", {
    method: "POST",
    headers: {Authorization: "Bearer " + token, "Content-Type": "application/json"},
    body: JSON.stringify({name: "from-app.txt", size: 5, content_type: "text/plain"}),
  });
  return {listed: listed.status, files: (await listed.json()).files.map((f) => f.name),
          made: made.status, method: (await made.json()).method};
};
</script>"""


@pytest.fixture
def app_origin() -> Iterator[str]:
    """Another web app, on its own port: a real second origin, on loopback like Chute here."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_listed_origin_lists_and_uploads_with_a_token(
    browser: Browser, live_server, user, settings, app_origin
):
    settings.CORS_ALLOWED_ORIGINS = [app_origin]
    ready_file(user, b"hello", name="mine.txt", content_type="text/plain")
    token = tokens.create(user, name="other app").token
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{app_origin}/")
        answer = page.evaluate(
            "([base, token]) => window.call(base, token)", [live_server.url, token]
        )
    finally:
        context.close()
    assert answer == {"listed": 200, "files": ["mine.txt"], "made": 201, "method": "post"}


def test_an_unlisted_origin_is_refused_by_the_browser(
    browser: Browser, live_server, user, settings, app_origin
):
    settings.CORS_ALLOWED_ORIGINS = ["http://someone-else.example"]
    token = tokens.create(user, name="other app").token
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{app_origin}/")
        failed = page.evaluate(
            "([base, token]) => window.call(base, token).then(() => false, () => true)",
            [live_server.url, token],
        )
    finally:
        context.close()
    assert failed  # the browser refuses to hand the answer to a page CORS does not allow
