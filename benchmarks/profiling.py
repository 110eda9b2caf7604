"""The controller side of one module on a whole fleet, split by whose code it is.

The play runs three times on the same converged fleet: plain (the reference wall and CPU time),
under the sampling profiler (``sampling.py``: where the CPU goes, without distortion), and under
cProfile (every call counted: how often our functions run per task, which is how repeated work
shows). Both profilers cover ansible-playbook's main process and every forked worker
(``profiled_ansible.py``). Parties: ``volact.kms`` (this collection), ``ansible-core`` (with the
Jinja2 and PyYAML it drives), the WinRM client stack, NTLM and message encryption; the standard
library's time belongs to its caller.

    python benchmarks/profiling.py DIR/workers.prof   # the split of a kept cProfile profile
"""

from __future__ import annotations

import pstats
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import profile_stats
import sampling
from runner import Measured, ansible_env, measure, playbook_command, profiled_run

if TYPE_CHECKING:
    from fleet import FleetLab

MODULE = "kms_client_setup_key (converged, discovery: true)"
PLAY = """\
- name: One module on the whole fleet (profiled)
  hosts: kms_clients
  gather_facts: false
  tasks:
    - name: Converged client
      volact.kms.kms_client_setup_key:
        discovery: true
"""
# Steps of each task, by the function that does them (inclusive of what it calls).
WORKER_STEPS = (
    ("template and validate the task", "ansible/playbook/task.py post_validate"),
    ("load the connection plugin", "ansible/executor/task_executor.py _get_connection"),
    ("resolve its options", "ansible/executor/task_executor.py _set_connection_options"),
    (
        "load the action plugin",
        "ansible/executor/task_executor.py _get_action_handler_with_module_context",
    ),
    (
        "send the result to the main process",
        "ansible/executor/task_queue_manager.py send_task_result",
    ),
    ("our action plugin, all of it", "plugins/plugin_utils/windows_action.py run"),
    (
        "- of which ansible-core's argument check",
        "ansible/plugins/action/__init__.py validate_argument_spec",
    ),
    ("- of which building the sender", "plugins/plugin_utils/wsman_transport.py sender_for"),
    ("- of which the requests (HTTP, NTLM)", "plugins/plugin_utils/transport_senders.py send"),
    ("-- within them, the NTLM handshake", "plugins/plugin_utils/transport_lean.py _ntlm"),
    ("-- within them, the HTTP exchanges", "plugins/plugin_utils/transport_lean.py _post"),
    ("- of which closing the connection", "plugins/plugin_utils/transport_senders.py close"),
)
MAIN_STEPS = (
    ("fork the workers", "ansible/executor/process/worker.py start"),
    ("compute each host's variables", "ansible/vars/manager.py get_vars"),
    ("process the results", "ansible/plugins/strategy/__init__.py _process_pending_results"),
    ("run the callbacks (output)", "ansible/executor/task_queue_manager.py send_callback"),
)


def _times(run: Measured) -> dict[str, float]:
    return {"wall_seconds": round(run.wall_seconds, 3), "cpu_seconds": round(run.cpu_seconds, 3)}


def sampled(run: Measured, dumps: Path) -> dict[str, Any]:
    workers = sampling.merge(sorted(dumps.glob("worker-*.json")))
    main = sampling.merge([dumps / "main.json"])
    tasks = workers["processes"]
    # CPU no profiler saw: each worker's start (the fork's page copies) and exit, outside _run.
    unseen = run.cpu_seconds - workers["cpu_seconds"] - main["cpu_seconds"]
    return {
        **_times(run),
        "workers": tasks,
        "unprofiled_cpu_seconds": round(max(unseen, 0.0), 3),
        "samples": workers["samples"] + main["samples"],
        "worker_cpu_seconds": round(workers["cpu_seconds"], 3),
        "worker_ms_per_task": round(1000 * workers["cpu_seconds"] / max(tasks, 1), 2),
        "main_cpu_seconds": round(main["cpu_seconds"], 3),
        "worker_parties": profile_stats.shares(workers["parties"]),
        "main_parties": profile_stats.shares(main["parties"]),
        "worker_steps": profile_stats.steps(workers["inclusive"], WORKER_STEPS, tasks),
        "main_steps": profile_stats.steps(main["inclusive"], MAIN_STEPS, tasks),
        "ours_top": [
            {"function": name, "ms_per_task": round(1000 * seconds / max(tasks, 1), 3)}
            for name, seconds in workers["ours"].most_common(12)
        ],
    }


def profiled(run: Measured, dumps: Path, keep: Path | None) -> dict[str, Any]:
    paths = sorted(dumps.glob("worker-*.prof"))
    workers = pstats.Stats(*(str(p) for p in paths))
    main = pstats.Stats(str(dumps / "main.prof"))
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        workers.dump_stats(str(keep / "workers.prof"))
        shutil.copy(dumps / "main.prof", keep / "main.prof")
    charged = profile_stats.charge(workers)
    tasks = len(paths)
    return {
        **_times(run),
        "workers": tasks,
        "worker_cpu_seconds": round(sum(charged.parties.values()), 3),
        "worker_parties": profile_stats.shares(charged.parties),
        "worker_steps": profile_stats.steps(profile_stats.cumulative(workers), WORKER_STEPS, tasks),
        "ours_top": profile_stats.ours(workers, charged, tasks),
        "main_parties": profile_stats.shares(profile_stats.charge(main).parties),
    }


def run(
    fleet: FleetLab, log: Any, keep: Path | None = None, *, cprofile: bool = True
) -> dict[str, Any]:
    """The module on every client: plain, sampled, and under cProfile unless ``cprofile`` is
    false. ``keep``: a directory to keep the merged cProfile profiles in (workers.prof,
    main.prof)."""
    work = fleet.work / "profile"
    work.mkdir(parents=True, exist_ok=True)
    playbook = work / "play.yml"
    playbook.write_text(PLAY)
    plain = playbook_command(playbook, fleet.inventories(), forks=fleet.forks, args=fleet.args())
    clients = fleet.size - 1
    log(f"profile: kms_client_setup_key on {clients} clients, plain")
    reference = measure(plain, ansible_env(), cwd=work)
    if reference.returncode != 0:
        raise RuntimeError(f"the play failed:\n{reference.tail()}")
    log(f"profile: kms_client_setup_key on {clients} clients, sampled")
    found_sampled = sampled(*profiled_run(plain, work, "sample"))
    found_cprofile = None
    if cprofile:
        log(f"profile: kms_client_setup_key on {clients} clients, under cProfile")
        found_cprofile = profiled(*profiled_run(plain, work, "cprofile"), keep)
    return {
        "module": MODULE,
        "hosts": clients,
        "forks": fleet.forks,
        "transport": fleet.transport,
        "plain": _times(reference),
        "sampled": found_sampled,
        "cprofile": found_cprofile,
    }


def summary(path: Path) -> None:
    """Print the party split of a saved cProfile profile."""
    stats = pstats.Stats(str(path))
    charged = profile_stats.charge(stats)
    for name, values in profile_stats.shares(charged.parties).items():
        print(f"{values['seconds']:9.3f} s {100 * values['share']:5.1f}%  {name}")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        summary(Path(argument))
