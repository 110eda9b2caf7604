# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``_vlmcs._tcp`` SRV records of the fleet report, and what they say about the KMS hosts.

Pure: the results of ``kms_srv_record`` read-only tasks (one per domain) in, one view per domain
out, plus findings where DNS and the KMS hosts' own ``DnsDomainPublishList`` disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit.machines import (
    ERROR,
    WARNING,
    finding,
)

# The HRESULT a KMS client gets when its domain holds no _vlmcs._tcp record (kms-facts.md §2.7).
NO_SRV_RECORD = 0x8007232B


def _share(records: list[dict[str, Any]]) -> None:
    """Each record's expected share of its priority tier (RFC 2782: weight / tier total)."""
    totals: dict[Any, int] = {}
    for record in records:
        totals[record["priority"]] = totals.get(record["priority"], 0) + int(record["weight"] or 0)
    tiers = sorted(totals)
    for record in records:
        total = totals[record["priority"]]
        size = sum(1 for r in records if r["priority"] == record["priority"])
        # All weights 0 in a tier: RFC 2782 picks among them uniformly.
        share = 100.0 * int(record["weight"] or 0) / total if total else 100.0 / size
        record["share_percent"] = round(share, 1)
        record["tier"] = tiers.index(record["priority"]) + 1


def _records(result: Mapping[str, Any], resolve: Callable[[str], str | None]) -> list[dict]:
    records = []
    for raw in result.get("records") or []:
        if not isinstance(raw, Mapping):
            continue
        target = str(raw.get("target", "")).rstrip(".").lower() or "."
        records.append(
            {
                "target": target,
                "port": raw.get("port"),
                "priority": raw.get("priority"),
                "weight": raw.get("weight"),
                "machine": resolve(target),
            }
        )
    records.sort(key=lambda r: (r["priority"] or 0, -(r["weight"] or 0), r["target"]))
    _share(records)
    return records


def domain_view(
    domain: str, result: object, resolve: Callable[[str], str | None]
) -> dict[str, Any]:
    """One domain's record set as read, or why it could not be read."""
    view: dict[str, Any] = {
        "domain": domain,
        "owner": f"_vlmcs._tcp.{domain}.",
        "zone": None,
        "ttl": None,
        "read": False,
        "problem": None,
        "dns_error": None,
        "records": [],
    }
    if not isinstance(result, Mapping):
        view["problem"] = "No result was recorded for this domain."
        return view
    if result.get("skipped"):
        view["problem"] = "Not read: the task was skipped (is kms_audit_dns_server set?)."
        return view
    if "records" not in result:
        view["problem"] = str(result.get("msg") or "The record set could not be read.")
        view["dns_error"] = result.get("dns_error")
        return view
    view.update(
        owner=str(result.get("owner") or view["owner"]),
        zone=result.get("zone"),
        ttl=result.get("ttl"),
        read=True,
        records=_records(result, resolve),
    )
    return view


def domain_of(result: Mapping[str, Any], index: int) -> str:
    """The domain a loop result was for: the loop item, else the module's own ``owner``."""
    item = result.get("item")
    if isinstance(item, Mapping):
        item = item.get("domain")
    if item:
        return str(item).rstrip(".").lower()
    owner = str(result.get("owner") or "")
    prefix = "_vlmcs._tcp."
    if owner.startswith(prefix):
        return owner[len(prefix) :].rstrip(".").lower()
    return f"(domain {index + 1})"


def srv_views(srv: object, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Every domain's view, from a loop's ``results`` list or a mapping domain → result."""
    if srv is None:
        return []
    if isinstance(srv, Mapping):
        if "results" in srv:
            return srv_views(srv["results"], resolve)
        pairs = [(str(d).rstrip(".").lower(), r) for d, r in srv.items()]
    elif isinstance(srv, Sequence) and not isinstance(srv, (str, bytes)):
        pairs = [
            (domain_of(r, i) if isinstance(r, Mapping) else f"(domain {i + 1})", r)
            for i, r in enumerate(srv)
        ]
    else:
        return []
    return [domain_view(domain, result, resolve) for domain, result in pairs]


def srv_findings(
    domains: list[dict[str, Any]], machines: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """What DNS says is wrong: unreadable or empty sets, records that point at a machine that is
    no KMS host, and KMS hosts whose publish list names a domain where their record is missing or
    carries other numbers than the list."""
    found = []
    by_name = {m["name"]: m for m in machines}
    for view in domains:
        domain = view["domain"]
        if not view["read"]:
            found.append(
                finding(
                    None, "srv_unreadable", WARNING, domain, f"{view['owner']}: {view['problem']}"
                )
            )
            continue
        if not view["records"]:
            found.append(
                finding(
                    None,
                    "srv_missing",
                    ERROR,
                    domain,
                    f"{view['owner']} holds no SRV record, so KMS clients that search {domain} "
                    "find no KMS host.",
                    error=NO_SRV_RECORD,
                )
            )
        for record in view["records"]:
            machine = by_name.get(record["machine"] or "")
            if machine and machine["audited"] and not machine["is_kms_host"]:
                found.append(
                    finding(
                        None,
                        "srv_target_not_kms_host",
                        ERROR,
                        domain,
                        f"{view['owner']} points at {record['target']}, which is not a KMS host "
                        "(no KMS host key): clients sent there cannot activate. Remove the "
                        "record (kms_srv_record state=absent).",
                    )
                )
    found += _publish_list_findings(domains, machines)
    return found


def _publish_list_findings(
    domains: list[dict[str, Any]], machines: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    found = []
    read = {view["domain"]: view for view in domains if view["read"]}
    for machine in machines:
        service = machine.get("kms_service") or {}
        if not machine["is_kms_host"] or not service.get("dns_publishing"):
            continue
        for entry in machine["publish_list"]:
            view = read.get(entry["domain"])
            if view is None:
                continue
            mine = [r for r in view["records"] if r["machine"] == machine["name"]]
            if not mine:
                found.append(
                    finding(
                        machine["name"],
                        "srv_record_missing",
                        WARNING,
                        entry["domain"],
                        f"{machine['name']} publishes in {entry['domain']} (DnsDomainPublishList) "
                        f"but {view['owner']} holds no record for it: the host's update was "
                        "refused or its record was removed. Check event 12293 on the host and "
                        "the zone's update rights.",
                    )
                )
                continue
            wanted = (entry["priority"], entry["weight"])
            if all((r["priority"], r["weight"]) != wanted for r in mine):
                seen = ", ".join(f"priority {r['priority']} weight {r['weight']}" for r in mine)
                found.append(
                    finding(
                        machine["name"],
                        "srv_record_differs",
                        WARNING,
                        entry["domain"],
                        f"{machine['name']}'s record in {view['owner']} has {seen}, but its "
                        f"DnsDomainPublishList asks for priority {entry['priority']} weight "
                        f"{entry['weight']}: restart sppsvc on the host to publish again, or "
                        "align the list with DNS.",
                    )
                )
    return found
