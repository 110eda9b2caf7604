"""kms_activation_info's logic: the event query and its rows, the registry values and the publish
list, grace dates, the attention rules, and the whole read against a lab machine in process (the
real WS-Man service of the lab, no HTTP)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kmslab.model import OFFICE_APP_ID, Fleet, KeyKind, admin
from kmslab.model.registry import SPP_KEY, reg_dword, reg_multi_sz, reg_sz
from kmslab.provider import ModelProvider
from kmslab.wsman.service import WsmanService

from ansible_collections.volact.kms.plugins.module_utils.activation.attention import assess
from ansible_collections.volact.kms.plugins.module_utils.activation.events import (
    events_wql,
    failing_domains,
    newest_first,
    parse_event,
    summarize,
)
from ansible_collections.volact.kms.plugins.module_utils.activation.facts import (
    grace_facts,
    host_name,
    hresult_info,
)
from ansible_collections.volact.kms.plugins.module_utils.activation.info import (
    Options,
    _products,
    gather,
)
from ansible_collections.volact.kms.plugins.module_utils.activation.registry import (
    decode_publish_list,
    describe,
    judge,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import RegistryError
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import WINDOWS_APP_ID, Product
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 21, 10, 8, 4, 123456, tzinfo=UTC)
CORP = "corp.lab.test"


# The event query and its rows ---------------------------------------------------------------------
def test_the_event_query_names_its_properties_each_log_and_a_dmtf_bound():
    since = dt.datetime(2026, 10, 22, 12, 8, 4, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert events_wql(since) == (
        "SELECT EventCode, InsertionStrings, Logfile, Message, RecordNumber, SourceName, "
        "TimeGenerated, Type FROM Win32_NTLogEvent WHERE ((Logfile = 'Key Management Service' "
        "AND (EventCode = 12290)) OR (Logfile = 'Application' AND (EventCode = 12293 OR "
        "EventCode = 12294))) AND TimeGenerated >= '20261022100804.000000+000'"
    )


def row(event_id: int, strings: list[str], minute: int = 0, record: int = 1) -> dict[str, Any]:
    return {
        "EventCode": event_id,
        "InsertionStrings": strings,
        "Logfile": "Application",
        "Message": "localized text, never parsed",
        "RecordNumber": record,
        "SourceName": "Microsoft-Windows-Security-SPP",
        "TimeGenerated": NOW + dt.timedelta(minutes=minute),
        "Type": "Error",
    }


def test_an_event_row_gives_its_hresult_domain_and_time():
    event = parse_event(row(12293, ["branch.contoso.com", "0x8007232A"]))
    assert event["domain"] == "branch.contoso.com"
    assert event["hresult"] == "0x8007232A"
    assert event["hresult_explained"]["code"] == "0x8007232A"
    assert event["time"] == "2026-11-21T10:08:04Z"
    request = parse_event(row(12290, ["0x0", "25", "pc1.contoso.com"]))
    assert (request["domain"], request["hresult"], request["hresult_explained"]) == (
        None,
        "0x00000000",
        None,
    )
    lab_style = parse_event(row(12290, ["25", "cmid", "0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT)"]))
    assert lab_style["hresult_explained"]["symbol"] == "SL_E_VL_NOT_ENOUGH_COUNT"
    assert parse_event({"EventCode": 12294})["insertion_strings"] == []


def test_publishing_counts_as_failing_until_a_later_success_in_the_same_domain():
    events = newest_first(
        parse_event(r)
        for r in (
            row(12293, ["a.test"], minute=0, record=1),
            row(12294, ["a.test"], minute=5, record=2),
            row(12294, ["b.test"], minute=5, record=3),
            row(12293, ["b.test"], minute=5, record=4),  # same minute, written later
            row(12290, ["0x0"], minute=6, record=5),
        )
    )
    assert [(e["domain"], e["event_id"]) for e in failing_domains(events)] == [("b.test", 12293)]
    summary = summarize(events)
    assert summary["client_requests"] == {
        "event_id": 12290,
        "count": 1,
        "latest": "2026-11-21T10:14:04Z",
        "results": {"0x00000000": 1},
    }
    assert summary["publish_failed"]["domains"] == ["a.test", "b.test"]
    assert summary["published"]["count"] == 2


# Registry values and the publish list ------------------------------------------------------------
def test_values_are_judged_by_their_documented_type_and_range():
    assert judge("KeyManagementServicePort", "REG_SZ", "1688") is None
    assert judge("KeyManagementServicePort", "REG_DWORD", 1688).startswith(
        "is REG_DWORD, but Windows documents REG_SZ"
    )
    assert judge("KeyManagementServiceListeningPort", "REG_SZ", "16 88") == (
        "'16 88' is not a port number (1-65535 as text)."
    )
    assert judge("KeyManagementServicePort", "REG_SZ", "70000") == (
        "70000 is outside the port range 1-65535."
    )
    assert judge("VLRenewalInterval", "REG_DWORD", 10) == (
        "10 minutes is outside 15-43200; Windows uses the default instead."
    )


def test_the_report_lists_every_value_and_keeps_garbage_raw():
    garbage = ["contoso.com, 1, 2", "not a domain!, 5"]
    found = {
        "dnsdomainpublishlist": "REG_MULTI_SZ",
        "BackupProductKeyDefault": "REG_SZ",  # never read, never reported
        "EnableKmsLowPriority": "REG_BINARY",
    }
    denied = RegistryError("GetMultiStringValue", SPP_KEY, "x", 5)
    section = describe(found, {"DnsDomainPublishList": garbage})
    assert "BackupProductKeyDefault" not in section["kms_values"]
    assert len(section["kms_values"]) == 12
    assert section["kms_values"]["DisableDnsPublishing"]["present"] is False
    assert section["kms_values"]["EnableKmsLowPriority"]["problem"].startswith("is REG_BINARY")
    publish = section["publish_list"]
    assert (publish["valid"], publish["entries"], publish["raw"]) == (False, None, garbage)
    assert publish["problem"].startswith('DnsDomainPublishList[1] ("not a domain!, 5")')
    unread = describe(found, {"DnsDomainPublishList": denied})["kms_values"]["DnsDomainPublishList"]
    assert unread["problem"].startswith("could not be read: GetMultiStringValue of")
    missing = describe(None, {})
    assert missing["key_exists"] is False
    assert missing["publish_list"] == {
        "present": False,
        "valid": True,
        "entries": [],
        "raw": None,
        "problem": None,
    }


def test_a_publish_list_of_the_wrong_type_or_empty():
    wrong = {"present": True, "type": "REG_SZ", "data": "contoso.com", "problem": "is REG_SZ"}
    assert decode_publish_list(wrong)["valid"] is False
    assert decode_publish_list(wrong)["raw"] == "contoso.com"
    empty = describe({"DnsDomainPublishList": "REG_MULTI_SZ"}, {"DnsDomainPublishList": None})
    assert empty["publish_list"]["entries"] == []
    assert empty["publish_list"]["valid"] is True


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
@pytest.mark.reliability("untrusted_responses")
def test_no_publish_list_text_ever_raises(raw):
    entry = {"present": True, "type": "REG_MULTI_SZ", "data": raw, "problem": None}
    decoded = decode_publish_list(entry)
    assert decoded["raw"] == raw
    if decoded["valid"]:
        assert decoded["problem"] is None
        assert len(decoded["entries"]) <= len(raw)
    else:
        assert decoded["entries"] is None
        assert decoded["problem"].startswith("DnsDomainPublishList[")


# Facts and rules ---------------------------------------------------------------------------------
def test_grace_minutes_become_days_and_an_expiry():
    assert grace_facts(14400, NOW) == {
        "grace_minutes": 14400,
        "grace_days": 10.0,
        "grace_expires": "2026-12-01T10:08:00Z",
    }
    assert grace_facts(0, NOW) == {"grace_minutes": 0, "grace_days": None, "grace_expires": None}
    assert hresult_info(0) is None
    assert hresult_info(None) is None
    assert host_name("kms1.corp.") == "kms1.corp"
    assert host_name(None) is None


def product(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "Windows(R), Professional edition",
        "licensed": True,
        "license_status": 1,
        "license_status_name": "Licensed",
        "license_status_reason": None,
        "grace_minutes": 0,
        "grace_days": None,
        "grace_expires": None,
        "is_kms_host": False,
        "current_count": None,
        "required_count": None,
    }
    return {**base, **overrides}


def facts(windows: dict[str, Any] | None, **overrides: Any) -> dict[str, Any]:
    base = {
        "windows": windows,
        "windows_problem": None,
        "is_kms_host": False,
        "office": [],
        "registry": describe({}, {}),
        "events": {"problem": None},
    }
    return {**base, **overrides}


def found(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["code"], item["severity"]) for item in items]


def test_the_rules_for_products():
    assert assess(facts(product()), [], 15) == []
    assert found(assess(facts(None), [], 15)) == [("no_windows_key", "error")]
    expired = product(
        licensed=False,
        license_status=5,
        license_status_name="Notification",
        license_status_reason="0xC004F074",
    )
    [item] = assess(facts(expired), [], 15)
    assert (item["code"], item["severity"]) == ("not_activated", "error")
    assert item["hresult"]["symbol"] == "SL_E_VL_BINDING_SERVICE_UNAVAILABLE"
    renewing = product(grace_minutes=15 * 1440 - 1, grace_days=15.0, grace_expires="x")
    assert found(assess(facts(renewing), [], 15)) == [("grace_expiring", "error")]
    assert assess(facts(renewing), [], 14) == []
    host = product(
        is_kms_host=True,
        licensed=False,
        license_status=2,
        license_status_name="OOBGrace",
        current_count=3,
        required_count=5,
    )
    assert found(assess(facts(host), [], 0)) == [
        ("not_activated", "warning"),
        ("kms_host_not_activated", "error"),
        ("kms_below_threshold", "warning"),
    ]


def test_the_rules_for_the_registry_and_events():
    section = describe(
        {"DnsDomainPublishList": "REG_MULTI_SZ", "VLActivationInterval": "REG_DWORD"},
        {"DnsDomainPublishList": ["a b c"], "VLActivationInterval": 5},
    )
    failing = [{"domain": "b.test", "time": "t", "hresult": "0x8007232B"}]
    on_host = facts(product(), registry=section, events={"problem": "denied"}, is_kms_host=True)
    items = assess(on_host, failing, 15)
    assert found(items) == [
        ("publish_list_invalid", "error"),
        ("registry_value_invalid", "warning"),
        ("events_unavailable", "warning"),
        ("kms_publish_failed", "error"),
    ]
    assert items[3]["hresult"]["code"] == "0x8007232B"
    [debris] = assess(facts(product(), registry=section), [], 15)[:1]
    assert (debris["code"], debris["severity"]) == ("publish_list_invalid", "warning")
    assert "not a KMS host, so nothing reads it" in debris["message"]
    assert items[3]["subject"] == "b.test"


def test_two_keyed_windows_rows_are_reported_not_guessed():
    def windows_row(row_id: str, status: int) -> Product:
        return Product.from_row(
            {
                "ID": row_id,
                "Name": f"Windows(R), {row_id} edition",
                "ApplicationID": WINDOWS_APP_ID,
                "PartialProductKey": "T83GX",
                "ProductKeyChannel": "Volume:GVLK",
                "LicenseIsAddon": False,
                "LicenseStatus": status,
            }
        )

    windows, problem, office, others = _products(
        [windows_row("Professional", 0), windows_row("Enterprise", 5)], NOW
    )
    assert windows is None
    assert problem.startswith("2 Windows products have a key installed and 0 of them are licensed")
    assert office == []
    assert [p["id"] for p in others] == ["Professional", "Enterprise"]
    items = assess(facts(None, windows_problem=problem, other_products=others), [], 15)
    assert found(items) == [("windows_product_ambiguous", "error")]


def test_options_are_checked_before_anything_is_sent():
    assert Options.from_args({}) == Options(True, 30, 100, 15)
    with pytest.raises(KmsInputError, match="event_days: 0 is not a whole number from 1 to 3650"):
        Options.from_args({"event_days": 0})
    with pytest.raises(KmsInputError, match="grace_warning_days"):
        Options.from_args({"grace_warning_days": True})


# The whole read, against a lab machine ------------------------------------------------------------
def session_for(machine) -> CimSession:
    service = WsmanService(machine.fqdn, ModelProvider(machine))

    def send(xml: str, **_: object) -> bytes:
        return service.handle(xml.encode(), alias=machine.fqdn, endpoint="http://lab/wsman")[1]

    return CimSession(send)


def office_row(machine, partial: str) -> dict[str, Any]:
    """The Office row that holds the key ending in ``partial``."""
    rows = machine.cim.instances("SoftwareLicensingProduct")
    return next(
        r for r in rows if r["ApplicationID"] == OFFICE_APP_ID and r["PartialProductKey"] == partial
    )


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    fleet = Fleet(zones=[CORP])
    host = fleet.add("kms1", "ws2022-standard", domain=CORP, license_packs=["office2021"])
    admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key, ["corp.lab.test, 0, 100"])
    office_host_key = fleet.keys.csvlk("office2021").key  # an Office KMS host too
    admin.install_key(host, office_host_key)
    assert admin.activate_product(host, office_row(host, office_host_key[-5:])["ID"]) == 0
    fleet.clock.advance(days=10)
    fleet.republish()
    client = fleet.add(
        "pc1", "win11-pro", domain=CORP, language="fr-FR", office=["office2021-proplus"]
    )
    admin.install_key(client, fleet.keys.for_image(KeyKind.GVLK, "win11-pro").key)
    admin.activate_windows(client)
    office_gvlk = fleet.keys.gvlk("Office LTSC 2021", "Office LTSC Professional Plus 2021").key
    admin.install_key(client, office_gvlk)
    assert admin.activate_product(client, office_row(client, office_gvlk[-5:])["ID"]) == 0xC004F038
    admin.call_service(client, "SetKeyManagementServiceLookupDomain", LookupDomain=CORP)
    client.registry.put(SPP_KEY, "KeyManagementServicePort", reg_sz("1688"))
    client.registry.put(SPP_KEY, "VLRenewalInterval", reg_dword(10080))
    client.registry.put(SPP_KEY, "DnsDomainPublishList", reg_multi_sz(["x,,"]))
    for machine in fleet:
        machine.journal.clear()
    return fleet


def test_a_kms_host_costs_five_requests_and_sees_only_its_window(fleet):
    host = fleet["kms1"]
    session = session_for(host)
    now = fleet.clock.now()
    info = gather(session, Options(event_days=5), now)
    assert session.requests == 5
    assert info["events"]["count"] == 3  # today's 12294, pc1's two 12290, not ten days ago's
    [office] = info["office"]
    assert (office["is_kms_host"], office["licensed"], office["channel"]) == (
        True,
        True,
        "Volume:CSVLK",
    )
    # Office keeps its own count (kms-facts §4.3); the lab gives every host row the machine's
    # threshold, so required_count is not asserted here.
    assert office["current_count"] == 1
    assert [(i["code"], i["subject"]) for i in info["attention"]] == [
        ("kms_below_threshold", "Windows(R), ServerStandard edition"),
        ("kms_below_threshold", office["name"]),
    ]
    wide = gather(session_for(host), Options(event_days=30), now)
    assert wide["events"]["summary"]["published"]["count"] == 2
    quiet = session_for(host)
    assert gather(quiet, Options(events=False), now)["events"]["queried"] is False
    assert quiet.requests == 4
    assert host.journal.writes == []


def test_a_french_client_is_read_without_its_caption_and_nothing_is_written(fleet):
    client = fleet["pc1"]
    session = session_for(client)
    info = gather(session, Options(), fleet.clock.now())
    assert session.requests == 7  # SLS, SLP, EnumValues, four values present
    assert info["kms_client"]["lookup_domain"] == CORP
    assert info["registry"]["kms_values"]["KeyManagementServiceLookupDomain"]["data"] == CORP
    assert info["edition"] == "Professional"
    assert info["windows"]["license_status_reason"] == "0xC004F038"
    assert info["registry"]["kms_values"]["VLRenewalInterval"]["data"] == 10080
    assert info["registry"]["publish_list"]["valid"] is False
    assert info["events"]["skipped_reason"].startswith("not a KMS host")
    [office] = info["office"]
    assert (office["application"], office["channel_kind"], office["license_status_name"]) == (
        "office",
        "gvlk",
        "OOBGrace",
    )
    assert office["license_status_reason"] == "0xC004F038"
    assert ("not_activated", office["name"]) in [
        (item["code"], item["subject"]) for item in info["attention"]
    ]
    assert client.journal.writes == []
    assert set(client.journal.calls) == {
        "enumerate SoftwareLicensingService",
        "enumerate SoftwareLicensingProduct",
        "invoke StdRegProv.EnumValues",
        "invoke StdRegProv.GetStringValue",
        "invoke StdRegProv.GetDWORDValue",
        "invoke StdRegProv.GetMultiStringValue",
    }


def test_how_each_product_was_activated_comes_in_the_same_requests(fleet):
    """The ADBA properties ride in the product query (MS-WMI81): pc1's Windows (Windows 11, not
    activated yet) reports them; a machine-wide activation type shows in kms_client once set."""
    client = fleet["pc1"]
    session = session_for(client)
    info = gather(session, Options(), fleet.clock.now())
    assert session.requests == 7  # as before: SLS, SLP, EnumValues, four values present
    windows = info["windows"]
    # below kms1's threshold: not licensed, so activated by nothing yet
    assert (windows["adba_available"], windows["licensed"], windows["activated_by"]) == (
        True,
        False,
        None,
    )
    assert (windows["activation_type"], windows["activation_object"]) == ("all", None)
    assert info["adba_available"] is True
    assert info["kms_client"]["activation_type"] == "all"
    admin.call_service(client, "SetVLActivationTypeEnabled", ActivationType=2)
    try:
        typed = session_for(client)
        again = gather(typed, Options(), fleet.clock.now())
        assert typed.requests == 8  # the machine-wide value exists now: one Get more
        assert again["kms_client"]["activation_type"] == "kms"
    finally:
        admin.call_service(client, "ClearVLActivationTypeEnabled")
        client.journal.clear()


def test_windows_7_reports_no_adba_without_asking():
    fleet = Fleet(zones=[CORP])
    host = fleet.add("kms1", "ws2022-standard", domain=CORP)
    admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key)
    old = fleet.add("pc7", "win7-enterprise", domain=CORP, initial_key=KeyKind.GVLK)
    service = WsmanService(old.fqdn, ModelProvider(old))
    sent: list[str] = []

    def send(xml: str, **_: object) -> bytes:
        sent.append(xml)
        return service.handle(xml.encode(), alias=old.fqdn, endpoint="http://lab/wsman")[1]

    info = gather(CimSession(send), Options(), fleet.clock.now())
    assert sent
    assert not any("VLActivationType" in xml or "ADActivation" in xml for xml in sent)
    assert info["adba_available"] is False
    assert info["windows"]["adba_available"] is False
    assert info["windows"]["activation_type"] is None
    assert info["kms_client"]["activation_type"] is None
    assert [call for call in old.journal.calls if "SoftwareLicensingProduct" in call] == [
        "enumerate SoftwareLicensingProduct"
    ]
