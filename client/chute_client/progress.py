"""Progress bars with speed and ETA on stderr, only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
import time
from typing import Protocol

from tqdm import tqdm


class Progress(Protocol):
    def update(self, amount: int) -> None: ...

    def close(self) -> None: ...


class Quiet:
    """No bar (stderr is a file or a pipe): scripts get clean output."""

    def update(self, amount: int) -> None:
        pass

    def close(self) -> None:
        pass


class Bar:
    """A tqdm bar that worker threads update; a retried part's bytes are taken back."""

    def __init__(self, label: str, total: int) -> None:
        self._lock = threading.Lock()
        self._bar = tqdm(
            total=total,
            desc=label,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            file=sys.stderr,
            dynamic_ncols=True,
            leave=True,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
            "[{rate_fmt}, ETA {remaining}]",
        )

    def update(self, amount: int) -> None:
        with self._lock:
            self._bar.update(amount)

    def close(self) -> None:
        with self._lock:
            self._bar.close()


def bar(label: str, total: int) -> Progress:
    return Bar(label, total) if sys.stderr.isatty() else Quiet()


class RateLimit:
    """At most `rate` bytes a second across all workers (`--limit-rate`)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def take(self, amount: int) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(self._next, now)
            self._next = start + amount / self.rate
        if start > now:
            time.sleep(start - now)
