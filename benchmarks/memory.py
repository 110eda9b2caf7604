"""Memory as the fleet grows: what the main process keeps, what each worker holds of its own.

The tree's peak PSS (``runner.py``) is the memory a run really holds at its worst moment, but it
depends on how many workers happen to be alive at that moment, which is a matter of timing. So
each fleet size also runs ``site.yml`` and its floor once more under ``profiled_ansible.py`` in
``memory`` mode, which reads two figures that do not depend on timing:

- the main process's peak RSS (``ru_maxrss``): the inventory, every host's variables and every
  registered result live there for the whole run;
- each worker's private memory when its task ends (``Private_Dirty``): what the task wrote of its
  own since the fork (its imports, connections and buffers, and the pages it touched of the main
  process's, which the kernel copied).

Nothing is profiled: the wrapper reads ``/proc/self/smaps_rollup`` once when a worker's task
begins and once when it ends.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner import playbook_command, profiled_run

if TYPE_CHECKING:
    from fleet import FleetLab

OURS = "volact.kms."
NOOP = "bench_noop"


def _mb(kib: float) -> float:
    return round(kib / 1024, 1)


def workers(found: Sequence[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    """Median and largest private memory at the end of the tasks whose action starts with
    ``wanted`` (skipped tasks left out: they never reach the action plugin)."""
    tasks = [w for w in found if w["action"].startswith(wanted) and not w["skipped"]]
    if not tasks:
        return None
    ends = [w["end_kb"] for w in tasks]
    # Written by the action plugin's own run: from ActionBase.run to the end of the task.
    within = [w["end_kb"] - w["action_kb"] for w in tasks if w["action_kb"] is not None]
    return {
        "tasks": len(ends),
        "median_private_mb": _mb(statistics.median(ends)),
        "max_private_mb": _mb(max(ends)),
        "median_in_action_mb": _mb(statistics.median(within)) if within else None,
    }


def one(fleet: FleetLab, playbook: Path, label: str) -> dict[str, Any]:
    plain = playbook_command(playbook, fleet.inventories(), forks=fleet.forks, args=fleet.args())
    run, dumps = profiled_run(plain, fleet.work / f"memory-{label}", "memory")
    found = [json.loads(p.read_text()) for p in sorted(dumps.glob("worker-*.json"))]
    main = json.loads((dumps / "main.json").read_text())
    return {
        "main_peak_rss_mb": _mb(main["peak_rss_kb"]),
        "tree_peak_pss_mb": _mb(run.peak_tree_pss_kb),
        "workers": len(found),
        "all_tasks": workers(found, ""),
        "our_tasks": workers(found, OURS),
        "noop_tasks": workers(found, NOOP),
    }


def run(fleet: FleetLab, playbook: Path, floor: Path, log: Any) -> dict[str, Any]:
    """``playbook`` and its floor, once each, in memory mode."""
    log(f"fleet {fleet.size}: memory of {playbook.name} and its floor")
    return {
        "playbook": playbook.name,
        "ours": one(fleet, playbook, "ours"),
        "floor": one(fleet, floor, "floor"),
    }
