"""One task on every client of the fleet, ours next to the ways administrators use today.

Each job is a one-task play on ``kms_clients`` of the converged scale lab (after the fleet's
site.yml runs): our converged check and our read, the usual ``raw: slmgr.vbs /dlv``, and
ansible.windows' ``win_shell`` running slmgr, ``win_product_facts`` and ``win_ping`` (sent as
PowerShell through ansible-core's exec wrapper, answered by the lab's shell from the same model:
``tests/lab/kmslab/ansible_windows.py``). The floor is one ``bench_noop`` task per client on the
same inventory. Every repeat runs the floor, then each job, one right after the other; the
controller's CPU per task and the ratios to the floor are medians over the repeats.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import yaml
from runner import ansible_env, measure, playbook_command, recap, tasks_run

if TYPE_CHECKING:
    from fleet import FleetLab

SLMGR_DLV = r"cscript //nologo C:\Windows\System32\slmgr.vbs /dlv"
HOSTS = "kms_clients"
# (key, what the page calls it, whose, the task)
JOBS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("floor", "floor: `bench_noop`", "floor", {"bench_noop": {}}),
    (
        "client_setup_key",
        "`volact.kms.kms_client_setup_key` (converged, discovery: true)",
        "volact.kms",
        {"volact.kms.kms_client_setup_key": {"discovery": True}},
    ),
    (
        "client_setup_key_pywinrm",
        "`volact.kms.kms_client_setup_key` (the same, over pywinrm: `VOLACT_KMS_LEAN_TRANSPORT=0`)",
        "volact.kms",
        {"volact.kms.kms_client_setup_key": {"discovery": True}},
    ),
    (
        "activation_info",
        "`volact.kms.kms_activation_info`",
        "volact.kms",
        {"volact.kms.kms_activation_info": {}},
    ),
    ("raw_dlv", "raw: slmgr.vbs /dlv", "usual", {"ansible.builtin.raw": SLMGR_DLV}),
    (
        "win_shell_dlv",
        "`ansible.windows.win_shell`: slmgr.vbs /dlv",
        "ansible.windows",
        {"ansible.windows.win_shell": SLMGR_DLV},
    ),
    (
        "win_product_facts",
        "`ansible.windows.win_product_facts`",
        "ansible.windows",
        {"ansible.windows.win_product_facts": {}},
    ),
    ("win_ping", "`ansible.windows.win_ping`", "ansible.windows", {"ansible.windows.win_ping": {}}),
)
# The transport lever's before and after in the same run (plugins/plugin_utils/transport_lean.py).
ENVIRONMENT = {"client_setup_key_pywinrm": {"VOLACT_KMS_LEAN_TRANSPORT": "0"}}
NUMBERS = ("wall_seconds", "cpu_seconds", "cpu_ms_per_task", "largest_process_mb")
NUMBERS += ("requests_per_task", "http_requests_per_task", "bytes_sent_per_task")
NUMBERS += ("bytes_received_per_task", "lab_cpu_seconds")


def _play(key: str, task: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": f"peers: {key}",
            "hosts": HOSTS,
            "gather_facts": False,
            "tasks": [{"name": key, **task}],
        }
    ]


def _totals(fleet: FleetLab) -> tuple[int, int, int, int]:
    """WS-Man requests, HTTP requests, bytes the lab received and sent, fleet-wide so far."""
    found = [fleet.lab.counters(name) for name in fleet.lab.names()]
    return (
        sum(s.requests for s in found),
        sum(s.http_requests for s in found),
        sum(s.bytes_in for s in found),
        sum(s.bytes_out for s in found),
    )


def run_job(fleet: FleetLab, key: str, task: Mapping[str, Any]) -> dict[str, Any]:
    path = fleet.work / f"peers-{key}.yml"
    path.write_text(yaml.safe_dump(_play(key, task), sort_keys=False))
    command = playbook_command(path, fleet.inventories(), forks=fleet.forks, args=fleet.args())
    before = _totals(fleet)
    run = measure(command, ansible_env(ENVIRONMENT.get(key)), cwd=fleet.work)
    after = _totals(fleet)
    counts = recap(run.stdout)
    tasks = sum(tasks_run(c) for c in counts.values()) or 1
    failed = sum(c["failed"] + c["unreachable"] for c in counts.values())
    grown = [b - a for a, b in zip(before, after, strict=True)]
    return {
        "returncode": run.returncode,
        "tasks": tasks,
        "failed_tasks": failed,
        "wall_seconds": round(run.wall_seconds, 3),
        "cpu_seconds": round(run.cpu_seconds, 3),
        "cpu_ms_per_task": round(run.cpu_seconds * 1000 / tasks, 2),
        "largest_process_mb": round(run.largest_process_kb / 1024, 1),
        "lab_cpu_seconds": round(run.lab_cpu_seconds, 3),
        "requests_per_task": round(grown[0] / tasks, 3),
        "http_requests_per_task": round(grown[1] / tasks, 3),
        "bytes_sent_per_task": round(grown[2] / tasks),
        "bytes_received_per_task": round(grown[3] / tasks),
        "error": run.tail(2000) if run.returncode != 0 else None,
    }


def run(fleet: FleetLab, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    """``repeat`` rounds of the floor and every job on the (converged) fleet."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key, *_rest in JOBS}
    for index in range(repeat):
        for key, _name, _whose, task in JOBS:
            log(f"fleet {fleet.size}: peers, {key}, {index + 1}/{repeat}")
            runs[key].append(run_job(fleet, key, task))
    jobs = []
    for key, name, whose, _task in JOBS:
        samples = runs[key]
        ratios = [
            {m: ours[m] / floor[m] if floor[m] else None for m in ("wall_seconds", "cpu_seconds")}
            for ours, floor in zip(samples, runs["floor"], strict=True)
        ]
        jobs.append(
            {
                "key": key,
                "name": name,
                "whose": whose,
                "median": {m: statistics.median(s[m] for s in samples) for m in NUMBERS},
                "ratio_to_floor": {
                    m: statistics.median(r[m] for r in ratios if r[m] is not None)
                    for m in ("wall_seconds", "cpu_seconds")
                },
                "ok": all(s["returncode"] == 0 and not s["failed_tasks"] for s in samples),
                "runs": samples,
            }
        )
    return {"hosts": fleet.size, "forks": fleet.forks, "repeats": repeat, "jobs": jobs}
