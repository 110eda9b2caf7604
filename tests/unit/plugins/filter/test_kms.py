"""The filters are thin: right wiring to the core, and core errors become filter errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.volact.kms.plugins.filter.kms import FilterModule

FILTERS = FilterModule().filters()


def test_the_documented_filters_and_nothing_else():
    assert sorted(FILTERS) == [
        "gvlk",
        "hresult",
        "mask_key",
        "parse_publish_list",
        "publish_list",
        "published_records",
        "srv_mismatches",
    ]


def test_gvlk_from_edition_facts():
    row = FILTERS["gvlk"]({"edition_id": "ServerStandard", "build": 26100, "product_type": 3})
    assert row == {
        "product": "windows",
        "family": "Windows Server 2025",
        "edition": "Standard",
        "key": "TVRH6-WHNXV-R9WG3-9XRFY-MY832",
        "confirmed": True,
    }


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ("Professional", "expected a dict"),
        ({"edition_id": "Professional", "build": 22631, "caption": "Professionnel"}, "caption"),
        ({"edition_id": "Core", "build": 22631}, "Home"),
    ],
)
def test_gvlk_refusals_name_the_filter_and_the_problem(facts, expected):
    with pytest.raises(AnsibleFilterError, match=expected) as caught:
        FILTERS["gvlk"](facts)
    assert str(caught.value).startswith("gvlk: ")


def test_mask_key_shows_only_the_last_group():
    assert FILTERS["mask_key"](" BCDFG-HJKMP-QRTVW-XY234-6789B ") == "XXXXX-XXXXX-XXXXX-XXXXX-6789B"


def test_hresult_accepts_every_form_of_the_same_code():
    forms = ["0xC004F038", "c004f038", -1073418184, 3221549112]
    infos = [FILTERS["hresult"](form) for form in forms]
    assert {info["hex"] for info in infos} == {"0xC004F038"}
    assert infos[0]["symbol"] == "SL_E_VL_NOT_ENOUGH_COUNT"
    assert infos[0]["signed"] == -1073418184


def test_hresult_refuses_ambiguous_digits():
    with pytest.raises(AnsibleFilterError, match=r"^hresult: .*0x80070005"):
        FILTERS["hresult"]("80070005")


def test_publish_list_round_trip():
    domains = [{"name": "Corp.Example.", "priority": "10", "weight": 50}, "lab.example"]
    encoded = FILTERS["publish_list"](domains)
    assert encoded == ["corp.example, 10, 50", "lab.example"]
    assert FILTERS["parse_publish_list"](encoded) == [
        {"name": "corp.example", "priority": 10, "weight": 50},
        {"name": "lab.example", "priority": 0, "weight": 0},
    ]


def test_publish_list_duplicate_is_named():
    with pytest.raises(AnsibleFilterError, match=r"^publish_list: domains\[1\]"):
        FILTERS["publish_list"](["corp.example", "CORP.example."])


def test_published_records_and_srv_mismatches_wire_the_home_domain_rule():
    hosts = [{"fqdn": "kms1.corp.example", "domains": [{"name": "corp.example", "priority": 5}]}]
    expected = FILTERS["published_records"](hosts)
    assert expected["corp.example"]["optional"] == [
        {"target": "kms1.corp.example", "port": 1688, "priority": 0, "weight": 0}
    ]
    assert FILTERS["published_records"](hosts, home=False)["corp.example"]["optional"] == []
    listed = [{"target": "kms1.corp.example", "priority": 5}]
    assert FILTERS["srv_mismatches"](expected, {"corp.example": listed}) == []
    assert FILTERS["srv_mismatches"](expected, {})[0]["domain"] == "corp.example"
    with pytest.raises(AnsibleFilterError, match=r"^published_records: hosts\[0\]"):
        FILTERS["published_records"](["kms1.corp.example"])
    with pytest.raises(AnsibleFilterError, match=r"^srv_mismatches: "):
        FILTERS["srv_mismatches"]([], {})
