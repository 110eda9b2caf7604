"""The memory part of docs/performance.md: main process and workers, from fleet size to fleet size
(the figures of ``memory.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report_text import TIMES, para, table

FLAT = 0.15  # within 15% from the smallest fleet to the largest counts as flat

INTRO = """
### Memory as the fleet grows

The tree's peak above depends on how many workers happen to be alive at the moment of the peak (a
matter of timing: our tasks wait for the host, so more of them overlap). So each fleet size also
runs `site.yml` and its floor once more under `benchmarks/profiled_ansible.py` in `memory` mode
(`benchmarks/memory.py`), which reads two figures that do not depend on timing: the main
process's peak RSS, where the inventory, every host's variables and every registered result live
for the whole run, and each worker's private memory when its task ends (`Private_Dirty`: what the
task wrote of its own since the fork, pages of the main process it touched included). A run holds
at most the main process plus one worker per fork.
"""


def _cell(stats: Mapping[str, Any] | None) -> str:
    if not stats:
        return "-"
    cell = f"{stats['median_private_mb']:,.1f} ({stats['max_private_mb']:,.1f})"
    if stats.get("median_in_action_mb") is not None:
        cell += f"; {stats['median_in_action_mb']:,.1f} in the action plugin"
    return cell


def _flat(small: float, large: float) -> tuple[str, float]:
    change = large / small if small else float("nan")
    return ("flat" if abs(change - 1) <= FLAT else "not flat"), change


def memory(sizes: Sequence[Mapping[str, Any]]) -> str:
    found = [s for s in sizes if s.get("memory")]
    if not found:
        return ""
    header = (
        "machines",
        "main process MB: `site.yml`",
        "its floor",
        "worker of one of our tasks MB: median (largest); of it, written in the action plugin",
        "worker of a floor task",
        "peak of the tree MB (PSS): `site.yml` / floor",
    )
    rows = []
    for size in found:
        ours, floor = size["memory"]["ours"], size["memory"]["floor"]
        rows.append(
            (
                f"{size['hosts']:,}",
                f"{ours['main_peak_rss_mb']:,.1f}",
                f"{floor['main_peak_rss_mb']:,.1f}",
                _cell(ours["our_tasks"]),
                _cell(floor["noop_tasks"]),
                f"{ours['tree_peak_pss_mb']:,.0f} / {floor['tree_peak_pss_mb']:,.0f}",
            )
        )
    text = INTRO + "\n" + table(header, rows) + "\n"
    if len(found) > 1:
        text += para(_verdict(found[0], found[-1])) + "\n"
    return text


def _verdict(small: Mapping[str, Any], large: Mapping[str, Any]) -> str:
    n, m = small["hosts"], large["hosts"]
    a, b = small["memory"], large["memory"]
    per_host = {
        side: 1024 * (b[side]["main_peak_rss_mb"] - a[side]["main_peak_rss_mb"]) / (m - n)
        for side in ("ours", "floor")
    }
    sentences = [
        f"From {n:,} to {m:,} machines the main process grows by {per_host['ours']:,.0f} KiB "
        f"per machine under `site.yml` and by {per_host['floor']:,.0f} KiB under its floor, "
        "ansible-core's own per-host state. The difference, "
        f"{per_host['ours'] - per_host['floor']:,.0f} KiB per machine, comes with our tasks' "
        "results and tasks: ansible-core's linear strategy holds every host's result of the "
        "task being run, with the task's own fields, until the task has ended on all hosts, so "
        "the peak holds one whole result per machine, registered or not. \"The clients' play, "
        'task by task" below measures what each task of the role holds per host in the main '
        "process (`tracemalloc`), the role's argument check included."
    ]
    ours_small, ours_large = a["ours"]["our_tasks"], b["ours"]["our_tasks"]
    noop_small, noop_large = a["floor"]["noop_tasks"], b["floor"]["noop_tasks"]
    if ours_small and ours_large and noop_small and noop_large:
        extra = [
            ours["median_private_mb"] - noop["median_private_mb"]
            for ours, noop in ((ours_small, noop_small), (ours_large, noop_large))
        ]
        shape, change = _flat(extra[0], extra[1])
        sentences.append(
            f"A worker running one of our tasks holds {ours_small['median_private_mb']:,.1f} MB "
            f"of its own at {n:,} machines and {ours_large['median_private_mb']:,.1f} MB at "
            f"{m:,}; a floor task's worker {noop_small['median_private_mb']:,.1f} and "
            f"{noop_large['median_private_mb']:,.1f} MB. Both grow by about the same: that "
            "growth is ansible-core's (a worker touches, and so copies, more pages of a larger "
            f"main process). What our task adds over the floor's is {extra[0]:,.1f} MB at "
            f"{n:,} machines and {extra[1]:,.1f} MB at {m:,} ({TIMES}{change:.2f}): {shape} in "
            "the fleet size."
        )
        within = ours_large.get("median_in_action_mb")
        if within is not None:
            sentences.append(
                f"Of it, {within:,.1f} MB (at {m:,} machines) is written inside our action "
                "plugin: mostly the HTTP connection and the NTLM handshake, which urllib3, "
                "pyspnego and cryptography set up anew in every worker; the rest is "
                "written before it runs, by ansible-core templating the role's task options "
                "and variables, which the floor's bare task does not have."
            )
    return " ".join(sentences)
