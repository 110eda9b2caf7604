"""The parts of docs/performance.md about ansible.windows, the path most Ansible users take today:
its wire rows' introduction, one task on every client next to ours (``peers.py``), and what the
lab cannot show of that path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report_text import TIMES, para, table

WIRE_NOTE = para(
    "The path most Ansible users take today is ansible.windows (pinned for the benchmark by "
    "tests/requirements-bench.txt, from the `ansible` package on PyPI): `win_product_facts`, "
    "or `win_shell` running "
    "slmgr.vbs, each sent as PowerShell through ansible-core's exec wrapper. The task's "
    "command is PowerShell's bootstrap, its stdin the wrapper's manifest: the module's script, "
    "the module utilities it needs (`Ansible.Basic`, the C# that every module compiles on the "
    "target) and its arguments, in Send requests of at most 200,000 bytes. The lab's shell "
    "recognises the module by its name in that manifest and answers it from the same model in "
    "the module's documented result shape; it runs no PowerShell (`tests/lab/kmslab/"
    "ansible_windows.py`). ansible-core and ansible.windows run unchanged."
)

# Public measurements of what the lab cannot show: the target's own process start-up.
CANNOT_SHOW = (
    "What the lab cannot show is the target's own work: every ansible.windows task (and every "
    "`raw` task, which Ansible's winrm connection also wraps in PowerShell) starts a "
    "`powershell.exe` on the target, which compiles the module's C# utilities before the module "
    "runs; `win_shell` then starts a second PowerShell for its command and that one starts "
    "`cscript.exe` for slmgr.vbs. The lab answers at once, so none of that is in the wall times "
    "here. Public measurements, not ours: Microsoft's WMF 5.1 release notes give "
    '`powershell -command "echo 1"` as 900 ms on PowerShell 5.0 and 250 ms on 5.1, 520 ms with '
    "the command analysis cache being built, and 13 s for the first PowerShell run ever "
    '(learn.microsoft.com, PowerShell WMF 5.1 "Engine improvements"); a pull request to '
    "Google's Windows image scripts reports a PowerShell session over WinRM taking about 6 s "
    "to begin on an n1-standard-4 instance before PowerShell's .NET assemblies were "
    "precompiled with ngen, and about 200 ms after (GoogleCloudPlatform/compute-image-windows "
    "pull request 174). Our modules start no "
    "process on the target: WMI answers the WS-Man request in the WinRM service itself. No "
    "public measurement of `cscript.exe` start-up or of `Add-Type` compiling `Ansible.Basic` "
    "was found."
)


def _num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def fleet_peers(size: Mapping[str, Any]) -> str:
    """One size's table: one task on every client, each job next to the floor."""
    found = size.get("peers")
    if not found:
        return ""
    rows = []
    for job in found["jobs"]:
        median, ratios = job["median"], job["ratio_to_floor"]
        is_floor = job["whose"] == "floor"
        rows.append(
            (
                job["name"] + ("" if job["ok"] else " **(failed)**"),
                job["whose"],
                _num(median["wall_seconds"], 1),
                _num(median["cpu_seconds"], 1),
                _num(median["cpu_ms_per_task"], 1),
                "-" if is_floor else f"{TIMES}{ratios['cpu_seconds']:.2f}",
                "-" if is_floor else f"{TIMES}{ratios['wall_seconds']:.2f}",
                _num(median["requests_per_task"], 2),
                _num(median["http_requests_per_task"], 2),
                _num(median["bytes_sent_per_task"]),
                _num(median["bytes_received_per_task"]),
                _num(median["lab_cpu_seconds"], 1),
            )
        )
    header = (
        "task on every client",
        "whose",
        "wall s",
        "controller CPU s",
        "CPU ms per task",
        f"CPU {TIMES} floor",
        f"wall {TIMES} floor",
        "WS-Man requests per task",
        "HTTP requests per task",
        "bytes sent per task",
        "bytes received per task",
        "lab CPU s",
    )
    title = (
        f"### One task on every client: {size['hosts']:,} machines ({size['hosts'] - 1:,} "
        f"clients), forks {found['forks']}, {size['transport']}, median of {found['repeats']} "
        "runs\n\n"
    )
    return title + table(header, rows) + "\n" + _summary(found["jobs"]) + "\n"


