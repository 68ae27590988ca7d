"""`chute get '<link>#<key>'`'s pure pieces: reading a link, and names that stay in their folder."""

from __future__ import annotations

import pytest
from chute_client.api import ChuteError
from chute_client.links import is_link, parse_link, safe_name

KEY = "AAECAwQFBgcICQoLDA0ODw"  # bytes 0..15


def test_a_link_gives_its_server_token_and_key():
    link = parse_link(f"https://chute.example.com/s/abcDEF_-123#{KEY}")
    assert (link.base, link.token, link.key) == (
        "https://chute.example.com/",
        "abcDEF_-123",
        bytes(range(16)),
    )


def test_a_server_under_a_path_and_a_link_without_key():
    link = parse_link("http://host:8000/chute/s/tok")
    assert (link.base, link.token, link.key) == ("http://host:8000/chute/", "tok", None)


@pytest.mark.parametrize(
    "text", ["ftp://host/s/tok", "https://host/files/x", "https://host/s/", "https://host/s/a/b"]
)
def test_other_addresses_are_not_share_links(text):
    with pytest.raises(ChuteError, match="is not a share link"):
        parse_link(text)


@pytest.mark.parametrize("fragment", ["short", KEY + "A", KEY[:-1] + "+"])
def test_a_damaged_key_is_refused_with_a_sentence(fragment):
    with pytest.raises(Exception, match="22 characters"):
        parse_link(f"https://host/s/tok#{fragment}")


def test_ids_are_not_links():
    assert not is_link("3f1e2d4c-0000-4000-8000-000000000000")
    assert is_link("https://host/s/tok#key")


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", ".._.._etc_passwd"),
        ("a\\b/c", "a_b_c"),
        ("..", "download"),
        (".", "download"),
        ("   ", "download"),
        ("bell\x07\nname.txt", "bell__name.txt"),
    ],
)
def test_names_never_leave_their_folder(name, safe):
    assert safe_name(name) == safe


def test_long_names_are_cut_to_255_bytes_keeping_the_extension():
    cut = safe_name("é" * 300 + ".tar.gz")
    assert len(cut.encode()) <= 255 and cut.endswith(".gz")
