# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files under tests/fixtures/ (real captures, published data; origins in its README.md).

They are part of the repository, so a missing one is a broken checkout: the tests that need it
fail instead of skipping, which would let the parser drift from real Windows unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CAPTURES = FIXTURES / "wsman-captures"
GVLK_CSV = FIXTURES / "gvlk.csv"
RECORDINGS = FIXTURES / "recordings"


def fixture_path(*parts: str) -> Path:
    """The path of a fixture file; fails the test when the file is not there."""
    path = FIXTURES.joinpath(*parts)
    if not path.is_file():
        pytest.fail(f"{path} is missing: it is part of the repository (tests/fixtures/README.md)")
    return path


def read_fixture(*parts: str) -> str:
    return fixture_path(*parts).read_text(encoding="utf-8")
