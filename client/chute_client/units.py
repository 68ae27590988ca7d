"""Durations (`30m`, `12h`, `7d`) and byte rates (`20M`) as people type them."""

from __future__ import annotations

import re

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
BYTES = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmg]?)(?:i?b)?$")


def parse_duration(text: str) -> int:
    """Seconds in `text` such as `30m`, `12h` or `7d` (s, m, h, d and w are understood)."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise ValueError(f"“{text}” is not a duration such as 30m, 12h or 7d.")
    return int(match[1]) * SECONDS[match[2]]


def parse_size(text: str) -> int:
    """Bytes in `text` such as `512K`, `20M` or `1G` (powers of 1024)."""
    match = _SIZE.match(text.strip().lower())
    if not match or float(match[1]) <= 0:
        raise ValueError(f"“{text}” is not a size such as 512K, 20M or 1G.")
    return int(float(match[1]) * BYTES[match[2]])


def format_size(size: float) -> str:
    """`1.5 MB`: decimal units, as progress bars and speeds show them."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")
