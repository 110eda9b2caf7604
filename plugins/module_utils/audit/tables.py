# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's tables as plain data: attention, KMS hosts, SRV records, editions, machines.

Each function turns part of ``audit_report.build``'s model into the rows
``templates/tables.html.j2`` and ``templates/srv.html.j2`` lay out: texts, numbers, lists and the
class of each row and badge, always picked from a fixed table here, never taken from data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit.svg import stacked

STATES = ("activated", "grace", "unlicensed", "not_audited")
STATE_WORDS = {
    "activated": "activated",
    "grace": "in grace",
    "unlicensed": "unlicensed",
    "not_audited": "not audited",
}
SOURCE_WORDS = {"pinned": "pinned (slmgr /skms)", "discovered": "found in DNS"}
SEVERITY_CLASS = {"error": "error", "warning": "warning"}
SEVERITY_RANK = {"error": 0, "warning": 1}
# The colours a badge may have (templates/parts.html.j2: anything else is grey).
BADGE_KINDS = (
    "activated",
    "ok",
    "grace",
    "warning",
    "unlicensed",
    "error",
    "not_audited",
    "standby",
    "adba",
)
# A threshold's product name up to this long is one phrase on one line (Windows client OS).
SHORT_NAME = 24


def state_badge(state: object) -> dict[str, Any]:
    """A state's badge: its colour (the state) and its words."""
    return {"kind": state, "text": STATE_WORDS.get(str(state), state)}


def yes_no(value: object) -> str:
    return "\u2014" if value is None else ("yes" if value else "no")


def _hresult(item: Mapping[str, Any] | None, seen: set[str]) -> dict[str, Any] | None:
    """The HRESULT explained; ``repeat`` when it was explained above (``seen``)."""
    if not item:
        return None
    repeat = item["code"] in seen
    seen.add(item["code"])
    return {
        "code": item["code"],
        "symbol": item.get("symbol") or None,
        "repeat": repeat,
        "meaning": item.get("meaning"),
        "what_to_do": item.get("what_to_do"),
    }


