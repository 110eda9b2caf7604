"""The fleet report: its model (counts, thresholds, attention, SRV) and its HTML page (every value
present, every value escaped, nothing external)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.audit.page import render
from ansible_collections.volact.kms.plugins.module_utils.audit.report import build
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

NOW = "2026-11-21T10:00:00Z"
HOST_KEY = "NPPR9-FWDCX-D2C8J-H872K-2YT43"  # a published GVLK: any whole key must never show


def product(name: str, family: str, **changes: Any) -> dict[str, Any]:
    """One product as kms_activation_info returns it (licensed GVLK unless changed)."""
    row = {
        "id": f"id-{family}",
        "name": name,
        "description": f"{name} description",
        "application": "windows",
        "license_family": family,
        "partial_product_key": "J464C",
        "channel": "Volume:GVLK",
        "channel_kind": "gvlk",
        "license_status": 1,
        "license_status_name": "Licensed",
        "licensed": True,
        "license_status_reason": None,
        "grace_minutes": 259200,
        "grace_days": 180.0,
        "grace_expires": "2027-05-20T10:00:00Z",
        "is_kms_host": False,
        "pinned_host": None,
        "pinned_port": None,
        "discovered_host": None,
        "discovered_port": None,
        "current_count": None,
        "required_count": None,
    }
    row.update(changes)
    return row


def facts(windows: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    """A machine's kms_activation facts around its Windows product."""
    value = {
        "collected_at": "2026-11-21T09:59:00Z",
        "build": 22631,
        "edition": windows["license_family"] if windows else None,
        "activated": bool(windows and windows["licensed"]),
        "windows": windows,
        "windows_problem": None,
        "office": [],
        "other_products": [],
        "is_kms_host": False,
        "kms_host": None,
        "kms_client": {"pinned_host": None, "discovered_host": None},
        "registry": {"publish_list": {"present": False, "valid": True, "entries": []}},
        "attention": [],
        "needs_attention": False,
    }
    value.update(changes)
    return value


def ok(value: dict[str, Any]) -> dict[str, Any]:
    return {"changed": False, "kms_activation": value, "wsman": {"requests": 4}}


def kms_host(count: int, publish: list[dict[str, Any]]) -> dict[str, Any]:
    windows = product(
        "Windows(R), ServerStandard edition",
        "ServerStandard",
        channel="Volume:CSVLK",
        channel_kind="csvlk",
        partial_product_key="G6TCJ",
        is_kms_host=True,
        grace_minutes=0,
        grace_days=None,
        grace_expires=None,
        current_count=count,
        required_count=25,
    )
    office = product(
        "Office 21, Office21KMSHost2021VL_KMS_Host edition",
        "Office21KMSHost2021VL_KMS_Host",
        application="office",
        channel="Volume:CSVLK",
        channel_kind="csvlk",
        partial_product_key="OFF21",
        is_kms_host=True,
        current_count=5,
        required_count=5,
    )
    return facts(
        windows,
        build=20348,
        office=[office],
        is_kms_host=True,
        kms_host={
            "current_count": count,
            "required_count": 25,
            "threshold_reached": count >= 25,
            "listening_port": 1688,
            "dns_publishing": True,
            "low_priority": False,
            "requests": {"total": 9, "failed": 1},
        },
        registry={"publish_list": {"present": True, "valid": True, "entries": publish}},
        attention=[
            {
                "code": "kms_below_threshold",
                "severity": "warning",
                "subject": windows["name"],
                "message": f"The KMS host counts {count} of the 25 machines needed.",
                "hresult": {"code": "0xC004F038", "symbol": "SL_E_VL_NOT_ENOUGH_COUNT"},
            }
        ],
    )


