"""Fleet runs: no-op ``playbooks/site.yml`` and ``playbooks/audit.yml`` over a scale lab, each next
to the floor ansible-core itself imposes on the same hosts with the same number of tasks.

The floor is a playbook of ``bench_noop`` tasks (``benchmarks/plugins/action/bench_noop.py``): per
host, as many tasks as the measured run reported for that host in its PLAY RECAP, on the same
inventory (the winrm connection object is built and configured for each of them, as for ours),
with the same forks. It runs right after the measured playbook, in the same repeat, so the ratio
compares two runs made under the same conditions.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import breakdown
import memory
import peers
import yaml
from kmslab.lab import Lab
from runner import (
    BENCH,
    ROOT,
    Measured,
    ansible_env,
    measure,
    playbook_command,
    recap,
    tasks_run,
)

SITE = ROOT / "playbooks" / "site.yml"
AUDIT = ROOT / "playbooks" / "audit.yml"
INVENTORY = BENCH / "inventory"
METRICS = ("wall_seconds", "cpu_seconds", "peak_tree_pss_mb", "largest_process_mb")
METRICS += ("peak_processes", "requests_per_host", "http_requests_per_host")


@dataclass
class FleetLab:
    """A running scale lab and how to run playbooks against it."""

    lab: Lab
    transport: str
    forks: int
    work: Path

    @property
    def size(self) -> int:
        return len(self.lab.machines)

    def inventories(self) -> list[Path]:
        state = self.lab.state_dir
        return [state / f"inventory-{self.transport}.yml", INVENTORY]  # type: ignore[operator]

    def args(self, extra: Sequence[str] = ()) -> list[str]:
        return ["-e", f"@{self.lab.state_dir / 'secrets.yml'}", *extra]  # type: ignore[operator]

    def requests(self) -> tuple[int, int]:
        """WS-Man requests and HTTP requests (with authentication legs) so far, fleet-wide."""
        snapshots = [self.lab.counters(name) for name in self.lab.names()]
        return sum(s.requests for s in snapshots), sum(s.http_requests for s in snapshots)

    def play(self, playbook: Path, extra: Sequence[str] = ()) -> tuple[Measured, dict[str, Any]]:
        command = playbook_command(
            playbook, self.inventories(), forks=self.forks, args=self.args(extra)
        )
        before = self.requests()
        run = measure(command, ansible_env(), cwd=self.work)
        after = self.requests()
        return run, summarize(run, self.size, after[0] - before[0], after[1] - before[1])


def summarize(run: Measured, hosts: int, requests: int, http_requests: int) -> dict[str, Any]:
    return {
        "returncode": run.returncode,
        "wall_seconds": round(run.wall_seconds, 3),
        "cpu_seconds": round(run.cpu_seconds, 3),
        "peak_tree_pss_mb": round(run.peak_tree_pss_kb / 1024, 1),
        "peak_tree_rss_mb": round(run.peak_tree_rss_kb / 1024, 1),
        "largest_process_mb": round(run.largest_process_kb / 1024, 1),
        "peak_processes": run.peak_processes,
        "memory_samples": run.samples,
        "lab_cpu_seconds": round(run.lab_cpu_seconds, 3),
        "requests_per_host": round(requests / hosts, 3),
        "http_requests_per_host": round(http_requests / hosts, 3),
        "task_results": sum(tasks_run(c) for c in recap(run.stdout).values()),
        "hosts_in_recap": len(recap(run.stdout)),
    }


def floor_plays(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """``bench_noop`` plays giving every host of ``counts`` its number of tasks. The usual count
    goes to everyone else through an exclusion pattern (a 1,000-name host list would itself cost
    ansible-core time that the measured run does not pay); hosts with another count are named."""
    usual = Counter(n for host, n in counts.items() if host != "localhost").most_common(1)[0][0]
    others = {host: n for host, n in counts.items() if n != usual}
    plays = []
    for number in sorted(set(others.values())):
        hosts = sorted(host for host, n in others.items() if n == number)
        plays.append(_noop_play(",".join(hosts), number, local="localhost" in hosts))
    excluded = "".join(f":!{host}" for host in sorted(others) if host != "localhost")
    plays.append(_noop_play(f"all{excluded}", usual, local=False))
    return plays


def _noop_play(hosts: str, tasks: int, *, local: bool) -> dict[str, Any]:
    play: dict[str, Any] = {"name": f"floor: {tasks} tasks", "hosts": hosts, "gather_facts": False}
    if local:
        play["connection"] = "local"
    play["tasks"] = [{"name": f"noop {i}", "bench_noop": {}} for i in range(tasks)]
    return play


@dataclass
class Scenario:
    """One playbook at one fleet size: its runs and its floor's, pairwise."""

    name: str
    playbook: Path
    extra: tuple[str, ...] = ()
    runs: list[dict[str, Any]] = field(default_factory=list)
    floors: list[dict[str, Any]] = field(default_factory=list)
    floor_path: Path | None = None
    failures: list[str] = field(default_factory=list)

    def once(self, fleet: FleetLab) -> None:
        run, numbers = fleet.play(self.playbook, self.extra)
        if run.returncode != 0:
            self.failures.append(run.tail())
        self.runs.append(numbers)
        if self.floor_path is None:
            counts = {host: tasks_run(c) for host, c in recap(run.stdout).items()}
            self.floor_path = fleet.work / f"floor-{self.name}.yml"
            self.floor_path.write_text(yaml.safe_dump(floor_plays(counts), sort_keys=False))
        floor, floor_numbers = fleet.play(self.floor_path)
        if floor.returncode != 0:
            self.failures.append(floor.tail())
        self.floors.append(floor_numbers)

    def result(self) -> dict[str, Any]:
        ratios = [
            {m: _ratio(run[m], floor[m]) for m in ("wall_seconds", "cpu_seconds")}
            for run, floor in zip(self.runs, self.floors, strict=True)
        ]
        return {
            "playbook": str(self.playbook.relative_to(ROOT)),
            "repeats": len(self.runs),
            "median": _medians(self.runs),
            "floor_median": _medians(self.floors),
            "ratio_to_floor": {m: statistics.median(r[m] for r in ratios) for m in ratios[0]},
            "runs": self.runs,
            "floor_runs": self.floors,
            "failures": self.failures,
        }


