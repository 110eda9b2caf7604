# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One machine of the fleet report, from what ``kms_activation_info`` returned for it.

Pure: a registered task result in, a small dict with stable names out. Only the fields the report
shows are copied (never the whole result), so nothing the report does not need, such as a
connection setting, can reach it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit import adba
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult

ERROR = "error"
WARNING = "warning"
SEVERITY_RANK = {ERROR: 0, WARNING: 1}

ACTIVATED = "activated"
GRACE = "grace"
UNLICENSED = "unlicensed"
NOT_AUDITED = "not_audited"
# The donut's order: good to bad, then what could not be seen.
STATES = (ACTIVATED, GRACE, UNLICENSED, NOT_AUDITED)
STATE_LABELS = {
    ACTIVATED: "Activated",
    GRACE: "In grace, not activated",
    UNLICENSED: "Unlicensed or notification",
    NOT_AUDITED: "Not audited",
}
# LicenseStatus without grace left (kms-facts.md §2.8): 0 Unlicensed, 5 Notification.
NO_GRACE = frozenset({0, 5})


def explained(code: object) -> dict[str, Any] | None:
    """An HRESULT as the report shows it; None for no code, 0, or text that is no HRESULT."""
    if code is None or code == "":
        return None
    try:
        entry = hresult.explain(code)
    except KmsInputError:
        return None
    if entry.code == hresult.S_OK:
        return None
    fields = entry.fields()
    del fields["category"]  # not a column of the report
    return fields


def _hresult_of(value: object) -> dict[str, Any] | None:
    """A finding's ``hresult`` as kms_activation_info gives it (a dict) or a bare code."""
    if isinstance(value, Mapping):
        return explained(value.get("code"))
    return explained(value)


