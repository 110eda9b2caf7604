"""Real ansible-playbook runs against the lab.

``lab`` starts a lab for the test module (shape from the module's ``LAB_SHAPE``, else the small
preset). ``run_playbook(lab, text, ...)`` writes the playbook, runs the real ``ansible-playbook``
with the lab's inventory and returns the process output plus every task result (collected by the
test-only ``results`` callback in ``plugins/callback``).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kmslab.lab import Lab
from kmslab.presets import small

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# The venv scripts/setup built: VOLACT_VENV when set (as scripts/test and scripts/setup read it).
COLLECTIONS = Path(os.environ.get("VOLACT_VENV") or ROOT / ".venv") / "collections"


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    results: list[dict[str, Any]]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def result(self, host: str, task: str) -> dict[str, Any]:
        """The (last) result of ``task`` on ``host``."""
        found = [r for r in self.results if r["host"] == host and r["task"] == task]
        if not found:
            raise AssertionError(f"no result for {task!r} on {host}:\n{self.output[-3000:]}")
        return found[-1]["result"]

    def status(self, host: str, task: str) -> str:
        found = [r for r in self.results if r["host"] == host and r["task"] == task]
        return found[-1]["status"] if found else "missing"


def ansible_env(results_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ['PATH']}",
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "plugins" / "callback"),
        "ANSIBLE_CALLBACKS_ENABLED": "results",
        "ANSIBLE_ACTION_PLUGINS": str(HERE / "plugins" / "action"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "KMSLAB_RESULTS": str(results_path),
    }
    env.update(extra or {})
    return env


def run_playbook(
    lab: Lab,
    playbook: str,
    *,
    transport: str = "https",
    check: bool = False,
    diff: bool = False,
    extra_vars: dict[str, Any] | None = None,
    verbosity: int = 0,
    limit: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    extra_args: list[str] | None = None,
) -> PlaybookRun:
    with tempfile.TemporaryDirectory(prefix="kmslab-play-") as scratch:
        work = Path(scratch)
        (work / "play.yml").write_text(playbook)
        results_path = work / "results.jsonl"
        command = [
            "ansible-playbook",
            "-i",
            str(lab.state_dir / f"inventory-{transport}.yml"),
            str(work / "play.yml"),
        ]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        if limit:
            command += ["--limit", limit]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        command += extra_args or []
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=ansible_env(results_path, env),
            cwd=work,
            timeout=timeout,
            check=False,
        )
        lines = results_path.read_text().splitlines() if results_path.exists() else []
        return PlaybookRun(
            done.returncode, done.stdout, done.stderr, [json.loads(x) for x in lines]
        )


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest):
    shape = getattr(request.module, "LAB_SHAPE", None) or small()
    with Lab(shape, http_port=0, https_port=0) as running:
        yield running


@pytest.fixture(name="run_playbook", scope="session")
def run_playbook_fixture():
    """``run_playbook(lab, text, ...)``, as a fixture so test modules need no imports."""
    return run_playbook


@pytest.fixture
def default_lab_ports():
    """Held by tests that start a lab on the default ports (5985/5986, as a user's
    ``scripts/lab up`` or ``scripts/demo`` does): two such labs at once would collide on the same
    loopback addresses, so under ``pytest -n`` they take turns."""
    with open(tempfile.gettempdir() + "/volact-kms-default-lab-ports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
