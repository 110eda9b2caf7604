"""The clients' play of ``site.yml`` (the ``kms_client`` role), task by task, on every client.

Each per-client task of the role runs alone in a play on ``kms_clients`` of the converged fleet,
with the role's defaults as the play's variables, next to the floor's bare task: the role's
argument check (what ansible-core prepends from ``meta/argument_specs.yml``), the role's
converged ``kms_client_setup_key`` task, its retry task (skipped: nothing was below the
threshold) and the one task that reports every machine (``run_once``, one ``hostvars`` lookup
per machine). Then the whole role, and the role again under ``traced_ansible.py``: what
ansible-core's main process holds per host once every host's result of each task is in, next to
the floor's bare task traced the same way.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from runner import ROOT, VENV_BIN, ansible_env, measure, playbook_command, recap, tasks_run

if TYPE_CHECKING:
    from fleet import FleetLab

ROLE = ROOT / "roles" / "kms_client"
TRACED = Path(__file__).resolve().parent / "traced_ansible.py"
HOSTS = "kms_clients"
# What the role's setup task sends a converged client with the role's defaults.
LITERAL = {"product": "windows", "discovery": True, "activate": True, "below_threshold": "ignore"}


def _role() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    return defaults, tasks, specs["argument_specs"]["main"]["options"]


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    """(key, what the page calls it, the play)."""
    defaults, tasks, options = _role()
    setup, retry, report = tasks[0], tasks[1], tasks[2]

    def play(key: str, body: dict[str, Any], variables: dict[str, Any] | None = None) -> dict:
        found: dict[str, Any] = {"name": f"breakdown: {key}", "hosts": HOSTS}
        found["gather_facts"] = False
        if variables is not None:
            found["vars"] = variables
        return found | body

    check = {"ansible.builtin.validate_argument_spec": {"argument_spec": options}}
    return [
        ("floor", "floor: `bench_noop`", play("floor", {"tasks": [{"bench_noop": {}}]})),
        (
            "argument_check",
            "the role's argument check (`validate_argument_spec`, from meta/argument_specs.yml)",
            play("argument_check", {"tasks": [{"name": "check", **check}]}, defaults),
        ),
        (
            "setup",
            f"{setup['name']} (`kms_client_setup_key`, converged)",
            play("setup", {"tasks": [setup]}, defaults),
        ),
        (
            "setup_literal",
            "the same module with its options written out (`discovery: true`, nothing templated)",
            play("setup_literal", {"tasks": [{"volact.kms.kms_client_setup_key": LITERAL}]}),
        ),
        (
            "retry",
            f"{retry['name']} (skipped)",
            play("retry", {"tasks": [retry]}, defaults),
        ),
        (
            "report",
            f"{report['name']} (`run_once`)",
            play("report", {"tasks": [report]}, defaults),
        ),
        ("role", "the whole role", play("role", {"roles": ["volact.kms.kms_client"]})),
    ]


# What the retry's condition and the report read of each client, as extra variables: hostvars
# shows them on every host, as it shows the results the role registers.
CONVERGED = {
    "kms_client_result": {
        "activation": {"state": "activated"},
        "kms_client": {"product": {"name": "Windows 10 Enterprise"}},
    }
}


def _run(fleet: FleetLab, key: str, body: dict[str, Any], traced: Path | None) -> dict[str, Any]:
    path = fleet.work / f"breakdown-{key}.yml"
    path.write_text(yaml.safe_dump([body], sort_keys=False))
    extra_vars = ["-e", json.dumps(CONVERGED)] if key in ("retry", "report") else []
    args = fleet.args(extra_vars)
    command = playbook_command(path, fleet.inventories(), forks=fleet.forks, args=args)
    extra: dict[str, str] = {}
    if traced is not None:
        command[0:1] = [str(VENV_BIN / "python"), str(TRACED)]
        extra["BENCH_TRACED_OUT"] = str(traced)
    run = measure(command, ansible_env(extra), cwd=fleet.work)
    counts = recap(run.stdout)
    return {
        "returncode": run.returncode,
        "tasks": sum(tasks_run(c) for c in counts.values()),
        "cpu_seconds": round(run.cpu_seconds, 3),
        "error": run.tail(2000) if run.returncode != 0 else None,
    }


def run(fleet: FleetLab, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    clients = fleet.size - 1
    found = jobs()
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key, _name, _play in found}
    for index in range(repeat):
        for key, _name, body in found:
            log(f"fleet {fleet.size}: breakdown, {key}, {index + 1}/{repeat}")
            runs[key].append(_run(fleet, key, body, None))
    floor = statistics.median(r["cpu_seconds"] for r in runs["floor"]) * 1000 / clients
    rows = []
    for key, name, _body in found:
        cpu = statistics.median(r["cpu_seconds"] for r in runs[key]) * 1000 / clients
        rows.append(
            {
                "key": key,
                "name": name,
                "cpu_ms_per_client": round(cpu, 2),
                "times_floor_task": round(cpu / floor, 3) if floor else None,
                "tasks": runs[key][-1]["tasks"],
                "failed": [r["error"] for r in runs[key] if r["error"]],
            }
        )
    held = {}
    for key in ("floor", "role"):
        log(f"fleet {fleet.size}: breakdown, {key} under tracemalloc")
        out = fleet.work / f"traced-{key}.json"
        body = next(b for k, _n, b in found if k == key)
        done = _run(fleet, key, body, out)
        tasks = json.loads(out.read_text()) if out.exists() else []
        held[key] = {"returncode": done["returncode"], "error": done["error"], "tasks": tasks}
    return {"clients": clients, "repeats": repeat, "rows": rows, "held": held}