def finding(
    machine: str | None,
    code: str,
    severity: str,
    subject: str,
    message: str,
    *,
    error: object = None,
) -> dict[str, Any]:
    """One line of the report's attention list; ``machine`` None for a finding about DNS."""
    return {
        "machine": machine,
        "code": code,
        "severity": severity if severity in SEVERITY_RANK else WARNING,
        "subject": subject,
        "message": message,
        "hresult": _hresult_of(error),
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def product_view(product: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of one SoftwareLicensingProduct the report shows (partial key only)."""
    reason = product.get("license_status_reason")
    return {
        "name": _text(product.get("name")),
        "license_family": _text(product.get("license_family")),
        "channel": _text(product.get("channel")),
        "channel_kind": _text(product.get("channel_kind")) or "unknown",
        "status": _text(product.get("license_status_name")),
        "licensed": bool(product.get("licensed")),
        "state": product_state(product),
        "reason": explained(reason),
        "partial_product_key": _text(product.get("partial_product_key")),
        "grace_days": product.get("grace_days"),
        "grace_expires": _text(product.get("grace_expires")),
        "is_kms_host": bool(product.get("is_kms_host")),
        "activation_type": _text(product.get("activation_type")),
        "activated_by": _text(product.get("activated_by")),
        "activation_object": _object(product.get("activation_object")),
        "current_count": product.get("current_count"),
        "required_count": product.get("required_count"),
    }


def _object(found: object) -> dict[str, Any] | None:
    """The activation object a product names (kms_activation_info), its four keys only."""
    if not isinstance(found, Mapping):
        return None
    return {key: _text(found.get(key)) for key in ("name", "dn", "sku_id", "extended_pid")}


def product_state(product: Mapping[str, Any] | None) -> str:
    if not product:
        return UNLICENSED
    if product.get("licensed"):
        return ACTIVATED
    return UNLICENSED if product.get("license_status") in NO_GRACE else GRACE


def _kms_host_used(facts: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The KMS host this machine activates against, and how it knows it (pinned or DNS).

    A host pinned on the product wins over one pinned on the service, which wins over the one
    last found in DNS: the order a KMS client tries them in (kms-facts.md §2.4, §2.6).
    """
    windows = facts.get("windows") or {}
    client = facts.get("kms_client") or {}
    for source, name in (
        ("pinned", windows.get("pinned_host")),
        ("pinned", client.get("pinned_host")),
        ("discovered", windows.get("discovered_host")),
        ("discovered", client.get("discovered_host")),
    ):
        if name:
            return str(name).rstrip(".").lower(), source
    return None, None


def dns_domain(*names: str | None) -> str | None:
    """The DNS domain of the first of ``names`` that is a host's FQDN (an inventory name or
    ``ansible_host`` such as ``pc001.corp.example``): all but its first label. None when none is
    (short names, IP addresses)."""
    for name in names:
        text = str(name or "").strip().rstrip(".").lower()
        try:
            ipaddress.ip_address(text)
            continue
        except ValueError:
            pass
        label, _dot, domain = text.partition(".")
        if label and domain and all(domain.split(".")):
            return domain
    return None


def _base(name: str, address: str | None, domain: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "address": address,
        "domain": (str(domain).strip().rstrip(".").lower() or None) if domain else None,
        "lookup_domain": None,
        "audited": False,
        "state": NOT_AUDITED,
        "problem": None,
        "collected_at": None,
        "edition": None,
        "build": None,
        "activated": False,
        "is_kms_host": False,
        "windows": None,
        "office": [],
        "kms_host": None,
        "kms_host_source": None,
        "kms_machine": None,
        "publish_list": [],
        "kms_service": None,
        "activated_by": adba.activated_by(None, None),
        "attention": [],
        "severity": None,
    }


def _kms_service(facts: Mapping[str, Any]) -> dict[str, Any] | None:
    host = facts.get("kms_host")
    if not isinstance(host, Mapping):
        return None
    requests = host.get("requests") or {}
    return {
        "current_count": host.get("current_count"),
        "required_count": host.get("required_count"),
        "threshold_reached": host.get("threshold_reached"),
        "listening_port": host.get("listening_port"),
        "dns_publishing": host.get("dns_publishing"),
        "low_priority": host.get("low_priority"),
        "requests_total": requests.get("total"),
        "requests_failed": requests.get("failed"),
    }


def _publish_list(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    publish = (facts.get("registry") or {}).get("publish_list") or {}
    entries = publish.get("entries") if publish.get("valid") else None
    return [
        {
            "domain": str(entry.get("domain", "")).rstrip(".").lower(),
            "priority": entry.get("priority"),
            "weight": entry.get("weight"),
        }
        for entry in entries or []
        if isinstance(entry, Mapping)
    ]


def _not_audited(view: dict[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    name = view["name"]
    message = str(result.get("msg") or "kms_activation_info returned no facts.")
    if result.get("unreachable"):
        code, why = "unreachable", f"{name} could not be reached: {message}"
    elif result.get("skipped"):
        code, why = "not_audited", f"{name} was skipped, so its state is unknown."
    else:
        code, why = "facts_unavailable", f"Reading {name}'s licensing facts failed: {message}"
    view["problem"] = why
    view["attention"] = [finding(name, code, ERROR, name, why, error=result.get("hresult"))]
    view["severity"] = ERROR
    return view


def machine_view(
    name: str, address: str | None, result: object, domain: str | None = None
) -> dict[str, Any]:
    """The report's view of one machine; ``result`` is kms_activation_info's registered result,
    ``domain`` its DNS domain as the inventory gives it (else taken from an FQDN in ``name`` or
    ``address``)."""
    view = _base(name, address, domain or dns_domain(name, address))
    if not isinstance(result, Mapping):
        return _not_audited(view, {"msg": "No result was recorded for this machine."})
    facts = result.get("kms_activation")
    if not isinstance(facts, Mapping):
        return _not_audited(view, result)
    windows = facts.get("windows")
    host, source = _kms_host_used(facts)
    lookup = (facts.get("kms_client") or {}).get("lookup_domain")
    view.update(
        audited=True,
        state=product_state(windows) if isinstance(windows, Mapping) else UNLICENSED,
        collected_at=_text(facts.get("collected_at")),
        edition=_text(facts.get("edition")),
        build=facts.get("build"),
        activated=bool(facts.get("activated")),
        is_kms_host=bool(facts.get("is_kms_host")),
        windows=product_view(windows) if isinstance(windows, Mapping) else None,
        office=[product_view(p) for p in facts.get("office") or [] if isinstance(p, Mapping)],
        kms_host=None if facts.get("is_kms_host") else host,
        kms_host_source=None if facts.get("is_kms_host") else source,
        lookup_domain=str(lookup).rstrip(".").lower() if lookup else None,
        publish_list=_publish_list(facts),
        kms_service=_kms_service(facts),
        activated_by=adba.activated_by(windows, None if facts.get("is_kms_host") else host),
    )
    view["attention"] = [
        finding(
            name,
            str(item.get("code", "unknown")),
            str(item.get("severity", WARNING)),
            str(item.get("subject", "")),
            str(item.get("message", "")),
            error=item.get("hresult"),
        )
        for item in facts.get("attention") or []
        if isinstance(item, Mapping)
    ]
    view["severity"] = worst(view["attention"])
    return view


def worst(findings: list[dict[str, Any]]) -> str | None:
    """The most severe severity among ``findings``; None when there is none."""
    if not findings:
        return None
    return min((f["severity"] for f in findings), key=lambda s: SEVERITY_RANK.get(s, 9))
