"""What people type: one cleaning rule for every free text Chute stores and shows again.

Token names, upload requests' titles and messages, a guest's name and the names of uploaded
files all go through `clean()` before they are checked or saved, so none of them can carry a
character that hides or reorders text on a page ("\u202e" turning "gpj.exe" around), breaks a
line in a one-line field, or fails the database (PostgreSQL refuses NUL in text columns).

Removed:
- control characters (Unicode category Cc), except newline and tab in multi-line text;
- lone surrogates (Cs), which a JSON body can carry ("\\ud800") and UTF-8 cannot encode;
- format characters (Cf): bidi embeddings, overrides, isolates and marks (U+202A–U+202E,
  U+2066–U+2069, U+200E, U+200F, U+061C), zero-width spaces, word joiners, byte-order marks,
  soft hyphens and the like, which show nothing yet change what a reader sees or copies.

Kept, because legitimate text needs them (see `_KEPT_FORMAT`): the zero-width joiner and
non-joiner, and tag characters inside an emoji flag sequence. Unassigned code points (Cn) are
kept too: Python 3.11 knows Unicode 14, so newer emoji would otherwise vanish.

Whitespace: one-line text has every run of whitespace (line breaks and tabs included) made one
space; multi-line text keeps its line breaks (CR LF, CR, U+2028 and U+2029 become LF) and tabs
and loses spaces at line ends. Both are NFC-normalised and stripped at the ends.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"
ZWJ = "\u200d"
# Format characters that legitimate text needs:
# - ZWJ joins emoji into one picture (👩‍💻, 👨‍👩‍👧) and shapes Indic conjuncts; ZWNJ is part of
#   Persian and Urdu spelling ("می‌خواهم"). Neither reorders text, and on their own they hide
#   nothing a reader could be fooled by; stray ones at the ends are stripped (`_EDGES`).
# - Prepended concatenation marks (U+0600–U+0605, U+06DD, U+070F, U+0890, U+0891, U+08E2,
#   U+110BD, U+110CD) are visible signs in Arabic, Syriac and Kaithi numbers.
_KEPT_FORMAT = frozenset(
    ZWNJ + ZWJ + "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2"
    "\U000110bd\U000110cd"
)
# Tag characters (U+E0020–U+E007F) are invisible and can smuggle whole sentences, but a black
# flag followed by tags and a cancel tag is a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿, Scotland): kept there only.
_EMOJI_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
# Whitespace as str.isspace() sees it; the controls it also counts (U+001C–U+001F) are gone
# by the time this runs, leaving Unicode's White_Space characters.
_SPACE = re.compile(r"\s+")
_NEWLINE = re.compile("\r\n|[\r\x85\u2028\u2029]")
_EDGES = " \t\n" + ZWNJ + ZWJ


def _allowed(char: str, multiline: bool) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        return char in "\n\t" if multiline else char in "\t\n\v\f\r\x85"
    if category == "Cf":
        return char in _KEPT_FORMAT
    return category != "Cs"


def _without_hidden(raw: str, multiline: bool) -> str:
    kept: list[str] = []
    position = 0
    for flag in _EMOJI_FLAG.finditer(raw):
        kept.extend(char for char in raw[position : flag.start()] if _allowed(char, multiline))
        kept.append(flag.group())
        position = flag.end()
    kept.extend(char for char in raw[position:] if _allowed(char, multiline))
    return "".join(kept)


def clean(raw: str, *, multiline: bool = False, max_length: int | None = None) -> str:
    """`raw` as safe display text: hidden and control characters removed, whitespace tidied.

    With `max_length`, longer text is cut to that many characters (a flag cut in half loses
    its tags). Fields a person fills in for themselves leave it out and refuse long text with
    a sentence instead; see the callers.
    """
    if multiline:
        raw = _NEWLINE.sub("\n", raw)
    text = unicodedata.normalize("NFC", _without_hidden(raw, multiline))
    if multiline:
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    else:
        text = _SPACE.sub(" ", text)
    text = text.strip(_EDGES)
    if max_length is not None and len(text) > max_length:
        text = _without_hidden(text[:max_length], multiline).rstrip(_EDGES)
    return text


def whole_number(text: str, *, max_digits: int = 4300) -> int:
    """`text` as a whole number in ASCII digits (no sign, no spaces); ValueError otherwise.

    `int()` alone takes too much: "²".isdigit() is True yet int("²") fails, int() reads
    "1_000", " 7" and other scripts' digits, and past 4,300 digits it hits Python's
    conversion cap (sys.get_int_max_str_digits); `max_digits` keeps it cheap.
    """
    if not (text.isascii() and text.isdigit() and len(text) <= max_digits):
        raise ValueError(f"Not a whole number: {text[:40]!r}")
    return int(text)
