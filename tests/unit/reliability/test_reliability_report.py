"""docs/reliability.md is what scripts/reliability_report.py makes, from a run of today's suite.

The committed report must be the generator's rendering of the committed data (no hand edits), the
data must name exactly the tests marked ``reliability`` today (a new or renamed test means
"regenerate"), every area must have passed cases, and the facts the report promises (no secret
found, nothing sent or written on rejected input, no record lost) must hold in the data.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "reliability_report.py"
REPORT = ROOT / "docs" / "reliability.md"
DATA = ROOT / "docs" / "reliability.json"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reliability_report", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(DATA.read_text())


def test_the_committed_report_is_the_rendering_of_the_committed_data(generator, data) -> None:
    assert REPORT.read_text() == generator.render(data), (
        "docs/reliability.md was edited by hand or is stale: "
        "run .venv/bin/python scripts/reliability_report.py"
    )


def test_every_area_has_passed_cases_and_nothing_failed(generator, data) -> None:
    for area in generator.AREAS:
        tests = [t for t in data["tests"] if t["area"] == area]
        assert sum(t["passed"] for t in tests) > 0, area
    failed = [t["nodeid"] for t in data["tests"] if t["outcome"] == "failed"]
    assert failed == []


def test_the_promised_zeros_hold_in_the_data(generator, data) -> None:
    tests = data["tests"]
    for fact in generator.TOTALS:
        assert generator.total(tests, fact) in (0, None), fact
    # ... and they were measured at all, by the tests that make the promise.
    for fact in ("secrets_found", "writes_on_rejected", "requests_on_rejected", "records_lost"):
        assert generator.total(tests, fact) == 0, fact


def marked_today() -> set[str]:
    files = sorted(
        str(path.relative_to(ROOT))
        for folder in ("tests/unit", "tests/integration")
        for path in (ROOT / folder).rglob("test_*.py")
        if "reliability(" in path.read_text() or "reliability_" in path.name
    )
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"]
    done = subprocess.run(
        [*pytest, "-m", "reliability", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PY_COLORS": "0"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_the_report_names_exactly_the_tests_marked_today(data) -> None:
    reported = {t["nodeid"] for t in data["tests"]}
    today = marked_today()
    assert sorted(today - reported) == [], "marked but not in the report: regenerate it"
    assert sorted(reported - today) == [], "in the report but no longer marked: regenerate it"


def junit(tmp_path: Path, stats: str) -> Path:
    encoded = base64.b64encode(stats.encode()).decode()
    path = tmp_path / "junit.xml"
    path.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<properties><property name="hypothesis-statistics-tests/unit/t.py::test_fuzz" value="{encoded}"/>
</properties>
<testcase classname="tests.unit.t" name="test_fuzz" file="tests/unit/t.py" time="1.5">
<properties><property name="reliability_area" value="untrusted_responses"/></properties>
</testcase>
<testcase classname="tests.integration.t" name="test_run[x]" file="tests/integration/t.py" time="2">
<properties><property name="reliability_area" value="bad_input"/>
<property name="cases" value="25"/><property name="writes_on_rejected" value="0"/></properties>
</testcase>
<testcase classname="tests.integration.t" name="test_gone" file="tests/integration/t.py" time="0">
<properties><property name="reliability_area" value="faults"/></properties><skipped/>
</testcase>
<testcase classname="tests.integration.t" name="test_broken" file="tests/integration/t.py" time="0">
<properties><property name="reliability_area" value="faults"/></properties><failure/>
</testcase>
<testcase classname="tests.unit.t" name="test_unmarked" file="tests/unit/t.py" time="0"/>
</testsuite></testsuites>
"""
    )
    return path


def test_junit_files_are_read_into_cases_per_test(generator, tmp_path: Path) -> None:
    stats = (
        "tests/unit/t.py::test_fuzz:\n\n"
        "  - during reuse phase (0.00 seconds):\n"
        "    - Typical runtimes: < 1ms, of which < 1ms in data generation\n"
        "    - 2 passing, 0 failing, and 0 invalid test cases\n"
        "  - during generate phase (0.50 seconds):\n"
        "    - Typical runtimes: ~ 1ms, of which < 1ms in data generation\n"
        "    - 148 passing, 0 failing, and 7 invalid test cases\n"
    )
    tests = generator.read_junit([junit(tmp_path, stats)])
    by_id = {t["nodeid"]: t for t in tests}
    assert list(by_id) == [
        "tests/integration/t.py::test_run[x]",
        "tests/integration/t.py::test_broken",
        "tests/integration/t.py::test_gone",
        "tests/unit/t.py::test_fuzz",
    ]
    fuzz = by_id["tests/unit/t.py::test_fuzz"]
    assert (fuzz["tried"], fuzz["passed"], fuzz["hypothesis"]) == (150, 150, True)
    run = by_id["tests/integration/t.py::test_run[x]"]
    assert (run["tried"], run["passed"], run["facts"]) == (25, 25, {"writes_on_rejected": ["0"]})
    assert (by_id["tests/integration/t.py::test_gone"]["tried"], "skipped") == (
        0,
        by_id["tests/integration/t.py::test_gone"]["outcome"],
    )
    broken = by_id["tests/integration/t.py::test_broken"]
    assert (broken["outcome"], broken["tried"], broken["passed"]) == ("failed", 1, 0)
    page = generator.render(
        {
            "date": "2026-01-01",
            "versions": {"pytest": "9"},
            "commands": [["pytest"]],
            "tests": tests,
        }
    )
    assert "| **all areas** | 4 | 176 | 175 | 1 | 1 | 4 |" in page
    assert "| reliability_area" not in page
    assert "| t: run [x] | 25 | 25 | passed | writes_on_rejected=0 |" in page
