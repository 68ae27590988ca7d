"""The docs stay true to the repository: every relative link resolves, the README stays short,
and every environment variable the settings read is in the configuration table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "README.md"])
README_MAX_LINES = 260
CONFIGURATION = ROOT / "docs" / "operations.md"

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+\1")
# [text](target) and ![alt](target), with an optional "title"; the text may hold code spans.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The file's lines outside fenced code blocks, with their numbers."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text, lower case, punctuation dropped, spaces
    as hyphens (links and code spans count by their text)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor; a repeated one gets -1, -2, … as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        if slug in seen:
            seen[slug] += 1
            found.add(f"{slug}-{seen[slug]}")
        else:
            seen[slug] = 0
            found.add(slug)
    return found


def relative_links(path: Path) -> list[tuple[int, str]]:
    links = []
    for number, line in prose_lines(path):
        definition = REFERENCE_DEFINITION.match(line)
        if definition:
            links.append((number, definition.group(1)))
            continue
        prose = INLINE_CODE.sub("", line)
        links.extend((number, match.group(1)) for match in INLINE_LINK.finditer(prose))
    return [(number, target) for number, target in links if not SCHEME.match(target)]


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    broken = []
    for number, target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(root)}:{number}: {target}"
        if not linked.exists():
            broken.append(f"{where} (no such file)")
        elif root not in linked.parents and linked != root:
            broken.append(f"{where} (outside the repository)")
        elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
            broken.append(f"{where} (no heading with that anchor)")
    return broken


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []


def test_github_slugs_follow_githubs_rules():
    assert github_slug("Deploying (Heroku-style)") == "deploying-heroku-style"
    assert github_slug("The `chute` command") == "the-chute-command"
    assert github_slug("What a bucket must do: S3's rules") == "what-a-bucket-must-do-s3s-rules"
    assert github_slug("CHUTE_SQLITE_TIMEOUT and [links](x.md)") == "chute_sqlite_timeout-and-links"


def test_a_broken_link_is_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## A heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#a-heading) [gone](missing.md) [no anchor](other.md#nowhere)\n"
        "`[code](not-a-link.md)` [web](https://example.com/x.md)\n"
        "```\n[fenced](not-a-link.md)\n```\n"
    )
    assert broken_links(page, root=tmp_path) == [
        "page.md:1: missing.md (no such file)",
        "page.md:1: other.md#nowhere (no heading with that anchor)",
    ]


def test_readme_is_a_five_minute_read():
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


def environment_variables() -> set[str]:
    """Every environment variable the settings (with project/outbound.py and
    project/database.py, which they import) and the gunicorn config read."""
    reader = re.compile(
        r"(?:\benv(?:_bool|_int|_list)?|\brequired|os\.environ\.get|os\.getenv)\(\s*[\"']([A-Z][A-Z0-9_]+)"
    )
    names = set()
    modules = ("settings", "outbound", "database", "gunicorn")
    for module in (f"project/{name}.py" for name in modules):
        names |= set(reader.findall((ROOT / module).read_text()))
    return names


def test_every_environment_variable_is_in_the_configuration_table():
    table = "\n".join(line for _, line in prose_lines(CONFIGURATION) if line.startswith("|"))
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert {"SECRET_KEY", "CHUTE_SQLITE_TIMEOUT", "PORT", "CHUTE_DIGEST_WINDOW"} <= (
        environment_variables()
    )
    assert environment_variables() - documented == set()
