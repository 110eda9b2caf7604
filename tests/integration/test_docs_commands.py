"""Every command the README and docs/ show runs exactly as written from the repository root.

Each ``sh`` block of README.md and docs/*.md is read line by line (a trailing ``\\`` joins lines).
A command is either run here, as written, through ``bash -c`` in the repository root, or named in
``COVERED`` with the test or CI stage that runs it (the demo, the test command itself, the
benchmark), or it sits in a block that starts with ``# on your`` (``# on your controller``, ``# on
your DNS server``): those are steps in an administrator's own Ansible project or servers, against
real Windows (an inventory of theirs, a vault prompt), which cannot run on this machine. A new
command in the docs that is none of these fails this test, so the docs cannot quietly drift from
what works.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
USER_ENVIRONMENT = "# on your "

# Commands run by another test or by CI, too slow to run twice, or that rewrite committed files.
COVERED = {
    "scripts/demo": "tests/integration/test_demo.py runs it end to end",
    "scripts/demo --preset seeds": "tests/integration/test_demo_seeds.py runs it end to end",
    "scripts/test": ".ci/run execs it: CI is this command",
    "scripts/test lint unit": "stages of scripts/test; test_stages_named_in_the_docs_exist",
    "scripts/bench": "about an hour; tests/integration/test_bench_smoke.py runs the same runner",
    "scripts/bench --growth 0": "rewrites docs/performance.md; smoke covers the runner",
    "scripts/bench --sizes 100 --repeat 1": "rewrites docs/performance.md; smoke covers the runner",
    "scripts/bench --sizes 100,1000:1 --repeat 3": "rewrites docs/performance.md; as above",
    "scripts/bench --smoke": "tests/integration/test_bench_smoke.py",
    ".venv/bin/python scripts/reliability_report.py": "10 min; the reliability suite is in CI",
    ".venv/bin/python scripts/reliability_report.py --render": (
        "tests/unit/reliability/test_reliability_report.py checks the committed rendering"
    ),
}


def blocks(page: Path) -> list[list[str]]:
    """The commands of each sh block of a page, comments and continuations resolved."""
    found, current, inside = [], None, False
    for line in page.read_text().splitlines():
        if re.match(r"^```(sh|bash|shell|console)\s*$", line):
            inside, current = True, []
            continue
        if inside and line.startswith("```"):
            inside = False
            found.append(current)
            continue
        if inside:
            current.append(line)
    commands = []
    for block in found:
        joined = "\n".join(block).replace("\\\n", " ")
        commands.append([line for line in joined.splitlines() if line.strip()])
    return commands


def command_text(line: str) -> str:
    """The command without its trailing comment, as COVERED names it."""
    return re.sub(r"\s+#.*$", "", line).strip()


def runnable() -> list[tuple[str, list[str]]]:
    """(page, commands) for every block this test runs, in page order."""
    runs = []
    for page in PAGES:
        for block in blocks(page):
            if block and block[0].startswith(USER_ENVIRONMENT):
                continue
            lines = [line for line in block if command_text(line) not in COVERED]
            if lines:
                runs.append((page.relative_to(ROOT).as_posix(), lines))
    return runs


def test_stages_named_in_the_docs_exist() -> None:
    script = (ROOT / "scripts" / "test").read_text()
    stages = re.search(r"ALL_STAGES=\(([^)]*)\)", script).group(1).split()
    for command in COVERED:
        if command.startswith("scripts/test "):
            assert set(command.split()[1:]) <= set(stages), (command, stages)
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_user_environment_blocks_hold_no_checkout_command() -> None:
    for page in PAGES:
        for block in blocks(page):
            if block and block[0].startswith(USER_ENVIRONMENT):
                assert not [line for line in block if line.startswith("scripts/")], (page, block)


@pytest.mark.usefixtures("default_lab_ports")
@pytest.mark.parametrize(("page", "lines"), runnable(), ids=lambda value: str(value)[:60])
def test_the_command_runs_as_written(page: str, lines: list[str], tmp_path: Path) -> None:
    # A private lab state directory and report directory, so a run never meets a user's lab.
    env = {
        **os.environ,
        "KMSLAB_STATE": str(tmp_path / "lab"),
        "KMS_AUDIT_REPORT_DIR": str(tmp_path / "report"),
    }
    for key in ("ANSIBLE_COLLECTIONS_PATH", "VIRTUAL_ENV"):
        env.pop(key, None)
    env["PATH"] = os.pathsep.join(
        part for part in env["PATH"].split(os.pathsep) if not part.startswith(str(ROOT / ".venv"))
    )
    try:
        for line in lines:
            done = subprocess.run(
                ["bash", "-c", line],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, f"{page}: `{line}` failed:\n{done.stdout}{done.stderr}"
    finally:
        subprocess.run(
            [str(ROOT / "scripts" / "lab"), "down"], env=env, capture_output=True, check=False
        )
