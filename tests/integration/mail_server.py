"""A real SMTP server for the tests (aiosmtpd), on a free port, with inboxes that keep what came.

`smtp` points Django's SMTP backend at it; the mail tasks run through the database queue's own
worker (tests/integration/workers.py: `run_worker`), and each test reads what arrived over SMTP.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def part(self, content_type: str) -> str:
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type
        return str(found.get_content())

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")

    def link(self, path_prefix: str) -> str:
        """The first absolute link in the text part whose path starts with `path_prefix`."""
        match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S*)", self.text)
        assert match, self.text
        return match.group(1)


@dataclass
class Inbox:
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by name
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class HoldingInbox(Inbox):
    """An inbox that leaves the first message's DATA unanswered until `release` is set, as a
    server still deciding. A message is accepted only when the server answers it: if the
    client goes away meanwhile (a killed worker), aiosmtpd cancels the handler and the
    message is never accepted (`dropped` counts it)."""

    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    dropped: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if not self.holding.is_set():
            self.holding.set()
            try:
                while not self.release.is_set():
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                self.dropped += 1
                raise
        return await super().handle_DATA(server, session, envelope)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(inbox: Inbox) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller
