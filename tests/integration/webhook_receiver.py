"""A real HTTP receiver for webhook tests: a threaded http.server on 127.0.0.1 that verifies
each request's Standard Webhooks signature with the `standardwebhooks` verifier.

It can answer the first request of each event with a status of the test's choosing (500 to
prove the retry, 302 to prove redirects are not followed) and can hold the first request it
gets until the test releases it (to kill a worker mid-delivery). Like a receiver should, it
treats `webhook-id` as the idempotency key: `handled` is the set of ids it answered 2xx.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    body: bytes
    headers: dict[str, str]
    verified: Any  # the parsed body when the signature verified, None when it did not
    status: int


@dataclass
class Receiver:
    url: str = ""
    secret: str = ""
    first_status: int = 200  # the answer to the first request of each webhook-id
    hold_first: bool = False
    received: list[Received] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, webhook_id: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            verified = Verifier(self.secret).verify(body, headers)
        except WebhookVerificationError:
            verified = None
        with self.lock:
            first = all(item.webhook_id != webhook_id for item in self.received)
            hold = self.hold_first and not self.holding.is_set()
            if hold:
                self.holding.set()
            status = self.first_status if first else 200
            if verified is None:
                status = 401
            self.received.append(Received(webhook_id, body, headers, verified, status))
        if hold:
            self.release.wait(60)
        if 200 <= status < 300:
            with self.lock:
                self.handled.add(webhook_id)
        return status

    def ids(self) -> list[str]:
        with self.lock:
            return [item.webhook_id for item in self.received]


def serve(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """Serve on 127.0.0.1 (over TLS with `tls`, the server's context) until the test ends."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:

            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = receiver.answer(headers.get("webhook-id", ""), body, headers)
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the worker that sent it was killed

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        receiver.url = f"https://localhost:{server.server_address[1]}/hooks/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