def fleet() -> list[dict[str, Any]]:
    """kms1 (host, count 6, Office count 5), pc001 in grace below threshold, pc002 MAK, srv001
    pinned to kms1, pc003 unlicensed, pc004 pinned to a host outside the audit, pc005
    unreachable, pc006 failed with E_ACCESSDENIED."""
    grace = product(
        "Windows(R), Professional edition",
        "Professional",
        license_status=2,
        license_status_name="OOBGrace",
        licensed=False,
        license_status_reason="0xC004F038",
        grace_days=10.0,
        grace_expires="2026-12-01T10:00:00Z",
        discovered_host="kms1.corp.example.",
        partial_product_key="T83GX",
    )
    dead = product(
        "Windows(R), Enterprise edition",
        "Enterprise",
        license_status=5,
        license_status_name="Notification",
        licensed=False,
        license_status_reason="0xC004F074",
    )
    return [
        {"name": "kms1", "address": "192.0.2.10", "result": ok(kms_host(6, PUBLISH))},
        {
            "name": "pc001",
            "result": ok(
                facts(
                    grace,
                    attention=[
                        {
                            "code": "not_activated",
                            "severity": "warning",
                            "subject": grace["name"],
                            "message": f"{grace['name']} is not activated.",
                            "hresult": {"code": "0xC004F038"},
                        }
                    ],
                )
            ),
        },
        {
            "name": "pc002",
            "result": ok(
                facts(
                    product(
                        "Windows(R), Enterprise edition",
                        "Enterprise",
                        channel="Volume:MAK",
                        channel_kind="mak",
                    )
                )
            ),
        },
        {
            "name": "srv001",
            "result": ok(
                facts(
                    product(
                        "Windows(R), ServerStandard edition",
                        "ServerStandard",
                        pinned_host="KMS1.corp.example",
                    ),
                    build=17763,
                )
            ),
        },
        {
            "name": "pc003",
            "result": ok(
                facts(
                    dead,
                    attention=[
                        {
                            "code": "not_activated",
                            "severity": "error",
                            "subject": dead["name"],
                            "message": f"Unlicensed; key {HOST_KEY} was seen in a log line.",
                            "hresult": {"code": "0xC004F074"},
                        }
                    ],
                )
            ),
        },
        {
            "name": "pc004",
            "result": ok(
                facts(
                    product("Windows(R), Education edition", "Education"),
                    kms_client={"pinned_host": "kms9.branch.example", "discovered_host": None},
                )
            ),
        },
        {
            "name": "pc005",
            "result": {"unreachable": True, "msg": "Connection refused: is WinRM listening?"},
        },
        {
            "name": "pc006",
            "result": {
                "failed": True,
                "msg": "SoftwareLicensingProduct could not be read.",
                "hresult": "0x80070005",
            },
        },
    ]


PUBLISH = [
    {"domain": "corp.example", "priority": 0, "weight": 60},
    {"domain": "branch.example", "priority": 10, "weight": 40},
    {"domain": "other.example", "priority": 0, "weight": 0},
]


def srv_reads() -> dict[str, Any]:
    """A looped kms_srv_record result: corp (two hosts, weights 60/40), branch (kms1 with other
    numbers than its publish list), empty.example (no record), other.example (no kms1 record,
    two zero-weight records, one at pc002), broken.example (REFUSED)."""

    def read(domain: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "item": domain,
            "changed": False,
            "owner": f"_vlmcs._tcp.{domain}.",
            "zone": f"{domain}.",
            "ttl": 3600 if records else None,
            "records": records,
        }

    def rr(target: str, priority: int, weight: int) -> dict[str, Any]:
        return {"target": target, "port": 1688, "priority": priority, "weight": weight}

    return {
        "changed": False,
        "results": [
            read("corp.example", [rr("kms1.corp.example", 0, 60), rr("kms2.corp.example", 0, 40)]),
            read("branch.example", [rr("kms1.corp.example", 5, 40)]),
            read("empty.example", []),
            read("other.example", [rr("pc002.corp.example", 0, 0), rr("x.other.example", 0, 0)]),
            {
                "item": "broken.example",
                "failed": False,
                "failed_when_result": False,
                "msg": "192.0.2.53:53 refused to answer (REFUSED).",
                "dns_error": "REFUSED",
                "owner": "_vlmcs._tcp.broken.example.",
            },
        ],
    }


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    return build(fleet(), srv_reads(), generated_at=NOW, dns_server="192.0.2.53:53")


