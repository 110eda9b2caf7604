# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts ``kms_activation_info`` reports, built from what SPP returned: plain dicts with stable
names, meant to be rendered by an audit report.

Only the partial product key ever appears: the queries never ask for anything that holds a full
key (reference/wsman-wire.md §4.2: PartialProductKey is the last group).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import ChannelKind
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import Product, Service

MINUTES_PER_DAY = 1440
# VLActivationTypeEnabled / VLActivationType (older-windows-office-adba.md §4.4; MS-WMI81)
TYPE_NAMES = {0: "all", 1: "ad", 2: "kms", 3: "token"}

# SoftwareLicensingService request counters (wsman-wire.md §4.1) under report-friendly names.
REQUEST_COUNTERS = {
    "total": "total",
    "failed": "failed",
    "unlicensed": "unlicensed",
    "licensed": "licensed",
    "oob_grace": "oobgrace",
    "oot_grace": "ootgrace",
    "non_genuine_grace": "nongenuinegrace",
    "notification": "notification",
}


def iso(moment: dt.datetime) -> str:
    """``2026-11-21T10:08:00Z``: UTC, whole seconds."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def host_name(name: str | None) -> str | None:
    """A discovered host name without the root dot DNS answers may carry (``kms1.corp.``)."""
    return name.rstrip(".") or None if name else None


def hresult_info(code: object) -> dict[str, Any] | None:
    """An HRESULT explained by the catalog, or None for no code or 0 (nothing to explain)."""
    if code is None:
        return None
    entry = hresult.explain(code)
    if entry.code == hresult.S_OK:
        return None
    return entry.fields()


def grace_facts(minutes: int | None, now: dt.datetime) -> dict[str, Any]:
    """GracePeriodRemaining (minutes, wsman-wire.md §4.2) as minutes, days and an expiry.

    slmgr.vbs adds the minutes to the current time; so does this, with the controller's clock
    (the remaining time is counted from the moment of the read). 0 means no deadline (a
    permanent activation) or nothing left (an expired grace): the status name tells which.
    """
    if not minutes:
        return {"grace_minutes": minutes, "grace_days": None, "grace_expires": None}
    expires = (now + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return {
        "grace_minutes": minutes,
        "grace_days": round(minutes / MINUTES_PER_DAY, 1),
        "grace_expires": iso(expires),
    }


def product_facts(product: Product, now: dt.datetime) -> dict[str, Any]:
    """One SoftwareLicensingProduct row with a key: channel, status and why, grace, KMS data."""
    reason = product.license_status_reason or None
    kind = "office" if product.is_office else "windows" if product.is_windows else "other"
    return {
        "id": product.id,
        "name": product.name,
        "description": product.description,
        "application": "addon" if product.is_addon else kind,
        "application_id": product.application_id,
        "license_family": product.license_family,
        "partial_product_key": product.partial_key,
        "channel": product.channel.raw if product.channel.source == "ProductKeyChannel" else None,
        "channel_kind": product.channel.kind.value,
        "license_status": product.license_status,
        "license_status_name": product.status_name,
        "licensed": product.licensed,
        "license_status_reason": None if reason is None else f"0x{reason:08X}",
        "license_status_reason_explained": hresult_info(reason),
        **grace_facts(product.grace_minutes, now),
        "is_kms_host": product.is_kms_host,
        "pinned_host": product.kms_machine,
        "pinned_port": product.kms_port,
        "discovered_host": host_name(product.discovered_machine),
        "discovered_port": product.discovered_port,
        "current_count": product.current_count,
        "required_count": product.required_count,
        **adba_facts(product),
    }


def adba_facts(product: Product) -> dict[str, Any]:
    """How the product was activated and which activation types it accepts.

    From Windows 8 / 2012 on the product row says it: ``VLActivationType`` (last success: 1 AD,
    2 KMS, 3 token), ``VLActivationTypeEnabled`` (0 any) and, after an AD activation, the
    object's name, DN, CSVLK SKU ID and extended PID (MS-WMI81; slmgr /dlv shows them when
    VLActivationType is 1, SLMGR10 DisplayADClientInformation). Older Windows has none of them
    and no ADBA: a licensed KMS client (GVLK) there activated from a KMS host."""
    row = product.adba
    if row is None:
        by_kms = product.licensed and product.channel.kind is ChannelKind.GVLK
        return {
            "adba_available": False,
            "activation_type": None,
            "activated_by": "kms" if by_kms else None,
            "activation_object": None,
        }
    enabled, last = row.get("VLActivationTypeEnabled"), row.get("VLActivationType")
    by = TYPE_NAMES.get(last) if product.licensed and isinstance(last, int) else None
    found = None
    if by == "ad":
        found = {
            "name": row.get("ADActivationObjectName") or None,
            "dn": row.get("ADActivationObjectDN") or None,
            "sku_id": row.get("ADActivationCsvlkSkuId") or None,
            "extended_pid": row.get("ADActivationCsvlkPid") or None,
        }
    return {
        "adba_available": True,
        "activation_type": TYPE_NAMES.get(enabled if isinstance(enabled, int) else 0),
        "activated_by": by,
        "activation_object": found,
    }


def machine_activation_type(registry: Mapping[str, Any] | None) -> str | None:
    """The machine-wide activation type from the registry section (VLActivationType at the key's
    root, activation/registry.py); "all" when absent, None when unreadable."""
    if registry is None or registry.get("problem"):
        return None
    value = (registry.get("kms_values") or {}).get("VLActivationType") or {}
    if not value.get("present"):
        return "all"
    data = value.get("data")
    return TYPE_NAMES.get(data) if isinstance(data, int) and not value.get("problem") else None


def kms_host_facts(service: Service) -> dict[str, Any] | None:
    """The ``slmgr /dlv`` picture of a KMS host; None when the machine is not one."""
    if not service.is_kms_host:
        return None
    current, required = service.current_count, service.required_count
    reached = None if current is None or not required else current >= required
    return {
        "current_count": current,
        "required_count": required,
        "threshold_reached": reached,
        "listening_port": service.listening_port,
        "dns_publishing": service.dns_publishing,
        "low_priority": service.low_priority,
        "activation_interval": service.activation_interval,
        "renewal_interval": service.renewal_interval,
        "requests": {name: service.requests.get(key) for name, key in REQUEST_COUNTERS.items()},
    }


def kms_client_facts(service: Service, registry: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """How this machine finds a KMS host: pinned host and port (``slmgr /skms``), lookup domain
    (``/skms-domain``), host caching (``/skhc``), and the host it last found in DNS (§2.6).

    Where the service has no port property (Windows 7 / Server 2008 R2, whose class lacks it),
    the pinned port is the registry value read anyway for the ``registry`` section."""
    port = service.kms_port
    if port is None and not service.has("KeyManagementServicePort") and registry is not None:
        port = _registry_port(registry)
    return {
        "pinned_host": service.kms_machine,
        "pinned_port": port,
        "lookup_domain": service.lookup_domain,
        "host_caching": service.host_caching,
        "discovered_host": host_name(service.discovered_machine),
        "discovered_port": service.discovered_port,
        "activation_interval": service.activation_interval,
        "renewal_interval": service.renewal_interval,
        # slmgr /act-type without an activation ID; Windows 8 / 2012 and later only
        "activation_type": (
            machine_activation_type(registry) if service.surface.adba_properties else None
        ),
    }


def _registry_port(section: Mapping[str, Any]) -> int | None:
    """``KeyManagementServicePort`` from activation/registry.py's section, when usable."""
    value = (section.get("kms_values") or {}).get("KeyManagementServicePort") or {}
    data = value.get("data")
    if value.get("problem") or not isinstance(data, str) or not data.strip().isdigit():
        return None
    return int(data) or None
