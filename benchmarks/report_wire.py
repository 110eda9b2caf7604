"""The wire part of docs/performance.md that compares: each converged task next to the usual way,
and why a converged task needs more than one request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report_text import TIMES, para, table, wire_bytes

# (our row, the usual way's row, what is compared): both measured on the same kind of machine.
PAIRS = (
    ("client/converged", "usual/dlv", "check a client"),
    ("info/client", "usual/dlv", "read a client's state"),
    (
        "host_key/converged",
        "usual/dlv_host",
        "check a KMS host (ours: key, settings, firewall rule)",
    ),
    ("info/host", "usual/dlv_host", "read a KMS host's state"),
    ("client/changing", "usual/ipk_ato", "convert and activate a client"),
)


# (our row, ansible.windows' row, what is compared): the path most Ansible users take today.
PEER_PAIRS = (
    ("client/converged", "aw/facts", "check a client"),
    ("client/converged", "aw/dlv", "check a client"),
    ("info/client", "aw/facts", "read a client's state"),
    (
        "host_key/converged",
        "aw/dlv_host",
        "check a KMS host (ours: key, settings, firewall rule)",
    ),
    ("info/host", "aw/facts_host", "read a KMS host's state"),
    ("client/changing", "aw/ipk_ato", "convert and activate a client"),
)


def next_to_usual(rows: Sequence[Mapping[str, Any]]) -> str:
    """Our task next to ``slmgr.vbs`` through a shell doing the same job, as ratios."""
    return _pairs(rows, PAIRS, "the usual way", "usual")


def next_to_peer(rows: Sequence[Mapping[str, Any]]) -> str:
    """Our task next to ansible.windows' module doing the same job, as ratios."""
    return _pairs(rows, PEER_PAIRS, "ansible.windows", "ansible.windows")


def _pairs(
    rows: Sequence[Mapping[str, Any]],
    pairs: Sequence[tuple[str, str, str]],
    title: str,
    short: str,
) -> str:
    found = {row["key"]: row for row in rows}
    lines = []
    for ours_key, usual_key, job in pairs:
        ours, usual = found.get(ours_key), found.get(usual_key)
        if not ours or not usual:
            continue
        ours_bytes, usual_bytes = wire_bytes(ours), wire_bytes(usual)
        lines.append(
            (
                job,
                f"`{ours['module']}` ({ours['state']})",
                usual["module"],
                f"{ours['requests']:g} / {usual['requests']:g} = "
                f"{TIMES}{ours['requests'] / usual['requests']:.2f}",
                f"{ours_bytes:,} / {usual_bytes:,} = {TIMES}{ours_bytes / usual_bytes:.2f}",
            )
        )
    if not lines:
        return ""
    header = (
        "job",
        "ours",
        title,
        f"WS-Man requests: ours / {short}",
        f"bytes sent and received: ours / {short}",
    )
    return table(header, lines)


# Why a converged task needs more than the floor's one request. Every read is one WQL query of one
# class or one StdRegProv call (docs/core.md): WQL has no join, and WS-Man carries one operation
# per request (no batching in WS-Management or WinRM).
MORE_THAN_ONE = {
    "kms_client_setup_key": (
        "the client's products and keys are `SoftwareLicensingProduct` rows, and its KMS host, "
        "port, lookup domain and host caching are properties of the one "
        "`SoftwareLicensingService` instance: two classes, two queries."
    ),
    "kms_host_key": (
        "`SoftwareLicensingService` holds the host settings (port, DNS publishing, low priority, "
        "intervals) and `SoftwareLicensingProduct` the host key and its license: two queries; "
        "`firewall: true` adds the `MSFT_NetFirewallRule` query in another namespace "
        "(root/StandardCimv2). Without `firewall` a converged task costs 2."
    ),
    "kms_activation_info": (
        "it reads everything: the two SPP classes, then the registry, where `StdRegProv` returns "
        "one value per call, so `EnumValues` lists the key first and only the values present "
        "are read; on a KMS host the KMS events too (`Win32_NTLogEvent`, one request per page, "
        "`events: false` leaves them out). It is an audit read, not a convergence check."
    ),
}


def more_than_one(rows: Sequence[Mapping[str, Any]]) -> str:
    """The reason for every module whose converged or read task costs more than one request."""
    lines = []
    for module, reason in MORE_THAN_ONE.items():
        costs = sorted(
            {
                f"{row['requests']:g}"
                for row in rows
                if row["module"] == module
                and row["approach"] == "volact.kms"
                and row["state"].startswith(("converged", "read"))
                and row["requests"] > 1
            }
        )
        if costs:
            lines.append(para(f"- `{module}`, {' or '.join(costs)} requests: {reason}", "  "))
    if not lines:
        return ""
    head = para(
        "Why a converged task needs more than the one request of the floor, module by module. "
        "Each read is one WQL query of one class or one StdRegProv call: WQL has no join, and "
        "WS-Management carries one operation per request. `kms_publish_list` reads one "
        "registry value and costs the floor's one request."
    )
    return "\n" + head.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