def machine(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in model["machines"] if m["name"] == name)


def host(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in model["kms_hosts"] if h["name"] == name)


def test_summary_counts_every_state(model):
    assert model["format"] == "volact.kms.audit/1"
    assert model["generated_at"] == NOW
    assert model["thresholds"] == {"windows_client": 25, "windows_server": 5, "office": 5}
    assert model["summary"] == {
        "machines": 8,
        "audited": 6,
        "activated": 4,
        "grace": 1,
        "unlicensed": 1,
        "not_audited": 2,
        "needs_attention": 5,  # kms1, pc001, pc003, pc005, pc006; DNS findings are nobody's
        "errors": 5,
        "warnings": 5,
        "findings": 10,
        "kms_hosts": 1,
        "standby_kms_hosts": 0,
        "srv_domains": 5,
        # these facts predate activated_by (kms_activation_info before ADBA): counted as neither
        "activated_by_adba": 0,
        "activated_by_kms": 0,
        "adba_objects": None,
    }
    assert model["headline"] == {
        "kind": "bad",
        "text": "5 of 8 machines need attention",
        "detail": "5 errors, 5 warnings",
    }
    states = {s["state"]: (s["label"], s["count"], s["machines"]) for s in model["states"]}
    assert states == {
        "activated": ("Activated", 4, ["kms1", "pc002", "pc004", "srv001"]),
        "grace": ("In grace, not activated", 1, ["pc001"]),
        "unlicensed": ("Unlicensed or notification", 1, ["pc003"]),
        "not_audited": ("Not audited", 2, ["pc005", "pc006"]),
    }
    assert [m["name"] for m in model["machines"]] == [
        "kms1",
        "pc001",
        "pc002",
        "pc003",
        "pc004",
        "pc005",
        "pc006",
        "srv001",
    ]


def test_kms_host_count_against_every_threshold(model):
    kms1 = host(model, "kms1")
    assert kms1["audited"] is True
    assert (kms1["current_count"], kms1["required_count"], kms1["threshold_reached"]) == (
        6,
        25,
        False,
    )
    assert kms1["thresholds"] == [
        {"product": "Windows Server", "required": 5, "count": 6, "reached": True},
        {"product": "Windows client OS", "required": 25, "count": 6, "reached": False},
        {
            "product": "Office 21, Office21KMSHost2021VL_KMS_Host edition",
            "required": 5,
            "count": 5,
            "reached": True,
        },
    ]
    assert (kms1["activated"], kms1["partial_product_key"], kms1["listening_port"]) == (
        True,
        "G6TCJ",
        1688,
    )
    assert (kms1["requests_total"], kms1["requests_failed"]) == (9, 1)


def test_clients_are_grouped_under_the_host_they_use(model):
    kms1 = host(model, "kms1")
    # pc001 found kms1.corp.example. in DNS, srv001 pins KMS1.corp.example: both are kms1.
    assert kms1["aliases"] == ["kms1.corp.example"]
    assert kms1["clients"] == {
        "count": 2,
        "activated": 1,
        "grace": 1,
        "unlicensed": 0,
        "not_audited": 0,
        "machines": ["pc001", "srv001"],
    }
    assert kms1["srv_domains"] == ["branch.example", "corp.example"]
    outside = host(model, "kms9.branch.example")
    assert (outside["audited"], outside["is_audited_machine"], outside["thresholds"]) == (
        False,
        False,
        [],
    )
    assert outside["clients"]["machines"] == ["pc004"]
    assert (machine(model, "pc001")["kms_machine"], machine(model, "pc001")["kms_host_source"]) == (
        "kms1",
        "discovered",
    )
    assert machine(model, "srv001")["kms_host_source"] == "pinned"
    assert machine(model, "kms1")["kms_host"] is None  # a host is no client of itself


