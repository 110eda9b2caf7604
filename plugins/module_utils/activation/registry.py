# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KMS values of the ``SoftwareProtectionPlatform`` registry key, read and judged.

StdRegProv reads one value per request, so the key's values are listed first (``EnumValues``, one
request) and only the relevant values that exist are read, each with the getter of the type it
really has. A value of the wrong type (the ports written as REG_DWORD, as an anchor did) is then
reported instead of failing the read (kms-facts.md §2.2; wsman-wire.md §5 item 14).
Anything unreadable or undecodable is reported raw with the problem; it never fails the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.publish import domain_list as publish_list
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import (
    SPP_KEY,
    Registry,
    RegistryError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

PATH = f"HKLM\\{SPP_KEY}"
PUBLISH_LIST = "DnsDomainPublishList"
ACTIVATION_TYPE = "VLActivationType"

# Value -> the type Microsoft documents (kms-facts.md §2.2). BackupProductKeyDefault is left out
# on purpose: it holds a full product key. KeyManagementServiceLookupDomain is the lab's name for
# the /skms-domain value; Microsoft's name is UNCONFIRMED (kms-facts.md §2.2, §6).
DOCUMENTED_TYPES: Mapping[str, str] = {
    "DisableDnsPublishing": "REG_DWORD",
    PUBLISH_LIST: "REG_MULTI_SZ",
    "EnableKmsLowPriority": "REG_DWORD",
    "KeyManagementServiceListeningPort": "REG_SZ",
    "KeyManagementServiceLookupDomain": "REG_SZ",
    "KeyManagementServiceName": "REG_SZ",
    "KeyManagementServicePort": "REG_SZ",
    "KeyManagementServiceVersion": "REG_SZ",
    "UserOperations": "REG_DWORD",
    "VLActivationInterval": "REG_DWORD",
    "VLRenewalInterval": "REG_DWORD",
    # The machine-wide activation type (slmgr /act-type without an ID). kms-facts.md §2.2
    # documents VLActivationType under <AppID>\<SKUID>; at the key's root like the machine-wide
    # KeyManagementServiceName beside its per-SKU copy is inferred, UNCONFIRMED. Read only when
    # the listing has it, so a machine without it costs no request.
    ACTIVATION_TYPE: "REG_DWORD",
}
# Types this module reads back (Registry.get has a getter for each).
READABLE = frozenset({"REG_SZ", "REG_DWORD", "REG_MULTI_SZ"})
# What a read of this key may fail with and still leave the task standing: a fault or a Win32
# code from StdRegProv. Transport errors (the host went away) are not caught.
TOLERATED = (WsmanFault, RegistryError)
PORTS = frozenset({"KeyManagementServiceListeningPort", "KeyManagementServicePort"})
INTERVALS = frozenset({"VLActivationInterval", "VLRenewalInterval"})
INTERVAL_RANGE = range(15, 43200 + 1)  # minutes (kms-facts.md §2.2)


def _absent(name: str) -> dict[str, Any]:
    return {
        "present": False,
        "type": None,
        "documented_type": DOCUMENTED_TYPES[name],
        "data": None,
        "problem": None,
    }


def judge(name: str, kind: str, data: Any) -> str | None:
    """What is wrong with a value as read, or None. Pure."""
    documented = DOCUMENTED_TYPES[name]
    if kind != documented:
        return (
            f"is {kind}, but Windows documents {documented} for {name}; the Software Protection "
            f"service may ignore it. Rewrite it as {documented} (or through the matching slmgr "
            "option) and restart sppsvc."
        )
    if name in PORTS and not (isinstance(data, str) and data.strip().isdigit()):
        return f"{data!r} is not a port number (1-65535 as text)."
    if name in PORTS and not 1 <= int(data) <= 65535:
        return f"{data} is outside the port range 1-65535."
    if name in INTERVALS and isinstance(data, int) and data not in INTERVAL_RANGE:
        return f"{data} minutes is outside 15-43200; Windows uses the default instead."
    return None


def decode_publish_list(entry: Mapping[str, Any]) -> dict[str, Any]:
    """DnsDomainPublishList decoded with ``publish_list.decode_list``; garbage is kept raw with
    the problem (``valid: false``), never raised."""
    if not entry["present"]:
        return {"present": False, "valid": True, "entries": [], "raw": None, "problem": None}
    raw = entry["data"]
    if entry["type"] != "REG_MULTI_SZ":
        return {
            "present": True,
            "valid": False,
            "entries": None,
            "raw": raw,
            "problem": entry["problem"] or f"cannot be decoded from {entry['type']}.",
        }
    try:
        decoded = publish_list.decode_list(raw or [])
    except KmsError as error:
        return {"present": True, "valid": False, "entries": None, "raw": raw, "problem": str(error)}
    entries = [
        {
            "domain": item.domain,
            "priority": item.effective_priority,
            "weight": item.effective_weight,
        }
        for item in decoded
    ]
    return {"present": True, "valid": True, "entries": entries, "raw": raw, "problem": None}


def describe(
    found: Mapping[str, str] | None, read: Mapping[str, Any], key: str = SPP_KEY
) -> dict[str, Any]:
    """The report section from the key's listing (name -> type) and the values read. Pure."""
    values = {name: _absent(name) for name in DOCUMENTED_TYPES}
    listing = {name.casefold(): (name, kind) for name, kind in (found or {}).items()}
    for name in DOCUMENTED_TYPES:
        hit = listing.get(name.casefold())
        if hit is None:
            continue
        kind = hit[1]
        outcome = read.get(name)
        entry = {**_absent(name), "present": True, "type": kind}
        if isinstance(outcome, TOLERATED):
            entry["problem"] = f"could not be read: {outcome}"
        elif kind not in READABLE:
            entry["problem"] = judge(name, kind, None)
        else:
            data = [] if outcome is None and kind == "REG_MULTI_SZ" else outcome
            entry["data"] = data
            entry["problem"] = judge(name, kind, data)
        values[name] = entry
    return {
        "path": f"HKLM\\{key}",
        "key_exists": found is not None,
        "kms_values": values,
        "publish_list": decode_publish_list(values[PUBLISH_LIST]),
        "problem": None,
    }


def read_registry(session: CimSession, key: str = SPP_KEY) -> dict[str, Any]:
    """List the key (1 request), then read each relevant value present (1 request each).
    ``key``: the SoftwareProtectionPlatform key, or ``…\\SL`` on Windows Vista / Server 2008
    (windows/versions.py)."""
    registry = Registry(session, key)
    try:
        found = registry.enum_values()
    except TOLERATED as error:
        section = describe({}, {}, key)
        section["problem"] = f"the key could not be listed: {error}"
        return section
    read: dict[str, Any] = {}
    for name, kind in (found or {}).items():
        known = next((key for key in DOCUMENTED_TYPES if key.casefold() == name.casefold()), None)
        if known is None or kind not in READABLE:
            continue
        try:
            read[known] = registry.get(name, kind)
        except TOLERATED as error:
            read[known] = error
    return describe(found, read, key)
