"""The page's section on the clients' play task by task (``breakdown.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report_text import TIMES, para, table

INTRO = (
    "What makes `site.yml` cost more than its floor, measured task by task. Each per-client task "
    "of the `kms_client` role (the clients' play of `site.yml`) runs alone in a play on every "
    "client of the converged fleet, with the role's defaults as the play's variables, next to the "
    "floor's bare task; then the whole role (`benchmarks/breakdown.py`). The role's floor is as "
    "many bare tasks per client as the role's recap counts."
)
HELD_INTRO = (
    "Where the main process's memory goes: the whole role and the floor's bare task once more, "
    "under `benchmarks/traced_ansible.py`, which traces the main process's allocations "
    "(`tracemalloc`; the workers run untraced) and reads, each time ansible-core's linear "
    "strategy has collected the results of the running task, how much more the main process "
    "holds than when that task began, and than when the first task began (the results "
    "registered so far included). The linear strategy keeps every host's result of "
    "the running task until the task has ended on all hosts (`ansible/plugins/strategy/"
    "linear.py`), and each result comes with the task's own fields (`WireTaskResult.task_fields`, "
    "`task.dump_attrs()`: its arguments included), so a task with large arguments or a large "
    "result raises the peak by that much per host; registered results stay until the end."
)


# Tasks that run once for the whole play (run_once).
ONCE = ("report",)


def _held(found: Mapping[str, Any]) -> list[tuple[str, float, float]]:
    return [
        (
            task["task"],
            task["held_bytes"] / 1024 / task["hosts"],
            task["above_first_bytes"] / 1024 / task["hosts"],
        )
        for task in found.get("tasks", [])
        if task["hosts"] > 1
    ]


def section(size: Mapping[str, Any]) -> str:
    found = size.get("breakdown")
    if not found:
        return ""
    rows = found["rows"]
    by_key = {row["key"]: row for row in rows}
    title = (
        f"### Task by task: {size['hosts']:,} machines ({found['clients']:,} clients), "
        f"forks {size['forks']}, median of {found['repeats']} runs\n\n"
    )
    floor, role = by_key.get("floor"), by_key.get("role")
    bare = floor["cpu_ms_per_client"] if floor else 0.0
    per_client = role["tasks"] / max(found["clients"], 1) if role else 0.0
    ratio = role["cpu_ms_per_client"] / (bare * per_client) if role and bare else None

    def times(row: Mapping[str, Any]) -> str:
        if row["key"] == "role" and ratio is not None:
            return f"{TIMES}{ratio:.2f} its floor ({per_client:.1f} bare tasks)"
        if row["key"] in ONCE or row["times_floor_task"] is None:
            return "-"  # one task for the whole play: its CPU is spread over the clients
        return f"{TIMES}{row['times_floor_task']:.2f}"

    cells = [
        (
            row["name"] + (" **(failed)**" if row["failed"] else ""),
            f"{row['tasks']:,}",
            f"{row['cpu_ms_per_client']:.1f}",
            times(row),
        )
        for row in rows
    ]
    header = ("play on every client", "tasks in the recap", "CPU ms per client")
    header += (f"{TIMES} a bare task",)
    text = title + table(header, cells) + "\n"
    if role and ratio is not None:
        whole = role["cpu_ms_per_client"]
        parts = [
            f"The whole role costs {whole:.1f} ms of controller CPU per client, {per_client:.1f} "
            f"tasks per client in its recap: {TIMES}{ratio:.2f} its floor of as many bare tasks "
            f"({bare:.1f} ms each), {whole - bare * per_client:+.1f} ms per client."
        ]
        each = [by_key[k] for k in ("argument_check", "setup", "retry") if k in by_key]
        once = [by_key[k] for k in ONCE if k in by_key]
        above = [(r["key"].replace("_", " "), r["cpu_ms_per_client"] - bare) for r in each]
        above += [(r["key"], r["cpu_ms_per_client"]) for r in once]
        if above:
            summed = sum(ms for _key, ms in above)
            parts.append(
                "Of it, above a bare task: "
                + ", ".join(f"{key} {ms:+.1f} ms" for key, ms in above)
                + f" (the report, one task for the play, in all): {summed:+.1f} ms per client "
                "together, each play alone paying its own start as the bare task's play does. "
                f"The rest, {whole - bare * per_client - summed:+.1f} ms, is in the role's other "
                "tasks, which run once for the play (the KMS hosts' counts), and in what a play "
                "of the role's tasks costs beyond one-task plays."
            )
        setup, literal = by_key.get("setup"), by_key.get("setup_literal")
        if setup and literal:
            templated = setup["cpu_ms_per_client"] - literal["cpu_ms_per_client"]
            parts.append(
                f"The role's task costs {templated:+.1f} ms per client against the same module "
                "with its options written out: the templating of the role's option expressions."
            )
        text += para(" ".join(parts)) + "\n"
    return text + _held_section(found)


def _held_section(found: Mapping[str, Any]) -> str:
    held = found.get("held") or {}
    role, floor = _held(held.get("role", {})), _held(held.get("floor", {}))
    if not role or not floor:
        return ""
    bare = max(kib for _task, kib, _first in floor)
    rows = [
        (name, f"{kib:,.1f}", f"{kib - bare:+,.1f}", f"{first:,.1f}") for name, kib, first in role
    ]
    rows.append(("floor: `bench_noop`", f"{bare:,.1f}", "-", f"{bare:,.1f}"))
    header = (
        "task",
        "KiB per host above the task's start",
        "above the bare task's",
        "KiB per host above the first task's start",
    )
    top_name, top, _first = max(role, key=lambda item: item[1])
    return (
        "\n"
        + para(HELD_INTRO)
        + "\n\n"
        + table(header, rows)
        + "\n"
        + para(
            f"The task whose results weigh the most per host: {top_name}, {top:,.1f} KiB per "
            f"host, {top - bare:+,.1f} KiB more than the floor's bare task. A task's first use of "
            "a plugin in the main process counts in its row too, spread over the hosts."
        )
        + "\n"
    )


def breakdown(sizes: Sequence[Mapping[str, Any]]) -> str:
    parts = [section(size) for size in sizes if not size.get("growth_only")]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    return "## The clients' play, task by task\n\n" + para(INTRO) + "\n\n" + "\n".join(parts)
