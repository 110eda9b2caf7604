# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KMS hosts of the fleet report: each audited host's count against the thresholds, the
audited clients that use it, the domains whose SRV records hold it, and which hosts are standbys.

Pure, like ``report``, which builds the rest of the model around these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit.machines import STATES, worst
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult import (
    KMS_THRESHOLD_CLIENT_OS,
    KMS_THRESHOLD_SERVER_OFFICE,
)

# kms-facts.md §4.4: client OS 25, server OS 5, volume Office 5 (§4.3).
THRESHOLDS = {
    "windows_client": KMS_THRESHOLD_CLIENT_OS,
    "windows_server": KMS_THRESHOLD_SERVER_OFFICE,
    "office": KMS_THRESHOLD_SERVER_OFFICE,
}
# The findings a standby KMS host does not need attention for: its low count (see mark_standby).
STANDBY_CODES = frozenset({"kms_below_threshold"})


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


def state_counts(members: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {state: sum(1 for m in members if m["state"] == state) for state in STATES}


def kms_hosts(
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
            **state_counts(members),
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


def mark_standby(
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
