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
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult import (
    KMS_THRESHOLD_CLIENT_OS,
    KMS_THRESHOLD_SERVER_OFFICE,
)

FORMAT = "volact.kms.audit/1"
# kms-facts.md §4.4: client OS 25, server OS 5, volume Office 5 (§4.3).
THRESHOLDS = {
    "windows_client": KMS_THRESHOLD_CLIENT_OS,
    "windows_server": KMS_THRESHOLD_SERVER_OFFICE,
    "office": KMS_THRESHOLD_SERVER_OFFICE,
}
# The findings a standby KMS host does not need attention for: its low count (see _mark_standby).
STANDBY_CODES = frozenset({"kms_below_threshold"})
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


def _thresholds(machine: Mapping[str, Any]) -> list[dict[str, Any]]:
    service = machine["kms_service"] or {}
    count = service.get("current_count")
    rows = [
        ("Windows Server", THRESHOLDS["windows_server"], count),
        ("Windows client OS", THRESHOLDS["windows_client"], count),
    ]
    rows += [
        (product["name"] or "Office", THRESHOLDS["office"], product["current_count"])
        for product in machine["office"]
        if product["is_kms_host"]
    ]
    return [
        {
            "product": product,
            "required": required,
            "count": current,
            "reached": None if current is None else current >= required,
        }
        for product, required, current in rows
    ]


