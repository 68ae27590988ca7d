"""Client file names are display metadata: sanitised, length-capped, never a path."""

import pytest

from files.declarations import MAX_NAME_LENGTH, sanitize_name
from files.policy import build_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\secret.doc", "secret.doc"),
        ("..", "file"),
        ("/", "file"),
        ("   ", "file"),
        ("a\x00b\x1fc\x7f.txt", "abc.txt"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("\u202eexe.txt", "exe.txt"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("tabs\tand  spaces.txt", "tabs and spaces.txt"),
        ("e\u0301.txt", "é.txt"),
        ("...hidden", "hidden"),
    ],
)
def test_sanitize_name(raw, expected):
    assert sanitize_name(raw) == expected


def test_long_names_are_capped_and_keep_a_short_extension():
    name = sanitize_name("a" * 300 + ".jpeg")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith(".jpeg")


def test_long_names_without_extension_are_cut():
    assert len(sanitize_name("é" * 500)) == MAX_NAME_LENGTH


def test_keys_live_under_the_owner_prefix():
    import uuid

    upload_id = uuid.uuid4()
    assert build_key(42, upload_id) == f"users/42/{upload_id.hex}"