def _ratio(ours: float, floor: float) -> float:
    return round(ours / floor, 3) if floor else float("nan")


def _medians(runs: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    return {m: round(statistics.median(r[m] for r in runs), 3) for m in METRICS}


def run_size(
    fleet: FleetLab,
    repeat: int,
    log: Callable[[str], None],
    *,
    audit: bool,
    peer: bool = True,
    memory_runs: bool = True,
) -> dict[str, Any]:
    """The first converging site.yml (not measured, but reported), then ``repeat`` rounds of
    no-op site.yml and its floor, and audit.yml and its floor; then (``memory_runs``) the memory
    runs (``memory.py``) and (``peer``) one task on every client, ours next to the usual way and
    ansible.windows (``peers.py``), and the clients' play task by task (``breakdown.py``)."""
    log(f"fleet {fleet.size}: first site.yml run, converging (not measured)")
    first, first_numbers = fleet.play(SITE)
    if first.returncode != 0:
        raise RuntimeError(f"site.yml did not converge the fleet:\n{first.tail()}")
    report = fleet.work / "kms-audit"
    scenarios = [Scenario("site", SITE)] if repeat else []
    if audit and repeat:
        scenarios.append(Scenario("audit", AUDIT, ("-e", f"kms_audit_report_dir={report}")))
    for index in range(repeat):
        for scenario in scenarios:
            log(f"fleet {fleet.size}: {scenario.name}.yml and its floor, {index + 1}/{repeat}")
            scenario.once(fleet)
    site = scenarios[0] if scenarios else None
    found = None
    if memory_runs and site is not None and site.floor_path is not None:
        found = memory.run(fleet, SITE, site.floor_path, log)
    peer_jobs = peers.run(fleet, repeat, log) if peer and repeat else None
    tasks = breakdown.run(fleet, repeat, log) if peer and repeat else None
    return {
        "hosts": fleet.size,
        "forks": fleet.forks,
        "transport": fleet.transport,
        "first_converging_site_run": first_numbers,
        "scenarios": {s.name: s.result() for s in scenarios},
        "memory": found,
        "peers": peer_jobs,
        "breakdown": tasks,
    }