def _summary(jobs: Sequence[Mapping[str, Any]]) -> str:
    by_key = {job["key"]: job for job in jobs}
    ours, facts = by_key.get("client_setup_key"), by_key.get("win_product_facts")
    shell, ping = by_key.get("win_shell_dlv"), by_key.get("win_ping")
    if not (ours and facts and shell and ping):
        return ""
    cpu = {key: job["median"]["cpu_ms_per_task"] for key, job in by_key.items()}
    sent = {key: job["median"]["bytes_sent_per_task"] for key, job in by_key.items()}
    return para(
        f"Checking a client costs the controller {cpu['client_setup_key']:.1f} ms of CPU with "
        f"`kms_client_setup_key`, {cpu['win_product_facts']:.1f} ms with `win_product_facts` "
        f"({TIMES}{cpu['win_product_facts'] / cpu['client_setup_key']:.2f}) and "
        f"{cpu['win_shell_dlv']:.1f} ms with `win_shell` running `slmgr.vbs /dlv` "
        f"({TIMES}{cpu['win_shell_dlv'] / cpu['client_setup_key']:.2f}); `win_ping`, the least an "
        f"ansible.windows task can do, {cpu['win_ping']:.1f} ms. Each ansible.windows task sends "
        f"the target {sent['win_ping']:,.0f} to {sent['win_shell_dlv']:,.0f} bytes (the exec "
        f"wrapper's manifest), ours {sent['client_setup_key']:,.0f}." + _transport_lever(by_key)
    )


def _transport_lever(by_key: Mapping[str, Mapping[str, Any]]) -> str:
    """The lean channel against pywinrm, the same task in the same repeats."""
    lean, pywinrm = by_key.get("client_setup_key"), by_key.get("client_setup_key_pywinrm")
    if not (lean and pywinrm):
        return ""
    a, b = pywinrm["median"], lean["median"]
    return " " + (
        f"Over pywinrm (`VOLACT_KMS_LEAN_TRANSPORT=0`) the same check costs "
        f"{a['cpu_ms_per_task']:.1f} ms ({TIMES}{pywinrm['ratio_to_floor']['cpu_seconds']:.2f} "
        f"the floor), over the lean channel {b['cpu_ms_per_task']:.1f} ms "
        f"({TIMES}{lean['ratio_to_floor']['cpu_seconds']:.2f}): "
        f"{a['cpu_ms_per_task'] - b['cpu_ms_per_task']:.1f} ms less per task, with "
        f"{b['http_requests_per_task']:.2f} HTTP requests and "
        f"{b['bytes_sent_per_task']:,.0f} bytes sent per task against "
        f"{a['http_requests_per_task']:.2f} and "
        f"{a['bytes_sent_per_task']:,.0f}."
    )


def fleet_section(sizes: Sequence[Mapping[str, Any]]) -> str:
    tables = [fleet_peers(size) for size in sizes]
    if not any(tables):
        return ""
    head = "## Next to ansible.windows on the whole fleet\n\n" + para(
        "After the runs above, on the same converged fleet, one play with one task on every "
        "client: our converged check (the task `site.yml` runs on every client) and our read, "
        "the usual `raw: slmgr.vbs /dlv`, and ansible.windows' `win_shell` running slmgr.vbs, "
        "`win_product_facts` and `win_ping`; the floor is one `bench_noop` task per client. "
        "Each repeat runs the floor, then each task, one right after the other "
        "(`benchmarks/peers.py`). Bytes are the HTTP requests and answers the lab counted, "
        "headers and NTLM legs included. The lab shares the controller's cores: its CPU seconds "
        "(decrypting and reading the exec wrapper's manifests included) are in the wall times, "
        "not in the controller's CPU."
    )
    return head + "\n\n" + "\n".join(t for t in tables if t) + "\n" + para(CANNOT_SHOW)
