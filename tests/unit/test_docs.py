# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generated page is what its source says, and no relative link in the docs is broken."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote

import pytest

from ansible_collections.volact.kms.plugins.module_utils.windows.hresult import CATALOG

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "scripts" / "gen_docs.py"
# Produced by the benchmark command (another stage of the project), not by hand: the docs may
# link to it before it is committed. Once it exists, its links are checked like any other.
PENDING = frozenset({Path("docs/performance.md")})

_INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages(generator: ModuleType) -> dict[Path, str]:
    return generator.generate()


def _prose(text: str) -> str:
    """The text without fenced blocks and code spans: what Markdown renders as links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    # GitHub's anchors: lower case, code marks and punctuation dropped, blanks become hyphens.
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        candidate, number = slug, 0
        while candidate in found:
            number += 1
            candidate = f"{slug}-{number}"
        found.add(candidate)
    return found


def _broken_links(path: Path, root: Path = REPO) -> list[str]:
    text = _prose(path.read_text(encoding="utf-8"))
    broken = []
    for target in _INLINE_LINK.findall(text) + _REFERENCE_LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # http:, https:, mailto:
        file_part, fragment = target.split("#", 1) if "#" in target else (target, "")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        shown = f"{path.relative_to(root)}: {target}"
        if not resolved.exists():
            if resolved.is_relative_to(root) and resolved.relative_to(root) in PENDING:
                continue
            broken.append(f"{shown} (no such file)")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(f"{shown} (no such heading)")
    return broken


def test_committed_docs_are_what_the_generator_writes(
    generator: ModuleType, pages: dict[Path, str]
) -> None:
    problems = generator.differences(pages, REPO)
    assert problems == [], "the generated docs are out of date; run " + generator.REGENERATE


def test_the_check_names_a_changed_and_a_missing_page(
    generator: ModuleType, pages: dict[Path, str], tmp_path: Path
) -> None:
    generator.write(pages, tmp_path)
    assert generator.differences(pages, tmp_path) == []
    (tmp_path / "docs" / "troubleshooting.md").write_text("edited by hand\n", encoding="utf-8")
    assert generator.differences(pages, tmp_path) == ["docs/troubleshooting.md: differs"]
    (tmp_path / "docs" / "troubleshooting.md").unlink()
    assert generator.differences(pages, tmp_path) == ["docs/troubleshooting.md: missing"]
    generator.write(pages, tmp_path)
    assert generator.differences(pages, tmp_path) == []


def test_troubleshooting_has_one_section_per_catalog_code(pages: dict[Path, str]) -> None:
    text = pages[Path("docs/troubleshooting.md")]
    headings = re.findall(r"^### (0x[0-9A-F]{8})$", text, re.MULTILINE)
    assert sorted(headings) == sorted(entry.hex for entry in CATALOG.values())
    # 0x803380FA added (Session.Error page); four ADBA codes (docs/adba.md)
    assert len(headings) == len(CATALOG) == 71
    section = text.split("### 0xC004F074\n", 1)[1].split("\n### ", 1)[0]
    assert "- Symbol: `SL_E_VL_BINDING_SERVICE_UNAVAILABLE`" in section
    assert "- Decimal: `-1073418124` signed, what `slmgr.vbs` exits with" in section
    assert "unsigned `3221549172`" in section
    assert "- What to do: Check that `_vlmcs._tcp` SRV records point" in section
    assert "| [0xC004F038](#0xc004f038) | -1073418184 | `SL_E_VL_NOT_ENOUGH_COUNT` |" in text


def test_every_relative_link_in_the_docs_resolves() -> None:
    documents = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    assert REPO / "docs" / "getting-started.md" in documents
    broken = [problem for path in documents for problem in _broken_links(path)]
    assert broken == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Guide\n\n## The `kms_client` role: below 25\n\ntext\n")
    (docs / "index.md").write_text(
        "[ok](guide.md) [heading](guide.md#the-kms_client-role-below-25) [self](#index)\n"
        "[web](https://example.org/nowhere.md) [bench](performance.md)\n"
        "[gone](gone.md) [bad heading](guide.md#nowhere) `[code](code.md)`\n"
        "```\n[fenced](fenced.md)\n```\n\n# Index\n\n[ref]: ../missing.md\n"
    )
    assert _broken_links(docs / "index.md", tmp_path) == [
        "docs/index.md: gone.md (no such file)",
        "docs/index.md: guide.md#nowhere (no such heading)",
        "docs/index.md: ../missing.md (no such file)",
    ]
    assert "the-account" in _anchors(REPO / "docs" / "getting-started.md")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the _vlmcs._tcp.<domain> records", "the `_vlmcs._tcp.<domain>` records"),
        ("part of action_group(s), here", "part of `action_group(s)`, here"),
        ("a [bracket] stays text", r"a \[bracket\] stays text"),
        ("(sppsvc) and 0xC004F038.", "(sppsvc) and 0xC004F038."),
    ],
)
def test_catalog_text_becomes_markdown(generator: ModuleType, text: str, expected: str) -> None:
    assert generator.plain(text) == expected
