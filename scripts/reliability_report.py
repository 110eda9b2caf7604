#!/usr/bin/env python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the reliability and security suite and write docs/reliability.md from its own results.

Usage (from the repository root, with the project's venv):

    .venv/bin/python scripts/reliability_report.py            # run the suite, write both files
    .venv/bin/python scripts/reliability_report.py --junit unit.xml --junit integration.xml
    .venv/bin/python scripts/reliability_report.py --render   # docs/reliability.md from the json

Every test marked ``@pytest.mark.reliability(area)`` runs under pytest with ``--junitxml``: the
unit tests serially (so Hypothesis writes its statistics into the junit file, with a fixed seed
and an empty example database, so the counts are the same every run), the integration tests with
two workers. This file is also loaded into pytest (``-p reliability_report``) to put each test's
area into the junit file. What the tests record (``record_property``: cases tried, faults,
requests and writes on rejected input, retries, secrets found) is copied as it is. The numbers go
to docs/reliability.json; docs/reliability.md is a pure function of that file, which a unit test
checks. Exit status 1 when a test failed (the report still shows it).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
AREAS = {
    "bad_input": "Bad input is refused before anything is sent",
    "faults": "Faults survived",
    "concurrency": "Concurrency",
    "secrets": "Secrets",
    "transport": "Transport security",
    "untrusted_responses": "Untrusted responses",
}
AREA_PROPERTY = "reliability_area"
# Recorded facts summed per area in the summary (a test that records none adds nothing).
TOTALS = (
    "requests_on_rejected",
    "writes_on_rejected",
    "dns_messages_on_rejected",
    "secrets_found",
    "cross_talk",
    "records_lost",
    "records_duplicated",
)
_STATS = re.compile(r"during (\w+) phase.*?(\d+) passing, (\d+) failing", re.S)


# --- the pytest plugin side (loaded with -p reliability_report) --------------------------------


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Put each marked test's area into its junit properties."""
    for item in items:
        mark = item.get_closest_marker("reliability")
        if mark is not None and mark.args:
            item.user_properties.append((AREA_PROPERTY, str(mark.args[0])))


# --- running ------------------------------------------------------------------------------------


def commands(scratch: Path) -> list[list[str]]:
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "reliability_report"]
    junit = ["-o", "junit_family=xunit1", "-m", "reliability", "-q"]
    unit = [f"--junitxml={scratch / 'unit.xml'}", "--hypothesis-seed=0", "tests/unit"]
    integration = [f"--junitxml={scratch / 'integration.xml'}", "-n", "2", "tests/integration"]
    return [[*pytest, *junit, *unit], [*pytest, *junit, *integration]]


def run_suite(scratch: Path) -> list[Path]:
    here = [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(part for part in here if part),
        # An empty example database: no replayed examples, the same counts every run.
        "HYPOTHESIS_STORAGE_DIRECTORY": str(scratch / "hypothesis"),
    }
    for command in commands(scratch):
        print("+", " ".join(command), flush=True)
        subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)
    return [scratch / "unit.xml", scratch / "integration.xml"]


# --- reading junit ------------------------------------------------------------------------------


def nodeid(case: ET.Element) -> str:
    path = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
    return f"{path}::{case.get('name')}"


def hypothesis_counts(root: ET.Element) -> dict[str, tuple[int, int]]:
    """(passing, failing) examples per node id, from Hypothesis' junit statistics."""
    counts = {}
    for prop in root.iter("property"):
        name = prop.get("name", "")
        if name.startswith("hypothesis-statistics-"):
            text = base64.b64decode(prop.get("value", "")).decode()
            runs = [(int(p), int(f)) for phase, p, f in _STATS.findall(text) if phase != "shrink"]
            counts[name.removeprefix("hypothesis-statistics-")] = (
                sum(p for p, _f in runs),
                sum(f for _p, f in runs),
            )
    return counts


def outcome_of(case: ET.Element) -> str:
    for tag in ("failure", "error", "skipped"):
        if case.find(tag) is not None:
            return "skipped" if tag == "skipped" else "failed"
    return "passed"


def read_junit(paths: Iterable[Path]) -> list[dict[str, Any]]:
    tests = []
    for path in paths:
        root = ET.parse(path).getroot()
        stats = hypothesis_counts(root)
        for case in root.iter("testcase"):
            facts: dict[str, list[str]] = {}
            for prop in case.iter("property"):
                facts.setdefault(prop.get("name", ""), []).append(prop.get("value", ""))
            area = facts.pop(AREA_PROPERTY, [""])[0]
            if not area:
                continue  # not a reliability test (or run without the plugin)
            if area not in AREAS:
                raise SystemExit(f"{nodeid(case)}: unknown reliability area {area!r}")
            test = {"nodeid": nodeid(case), "area": area, "outcome": outcome_of(case)}
            recorded = facts.pop("cases", None)
            passing, failing = stats.get(test["nodeid"], (0, 0))
            if recorded:
                tried = int(recorded[0])
            elif passing or failing:
                tried = passing + failing
            else:
                tried = 1
            tried = 0 if test["outcome"] == "skipped" else tried
            test["tried"] = tried
            test["passed"] = tried if test["outcome"] == "passed" else 0
            test["hypothesis"] = bool(passing or failing)
            test["seconds"] = round(float(case.get("time") or 0), 2)
            test["facts"] = facts
            tests.append(test)
    return sorted(tests, key=lambda t: (list(AREAS).index(t["area"]), t["nodeid"]))


def versions() -> dict[str, str]:
    names = ("ansible-core", "pytest", "hypothesis", "pywinrm", "pypsrp", "dnspython")
    return {name: metadata.version(name) for name in names}