def test_attention_lists_every_finding_errors_first(model):
    found = [(f["severity"], f["machine"], f["code"], f["subject"]) for f in model["attention"]]
    assert found == [
        ("error", None, "srv_missing", "empty.example"),
        ("error", None, "srv_target_not_kms_host", "other.example"),
        ("error", "pc003", "not_activated", "Windows(R), Enterprise edition"),
        ("error", "pc005", "unreachable", "pc005"),
        ("error", "pc006", "facts_unavailable", "pc006"),
        ("warning", None, "srv_unreadable", "broken.example"),
        ("warning", "kms1", "kms_below_threshold", "Windows(R), ServerStandard edition"),
        ("warning", "kms1", "srv_record_differs", "branch.example"),
        ("warning", "kms1", "srv_record_missing", "other.example"),
        ("warning", "pc001", "not_activated", "Windows(R), Professional edition"),
    ]
    for item in model["attention"]:
        if item["machine"] is not None:
            assert item in machine(model, item["machine"])["attention"]


def test_each_finding_carries_its_hresult_explained(model):
    by_code = {(f["machine"], f["code"]): f for f in model["attention"]}
    denied = by_code[("pc006", "facts_unavailable")]
    assert denied["hresult"]["code"] == "0x80070005"
    assert denied["hresult"]["symbol"] == "E_ACCESSDENIED"
    assert denied["hresult"]["what_to_do"]
    assert "SoftwareLicensingProduct could not be read." in denied["message"]
    below = by_code[("kms1", "kms_below_threshold")]
    assert below["hresult"]["symbol"] == "SL_E_VL_NOT_ENOUGH_COUNT"
    assert below["hresult"]["meaning"].startswith("The KMS host answered")
    missing = by_code[(None, "srv_missing")]
    assert missing["hresult"]["code"] == "0x8007232B"
    unreachable = by_code[("pc005", "unreachable")]
    assert (
        unreachable["message"]
        == "pc005 could not be reached: Connection refused: is WinRM listening?"
    )
    assert unreachable["hresult"] is None
    assert machine(model, "pc005")["problem"] == unreachable["message"]
    assert machine(model, "pc006")["severity"] == "error"
    assert machine(model, "kms1")["severity"] == "warning"
    assert machine(model, "srv001")["severity"] is None
    assert machine(model, "pc002")["severity"] is None  # the SRV finding is about DNS


def test_srv_records_per_domain_with_priority_weight_and_share(model):
    domains = {d["domain"]: d for d in model["srv"]["domains"]}
    assert model["srv"]["server"] == "192.0.2.53:53"
    assert list(domains) == [
        "corp.example",
        "branch.example",
        "empty.example",
        "other.example",
        "broken.example",
    ]
    corp = domains["corp.example"]
    assert (corp["owner"], corp["zone"], corp["ttl"], corp["read"]) == (
        "_vlmcs._tcp.corp.example.",
        "corp.example.",
        3600,
        True,
    )
    assert corp["records"] == [
        {
            "target": "kms1.corp.example",
            "port": 1688,
            "priority": 0,
            "weight": 60,
            "machine": "kms1",
            "share_percent": 60.0,
            "tier": 1,
        },
        {
            "target": "kms2.corp.example",
            "port": 1688,
            "priority": 0,
            "weight": 40,
            "machine": None,
            "share_percent": 40.0,
            "tier": 1,
        },
    ]
    other = domains["other.example"]["records"]
    assert [(r["target"], r["share_percent"], r["machine"]) for r in other] == [
        ("pc002.corp.example", 50.0, "pc002"),
        ("x.other.example", 50.0, None),
    ]
    broken = domains["broken.example"]
    assert (broken["read"], broken["dns_error"], broken["records"]) == (False, "REFUSED", [])
    assert broken["problem"] == "192.0.2.53:53 refused to answer (REFUSED)."


def test_publish_list_and_dns_disagreements_are_explained(model):
    by_code = {(f["machine"], f["code"]): f["message"] for f in model["attention"]}
    differs = by_code[("kms1", "srv_record_differs")]
    assert "priority 5 weight 40" in differs
    assert "asks for priority 10 weight 40" in differs
    assert "kms1 publishes in other.example" in by_code[("kms1", "srv_record_missing")]
    # corp.example matches the publish list: no finding about it.
    assert not any(f["subject"] == "corp.example" for f in model["attention"])


