"""The CIM surface the front end serves: snapshots, counters, the write log, request errors and
injected faults."""

from __future__ import annotations

import pytest
from kmslab.model import CimError, CimErrorKind, Fleet, LabTimeout, SppFault, admin, snapshot
from kmslab.model.cim_classes import CLASSES, FIREWALL, OS, SERVICE, SLP, SLS, STANDARD_CIMV2
from kmslab.model.errors import HResult
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY

GVLK = "W269N-WFGWX-YVC9B-4J6C9-T83GX"


def test_every_instance_carries_exactly_the_properties_of_its_schema() -> None:
    fleet = Fleet()
    host = fleet.add(
        "kms1", "ws2022-standard", office=["office2021-proplus"], addon=True,
        license_packs=["office2016", "office2019", "office2021", "office2024"],
    )  # fmt: skip
    admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key)
    views = snapshot(host)
    for class_name, rows in views.items():
        schema = CLASSES[class_name.casefold()].schema
        assert rows
        for row in rows:
            assert set(row) == set(schema), class_name
    assert len(views["SoftwareLicensingProduct"]) == 13


def test_the_os_caption_is_localized_but_the_facts_that_matter_are_not() -> None:
    french = Fleet().add("pc1", "win11-pro", language="fr-FR").cim.instances(OS)[0]
    english = Fleet().add("pc1", "win11-pro").cim.instances(OS)[0]
    assert french["Caption"] == "Microsoft Windows 11 Professionnel"
    assert english["Caption"] == "Microsoft Windows 11 Pro"
    assert french["OSLanguage"] == 1036
    for name in ("BuildNumber", "OperatingSystemSKU", "ProductType", "Version"):
        assert french[name] == english[name]
    assert (french["BuildNumber"], french["OperatingSystemSKU"], french["ProductType"]) == (
        "22631",
        48,
        1,
    )
    server = Fleet().add("srv1", "ws2019-datacenter", language="es-ES").cim.instances(OS)[0]
    assert (server["OperatingSystemSKU"], server["ProductType"], server["Version"]) == (
        8,
        3,
        "10.0.17763",
    )


def test_edition_facts_are_in_the_registry_in_english() -> None:
    machine = Fleet().add("pc1", "win11-education", language="fr-FR")
    params = {
        "hDefKey": HKEY_LOCAL_MACHINE,
        "sSubKeyName": r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
        "sValueName": "EditionID",
    }
    assert (
        machine.cim.invoke("StdRegProv", "GetStringValue", params=params)["sValue"] == "Education"
    )


def test_reads_are_counted_and_never_written_to_the_log() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.journal.clear()
    admin.windows_product(machine)
    admin.service(machine)
    machine.cim.get(SERVICE, {"Name": "sppsvc"})
    params = {"hDefKey": HKEY_LOCAL_MACHINE, "sSubKeyName": SPP_KEY, "sValueName": "x"}
    machine.cim.invoke("StdRegProv", "GetStringValue", params=params)
    assert machine.journal.writes == []
    assert machine.journal.calls == {
        "enumerate SoftwareLicensingProduct": 1,
        "enumerate SoftwareLicensingService": 1,
        "get Win32_Service": 1,
        "invoke StdRegProv.GetStringValue": 1,
    }


def test_every_write_attempt_is_logged_with_keys_masked() -> None:
    fleet = Fleet()
    machine = fleet.add("pc1", "win11-pro")
    machine.journal.clear()
    admin.install_key(machine, GVLK)
    with pytest.raises(SppFault):
        admin.install_key(machine, "NPPR9-FWDCX-D2C8J-H872K-2YT43")
    admin.activate_windows(machine)
    writes = machine.journal.writes
    assert [(w.target, w.method) for w in writes] == [
        (SLS, "InstallProductKey"),
        (SLS, "InstallProductKey"),
        (SLP, "Activate"),
    ]
    assert writes[0].arg("ProductKey") == "XXXXX-XXXXX-XXXXX-XXXXX-T83GX"
    assert writes[0].outcome == "ReturnValue=0"
    assert writes[1].outcome == "HRESULT 0xC004F069 (SL_E_MISMATCHED_PRODUCT_SKU)"
    assert writes[2].selectors[0][0] == "ID"
    assert writes[2].outcome == "HRESULT 0x8007232B (DNS_ERROR_RCODE_NAME_ERROR)"
    assert all(GVLK not in repr(w) for w in writes)


def test_a_key_written_to_the_registry_is_masked_in_the_log_too() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    params = {
        "hDefKey": HKEY_LOCAL_MACHINE,
        "sSubKeyName": SPP_KEY,
        "sValueName": "Note",
        "sValue": f"key {GVLK}",
    }
    machine.cim.invoke("StdRegProv", "SetStringValue", params=params)
    assert machine.journal.writes[-1].arg("sValue") == "key XXXXX-XXXXX-XXXXX-XXXXX-T83GX"


def test_selectors_must_name_an_existing_instance_by_its_key() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    with pytest.raises(CimError) as no_selector:
        machine.cim.invoke(SLS, "RefreshLicenseStatus")
    assert no_selector.value.kind is CimErrorKind.INVALID_SELECTORS
    with pytest.raises(CimError) as wrong:
        machine.cim.invoke(SLP, "Activate", {"ID": "00000000-0000-0000-0000-000000000000"})
    assert wrong.value.kind is CimErrorKind.NO_SUCH_INSTANCE
    version = admin.service(machine)["Version"]
    assert machine.cim.get(SLS, {"Version": str(version)})["Version"] == "10.0.22631.1"


