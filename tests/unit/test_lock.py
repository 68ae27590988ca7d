"""requirements.txt is the lock of requirements.in: every pin there, everything hashed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def pins(text: str) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(text)}


def test_the_lock_holds_every_hand_pinned_version():
    wanted = pins((ROOT / "requirements.in").read_text())
    locked = pins((ROOT / "requirements.txt").read_text())
    stale = {name: version for name, version in wanted.items() if locked.get(name) != version}
    assert stale == {}, f"run bin/lock: requirements.txt does not pin {stale}"


def test_every_locked_package_carries_its_hashes():
    text = (ROOT / "requirements.txt").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    unhashed = [block.split()[0] for block in blocks if "--hash=sha256:" not in block]
    assert unhashed == []
    assert len(blocks) == len(pins(text)) > 20
