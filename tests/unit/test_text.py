"""One cleaning rule for what people type: no controls, no hidden or reordering characters."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from files.text import clean

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
FAMILY = "👨\u200d👩\u200d👧"  # one picture: three emoji joined by ZWJ
SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # tags after 🏴

# Text full of what the rule is about: controls, bidi, zero-width and tag characters, line
# breaks, joiners, combining marks and flags, mixed with ordinary letters.
tricky = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(
            sorted(BIDI)
            + list("\x00\t\n\r\x0b\x1f\x7f\x85\u2028\u2029\u200b\u200c\u200d\u2060\ufeff\u00ad")
            + ["\U000e0041", "\u0301", "e", " ", "🏴", "\U000e007f", "\ud800"]
        ),
    )
)
cap = st.none() | st.integers(min_value=1, max_value=40)


def is_control(char: str, multiline: bool) -> bool:
    return unicodedata.category(char) == "Cc" and not (multiline and char in "\n\t")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u202e\x00x", "x"),
        ("a\u2066b\u2069c\u200ed\u200fe\u061cf", "abcdef"),
        ("zero\u200bwidth\u2060joined\ufeff", "zerowidthjoined"),
        ("soft\u00adhyphen", "softhyphen"),
        ("  Trip\r\n\tphotos\u2028 2024  ", "Trip photos 2024"),
        ("a\x1fb", "ab"),  # str.isspace() counts U+001F; it is a control, so it goes
        ("e\u200b\u0301", "é"),  # NFC after removal: the accent finds its letter
        ("lone\ud800surrogate", "lonesurrogate"),
        (f"{FAMILY} family", f"{FAMILY} family"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian spelling needs ZWNJ
        (f"{SCOTLAND} team", f"{SCOTLAND} team"),
        ("hidden\U000e0068\U000e0069 tags", "hidden tags"),  # tags outside a flag smuggle text
        ("\u200d", ""),  # a joiner joining nothing is nothing
        ("\u202e \x00 \u200b", ""),
    ],
)
def test_one_line_text_loses_hidden_characters_and_keeps_what_text_needs(raw, expected):
    assert clean(raw) == expected


def test_multi_line_text_keeps_line_breaks_and_tabs_and_loses_the_rest():
    raw = (
        "  Dear guest,\r\n\r\n\tplease send the \u202eTuesday\u202c photos.   \rThanks\x00\x0b\n\n"
    )
    assert clean(raw, multiline=True) == (
        "Dear guest,\n\n\tplease send the Tuesday photos.\nThanks"
    )


def test_a_cut_never_leaves_half_a_flag_or_a_dangling_joiner():
    assert clean("ab" + SCOTLAND, max_length=5) == "ab🏴"
    assert clean("a" + FAMILY, max_length=3) == "a👨"


@given(tricky, st.booleans(), cap)
def test_cleaned_text_holds_no_control_bidi_or_hidden_character(raw, multiline, max_length):
    cleaned = clean(raw, multiline=multiline, max_length=max_length)
    assert not [c for c in cleaned if is_control(c, multiline)]
    assert not BIDI & set(cleaned)
    assert not [c for c in cleaned if unicodedata.category(c) == "Cs"]
    hidden = {c for c in cleaned if unicodedata.category(c) == "Cf"}
    assert hidden <= set("\u200c\u200d") | set(map(chr, range(0xE0020, 0xE0080))) | set(
        "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
    )
    if any("\U000e0020" <= c <= "\U000e007f" for c in cleaned):
        assert "🏴" in cleaned  # tags only inside a flag


@given(tricky, cap)
def test_one_line_text_has_single_spaces_and_no_line_break(raw, max_length):
    cleaned = clean(raw, max_length=max_length)
    assert "  " not in cleaned
    assert cleaned == cleaned.strip()
    assert not [c for c in cleaned if c.isspace() and c != " "]


@given(tricky, st.booleans(), cap)
def test_cleaned_text_never_exceeds_the_cap(raw, multiline, max_length):
    cleaned = clean(raw, multiline=multiline, max_length=max_length)
    if max_length is not None:
        assert len(cleaned) <= max_length


@given(tricky, st.booleans(), cap)
def test_cleaning_twice_changes_nothing(raw, multiline, max_length):
    once = clean(raw, multiline=multiline, max_length=max_length)
    assert clean(once, multiline=multiline, max_length=max_length) == once
    assert unicodedata.is_normalized("NFC", once)
