"""``ansible-playbook`` with ``tracemalloc`` in its main process: what the main process holds,
per host, once every host's result of a task is in.

ansible-core's linear strategy keeps every host's result of the running task until the task has
ended on all hosts; those results are most of what the main process's peak grows with the fleet.
This wrapper starts ``tracemalloc`` in the main process (each forked worker stops it at once, so
the workers run untraced), notes the task each worker is given, and each time the strategy has
waited for the pending results it reads the traced memory. ``$BENCH_TRACED_OUT`` receives, per
task, the most memory traced while that task's results were held, above what the process held
when the task began (``held_bytes``) and when the first task began (``above_first_bytes``: the
results registered so far included), and the number of hosts it ran on:

    BENCH_TRACED_OUT=held.json python benchmarks/traced_ansible.py -i inventory play.yml
"""

from __future__ import annotations

import json
import os
import sys
import tracemalloc
from typing import Any

from ansible.cli.playbook import PlaybookCLI
from ansible.executor.process.worker import WorkerProcess
from ansible.plugins.strategy import StrategyBase

_FOUND: dict[str, dict[str, Any]] = {}
_STATE: dict[str, Any] = {"base": 0, "task": None}


def _wrap() -> None:
    queue_task, wait, run = (
        StrategyBase._queue_task,
        StrategyBase._wait_on_pending_results,
        WorkerProcess.run,
    )

    def queued(self: Any, host: Any, task: Any, task_vars: Any, play_context: Any) -> Any:
        name = task.get_name()
        now = tracemalloc.get_traced_memory()[0]
        if not _STATE["base"]:
            _STATE["base"] = now  # when the first task begins
        _STATE["task"] = name
        entry = _FOUND.get(name)
        if entry is None:
            entry = {"task": name, "hosts": set(), "start": now, "held_bytes": 0}
            entry["above_first_bytes"] = 0
            _FOUND[name] = entry
        entry["hosts"].add(host.name)
        return queue_task(self, host, task, task_vars, play_context)

    def waited(self: Any, iterator: Any) -> Any:
        results = wait(self, iterator)
        if _STATE["task"] is not None:
            now = tracemalloc.get_traced_memory()[0]
            entry = _FOUND[_STATE["task"]]
            entry["held_bytes"] = max(entry["held_bytes"], now - entry["start"])
            entry["above_first_bytes"] = max(entry["above_first_bytes"], now - _STATE["base"])
        return results

    def untraced(self: Any) -> Any:
        tracemalloc.stop()  # a worker: its own memory is benchmarks/memory.py's business
        return run(self)

    StrategyBase._queue_task = queued  # type: ignore[method-assign]
    StrategyBase._wait_on_pending_results = waited  # type: ignore[method-assign]
    WorkerProcess.run = untraced  # type: ignore[method-assign]


def main() -> int:
    tracemalloc.start(1)
    _wrap()
    try:
        return PlaybookCLI(["ansible-playbook", *sys.argv[1:]]).run()
    finally:
        found = [{**e, "hosts": len(e["hosts"])} for e in _FOUND.values()]
        for entry in found:
            del entry["start"]
        with open(os.environ["BENCH_TRACED_OUT"], "w", encoding="utf-8") as out:
            json.dump(found, out, indent=2)


if __name__ == "__main__":
    sys.exit(main())