def test_editions_table(model):
    rows = {(r["product"], r["edition"]): r for r in model["editions"]}
    enterprise = rows[("Windows", "Enterprise")]
    assert (enterprise["machines"], enterprise["activated"], enterprise["unlicensed"]) == (2, 1, 1)
    assert enterprise["channels"] == {"gvlk": 1, "mak": 1}
    assert enterprise["names"] == ["pc002", "pc003"]
    assert rows[("Windows", "(not audited)")]["not_audited"] == 2
    assert rows[("Office", "Office21KMSHost2021VL_KMS_Host")]["activated"] == 1
    assert [r["product"] for r in model["editions"]][-1] == "Office"
    assert sum(r["machines"] for r in model["editions"] if r["product"] == "Windows") == 8


def test_only_partial_keys_reach_the_model(model):
    text = json.dumps(model)
    assert HOST_KEY not in text
    assert "XXXXX-XXXXX-XXXXX-XXXXX-2YT43" in text  # the slipped-in key is masked
    assert machine(model, "pc001")["windows"]["partial_product_key"] == "T83GX"
    assert not re.search(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){4}", text.replace("XXXXX-", ""))


def test_the_model_copies_no_connection_detail():
    record = {"name": "pc1", "result": {"unreachable": True, "msg": "refused"}}
    record["result"]["ansible_password"] = "Secret!Passw0rd"
    text = json.dumps(build([record], generated_at=NOW))
    assert "Secret!Passw0rd" not in text


def test_without_dns_and_from_a_mapping():
    model = build({"pc1": fleet()[2]["result"]})
    assert model["srv"] == {"server": None, "read": False, "domains": []}
    assert model["generated_at"] == "2026-11-21T09:59:00Z"  # the latest collected_at
    assert model["summary"]["activated"] == 1
    assert "were not read" in render(model)


@pytest.mark.parametrize(
    ("machines", "field"),
    [
        ("kms1", "machines"),
        (42, "machines"),
        ([{"name": "a", "result": {}}, {"result": {}}], "machines[1]"),
        ([["kms1"]], "machines[0]"),
    ],
)
def test_input_that_is_no_machine_list_is_refused(machines, field):
    with pytest.raises(KmsInputError) as caught:
        build(machines)
    assert caught.value.field == field


def test_render_refuses_what_is_no_model():
    with pytest.raises(KmsInputError, match="is not a fleet report model"):
        render({"summary": {}})


# --- the HTML page -------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script>'


def hostile_model(
    name: str = EVIL,
    edition: str = '"><img src=x onerror=1>',
    message: str = "</td></tr></table><b>bold</b> & 'quotes'",
    server: str = "<ns>",
) -> dict[str, Any]:
    machines = fleet()
    machines[1]["name"] = name
    machines[2]["result"]["kms_activation"]["windows"]["license_family"] = edition
    machines[2]["result"]["kms_activation"]["edition"] = edition
    machines[6]["result"]["msg"] = message
    return build(machines, srv_reads(), generated_at=NOW, dns_server=server)


def test_html_is_one_self_contained_page(model):
    page = render(model)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<style>") == 1
    assert "<script" not in page.lower()
    assert not re.search(r"\b(?:src|href)\s*=", page)  # nothing is loaded from anywhere
    assert "@import" not in page
    assert "url(" not in page
    assert "default-src 'none'" in page
    assert page.count('<svg class="donut"') == 1
    assert page.count('<svg class="bar"') == 2  # kms1's Windows count and its Office count
    assert '<div class="banner bad">5 of 8 machines need attention' in page