# --- rendering (a pure function of the data) -----------------------------------------------------


def cell(value: object) -> str:
    # Test ids may hold XML or HTML (parser tests): shown as text, never as markup.
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ")


def title(node: str) -> str:
    """``kms_host_key_faults: a timeout during activate is ... [True]`` from a node id."""
    path, _sep, name = node.partition("::")
    module = Path(path).stem.removeprefix("test_")
    base, _sep, params = name.partition("[")
    words = base.removeprefix("test_").replace("_", " ")
    return f"{module}: {words}" + (f" [{params}" if params else "")


def recorded(facts: dict[str, list[str]]) -> str:
    parts = [f"{name}={', '.join(values)}" for name, values in sorted(facts.items())]
    return "; ".join(parts)


def total(tests: list[dict[str, Any]], fact: str) -> int | None:
    values = [int(v) for t in tests for v in t["facts"].get(fact, [])]
    return sum(values) if values else None


def summary_rows(tests: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| area | tests | cases tried | cases passed | failed | skipped | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    groups = [(AREAS[area], [t for t in tests if t["area"] == area]) for area in AREAS]
    for name, group in [*groups, ("**all areas**", tests)]:
        failed = sum(t["outcome"] == "failed" for t in group)
        skipped = sum(t["outcome"] == "skipped" for t in group)
        tried = sum(t["tried"] for t in group)
        passed = sum(t["passed"] for t in group)
        seconds = round(sum(t["seconds"] for t in group))
        rows.append(
            f"| {name} | {len(group)} | {tried} | {passed} | {failed} | {skipped} | {seconds} |"
        )
    return rows


def area_section(area: str, tests: list[dict[str, Any]]) -> list[str]:
    tried, passed = sum(t["tried"] for t in tests), sum(t["passed"] for t in tests)
    failed = [t for t in tests if t["outcome"] == "failed"]
    lines = [f"## {AREAS[area]}", "", f"{len(tests)} tests, {tried} cases tried, {passed} passed"]
    lines[-1] += f", **{len(failed)} failed**." if failed else "."
    totals = [(fact, total(tests, fact)) for fact in TOTALS]
    totals = [(fact, value) for fact, value in totals if value is not None]
    if totals:
        lines += ["", "| measured by the tests (sum) | value |", "|---|---:|"]
        lines += [f"| {fact.replace('_', ' ')} | {value} |" for fact, value in totals]
    lines += ["", "| test | cases tried | passed | outcome | recorded |", "|---|---:|---:|---|---|"]
    for test in tests:
        kind = " (Hypothesis)" if test["hypothesis"] else ""
        lines.append(
            f"| {cell(title(test['nodeid']))} | {test['tried']}{kind} | {test['passed']} | "
            f"{test['outcome']} | {cell(recorded(test['facts']))} |"
        )
    return [*lines, ""]


def render(data: dict[str, Any]) -> str:
    tests = data["tests"]
    intro = (
        "Every number below comes from one run of the tests marked "
        "`@pytest.mark.reliability(area)` (`docs/reliability.json` holds the same data). "
        '"Cases tried" is the number of Hypothesis examples for property tests (derandomized, '
        "or seed 0 with an empty example database, so the same every run), the number of refused "
        "tasks a test recorded, or 1. Wall times, retries and dates change from run to run."
    )
    run = f"Run of {data['date']} with " + ", ".join(
        f"{name} {version}" for name, version in sorted(data["versions"].items())
    )
    lines = [
        "# Reliability and security: what the suite proved",
        "",
        "<!-- Generated by scripts/reliability_report.py from the suite's junit files: do not",
        "edit. Regenerate with `.venv/bin/python scripts/reliability_report.py`. -->",
        "",
        textwrap.fill(intro, 100),
        "",
        textwrap.fill(run + ".", 100),
        "",
        *summary_rows(tests),
        "",
    ]
    for area in AREAS:
        lines += area_section(area, [t for t in tests if t["area"] == area])
    lines += ["## How this was produced", "", "```"]
    lines += [" ".join(command) for command in data["commands"]]
    lines += ["```", ""]
    return "\n".join(lines)


# --- the command line ---------------------------------------------------------------------------


def collect(paths: list[Path], shown: list[list[str]]) -> dict[str, Any]:
    return {
        "generated_by": "scripts/reliability_report.py",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "versions": versions(),
        "commands": shown,
        "tests": read_junit(paths),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--junit", action="append", type=Path, help="read this junit file")
    parser.add_argument("--render", action="store_true", help="only render the json again")
    parser.add_argument("--json", type=Path, default=DOCS / "reliability.json")
    parser.add_argument("--output", type=Path, default=DOCS / "reliability.md")
    args = parser.parse_args(argv)
    if args.render:
        data = json.loads(args.json.read_text())
    elif args.junit:
        data = collect(args.junit, [["(read from)", *map(str, args.junit)]])
    else:
        with tempfile.TemporaryDirectory(prefix="reliability-") as scratch:
            paths = run_suite(Path(scratch))
            shown = [["python", *command[1:]] for command in commands(Path("<scratch>"))]
            data = collect(paths, shown)
    if not args.render:
        args.json.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    args.output.write_text(render(data))
    missing = [area for area in AREAS if not any(t["area"] == area for t in data["tests"])]
    failed = [t["nodeid"] for t in data["tests"] if t["outcome"] == "failed"]
    for problem in [*(f"no test for area {a}" for a in missing), *(f"failed: {n}" for n in failed)]:
        print(problem, file=sys.stderr)
    print(f"wrote {args.output} ({len(data['tests'])} tests)")
    return 1 if missing or failed else 0


if __name__ == "__main__":
    sys.exit(main())
