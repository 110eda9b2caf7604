# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the WS-Man server tests: one lab server per session, a fresh machine per test.

``tests/unit/lab/conftest.py`` already puts ``tests/lab`` on ``sys.path``; the lines below repeat
it so this directory also runs on its own, and make the helper modules next to the tests importable.
"""

from __future__ import annotations

import itertools
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for path in (HERE.parents[2] / "lab", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from kmslab.wsman import LabServer, Machine  # noqa: E402 (needs the sys.path lines above)
from wsman_fakes import FakeSpp  # noqa: E402 (idem)

# A random /16 inside 127.0.0.0/8 so two test runs on one box do not share addresses.
BLOCK = random.randint(100, 199)
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def lab() -> Iterator[LabServer]:
    server = LabServer().start()
    yield server
    server.stop()


@pytest.fixture
def spp() -> FakeSpp:
    return FakeSpp()


@pytest.fixture
def machine(lab: LabServer, spp: FakeSpp) -> Iterator[Machine]:
    number = next(_numbers)
    address = f"127.{BLOCK}.{number // 250}.{number % 250 + 1}"
    added = lab.add_machine(
        f"win-{number:04d}.lab.test", spp, address=address, http_port=0, https_port=0
    )
    yield added
    lab.remove_machine(added.name)
