"""Presigned part URLs: signed in batches (or handed over by the declaration's answer) and
signed again before they expire."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from chute_client.api import Api

# Sign again when a URL has less than this left (or a quarter of its lifetime, if shorter): a
# part sent on a slow link must not expire on the way.
RESIGN_MARGIN = 60.0


class Signer:
    """Presigned part URLs, signed in batches and signed again before they expire."""

    def __init__(self, api: Api, link: str, per_request: int) -> None:
        self.api = api
        self.link = link
        self.per_request = max(1, per_request)
        self.resigned = 0
        self._lock = threading.Lock()
        self._urls: dict[int, tuple[str, str, float]] = {}  # number → (url, sha256, expiry)
        self._margin = RESIGN_MARGIN

    def sign(self, checksums: dict[int, str]) -> None:
        numbers = sorted(checksums)
        for start in range(0, len(numbers), self.per_request):
            batch = numbers[start : start + self.per_request]
            body = {"parts": [{"number": n, "sha256": checksums[n]} for n in batch]}
            answer = self.api.post(self.link, body)
            expiry = datetime.fromisoformat(answer["expires_at"]).timestamp()
            with self._lock:
                self._margin = min(RESIGN_MARGIN, max(0.0, expiry - time.time()) / 4)
                for n in batch:
                    self._urls[n] = (answer["urls"][str(n)], checksums[n], expiry)

    def add(self, urls: dict[str, str], checksums: dict[int, str], expires_at: str) -> None:
        """URLs signed already (the declaration's answer) for these checksums."""
        expiry = datetime.fromisoformat(expires_at).timestamp()
        with self._lock:
            self._margin = min(RESIGN_MARGIN, max(0.0, expiry - time.time()) / 4)
            for n, url in urls.items():
                self._urls[int(n)] = (url, checksums[int(n)], expiry)

    def url(self, number: int, sha256: str) -> str:
        """The part's URL for these bytes; signed again if the bytes or the time changed."""
        with self._lock:
            known = self._urls.get(number)
        if known and known[1] == sha256 and known[2] - time.time() > self._margin:
            return known[0]
        if known:
            self.resigned += 1
        self.sign({number: sha256})
        return self._urls[number][0]

    def expire(self, number: int) -> None:
        with self._lock:
            if number in self._urls:
                url, sha256, _ = self._urls[number]
                self._urls[number] = (url, sha256, 0.0)
