# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's Active Directory-Based Activation parts: what activated each machine, the
counts by ADBA and by KMS, and the forest's activation objects cross-referenced with them.

What activated a machine is what its Windows product says (``kms_activation_info``:
``activated_by``, ``activation_object``; Windows 8 / 2012 and later, VLActivationType and the
ADActivation* properties, MS-WMI81). The forest's objects are an optional input: the ``objects``
list ``kms_adba_object`` / ``kms_adba_object_info`` return (name, dn, activation_id,
partial_product_key, extended_pid, kms_ids, created, container). Without it the section says it
was not read. Pure: plain dicts in and out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

ADBA, KMS = "adba", "kms"
OBJECT_KEYS = (
    "name",
    "dn",
    "activation_id",
    "partial_product_key",
    "extended_pid",
    "kms_ids",
    "created",
    "container",
)


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _fold(value: object) -> str:
    return str(value or "").strip().lower()


def activated_by(windows: Mapping[str, Any] | None, kms_host: str | None) -> dict[str, Any]:
    """How the machine's Windows product was activated: ``kind`` ``adba`` (with the object's
    name, DN and CSVLK SKU ID), ``kms`` (with the KMS host the machine uses, when known), or
    None (not licensed, or by a MAK, a retail key, a token)."""
    none = {"kind": None, "object": None, "dn": None, "sku_id": None, "host": None}
    if not isinstance(windows, Mapping) or not windows.get("licensed"):
        return none
    how = windows.get("activated_by")
    found = windows.get("activation_object")
    if how == "ad":
        found = found if isinstance(found, Mapping) else {}
        return {
            **none,
            "kind": ADBA,
            "object": _text(found.get("name")),
            "dn": _text(found.get("dn")),
            "sku_id": _text(found.get("sku_id")),
        }
    if how == "kms":
        return {**none, "kind": KMS, "host": kms_host}
    return none


def counts(machines: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """``activated_by_adba`` and ``activated_by_kms``: the machines of each kind."""
    kinds = [(m.get("activated_by") or {}).get("kind") for m in machines]
    return {"activated_by_adba": kinds.count(ADBA), "activated_by_kms": kinds.count(KMS)}


def _objects(objects: object) -> list[dict[str, Any]]:
    """The forest's objects as given, checked: a list of mappings, each with a ``name`` or a
    ``dn``. Only the documented keys are kept (the object's licence blob, if any, is not)."""
    field = "adba_objects"
    if isinstance(objects, Mapping) and "objects" in objects:
        objects = objects["objects"]  # a whole registered kms_adba_object(_info) result
    if isinstance(objects, (str, bytes)) or not isinstance(objects, Sequence):
        raise KmsInputError(
            field,
            f"expected the list of activation objects, got {type(objects).__name__}.",
            "Pass the 'objects' of a registered kms_adba_object_info result, or omit it.",
        )
    found = []
    for index, item in enumerate(objects):
        if not isinstance(item, Mapping) or not (item.get("name") or item.get("dn")):
            raise KmsInputError(
                f"{field}[{index}]",
                "is not an activation object (a dict with at least name or dn).",
                "Pass the 'objects' list exactly as kms_adba_object_info returns it.",
            )
        entry = {key: item.get(key) for key in OBJECT_KEYS}
        ids = entry["kms_ids"]
        entry["kms_ids"] = [str(i) for i in ids] if isinstance(ids, (list, tuple)) else []
        found.append(entry)
    return found


def _match(entry: Mapping[str, Any], used: Mapping[str, Any]) -> bool:
    """Whether a machine's ADBA activation came from ``entry``: by DN (unique in the forest),
    else, where the machine's Windows gave no DN, by the CSVLK SKU ID and the name."""
    if used.get("dn") and entry.get("dn"):
        return _fold(used["dn"]) == _fold(entry["dn"])
    same_sku = not used.get("sku_id") or _fold(used["sku_id"]) == _fold(entry["activation_id"])
    return bool(used.get("object")) and _fold(used["object"]) == _fold(entry["name"]) and same_sku


def section(objects: object, machines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The report's ``adba`` section. ``objects`` None: not read (the section says so).
    Each object gets the machines it activated; ``unused`` names the objects no audited machine
    activated from, ``unknown`` the machines whose object is not in the list."""
    by_adba = [m for m in machines if (m.get("activated_by") or {}).get("kind") == ADBA]
    if objects is None:
        return {"read": False, "objects": [], "unused": [], "unknown": []}
    entries = _objects(objects)
    matched: set[str] = set()
    for entry in entries:
        users = [m["name"] for m in by_adba if _match(entry, m["activated_by"])]
        entry["machines"] = users
        entry["machine_count"] = len(users)
        matched.update(users)
    return {
        "read": True,
        "objects": sorted(entries, key=lambda e: (-e["machine_count"], _fold(e["name"]))),
        "unused": [e["name"] or e["dn"] for e in entries if not e["machine_count"]],
        "unknown": sorted(m["name"] for m in by_adba if m["name"] not in matched),
    }
