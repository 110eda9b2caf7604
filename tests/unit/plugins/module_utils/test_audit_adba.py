"""The fleet report's Active Directory-Based Activation parts (audit/adba.py): what activated each
machine, the counts, and the forest's objects cross-referenced with the machines."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ansible_collections.volact.kms.plugins.module_utils.audit import adba
from ansible_collections.volact.kms.plugins.module_utils.audit.page import render
from ansible_collections.volact.kms.plugins.module_utils.audit.report import build
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

NOW = "2026-12-07T01:00:00Z"
CONTAINER = "CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=ad,DC=lab"
WS2022 = {
    "name": "WS2022 forest",
    "dn": f"CN=WS2022 forest,{CONTAINER}",
    "activation_id": "8AB9BDD1-1F67-4997-82D9-8878520837D9",
    "partial_product_key": "VCFB2",
    "extended_pid": "03612-03858-000-000001-03-1033-17763.0000-2332019",
    "kms_ids": ["8456efd3-0c04-4089-8740-5b7238535a65"],
    "created": "2026-12-07T00:40:00Z",
    "container": CONTAINER,
}
SPARE = {**WS2022, "name": "Spare", "dn": f"CN=Spare,{CONTAINER}", "activation_id": "0000-spare"}
HOST_KEY = "NPPR9-FWDCX-D2C8J-H872K-2YT43"  # a published GVLK: any whole key must never show


def windows(by: str | None, licensed: bool = True, **found: Any) -> dict[str, Any]:
    """A Windows product as kms_activation_info returns it, activated ``by`` ad / kms / None."""
    return {
        "id": "id-win",
        "name": "Windows(R), Enterprise edition",
        "license_family": "Enterprise",
        "partial_product_key": "2YT43",
        "channel": "Volume:GVLK",
        "channel_kind": "gvlk",
        "license_status_name": "Licensed" if licensed else "Notification",
        "licensed": licensed,
        "license_status_reason": None,
        "is_kms_host": False,
        "discovered_host": "kms1.corp.lab.test" if by == "kms" else None,
        "adba_available": True,
        "activation_type": "all",
        "activated_by": by,
        "activation_object": found or None,
    }


def result(product: dict[str, Any]) -> dict[str, Any]:
    facts = {
        "collected_at": "2026-12-07T00:59:00Z",
        "build": 26100,
        "edition": "Enterprise",
        "activated": product["licensed"],
        "windows": product,
        "office": [],
        "is_kms_host": False,
        "kms_host": None,
        "kms_client": {"pinned_host": None, "discovered_host": None},
        "registry": {"publish_list": {"present": False, "valid": True, "entries": []}},
        "attention": [],
    }
    return {"changed": False, "kms_activation": facts}


def fleet() -> list[dict[str, Any]]:
    by_ad = {"name": "WS2022 forest", "dn": WS2022["dn"], "sku_id": WS2022["activation_id"]}
    return [
        {"name": "pc11", "result": result(windows("ad", **by_ad))},
        {"name": "pc12", "result": result(windows("ad", name="Gone", dn=f"CN=Gone,{CONTAINER}"))},
        {"name": "pc13", "result": result(windows("kms"))},
        {"name": "pc14", "result": result(windows(None, licensed=False))},
    ]


def test_each_machine_says_what_activated_it() -> None:
    model = build(fleet(), generated_at=NOW)
    by = {m["name"]: m["activated_by"] for m in model["machines"]}
    assert by["pc11"] == {
        "kind": "adba",
        "object": "WS2022 forest",
        "dn": WS2022["dn"],
        "sku_id": WS2022["activation_id"],
        "host": None,
    }
    assert by["pc13"]["kind"] == "kms"
    assert by["pc13"]["host"] == "kms1.corp.lab.test"
    assert by["pc14"]["kind"] is None
    assert model["summary"]["activated_by_adba"] == 2
    assert model["summary"]["activated_by_kms"] == 1


def test_without_the_objects_the_section_says_not_read() -> None:
    model = build(fleet(), generated_at=NOW)
    assert model["adba"] == {"read": False, "objects": [], "unused": [], "unknown": []}
    assert model["summary"]["adba_objects"] is None
    page = render(model)
    assert "were not read" in page
    assert "kms_audit_adba_objects" in page


def test_objects_are_cross_referenced_with_the_machines() -> None:
    model = build(fleet(), generated_at=NOW, adba_objects=[SPARE, WS2022])
    forest = model["adba"]
    assert forest["read"] is True
    [used, spare] = forest["objects"]
    assert (used["name"], used["machines"], used["machine_count"]) == ("WS2022 forest", ["pc11"], 1)
    assert (spare["name"], spare["machine_count"]) == ("Spare", 0)
    assert forest["unused"] == ["Spare"]
    assert forest["unknown"] == ["pc12"]  # its object "Gone" is not in the list
    assert model["summary"]["adba_objects"] == 2
    page = render(model)
    assert "WS2022 forest" in page
    assert "no audited machine" in page
    assert "pc12" in page


def test_a_whole_registered_result_is_accepted_and_only_known_keys_kept() -> None:
    extra = {**WS2022, "license_blob": "secret", "partial_product_key": HOST_KEY}
    model = build(fleet(), generated_at=NOW, adba_objects={"objects": [extra], "changed": False})
    [entry] = model["adba"]["objects"]
    assert "license_blob" not in entry
    assert HOST_KEY not in str(model)  # a whole key given by mistake is masked
    assert HOST_KEY not in render(model)


def test_a_machine_without_a_dn_matches_by_name_and_sku() -> None:
    used = {"kind": "adba", "object": "ws2022 FOREST", "dn": None, "sku_id": None}
    assert adba._match(WS2022, used)
    assert not adba._match(SPARE, used)
    other_sku = {**used, "sku_id": "11111111-1111-1111-1111-111111111111"}
    assert not adba._match(WS2022, other_sku)


@pytest.mark.parametrize(
    ("objects", "field"),
    [
        ("WS2022 forest", "adba_objects"),
        (42, "adba_objects"),
        ([{"activation_id": "x"}], "adba_objects[0]"),
        ([WS2022, "x"], "adba_objects[1]"),
    ],
)
def test_bad_objects_name_the_field(objects: object, field: str) -> None:
    with pytest.raises(KmsInputError, match=rf"^{re.escape(field)}: "):
        build(fleet(), generated_at=NOW, adba_objects=objects)
