"""Run real ``ansible-playbook`` against localhost with this checkout's collection.

Tests write a list of tasks; each task's result is registered and written to a JSON file by a last
task, so a test asserts on the module's real return values as well as on ansible's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".venv" / "collections"


@dataclass(frozen=True)
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    results: list[dict[str, Any]]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_tasks(
    tasks: Sequence[Mapping[str, object]],
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    prefix: Sequence[str] = (),
    module_defaults: Mapping[str, object] | None = None,
    timeout: float = 180,
) -> PlaybookRun:
    """Run ``tasks`` on localhost (connection local); every task's result lands in ``results``.

    Tasks may fail: each is run with ``ignore_errors`` so that later ones still run. ``prefix`` is
    put before the command (e.g. ``ip netns exec <ns>``).
    """
    with tempfile.TemporaryDirectory(prefix="kmslab-play-") as scratch:
        results_file = Path(scratch) / "results.json"
        names = [f"kmslab_result_{index}" for index in range(len(tasks))]
        play_tasks = [
            {**task, "register": name, "ignore_errors": True}
            for task, name in zip(tasks, names, strict=True)
        ]
        collect = "{{ [" + ", ".join(f"{name} | default({{}})" for name in names) + "] | to_json }}"
        play_tasks.append(
            {
                "name": "Keep the results",
                "ansible.builtin.copy": {"content": collect, "dest": str(results_file)},
                "check_mode": False,
                "diff": False,
                "changed_when": False,
            }
        )
        play = {
            "name": "kmslab",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": sys.executable},
            "tasks": play_tasks,
        }
        if module_defaults:
            play["module_defaults"] = dict(module_defaults)
        playbook = Path(scratch) / "play.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        environment = {
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            **(env or {}),
        }
        command = [
            *prefix,
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            *args,
            str(playbook),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=timeout, check=False
        )
        results = json.loads(results_file.read_text()) if results_file.exists() else []
        return PlaybookRun(done.returncode, done.stdout, done.stderr, results)