def _state_counts(members: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {state: sum(1 for m in members if m["state"] == state) for state in STATES}


def _kms_hosts(
    machines: list[dict[str, Any]], domains: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    hosts: dict[str, dict[str, Any]] = {}
    for machine in machines:
        if machine["is_kms_host"]:
            windows = machine["windows"] or {}
            hosts[machine["name"]] = {
                "name": machine["name"],
                "audited": True,
                "is_audited_machine": True,
                "aliases": [],
                "activated": bool(windows.get("licensed")),
                "edition": machine["edition"],
                "partial_product_key": windows.get("partial_product_key"),
                **(machine["kms_service"] or {}),
                "thresholds": _thresholds(machine),
                "publish_list": machine["publish_list"],
                "severity": machine["severity"],
            }
    clients: dict[str, list[dict[str, Any]]] = {}
    for machine in machines:
        if not machine["kms_host"]:
            continue
        key = machine["kms_machine"] or machine["kms_host"]
        if key not in hosts:
            # A name no audited KMS host answers to: outside the audit, or not a KMS host at all.
            hosts[key] = {
                "name": key,
                "audited": False,
                "is_audited_machine": machine["kms_machine"] is not None,
                "aliases": [],
                "thresholds": [],
            }
        if machine["kms_host"] not in hosts[key]["aliases"] and machine["kms_host"] != key:
            hosts[key]["aliases"].append(machine["kms_host"])
        clients.setdefault(key, []).append(machine)
    for name, host in hosts.items():
        members = clients.get(name, [])
        host["clients"] = {
            "count": len(members),
            **_state_counts(members),
            "machines": [m["name"] for m in members],
        }
        host["srv_domains"] = sorted(
            {d["domain"] for d in domains for r in d["records"] if r["machine"] == name}
        )
    return sorted(hosts.values(), key=lambda h: (not h["audited"], h["name"]))


def _searched_domains(machines: list[dict[str, Any]]) -> tuple[set[str], bool]:
    """The domains audited KMS clients search for ``_vlmcs._tcp`` records (each GVLK machine's
    lookup domain, else its own DNS domain, unless it is pinned to a host), and whether some such
    client's domain is unknown."""
    searched, unknown = set(), False
    for machine in machines:
        products = [machine["windows"] or {}, *machine["office"]]
        if machine["is_kms_host"] or machine["kms_host_source"] == "pinned":
            continue
        if any(p.get("channel_kind") == "gvlk" for p in products):
            domain = machine["lookup_domain"] or machine["domain"]
            if domain:
                searched.add(domain)
            else:
                unknown = True
    return searched, unknown


def _places(host: str, domains: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where ``host`` stands in each SRV record set that holds it: its priority, the lowest
    priority of the set, and the hosts (with their weights) at that priority."""
    places = []
    for view in domains:
        mine = [r["priority"] for r in view["records"] if r["machine"] == host]
        if not view["read"] or not mine:
            continue
        top = min(r["priority"] or 0 for r in view["records"])
        places.append(
            {
                "domain": view["domain"],
                "priority": min(p or 0 for p in mine),
                "top": top,
                "first": [
                    (r["machine"] or r["target"], r["weight"] or 0)
                    for r in view["records"]
                    if (r["priority"] or 0) == top and r["machine"] != host
                ],
            }
        )
    return places


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _standby_note(
    host: dict[str, Any],
    primaries: list[str],
    places: list[dict[str, Any]],
    unknown_domains: bool,
) -> dict[str, Any]:
    """Why ``host`` is a standby, the risk that comes with its low count, and what to do."""
    name, count = host["name"], host.get("current_count")
    below = [t for t in host["thresholds"] if t["reached"] is False]
    need = max(t["required"] for t in below)
    lower = [p for p in places if p["priority"] > p["top"]]
    first_in = [p["domain"] for p in places if p["priority"] == p["top"]]
    why = [f"no audited client activates against {name}"]
    why += [
        f"in {p['domain']} its priority {p['priority']} comes after "
        f"{_names([h for h, _w in p['first']])} at {p['top']}"
        for p in lower
    ]
    if first_in:
        known = "is known to look" if unknown_domains else "looks"
        where = f"where no audited KMS client {known}"
        why.append(f"it is in the first tier in {_names(first_in)}, {where}")
    ahead = primaries or sorted({h for p in lower for h, _w in p["first"]})
    first = _names(ahead) if ahead else "the hosts ahead of it"
    fails = "fails" if len(ahead) <= 1 else "fail"
    also = f", or when a client looks in {_names(first_in)}," if first_in else ","
    levels = _names([f"{t['product']} ({t['required']})" for t in below])
    risk = (
        f"If {first} {fails}{also} clients reach {name}, which counts {count} machines, below "
        f"the threshold of {levels}: until {need} distinct machines have asked it (activated "
        "clients only come by to renew, every 7 days by default), machines that are not "
        "activated yet get 0xC004F038 there and stay unactivated."
    )
    if lower:
        place = lower[0]
        beside = _names([h for h, _w in place["first"]])
        advice = (
            f"For no gap, let {name} count clients all the time: publish it in "
            f"{place['domain']} at priority {place['top']}, beside {beside}, with a smaller "
            f"weight than {max(w for _h, w in place['first'])} (kms_publish_domains), so it gets "
            f"a share of the clients and keeps {need} or more distinct machines in its 30-day "
            "count."
        )
    else:
        advice = (
            f"For no gap, let {name} count clients all the time: give it a share of the clients "
            f"(publish it at the same SRV priority as {first} with a smaller weight, "
            "kms_publish_domains) or pin some clients to it (kms_client_kms_host), so it keeps "
            f"{need} or more distinct machines in its 30-day count."
        )
    advice += f" Or accept the gap: after a failover {name} catches up by itself as clients ask it."
    return {
        "reason": "; ".join(why) + ".",
        "primaries": ahead,
        "risk": risk,
        "advice": advice,
    }


def _mark_standby(
    hosts: list[dict[str, Any]],
    machines: list[dict[str, Any]],
    domains: list[dict[str, Any]],
) -> None:
    """Mark the standby KMS hosts and take their low count off the attention list.

    A KMS host below its threshold is a standby when no audited client activates against it, and
    either it comes after another host in every SRV record set that holds it (a lower-priority
    tier) or other audited hosts serve the clients and it is first in no domain an audited KMS
    client searches. Its count is then no fault of the rollout: the risk is a failover, said
    once in ``standby``.
    """
    serving = [h["name"] for h in hosts if h["audited"] and h["clients"]["count"]]
    searched, unknown = _searched_domains(machines)
    by_name = {m["name"]: m for m in machines}
    for host in hosts:
        host["standby"] = None
        if not host["audited"] or host["clients"]["count"]:
            continue
        if not any(t["reached"] is False for t in host["thresholds"]):
            continue
        places = _places(host["name"], domains)
        lower_everywhere = bool(places) and all(p["priority"] > p["top"] for p in places)
        first_where_searched = any(
            p["priority"] == p["top"] and p["domain"] in searched for p in places
        )
        primaries = [name for name in serving if name != host["name"]]
        if not (lower_everywhere or (primaries and not first_where_searched)):
            continue
        host["standby"] = _standby_note(host, primaries, places, unknown)
        machine = by_name[host["name"]]
        machine["attention"] = [f for f in machine["attention"] if f["code"] not in STANDBY_CODES]
        machine["severity"] = host["severity"] = worst(machine["attention"])


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
) -> dict[str, Any]:
    """The report's model. ``machines``: ``[{name, address, result}]`` or ``{name: result}``,
    each result as ``kms_activation_info`` registered it (failed and unreachable ones included);
    ``srv``: the ``kms_srv_record`` read results per domain (a loop's ``results``, or a mapping
    domain → result), or None when DNS was not read."""
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
    kms_hosts = _kms_hosts(views, domains)
    _mark_standby(kms_hosts, views, domains)
    attention = _attention(views, [f for f in fleet_findings if f["machine"] is None])
    states = _state_counts(views)
    collected = [v["collected_at"] for v in views if v["collected_at"]]
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
            "kms_hosts": sum(1 for h in kms_hosts if h["audited"]),
            "standby_kms_hosts": sum(1 for h in kms_hosts if h["standby"]),
            "srv_domains": len(domains),
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
        "kms_hosts": kms_hosts,
        "srv": {"server": dns_server, "read": srv is not None, "domains": domains},
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