def test_html_shows_every_value(model):
    page = render(model)
    for m in model["machines"]:
        assert f"<b>{m['name']}</b>" in page
        if m["windows"]:
            assert m["windows"]["partial_product_key"] in page
    for finding in model["attention"]:
        assert f"<code>{finding['code']}</code>" in page
    for domain in model["srv"]["domains"]:
        assert domain["owner"] in page
        for record in domain["records"]:
            assert f"<code>{record['target']}</code>" in page
            assert f'data-label="Share of its tier">{record["share_percent"]} %</td>' in page
    for row in model["editions"]:
        assert f"<b>{row['edition']}</b>" in page
    for code in ("0xC004F038", "SL_E_VL_NOT_ENOUGH_COUNT", "0x80070005", "0x8007232B"):
        assert code in page
    assert "What to do:" in page
    assert (
        'Office 21, Office21KMSHost2021VL_KMS_Host edition <span class="nowrap">\u2265 5: ' in page
    )
    assert "kms9.branch.example" in page
    assert "Connection refused: is WinRM listening?" in page
    assert "Generated 2026-11-21T10:00:00Z" in page


def test_html_escapes_every_value():
    page = render(hostile_model())
    assert "<script" not in page.lower()
    assert "<img" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=1&gt;" in page
    assert (
        "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;b&gt;bold&lt;/b&gt; &amp; &#x27;quotes&#x27;"
        in page
    )
    assert "Read from &lt;ns&gt;" in page
    # The page has exactly the structure of a page without hostile data.
    plain = render(hostile_model("plain", "plain", "plain", "plain"))
    for char in "<>\"'":
        assert page.count(char) == plain.count(char), char


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=30), message=st.text(max_size=60))
def test_no_value_can_change_the_page_structure(name, message):
    machines = fleet()[:2]
    machines[0]["name"] = name
    machines[1]["result"]["kms_activation"]["attention"][0]["message"] = message
    plain = fleet()[:2]
    plain[0]["name"] = "plain"
    plain[1]["result"]["kms_activation"]["attention"][0]["message"] = "plain"
    page = render(build(machines, generated_at=NOW))
    reference = render(build(plain, generated_at=NOW))
    for char in "<>\"'":
        assert page.count(char) == reference.count(char), char


@pytest.mark.parametrize(
    ("machines", "banner", "detail"),
    [
        ([1], '<div class="banner bad">1 of 1 machine needs attention', "1 error, no warnings"),
        ([1, 3], '<div class="banner bad">1 of 2 machines needs attention', "1 error, no warnings"),
        ([1, 4], '<div class="banner bad">2 of 2 machines need attention', "2 errors, no warnings"),
        ([0], '<div class="banner warn">1 of 1 machine has a warning', "no errors, 1 warning"),
        (
            [0, 2, 3],
            '<div class="banner warn">1 of 3 machines has a warning',
            "no errors, 1 warning",
        ),
        ([0, 7], '<div class="banner warn">2 of 2 machines have warnings', "no errors, 2 warnings"),
        ([2], '<div class="banner good">The machine is activated; nothing needs attention', ""),
        ([2, 3], '<div class="banner good">All 2 machines are activated; nothing needs', ""),
        ([], '<div class="banner warn">No machine was audited', "no errors, no warnings"),
    ],
)
def test_banner_says_at_a_glance_whether_anything_needs_attention(machines, banner, detail):
    everything = fleet()
    everything[1]["result"]["kms_activation"]["attention"][0]["severity"] = "error"
    everything[4]["result"]["kms_activation"]["attention"][0]["severity"] = "error"
    everything[7] = {  # pc001 again under another name: one warning
        "name": "pc007",
        "result": json.loads(json.dumps(fleet()[1]["result"])),
    }
    everything[0]["result"]["kms_activation"]["attention"][0]["severity"] = "warning"
    page = render(build([everything[i] for i in machines], generated_at=NOW))
    assert banner in page
    assert f"<small>{detail}" in page


def test_the_playbook_line_and_the_banner_say_the_same():
    model = build([fleet()[0]], generated_at=NOW)
    assert model["headline"] == {
        "kind": "warn",
        "text": "1 of 1 machine has a warning",
        "detail": "no errors, 1 warning",
    }
    assert '<div class="banner warn">1 of 1 machine has a warning<small>no errors, 1 warning' in (
        render(model)
    )