def attention_rows(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    seen: set[str] = set()
    for item in findings:
        rows.append(
            {
                "kind": SEVERITY_CLASS.get(str(item["severity"]), "warning"),
                "machine": item["machine"] or None,
                "severity": item["severity"],
                "code": item["code"],
                "subject": item["subject"],
                "message": item["message"],
                "hresult": _hresult(item.get("hresult"), seen),
            }
        )
    return rows


def _threshold_lines(host: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One line per threshold, never broken inside: ``Windows client OS ≥ 25: reached``."""
    lines = []
    for item in host["thresholds"]:
        reached = item["reached"]
        kind = "not_audited" if reached is None else ("activated" if reached else "grace")
        if host.get("standby") and reached is False:
            kind = "standby"
        product = str(item["product"])
        lines.append(
            {
                "product": product,
                # "Windows client OS": one phrase, kept on one line; a long SPP product name may
                # wrap between its words, never in the level.
                "short": len(product) <= SHORT_NAME,
                "required": item["required"],
                "kind": kind,
                "word": "unknown" if reached is None else ("reached" if reached else "not reached"),
            }
        )
    return lines


def kms_host_rows(hosts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for host in hosts:
        clients = host["clients"]
        rows.append(
            {
                "name": host["name"],
                "aliases": list(host["aliases"]),
                "audited": bool(host["audited"]),
                "activated": bool(host.get("activated")),
                "standby": bool(host.get("standby")),
                "key": host.get("partial_product_key"),
                "port": host.get("listening_port"),
                "publishing": yes_no(host.get("dns_publishing")),
                "current_count": host.get("current_count"),
                "why": "audited, but no KMS host"
                if host.get("is_audited_machine")
                else "not audited",
                "thresholds": _threshold_lines(host),
                "bar": stacked(clients, STATES, "clients by state"),
                "activated_clients": clients["activated"],
                "clients": clients["count"],
                "client_names": list(clients["machines"]),
                "srv_domains": list(host["srv_domains"]),
            }
        )
    return rows


def standby_notes(hosts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The standby KMS hosts: why each is one, the risk of its low count (said here, once), and
    what to do about it."""
    return [
        {
            "name": host["name"],
            "reason": host["standby"]["reason"],
            "risk": host["standby"]["risk"],
            "advice": host["standby"]["advice"],
        }
        for host in hosts
        if host.get("standby")
    ]


def _tier(tier: int, tiers: int) -> str:
    """A record's tier in words: which clients it gets."""
    if tiers == 1:
        return "1, the only one"
    if tier == 1:
        return "1, tried first"
    return f"{tier}, fallback"


def srv_view(srv: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record sets as read; None when SRV records were not read."""
    if not srv["read"] or not srv["domains"]:
        return None
    domains = []
    for view in srv["domains"]:
        tiers = len({r["priority"] for r in view["records"]})
        domains.append(
            {
                "owner": view["owner"],
                "read": bool(view["read"]),
                "problem": view["problem"],
                "records": [
                    {
                        "target": r["target"],
                        "machine": r["machine"] or None,
                        "priority": r["priority"],
                        "tier": _tier(r["tier"], tiers),
                        "weight": r["weight"],
                        "share_percent": r["share_percent"],
                        "port": r["port"],
                    }
                    for r in view["records"]
                ]
                if view["read"]
                else [],
                "ttl": view["ttl"],
                "zone": view["zone"],
            }
        )
    return {"server": srv["server"], "domains": domains}


def edition_rows(editions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "product": row["product"],
            "edition": row["edition"],
            "machines": row["machines"],
            "by_state": {state: row[state] for state in STATES},
            "bar": stacked(row, STATES, "by state"),
            "channels": [f"{k} {v}" for k, v in sorted(row["channels"].items())],
            "names": list(row["names"]),
        }
        for row in editions
    ]


def _product(product: Mapping[str, Any]) -> dict[str, Any]:
    reason = product.get("reason")
    grace = None
    if product.get("grace_expires"):
        until = "valid until" if product.get("licensed") else "grace until"
        grace = f"{until} {product['grace_expires']}"
    return {
        "status": product["status"],
        "channel": product["channel"],
        "reason": reason["code"] if reason else None,
        "grace": grace,
    }


def _kms_host(machine: Mapping[str, Any], standby: set[str]) -> tuple[object, list[object]]:
    """The KMS host a machine uses, and how it knows it (a line under it, or none)."""
    if machine["is_kms_host"]:
        if machine["name"] in standby:
            return "is a standby KMS host", []
        return "is a KMS host", []
    host = machine["kms_host"]
    if not host:
        return host, []
    return host, [SOURCE_WORDS.get(str(machine["kms_host_source"]), machine["kms_host_source"])]


def _activated_by(machine: Mapping[str, Any]) -> dict[str, Any]:
    """The machine's "Activated by": the activation object or the KMS host (audit/adba.py)."""
    found = machine.get("activated_by") or {}
    kind = found.get("kind")
    text = None
    if kind is None:
        text = "not activated" if not (machine["windows"] or {}).get("licensed") else "other"
    return {
        "kind": kind,
        "object": found.get("object"),
        "dn": found.get("dn"),
        "host": found.get("host") or "host not known",
        "text": text,
    }


def adba_view(model: Mapping[str, Any]) -> dict[str, Any]:
    """The ADBA section: the counts, and the forest's objects when they were given."""
    summary = model["summary"]
    forest = model.get("adba") or {"read": False, "objects": [], "unknown": []}
    by_adba, by_kms = summary.get("activated_by_adba", 0), summary.get("activated_by_kms", 0)
    return {
        # A fleet with no ADBA and no forest read (KMS only): no section to read past.
        "shown": bool(by_adba or forest.get("read")),
        "by_adba": by_adba,
        "by_kms": by_kms,
        "other": summary["machines"] - by_adba - by_kms,
        "read": bool(forest.get("read")),
        "objects": [
            {**entry, "machines": ", ".join(entry.get("machines") or [])}
            for entry in forest.get("objects") or []
        ],
        "unknown": ", ".join(forest.get("unknown") or []),
    }


def machine_rows(
    machines: Sequence[Mapping[str, Any]], standby: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Every machine, those with findings first; ``standby`` names the standby KMS hosts."""
    standby = set(standby)
    ordered = sorted(
        machines, key=lambda m: (SEVERITY_RANK.get(m["severity"] or "", 2), m["name"].lower())
    )
    rows = []
    for machine in ordered:
        severity = SEVERITY_CLASS.get(str(machine["severity"]), "")
        windows = machine["windows"]
        host, via = _kms_host(machine, standby)
        findings = len(machine["attention"])
        rows.append(
            {
                "kind": severity,
                "name": machine["name"],
                "domain": machine.get("domain") or None,
                "state": state_badge(machine["state"]),
                "edition": machine["edition"],
                "build": machine["build"],
                "audited": bool(machine["audited"]),
                "windows": _product(windows) if windows else None,
                # Why a machine was not audited, in short: the finding above has the message.
                "problem": ([f["code"] for f in machine["attention"]] or ["not_audited"])[0],
                "key": windows.get("partial_product_key") if windows else None,
                "activated_by": _activated_by(machine),
                "kms_host": host,
                "via": via,
                "office": [
                    {"name": o["license_family"] or o["name"], "state": state_badge(o["state"])}
                    for o in machine["office"]
                ],
                "attention": {"kind": severity, "text": f"{findings} to check"}
                if findings
                else {"kind": "ok", "text": "OK"},
            }
        )
    return rows
