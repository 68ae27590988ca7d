"""Client file names are display metadata: sanitised, length-capped, never a path."""

import pytest

from files.uploads.declarations import (
    MAX_FOLDER_LENGTH,
    MAX_NAME_LENGTH,
    sanitize_folder,
    sanitize_name,
)
from files.uploads.policy import build_key


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
        ("line\r\nbreak.txt", "line break.txt"),  # a line break separates words, as in titles
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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a.jpg", ""),
        ("photos/2024/a.jpg", "photos/2024"),
        ("photos\\2024\\a.jpg", "photos/2024"),
        ("/photos//./2024/../a.jpg", "photos/2024"),
        ("../../etc/passwd", "etc"),
        (" trip \u202e/ a\x00b /c.txt", "trip/ab"),
        ("...hidden/x", "hidden"),
    ],
)
def test_sanitize_folder_keeps_clean_folders_and_drops_the_rest(raw, expected):
    assert sanitize_folder(raw) == expected


def test_sanitize_folder_caps_its_length_at_a_folder_boundary():
    folder = sanitize_folder("/".join(["x" * 300] * 5) + "/a.txt")
    assert folder == "/".join(["x" * MAX_NAME_LENGTH] * 2)
    assert len(folder) <= MAX_FOLDER_LENGTH
