"""docs/performance.md from the benchmark's results (the same data as performance.json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import report_breakdown
import report_memory
import report_peers
import report_profile
import report_text
import report_wire
from report_text import TIMES, table

TRANSPORTS = {
    "ntlm": "winrm, NTLM with message encryption over HTTP (what most fleets run)",
    "https": "winrm, basic authentication over HTTPS, certificate validated",
    "http": "winrm, basic authentication over plain HTTP",
    "psrp": "psrp, basic authentication over HTTPS",
}


def num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if float(value).is_integer() and digits <= 1:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{TIMES}{value:.2f}"


def load(results: Mapping[str, Any], when: str) -> str:
    return ", ".join(f"{value:.2f}" for value in results["load_average"][when])


def machine(results: Mapping[str, Any]) -> str:
    m = results["machine"]
    options = results["options"]
    sizes = ", ".join(f"{s['hosts']:,} ({s['repeat']} runs)" for s in options["sizes"])
    if options.get("growth"):
        sizes += f"; growth run: {options['growth']:,} (1 run)"
    rows = [
        ("date (UTC)", results["date"]),
        ("command", f"`{results['command']}`"),
        ("CPU", f"{m['cpu_model']}, nproc {m['nproc']}"),
        ("memory", f"{m['memory_gib']} GiB"),
        ("system", f"{m['os']}, kernel {m['kernel']}"),
        ("Python, ansible-core", f"{m['python']}, {m['ansible_core']}"),
        ("pywinrm, pyspnego", f"{m['pywinrm']}, {m['pyspnego']}"),
        ("ansible.windows (peer rows)", m.get("ansible_windows") or "-"),
        ("fleet sizes", sizes),
        ("forks, fleet transport", f"{options['forks']}, {options['transport']}"),
        ("whole benchmark", f"{results['seconds'] / 60:.1f} min"),
        (
            "load average (1, 5, 15 min)",
            f"{load(results, 'start')} at the start, {load(results, 'end')} at the end",
        ),
    ]
    return table(("", ""), rows)


def wire_section(wire: Mapping[str, Any]) -> str:
    rows = []
    for row in wire["rows"]:
        module = row["module_reported"]
        reported = (
            f"{num(module['requests'])} / {num(module['bytes_sent'])} / "
            f"{num(module['bytes_received'])}"
            if module
            else "-"
        )
        operations = ", ".join(f"{op} {n}" for op, n in row["operations"].items())
        if row.get("methods"):
            # The WMI methods the Invoke requests called (class names left out).
            names = [
                f"{m.rpartition('.')[2]}" + (f" {n}" if n > 1 else "")
                for m, n in row["methods"].items()
            ]
            operations += f" ({', '.join(names)})"
        name = f"`{row['module']}`" if row["approach"] == "volact.kms" else row["module"]
        state = row["state"] + ("" if row["ok"] else " **(failed)**")
        rows.append(
            (
                name,
                state,
                num(row["requests"]),
                ratio(row["ratio_to_floor"]),
                operations,
                num(row["http_requests"]),
                num(row["bytes_sent"]),
                num(row["bytes_received"]),
                reported,
            )
        )
    header = (
        "task",
        "state",
        "WS-Man requests",
        f"{TIMES} floor (1 request)",
        "by operation",
        "HTTP requests",
        "bytes sent",
        "bytes received",
        "module's `wsman`: requests / sent / received",
    )
    title = f"### {wire['transport']}: {TRANSPORTS.get(wire['transport'], '')}\n\n"
    summary = report_text.wire_summary(wire["rows"])
    return (
        title
        + table(header, rows)
        + "\n"
        + report_wire.next_to_usual(wire["rows"])
        + "\n"
        + report_wire.next_to_peer(wire["rows"])
        + "\n"
        + summary
        + "\n"
    )


def fleet_rows(scenario_name: str, scenario: Mapping[str, Any]) -> list[tuple[str, ...]]:
    ours, floor, ratios = scenario["median"], scenario["floor_median"], scenario["ratio_to_floor"]
    lab = [r["lab_cpu_seconds"] for r in scenario["runs"]]

    def cells(values: Mapping[str, Any]) -> tuple[str, ...]:
        return (
            num(values["wall_seconds"]),
            num(values["cpu_seconds"]),
            num(values["peak_tree_pss_mb"]),
            num(values["largest_process_mb"]),
            num(values["peak_processes"]),
            num(values["requests_per_host"], 2),
            num(values["http_requests_per_host"], 2),
        )

    failed = " **(failed)**" if scenario["failures"] else ""
    return [
        (f"`{scenario['playbook']}`{failed}", *cells(ours), num(sorted(lab)[len(lab) // 2])),
        (f"floor for {scenario_name}.yml", *cells(floor), "-"),
        ("ratio", ratio(ratios["wall_seconds"]), ratio(ratios["cpu_seconds"]), *[""] * 6),
    ]


def fleet_section(size: Mapping[str, Any]) -> str:
    header = (
        "run",
        "wall s",
        "controller CPU s",
        "peak memory MB (PSS, tree)",
        "largest process MB",
        "processes at the peak",
        "WS-Man requests/host",
        "HTTP requests/host",
        "lab CPU s",
    )
    rows = []
    for name, scenario in size["scenarios"].items():
        rows += fleet_rows(name, scenario)
    first = size["first_converging_site_run"]
    repeats = "/".join(str(n) for n in sorted({s["repeats"] for s in size["scenarios"].values()}))
    runs = f"median of {repeats} runs"
    if size.get("growth_only"):
        runs = "one run (the growth run: no memory runs, peer rows or profile)"
    title = (
        f"### {size['hosts']:,} machines (1 KMS host, {size['hosts'] - 1:,} clients), "
        f"forks {size['forks']}, {size['transport']}, {runs}\n\n"
    )
    note = report_text.para(
        f"The first, converging `site.yml` run (not in the table) took {num(first['wall_seconds'])}"
        f" s wall and {num(first['cpu_seconds'])} s controller CPU, "
        f"{num(first['requests_per_host'], 2)} WS-Man requests per host; the lab started in "
        f"{size['lab_start_seconds']} s."
    )
    return title + table(header, rows) + "\n" + note + "\n"


def render(results: Mapping[str, Any]) -> str:
    parts = [report_text.INTRO, machine(results), "\n", report_text.LAB_NOTE]
    if results.get("wire"):
        parts.append(report_text.WIRE_INTRO)
        parts.append(report_peers.WIRE_NOTE)
        parts += [wire_section(w) for w in results["wire"]]
        parts.append(report_wire.more_than_one(results["wire"][0]["rows"]))
    if results.get("fleet"):
        parts.append(report_text.FLEET_INTRO)
        parts.append(report_text.targets(results["fleet"]))
        parts += [fleet_section(size) for size in results["fleet"]]
        parts.append(report_text.growth(results["fleet"]))
        parts.append(report_memory.memory(results["fleet"]))
        parts.append(report_peers.fleet_section(results["fleet"]))
        parts.append(report_breakdown.breakdown(results["fleet"]))
    if results.get("profile"):
        parts.append(report_profile.profile(results["profile"]))
    parts.append(report_text.notes(results))
    return "\n".join(part.rstrip("\n") + "\n" for part in parts if part)
