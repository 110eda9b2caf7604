# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's model: every machine's ``kms_activation_info`` result and the SRV record sets
in, one plain dict out (what ``report.json`` holds and ``audit_html`` renders).

Pure: no Ansible objects, no I/O, no clock (the caller passes the time). The model holds only
partial product keys; anything shaped like a whole key that slipped into a message is masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit import adba
from ansible_collections.volact.kms.plugins.module_utils.audit.hosts import (
    THRESHOLDS,
    kms_hosts,
    mark_standby,
    state_counts,
)
from ansible_collections.volact.kms.plugins.module_utils.audit.machines import (
    ACTIVATED,
    GRACE,
    NOT_AUDITED,
    SEVERITY_RANK,
    STATE_LABELS,
    STATES,
    UNLICENSED,
    machine_view,
    worst,
)
from ansible_collections.volact.kms.plugins.module_utils.audit.srv import srv_findings, srv_views
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import keys

FORMAT = "volact.kms.audit/1"
# Five groups of five key characters: a whole product key, whatever its alphabet.
_WHOLE_KEY = re.compile(r"\b[0-9A-Za-z]{5}(?:-[0-9A-Za-z]{5}){4}\b")


def _pairs(machines: object) -> list[tuple[str, str | None, object, str | None]]:
    """``(name, address, result, domain)`` from a list of ``{name, address, result, domain}``
    records or a mapping name → result."""
    if isinstance(machines, Mapping):
        return [(str(name), None, result, None) for name, result in machines.items()]
    if isinstance(machines, (str, bytes)) or not isinstance(machines, Sequence):
        raise KmsInputError(
            "machines",
            f"expected a list of {{name, result}} records or a dict of results by host, got "
            f"{type(machines).__name__}.",
            "Pass each host's registered kms_activation_info result with its inventory name.",
        )
    pairs = []
    for index, record in enumerate(machines):
        if not isinstance(record, Mapping) or not record.get("name"):
            raise KmsInputError(
                f"machines[{index}]",
                "is not a {name, result} record.",
                "Give each machine as {name: <inventory name>, result: <registered result>}.",
            )
        address, domain = record.get("address"), record.get("domain")
        pairs.append(
            (
                str(record["name"]),
                None if address is None else str(address),
                record.get("result"),
                str(domain) if domain else None,
            )
        )
    return pairs


class Resolver:
    """Which audited machine a host name (a client's KMS host, an SRV target) refers to: the
    inventory name or address itself, else a unique match of the first DNS label."""

    def __init__(self, machines: Sequence[Mapping[str, Any]]) -> None:
        self._exact: dict[str, str] = {}
        short: dict[str, set[str]] = {}
        for machine in machines:
            for alias in (machine["name"], machine["address"]):
                if alias:
                    self._exact.setdefault(alias.rstrip(".").lower(), machine["name"])
            label = machine["name"].lower().split(".", 1)[0]
            short.setdefault(label, set()).add(machine["name"])
        self._short = {
            label: next(iter(names)) for label, names in short.items() if len(names) == 1
        }

    def __call__(self, name: str | None) -> str | None:
        if not name:
            return None
        key = name.rstrip(".").lower()
        return self._exact.get(key) or self._short.get(key.split(".", 1)[0])


def _count(number: int, word: str) -> str:
    """``1 warning``, ``2 warnings``, ``no warnings``."""
    return f"{number or 'no'} {word if number == 1 else word + 's'}"


def headline(summary: Mapping[str, Any], attention: list[dict[str, Any]]) -> dict[str, str]:
    """The one line a reader sees first (``text``), its ``detail``, and its ``kind``: ``bad``
    (an error), ``warn`` (warnings only) or ``good``."""
    total, flagged = summary["machines"], summary["needs_attention"]
    errors, warnings = summary["errors"], summary["warnings"]
    machines = _count(total, "machine")
    detail = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    dns = sum(1 for f in attention if f["machine"] is None)
    if errors or warnings:
        kind = "bad" if errors else "warn"
        if not flagged:
            text = f"No machine needs attention, but DNS does ({_count(dns, 'finding')})"
        elif errors:
            verb = "needs" if flagged == 1 else "need"
            text = f"{flagged} of {machines} {verb} attention"
        elif flagged == 1:
            has = "has a warning" if warnings - dns == 1 else "has warnings"
            text = f"1 of {machines} {has}"
        else:
            text = f"{flagged} of {machines} have warnings"
    elif total == 0:
        kind, text = "warn", "No machine was audited"
    else:
        kind = "good"
        if summary["activated"] == total:
            every = "The machine is" if total == 1 else f"All {machines} are"
            text = f"{every} activated; nothing needs attention"
        else:
            text = f"{summary['activated']} of {machines} activated; nothing needs attention"
        detail = "every audited machine is licensed and every KMS host is healthy"
    standby = summary.get("standby_kms_hosts", 0)
    if standby:
        if kind == "good":
            detail = "every audited machine is licensed"
        are = "is below its threshold" if standby == 1 else "are below their thresholds"
        detail += f"; {_count(standby, 'standby KMS host')} {are}: a failover risk, see KMS hosts"
    return {"kind": kind, "text": text, "detail": detail}