def tile_kinds(page: str) -> dict[str, str]:
    """Each tile's label and the colour class it got."""
    found = re.findall(
        r'<div class="tile ([a-z]*)"><div class="n">[^<]*</div><div class="l">([^<]*)</div>', page
    )
    return {label: kind for kind, label in found}


def test_tiles_are_coloured_by_severity_and_a_zero_is_grey(model):
    assert tile_kinds(render(model)) == {
        "machines": "",
        "activated": "good",
        "in grace, not activated": "warn",  # a warning is amber, not red
        "unlicensed": "bad",
        "not audited": "bad",
        "need attention": "bad",
        "KMS hosts": "info",
    }
    warned = build([fleet()[1], fleet()[2]], generated_at=NOW)  # pc001 in grace, pc002 fine
    assert tile_kinds(render(warned)) == {
        "machines": "",
        "activated": "good",
        "in grace, not activated": "warn",
        "unlicensed": "zero",  # nothing to see: no red
        "not audited": "zero",
        "need attention": "warn",  # one warning: amber
        "KMS hosts": "zero",
    }


def test_every_table_column_has_a_header_and_every_cell_its_label(model):
    page = render(model)
    tables = re.findall(r"<table>(.*?)</table>", page, re.S)
    # attention, KMS hosts, the 3 SRV record sets with records, editions, machines
    assert len(tables) == 7
    for text in tables:
        headers = re.findall(r"<th[^>]*>([^<]*)</th>", text)
        assert all(h.strip() for h in headers), headers
        for row in re.findall(r"<tr[^>]*>(<td.*?)</tr>", text, re.S):
            labels = re.findall(r'<td[^>]*data-label="([^"]*)"', row)
            assert labels == headers


def test_threshold_texts_never_break_inside(model):
    page = render(model)
    cells = re.findall(r'data-label="Thresholds">(.*?)</td>', page, re.S)
    assert cells
    lines = [line for cell in cells for line in cell.split("<br>") if "\u2265" in line]
    assert lines[:2] == [
        '<span class="nowrap">Windows Server <span class="nowrap">\u2265 5: '
        '<span class="badge activated">reached</span></span></span>',
        '<span class="nowrap">Windows client OS <span class="nowrap">\u2265 25: '
        '<span class="badge grace">not reached</span></span></span>',
    ]
    # A long SPP product name may wrap between its words, never inside "≥ 5: reached".
    assert lines[2] == (
        'Office 21, Office21KMSHost2021VL_KMS_Host edition <span class="nowrap">\u2265 5: '
        '<span class="badge activated">reached</span></span>'
    )
    assert ".nowrap { white-space: nowrap; }" in page


def test_the_srv_section_says_what_priority_and_weight_mean(model):
    page = render(model)
    assert "How clients choose (RFC 2782)" in page
    assert "Among records of the same priority (a tier), the weight sets each host's share" in page
    assert '<th class="num">Share of its tier</th>' in page
    assert '<span class="nowrap">1, the only one</span>' in page  # corp.example: one tier


@pytest.mark.parametrize(
    ("record", "domain"),
    [
        ({"name": "pc1", "domain": "Corp.Example."}, "corp.example"),
        ({"name": "pc1.branch.example"}, "branch.example"),
        ({"name": "pc1", "address": "pc1.corp.example"}, "corp.example"),
        ({"name": "pc1", "address": "192.0.2.7"}, None),
        ({"name": "pc1", "address": "2001:db8::7"}, None),
        ({"name": "pc1"}, None),
    ],
)
def test_each_machine_shows_its_dns_domain(record, domain):
    model = build([{**record, "result": fleet()[2]["result"]}], generated_at=NOW)
    assert model["machines"][0]["domain"] == domain
    page = render(model)
    cell = re.search(r'data-label="DNS domain">(.*?)</td>', page).group(1)
    assert cell == (
        f'<span class="dn">{domain}</span>' if domain else '<span class="dn muted">unknown</span>'
    )


