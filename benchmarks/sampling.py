"""A statistical CPU profiler for ansible-playbook's processes, on the standard library only.

Every ``interval`` seconds of the process's CPU time (``ITIMER_PROF``), the main thread's stack
is recorded. A sample belongs to the innermost frame that is not standard library (so the time
of ``xml.etree`` called by our parser is ours, the time of ``ssl`` called by urllib3 is
urllib3's). Unlike cProfile, the cost of a sample does not depend on how many Python calls the
code makes, so code made of many small calls is not overweighted; the samples are scaled to the
process's measured CPU time.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from parties import OTHER, party, short

Frame = tuple[str, str]  # (file, function)


class StackSampler:
    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.stacks: Counter[tuple[Frame, ...]] = Counter()
        self._began = 0.0
        self.cpu_seconds = 0.0

    def _tick(self, _signum: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            stack.append((frame.f_code.co_filename, frame.f_code.co_name))
            frame = frame.f_back
        self.stacks[tuple(stack)] += 1

    def start(self) -> None:
        self._began = time.process_time()
        signal.signal(signal.SIGPROF, self._tick)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_IGN)
        self.cpu_seconds = time.process_time() - self._began

    def summary(self) -> dict[str, Any]:
        """Samples per party, per innermost function of ours, and per function on the stack
        (inclusive, each function once per sample), standard library left out."""
        parties: Counter[str] = Counter()
        ours: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        for stack, count in self.stacks.items():
            owner = None
            for filename, name in stack:
                owner = party(filename, name)
                if owner is not None:
                    if owner == "volact.kms":
                        ours[f"{short(filename)} {name}"] += count
                    break
            parties[owner or OTHER] += count
            seen = {f"{short(f)} {n}" for f, n in stack if party(f, n) is not None}
            inclusive.update(dict.fromkeys(seen, count))
        return {
            "cpu_seconds": self.cpu_seconds,
            "samples": sum(self.stacks.values()),
            "parties": dict(parties),
            "ours": dict(ours),
            "inclusive": dict(inclusive),
        }

    def dump(self, path: Path) -> None:
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(self.summary()))
        partial.rename(path)


def merge(paths: list[Path]) -> dict[str, Any]:
    """Sum the per-process summaries, each sample weighted by its process's CPU per sample."""
    parties: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    cpu = 0.0
    samples = 0
    for path in paths:
        found = json.loads(path.read_text())
        cpu += found["cpu_seconds"]
        samples += found["samples"]
        if not found["samples"]:
            parties[OTHER] += found["cpu_seconds"]
            continue
        weight = found["cpu_seconds"] / found["samples"]
        for table, values in ((parties, "parties"), (ours, "ours"), (inclusive, "inclusive")):
            for key, count in found[values].items():
                table[key] += count * weight
    return {
        "processes": len(paths),
        "cpu_seconds": cpu,
        "samples": samples,
        "parties": parties,
        "ours": ours,
        "inclusive": inclusive,
    }
