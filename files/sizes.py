"""Sizes for people: `format_size(1_500_000) == "1.5 MB"` (decimal units, as browsers show)."""

from __future__ import annotations

UNITS = ("KB", "MB", "GB", "TB")


def format_size(size: int) -> str:
    """Whole bytes below 1000, then one decimal in KB..TB; exact for any integer size."""
    if size < 1000:
        return f"{size} bytes"
    # Integer arithmetic: a float cannot hold a size like 10**400 (OverflowError).
    for power, unit in enumerate(UNITS, start=1):
        if size < 1000 ** (power + 1) or unit == UNITS[-1]:
            tenths = (size * 10 + 1000**power // 2) // 1000**power
            return f"{tenths // 10}.{tenths % 10} {unit}"
    raise AssertionError("unreachable")
