"""``ansible-playbook`` under a profiler, its forked workers included.

``python -m cProfile ansible-playbook`` sees only the main process: ansible-core runs every task
in a forked worker (``WorkerProcess``), which leaves through ``os._exit`` and never writes the
profile. This wrapper profiles the main process as a whole and each worker's ``_run`` (the
``TaskExecutor`` that runs the action plugin, then the result sent back) separately, one file per
process in ``$BENCH_PROFILE_DIR``; ``benchmarks/profiling.py`` merges them.

``$BENCH_PROFILE_MODE``: ``cprofile`` (every call counted, ``.prof`` files), ``sample`` (the
stack every millisecond of CPU, ``.json`` summaries; see ``sampling.py``) or ``memory`` (no
profiler: each worker's own memory when its task begins and ends, the main process's peak; see
``memory.py``). The profilers use the
process's CPU clock, not the wall clock: with 50 workers on a few cores a worker spends most of
its life waiting for a core or for the host's answer, and a wall-clock profile would charge that
wait to whichever line was running when it began.

    BENCH_PROFILE_DIR=out BENCH_PROFILE_MODE=sample \\
        python benchmarks/profiled_ansible.py -i inventory play.yml
"""

from __future__ import annotations

import cProfile
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ansible.cli.playbook import PlaybookCLI
from ansible.executor.process.worker import WorkerProcess
from ansible.executor.task_executor import TaskExecutor
from ansible.plugins.action import ActionBase
from sampling import StackSampler

# The cProfile profiler enabled in this process. A worker is a fork of the main process and
# inherits its enabled profiler: since Python 3.12 cProfile runs on sys.monitoring, which admits
# one profiler per process ("Another profiling tool is already active"), so the worker turns the
# inherited one off before starting its own (its data is the main process's, never written here).
_ENABLED: list[cProfile.Profile] = []


class Profiler:
    """One process's profiler, started and stopped around a call, written under a temporary
    name and then renamed: ansible-playbook may terminate a worker still writing."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._cprofile = cProfile.Profile(time.process_time) if mode == "cprofile" else None
        self._sampler = StackSampler() if mode == "sample" else None

    def call(self, function: Callable[[], Any], path: Path) -> Any:
        if self._cprofile is not None:
            while _ENABLED:
                _ENABLED.pop().disable()
            _ENABLED.append(self._cprofile)
            self._cprofile.enable()
        elif self._sampler is not None:
            self._sampler.start()
        try:
            return function()
        finally:
            if self._cprofile is not None:
                self._cprofile.disable()
                partial = path.with_suffix(".partial")
                self._cprofile.dump_stats(partial)
                partial.rename(path.with_suffix(".prof"))
            elif self._sampler is not None:
                self._sampler.stop()
                self._sampler.dump(path.with_suffix(".json"))


def private_kb() -> int:
    """This process's own memory: the pages only it holds (written since the fork), in KiB."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        name, _sep, rest = line.partition(":")
        if name == "Private_Dirty":
            return int(rest.split()[0])
    return 0


def _remember_skips(original: Callable[[Any], Any], seen: dict[str, Any]) -> Any:
    # A skipped task's worker never reaches the action plugin: kept apart in the figures.
    def run(self: Any) -> Any:
        result = original(self)
        seen["skipped"] = bool(isinstance(result, dict) and result.get("skipped"))
        return result

    return run


def _mark_action(original: Callable[..., Any], seen: dict[str, Any]) -> Any:
    # Every action plugin's run calls ActionBase.run first: what the worker holds at that moment
    # is ansible-core's share (the fork, the task's templating, the connection plugin).
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.setdefault("action_kb", private_kb())
        return original(self, *args, **kwargs)

    return run


def _profiled_run(original: Callable[[Any], None], folder: Path, mode: str) -> Any:
    seen: dict[str, Any] = {}
    if mode == "memory":
        TaskExecutor.run = _remember_skips(TaskExecutor.run, seen)  # type: ignore[method-assign]
        ActionBase.run = _mark_action(ActionBase.run, seen)  # type: ignore[method-assign]

    def run(self: Any) -> None:
        path = folder / f"worker-{os.getpid()}"
        if mode == "memory":
            begun = private_kb()
            try:
                original(self)
            finally:
                found = {
                    "action": self._task.action,
                    "skipped": seen.get("skipped", False),
                    "start_kb": begun,
                    "action_kb": seen.get("action_kb"),
                    "end_kb": private_kb(),
                }
                path.with_suffix(".json").write_text(json.dumps(found))
            return
        Profiler(mode).call(lambda: original(self), path)

    return run


def _main_memory(folder: Path) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    (folder / "main.json").write_text(json.dumps({"peak_rss_kb": peak}))


def main() -> int:
    folder = Path(os.environ["BENCH_PROFILE_DIR"])
    mode = os.environ.get("BENCH_PROFILE_MODE", "cprofile")
    folder.mkdir(parents=True, exist_ok=True)
    WorkerProcess._run = _profiled_run(WorkerProcess._run, folder, mode)  # type: ignore[method-assign]
    argv = ["ansible-playbook", *sys.argv[1:]]
    sys.argv = argv
    code: Any = 0
    try:
        if mode == "memory":
            try:
                PlaybookCLI.cli_executor(argv)
            finally:
                _main_memory(folder)
        else:
            Profiler(mode).call(lambda: PlaybookCLI.cli_executor(argv), folder / "main")
    except SystemExit as done:
        code = done.code
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