def standby_fleet(*, kms2_clients: int = 0) -> list[dict[str, Any]]:
    """kms1 (count 30, every client) and kms2 (count 0) in corp.example; the clients in
    branch.example, where kms1 publishes at priority 10 and kms2 at 20."""
    kms1 = kms_host(30, [{"domain": "branch.example", "priority": 10, "weight": 30}])
    kms1["attention"] = []
    kms2 = kms_host(0, [{"domain": "branch.example", "priority": 20, "weight": 70}])
    machines = [
        {"name": "kms1.corp.example", "result": ok(kms1)},
        {"name": "kms2.corp.example", "result": ok(kms2)},
    ]
    for number in range(3):
        host = "kms2.corp.example." if number < kms2_clients else "kms1.corp.example."
        windows = product("Windows(R), Enterprise edition", "Enterprise", discovered_host=host)
        machines.append({"name": f"pc{number}.branch.example", "result": ok(facts(windows))})
    return machines


def standby_srv() -> dict[str, Any]:
    def rr(target: str, priority: int, weight: int) -> dict[str, Any]:
        return {"target": target, "port": 1688, "priority": priority, "weight": weight}

    return {
        "branch.example": {
            "owner": "_vlmcs._tcp.branch.example.",
            "records": [rr("kms1.corp.example", 10, 30), rr("kms2.corp.example", 20, 70)],
        }
    }


def test_a_standby_kms_host_is_no_finding_and_its_risk_is_said_once():
    model = build(standby_fleet(), standby_srv(), generated_at=NOW)
    kms1, kms2 = model["kms_hosts"]
    assert (kms1["name"], kms1["standby"]) == ("kms1.corp.example", None)
    note = kms2["standby"]
    assert note["primaries"] == ["kms1.corp.example"]
    reason, advice = note["reason"], note["advice"]
    assert "in branch.example its priority 20 comes after kms1.corp.example at 10" in reason
    assert note["risk"].startswith("If kms1.corp.example fails, clients reach kms2.corp.example")
    assert "until 25 distinct machines have asked it" in note["risk"]
    assert "at priority 10, beside kms1.corp.example, with a smaller weight than 30" in advice
    assert model["attention"] == []  # its count of 0 is no finding
    assert model["summary"]["needs_attention"] == 0
    assert model["summary"]["standby_kms_hosts"] == 1
    assert model["headline"] == {
        "kind": "good",
        "text": "All 5 machines are activated; nothing needs attention",
        "detail": "every audited machine is licensed; 1 standby KMS host is below its threshold: "
        "a failover risk, see KMS hosts",
    }
    page = render(model)
    assert page.count("<b>Risk:</b>") == 1
    assert page.count(note["risk"].replace("'", "&#x27;")) == 1
    assert '<span class="badge standby">standby</span>' in page
    assert "is a standby KMS host</td>" in page
    assert '<span class="badge standby">not reached</span>' in page
    assert '<span class="badge grace">not reached</span>' not in page


def test_a_host_clients_use_is_no_standby_whatever_its_priority():
    model = build(standby_fleet(kms2_clients=1), standby_srv(), generated_at=NOW)
    assert [h["standby"] for h in model["kms_hosts"]] == [None, None]
    found = [(f["machine"], f["code"]) for f in model["attention"]]
    assert found == [("kms2.corp.example", "kms_below_threshold")]


def test_a_host_first_in_the_domain_its_clients_search_is_no_standby():
    machines = standby_fleet()
    srv = standby_srv()
    srv["branch.example"]["records"][1]["priority"] = 10  # kms2 beside kms1, nobody on it yet
    model = build(machines, srv, generated_at=NOW)
    assert model["kms_hosts"][1]["standby"] is None
    assert ("kms2.corp.example", "kms_below_threshold") in [
        (f["machine"], f["code"]) for f in model["attention"]
    ]
    # The same host with clients elsewhere (another domain than its tier's): a standby.
    for record in machines[2:]:
        record["name"] = record["name"].replace("branch", "other")
    assert build(machines, srv, generated_at=NOW)["kms_hosts"][1]["standby"] is not None