def _editions(machines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(product: str, edition: str, state: str, channel: str | None, name: str) -> None:
        row = rows.setdefault(
            (product, edition),
            {"product": product, "edition": edition, "machines": 0, **dict.fromkeys(STATES, 0)}
            | {"channels": {}, "names": []},
        )
        row["machines"] += 1
        row[state] += 1
        if channel:
            row["channels"][channel] = row["channels"].get(channel, 0) + 1
        row["names"].append(name)

    for machine in machines:
        windows = machine["windows"]
        if not machine["audited"]:
            add("Windows", "(not audited)", NOT_AUDITED, None, machine["name"])
        elif windows is None:
            add("Windows", "(no Windows key)", UNLICENSED, None, machine["name"])
        else:
            edition = machine["edition"] or windows["license_family"] or "(unknown)"
            add("Windows", edition, machine["state"], windows["channel_kind"], machine["name"])
        for office in machine["office"]:
            edition = office["license_family"] or office["name"] or "(unknown)"
            add("Office", edition, office["state"], office["channel_kind"], machine["name"])
    return sorted(
        rows.values(), key=lambda r: (r["product"] != "Windows", -r["machines"], r["edition"])
    )


def _attention(machines: list[dict[str, Any]], fleet: list[dict[str, Any]]) -> list[dict]:
    found = [item for machine in machines for item in machine["attention"]] + fleet
    return sorted(
        found,
        key=lambda f: (SEVERITY_RANK.get(f["severity"], 9), f["machine"] or "", f["code"]),
    )


def _scrub(value: Any) -> Any:
    """The model with every whole-key-shaped text masked (defence in depth: none should exist)."""
    if isinstance(value, str):
        return _WHOLE_KEY.sub(lambda m: keys.mask_key(m.group(0)), value)
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def build(
    machines: object,
    srv: object = None,
    *,
    generated_at: str | None = None,
    dns_server: str | None = None,
    title: str = "KMS activation audit",
    adba_objects: object = None,
) -> dict[str, Any]:
    """The report's model. ``machines``: ``[{name, address, result}]`` or ``{name: result}``,
    each result as ``kms_activation_info`` registered it (failed and unreachable ones included);
    ``srv``: the ``kms_srv_record`` read results per domain (a loop's ``results``, or a mapping
    domain → result), or None when DNS was not read; ``adba_objects``: the forest's activation
    objects (``kms_adba_object_info``'s ``objects``), or None when they were not read."""
    views = [
        machine_view(name, address, result, domain)
        for name, address, result, domain in _pairs(machines)
    ]
    views.sort(key=lambda m: m["name"].lower())
    resolve = Resolver(views)
    for view in views:
        view["kms_machine"] = resolve(view["kms_host"])
    domains = srv_views(srv, resolve)
    fleet_findings = srv_findings(domains, views)
    by_name = {view["name"]: view for view in views}
    for item in fleet_findings:
        owner = by_name.get(item["machine"] or "")
        if owner is not None:
            owner["attention"].append(item)
            owner["severity"] = worst(owner["attention"])
    hosts = kms_hosts(views, domains)
    mark_standby(hosts, views, domains)
    attention = _attention(views, [f for f in fleet_findings if f["machine"] is None])
    states = state_counts(views)
    collected = [v["collected_at"] for v in views if v["collected_at"]]
    forest = adba.section(adba_objects, views)
    model = {
        "format": FORMAT,
        "title": title,
        "generated_at": generated_at or (max(collected) if collected else None),
        "thresholds": dict(THRESHOLDS),
        "summary": {
            "machines": len(views),
            "audited": sum(1 for v in views if v["audited"]),
            **states,
            "needs_attention": sum(1 for v in views if v["attention"]),
            "errors": sum(1 for f in attention if f["severity"] == "error"),
            "warnings": sum(1 for f in attention if f["severity"] == "warning"),
            "findings": len(attention),
            "kms_hosts": sum(1 for h in hosts if h["audited"]),
            "standby_kms_hosts": sum(1 for h in hosts if h["standby"]),
            "srv_domains": len(domains),
            **adba.counts(views),
            "adba_objects": len(forest["objects"]) if forest["read"] else None,
        },
        "states": [
            {
                "state": state,
                "label": STATE_LABELS[state],
                "count": states[state],
                "machines": [v["name"] for v in views if v["state"] == state],
            }
            for state in STATES
        ],
        "attention": attention,
        "kms_hosts": hosts,
        "srv": {"server": dns_server, "read": srv is not None, "domains": domains},
        "adba": forest,
        "editions": _editions(views),
        "machines": views,
    }
    model["headline"] = headline(model["summary"], attention)
    return _scrub(model)


__all__ = [
    "ACTIVATED",
    "FORMAT",
    "GRACE",
    "NOT_AUDITED",
    "THRESHOLDS",
    "UNLICENSED",
    "build",
    "headline",
]