def test_unknown_classes_methods_and_parameters_are_request_errors() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    cases = [
        (lambda: machine.cim.instances("Win32_Processa"), CimErrorKind.NO_SUCH_CLASS),
        (
            lambda: machine.cim.instances(FIREWALL, namespace="root/cimv2"),
            CimErrorKind.NO_SUCH_CLASS,
        ),
        (lambda: admin.call_service(machine, "Rearm"), CimErrorKind.NO_SUCH_METHOD),
        (lambda: admin.call_service(machine, "InstallProductKey"), CimErrorKind.INVALID_PARAMETER),
        (
            lambda: admin.call_service(machine, "InstallProductKey", ProductKey=GVLK, Extra=1),
            CimErrorKind.INVALID_PARAMETER,
        ),
        (
            lambda: admin.call_service(machine, "SetKeyManagementServicePort", PortNumber="x"),
            CimErrorKind.INVALID_PARAMETER,
        ),
    ]
    for action, kind in cases:
        with pytest.raises(CimError) as caught:
            action()
        assert caught.value.kind is kind


def test_parameters_arrive_as_wire_text_and_are_coerced() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    admin.restart_sppsvc(host)  # host settings need the KMS host role (kms-facts §2.6)
    admin.call_service(host, "SetKeyManagementServiceListeningPort", PortNumber="1690")
    admin.call_service(host, "DisableKeyManagementServiceDnsPublishing", DisablePublishing="true")
    admin.call_service(host, "EnableKeyManagementServiceLowPriority", EnableLowPriority="1")
    service = admin.service(host)
    assert (
        service["KeyManagementServiceListeningPort"],
        service["KeyManagementServiceDnsPublishing"],
        service["KeyManagementServiceLowPriority"],
    ) == (1690, False, True)


def test_an_injected_hresult_fails_the_method_the_chosen_number_of_times() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.faults.fail_method(SLS, "InstallProductKey", HResult.SL_E_LUA_ACCESSDENIED, times=1)
    with pytest.raises(SppFault) as caught:
        admin.install_key(machine, GVLK)
    assert caught.value.hresult == HResult.SL_E_LUA_ACCESSDENIED
    product = admin.windows_product(machine)
    assert product is not None
    assert product["PartialProductKey"] != "T83GX"  # nothing happened
    admin.install_key(machine, GVLK)
    product = admin.windows_product(machine)
    assert product is not None
    assert product["PartialProductKey"] == "T83GX"


def test_a_timeout_can_hit_before_or_after_the_method_ran() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.faults.timeout_method(SLS, "InstallProductKey", ran=False, times=1)
    with pytest.raises(LabTimeout) as before:
        admin.install_key(machine, GVLK)
    assert before.value.ran is False
    product = admin.windows_product(machine)
    assert product is not None
    assert product["PartialProductKey"] != "T83GX"
    machine.faults.timeout_method(SLS, "InstallProductKey", ran=True, times=1)
    with pytest.raises(LabTimeout) as after:
        admin.install_key(machine, GVLK)
    assert after.value.ran is True
    product = admin.windows_product(machine)
    assert product is not None
    assert product["PartialProductKey"] == "T83GX"  # it ran: re-read, don't blindly retry
    assert [w.outcome for w in machine.journal.writes[-2:]] == ["timeout", "timeout after running"]


def test_reads_and_whole_classes_can_be_made_to_fail() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.faults.fail_method(SLP, "Enumerate", HResult.E_ACCESSDENIED, times=1)
    with pytest.raises(SppFault):
        admin.windows_product(machine)
    assert admin.windows_product(machine) is not None
    machine.faults.fail_method(FIREWALL, "*", HResult.E_ACCESSDENIED)
    with pytest.raises(SppFault):
        admin.set_firewall_rule(machine, enabled=True)
    with pytest.raises(SppFault):
        machine.cim.instances(FIREWALL, STANDARD_CIMV2)


# older-windows-office-adba.md §7.2: CIM_PolicyRule's keys, as public WMI code addresses a rule.
RULE_KEYS = {
    "CreationClassName": "MSFT|FW|FirewallRule|SPPSVC-In-TCP",
    "PolicyRuleName": "",
    "SystemCreationClassName": "",
    "SystemName": "",
}


def test_the_kms_firewall_rule_is_served_and_toggled() -> None:
    machine = Fleet().add("kms1", "ws2022-standard")
    rule = machine.cim.get(FIREWALL, RULE_KEYS, STANDARD_CIMV2)
    assert (rule["DisplayName"], rule["Enabled"], rule["Direction"], rule["Action"]) == (
        "Key Management Service (TCP-In)",
        2,
        1,
        2,
    )
    assert {key: rule[key] for key in RULE_KEYS} == RULE_KEYS
    assert rule["InstanceID"] == "SPPSVC-In-TCP"
    assert "Name" not in rule  # not a property of the class (MS-NFR, §7.1)
    assert admin.set_firewall_rule(machine, enabled=True) == 0
    lower = {**RULE_KEYS, "CreationClassName": "msft|fw|firewallrule|sppsvc-in-tcp"}
    assert machine.cim.get(FIREWALL, lower)["Enabled"] == 1
    assert machine.journal.writes[-1].method == "Enable"
    assert dict(machine.journal.writes[-1].selectors) == RULE_KEYS


def test_the_firewall_rule_is_not_addressed_by_instance_id() -> None:
    # InstanceID is not a key of MSFT_NetFirewallRule (§7.2): a selector set naming it is refused.
    machine = Fleet().add("kms1", "ws2022-standard")
    with pytest.raises(CimError) as refused:
        machine.cim.invoke(
            FIREWALL, "Enable", {"InstanceID": "SPPSVC-In-TCP"}, None, STANDARD_CIMV2
        )
    assert refused.value.kind is CimErrorKind.INVALID_SELECTORS
