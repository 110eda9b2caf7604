"""KMS host and client settings: who may set them, registry types (kms-facts §2.2), configured vs
effective values around sppsvc restarts, and SRV publishing (§2.3, §2.4, §2.5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from kmslab.model import Fleet, Machine, SrvRecord, admin
from kmslab.model.errors import HResult, SppFault
from kmslab.model.events import SRV_PUBLISH_FAILED, SRV_PUBLISHED
from kmslab.model.registry import (
    HKEY_LOCAL_MACHINE,
    SPP_KEY,
    WBEM_E_TYPE_MISMATCH,
    RegType,
    reg_dword,
    reg_sz,
)
from kmslab.variants import Variants

HOST_ONLY = [
    ("SetKeyManagementServiceListeningPort", {"PortNumber": 1689}),
    ("ClearKeyManagementServiceListeningPort", {}),
    ("SetVLActivationInterval", {"ActivationInterval": 60}),
    ("SetVLRenewalInterval", {"RenewalInterval": 1440}),
    ("DisableKeyManagementServiceDnsPublishing", {"DisablePublishing": True}),
    ("EnableKeyManagementServiceLowPriority", {"EnableLowPriority": True}),
]


def host_fleet(**fleet_options: Any) -> tuple[Fleet, Machine]:
    fleet = Fleet(**fleet_options)
    host = fleet.add("kms1", "ws2022-standard")
    assert admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key) == 0
    return fleet, host


def registry_value(machine: Machine, name: str, method: str) -> dict[str, object]:
    params = {"hDefKey": HKEY_LOCAL_MACHINE, "sSubKeyName": SPP_KEY, "sValueName": name}
    return machine.cim.invoke("StdRegProv", method, params=params)


@pytest.mark.parametrize(("method", "params"), HOST_ONLY)
def test_host_settings_fail_on_a_machine_that_is_not_a_kms_host(
    method: str, params: dict[str, object]
) -> None:
    machine = Fleet().add("pc1", "ws2022-standard")
    with pytest.raises(SppFault) as caught:
        admin.call_service(machine, method, **params)
    assert caught.value.hresult == HResult.SL_E_NOT_SUPPORTED
    assert machine.registry.enum_values(HKEY_LOCAL_MACHINE, SPP_KEY)[1] == [
        "BackupProductKeyDefault"
    ]


def test_host_settings_are_written_with_the_documented_registry_types() -> None:
    _fleet, host = host_fleet()
    for method, params in HOST_ONLY:
        if method != "ClearKeyManagementServiceListeningPort":
            assert admin.call_service(host, method, **params) == {"ReturnValue": 0}
    port = registry_value(host, "KeyManagementServiceListeningPort", "GetStringValue")
    assert port == {"ReturnValue": 0, "sValue": "1689"}  # REG_SZ, not a DWORD
    as_dword = registry_value(host, "KeyManagementServiceListeningPort", "GetDWORDValue")
    assert as_dword["ReturnValue"] == WBEM_E_TYPE_MISMATCH
    dwords = {
        name: registry_value(host, name, "GetDWORDValue")["uValue"]
        for name in (
            "VLActivationInterval",
            "VLRenewalInterval",
            "DisableDnsPublishing",
            "EnableKmsLowPriority",
        )
    }
    assert dwords == {
        "VLActivationInterval": 60,
        "VLRenewalInterval": 1440,
        "DisableDnsPublishing": 1,
        "EnableKmsLowPriority": 1,
    }


def test_host_settings_show_at_once_but_take_effect_when_sppsvc_restarts() -> None:
    fleet, host = host_fleet()
    admin.call_service(host, "SetKeyManagementServiceListeningPort", PortNumber=1689)
    admin.call_service(host, "EnableKeyManagementServiceLowPriority", EnableLowPriority=True)
    service = admin.service(host)
    assert (
        service["KeyManagementServiceListeningPort"],
        service["KeyManagementServiceLowPriority"],
    ) == (
        1689,
        True,
    )
    assert fleet.unreachable_reason("kms1.lab.test", 1688) is None  # still serving on 1688
    admin.restart_sppsvc(host)
    assert fleet.unreachable_reason("kms1.lab.test", 1688) == (
        "kms1.lab.test: KMS listens on 1689, not 1688"
    )
    # The built-in rule only admits TCP 1688 (wsman-wire §4.6): a new port needs its own rule.
    assert (
        fleet.unreachable_reason("kms1.lab.test", 1689) == "kms1.lab.test: firewall blocks TCP 1689"
    )
    host.firewall.allow_port(1689)
    assert fleet.unreachable_reason("kms1.lab.test", 1689) is None
    assert [r.port for r in fleet.dns.records("lab.test")] == [1689]  # republished on start


def test_clearing_the_listening_port_deletes_the_value_and_reports_1688() -> None:
    _fleet, host = host_fleet()
    admin.call_service(host, "SetKeyManagementServiceListeningPort", PortNumber=1700)
    admin.call_service(host, "ClearKeyManagementServiceListeningPort")
    # The value is gone from an existing key: 1 under registry_missing_value's default (§6).
    assert registry_value(host, "KeyManagementServiceListeningPort", "GetStringValue") == {
        "ReturnValue": 1,
        "sValue": None,
    }
    assert admin.service(host)["KeyManagementServiceListeningPort"] == 1688


@pytest.mark.parametrize(
    ("method", "name", "value", "accepted"),
    [
        ("SetVLActivationInterval", "ActivationInterval", 14, False),
        ("SetVLActivationInterval", "ActivationInterval", 15, True),
        ("SetVLRenewalInterval", "RenewalInterval", 43200, True),
        ("SetVLRenewalInterval", "RenewalInterval", 43201, False),
        ("SetKeyManagementServiceListeningPort", "PortNumber", 0, False),
        ("SetKeyManagementServiceListeningPort", "PortNumber", 65535, True),
    ],
)
def test_intervals_and_ports_are_range_checked(
    method: str, name: str, value: int, accepted: bool
) -> None:
    _fleet, host = host_fleet()
    if accepted:
        assert admin.call_service(host, method, **{name: value}) == {"ReturnValue": 0}
        return
    with pytest.raises(SppFault) as caught:
        admin.call_service(host, method, **{name: value})
    assert caught.value.hresult == HResult.E_INVALIDARG


def test_client_settings_write_reg_sz_values_and_clear_them() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    admin.call_service(machine, "SetKeyManagementServiceMachine", MachineName="kms1.lab.test")
    admin.call_service(machine, "SetKeyManagementServicePort", PortNumber=1689)
    admin.call_service(machine, "SetKeyManagementServiceLookupDomain", LookupDomain="lab.test")
    service = admin.service(machine)
    assert (
        service["KeyManagementServiceMachine"],
        service["KeyManagementServicePort"],
        service["KeyManagementServiceLookupDomain"],
    ) == ("kms1.lab.test", 1689, "lab.test")
    assert registry_value(machine, "KeyManagementServicePort", "GetStringValue")["sValue"] == "1689"
    assert registry_value(machine, "KeyManagementServiceName", "GetStringValue")["sValue"] == (
        "kms1.lab.test"
    )
    for method in (
        "ClearKeyManagementServiceMachine",
        "ClearKeyManagementServicePort",
        "ClearKeyManagementServiceLookupDomain",
    ):
        admin.call_service(machine, method)
    service = admin.service(machine)
    assert (
        service["KeyManagementServiceMachine"],
        service["KeyManagementServicePort"],
        service["KeyManagementServiceLookupDomain"],
    ) == (None, 0, None)
    name = registry_value(machine, "KeyManagementServiceName", "GetStringValue")
    assert name["ReturnValue"] == 1  # a missing value (registry_missing_value's default)


def test_an_empty_machine_name_is_refused() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    with pytest.raises(SppFault) as caught:
        admin.call_service(machine, "SetKeyManagementServiceMachine", MachineName=" ")
    assert caught.value.hresult == HResult.E_INVALIDARG


def test_registry_drift_shows_only_after_sppsvc_restarts() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.registry.put(SPP_KEY, "KeyManagementServiceName", reg_sz("drifted.lab.test"))
    assert admin.service(machine)["KeyManagementServiceMachine"] is None
    admin.restart_sppsvc(machine)
    assert admin.service(machine)["KeyManagementServiceMachine"] == "drifted.lab.test"


def test_a_port_written_as_a_dword_is_ignored_by_sppsvc() -> None:
    fleet, host = host_fleet()
    host.registry.put(SPP_KEY, "KeyManagementServiceListeningPort", reg_dword(1689))
    admin.restart_sppsvc(host)
    assert admin.service(host)["KeyManagementServiceListeningPort"] == 1688
    assert fleet.unreachable_reason("kms1.lab.test", 1688) is None


def test_a_host_publishes_its_home_domain_and_every_publish_list_entry() -> None:
    fleet = Fleet(zones=["lab.test", "branch.test", "other.test"])
    host = fleet.add("kms1", "ws2022-standard")
    entries = ["branch.test, 10, 50", "other.test", " lab.test ,5,20 "]
    assert admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key, entries) == 0
    assert fleet.dns.records("lab.test") == [SrvRecord("lab.test", "kms1.lab.test", 1688, 5, 20)]
    assert fleet.dns.records("branch.test") == [
        SrvRecord("branch.test", "kms1.lab.test", 1688, 10, 50)
    ]
    assert fleet.dns.records("other.test") == [SrvRecord("other.test", "kms1.lab.test", 1688, 0, 0)]
    published = host.events.find(SRV_PUBLISHED)
    assert [event.get("Domain") for event in published] == ["lab.test", "branch.test", "other.test"]
    assert published[0].log == "Application"


@pytest.mark.parametrize(
    ("variant", "home_records"),
    [("replaced", [(5, 20)]), ("kept", [(0, 0), (5, 20)])],
)
def test_a_listed_home_domain_follows_the_home_domain_record_variant(
    variant: str, home_records: list[tuple[int, int]]
) -> None:
    # kms-facts §2.3: "The KMS home domain is always used"; which numbers win when the list
    # names it too is unconfirmed, so the lab serves both forms.
    fleet = Fleet(
        zones=["lab.test", "branch.test"], variants=Variants({"home_domain_record": variant})
    )
    host = fleet.add("kms1", "ws2022-standard")
    entries = ["branch.test, 10, 50", "lab.test, 5, 20"]
    assert admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key, entries) == 0
    home = sorted((r.priority, r.weight) for r in fleet.dns.records("lab.test"))
    assert home == home_records
    assert fleet.dns.records("branch.test") == [
        SrvRecord("branch.test", "kms1.lab.test", 1688, 10, 50)
    ]
    published = [(e.get("Domain"), e.get("Priority")) for e in host.events.find(SRV_PUBLISHED)]
    assert published == [("lab.test", str(p)) for p, _w in home_records] + [("branch.test", "10")]
    # Republishing replaces the host's records of a domain as a whole: nothing piles up, and
    # taking the home domain off the list leaves only the 0/0 record under both forms.
    fleet.republish()
    assert sorted((r.priority, r.weight) for r in fleet.dns.records("lab.test")) == home_records
    admin.set_publish_list(host, ["branch.test, 10, 50"])
    admin.restart_sppsvc(host)
    assert fleet.dns.records("lab.test") == [SrvRecord("lab.test", "kms1.lab.test", 1688, 0, 0)]


@pytest.mark.parametrize("variant", ["replaced", "kept"])
def test_a_home_domain_listed_at_0_0_is_one_record(variant: str) -> None:
    fleet = Fleet(zones=["lab.test"], variants=Variants({"home_domain_record": variant}))
    host = fleet.add("kms1", "ws2022-standard")
    assert admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key, ["lab.test"]) == 0
    assert fleet.dns.records("lab.test") == [SrvRecord("lab.test", "kms1.lab.test", 1688, 0, 0)]


def test_publishing_failures_and_bad_entries_log_12293() -> None:
    fleet = Fleet(zones=["lab.test"])
    host = fleet.add("kms1", "ws2022-standard")
    entries = ["nowhere.test, 1, 1", "bad.test, high, 1", "big.test, 70000, 0"]
    admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key, entries)
    failed = host.events.find(SRV_PUBLISH_FAILED)
    assert [(event.get("Domain"), event.level) for event in failed] == [
        ("nowhere.test", "Error"),
        ("bad.test, high, 1", "Error"),
        ("big.test, 70000, 0", "Error"),
    ]
    assert [event.get("Domain") for event in host.events.find(SRV_PUBLISHED)] == ["lab.test"]


def test_a_host_with_publishing_disabled_publishes_nothing_after_restart() -> None:
    fleet, host = host_fleet()
    updates = len(fleet.dns.updates)
    admin.call_service(host, "DisableKeyManagementServiceDnsPublishing", DisablePublishing=True)
    assert admin.service(host)["KeyManagementServiceDnsPublishing"] is False
    admin.restart_sppsvc(host)
    assert len(fleet.dns.updates) == updates
    assert fleet.republish() == []


def test_publishing_and_discovery_go_through_the_injected_callables() -> None:
    sent: list[SrvRecord] = []

    def publish(records: Sequence[SrvRecord]) -> bool:
        sent.extend(records)
        return False

    def discover(domain: str) -> list[tuple[str, int, int, int]]:
        return [("kms1.lab.test", 1688, 0, 0)] if domain == "lab.test" else []

    fleet, host = host_fleet(publish=publish, discover=discover)
    assert sent == [SrvRecord("lab.test", "kms1.lab.test", 1688, 0, 0)]
    assert [event.get("Domain") for event in host.events.find(SRV_PUBLISH_FAILED)] == ["lab.test"]
    assert fleet.dns.records("lab.test") == []  # the in-memory DNS was bypassed
    pc = fleet.add("pc1", "ws2022-datacenter", initial_key=None)
    admin.install_key(pc, fleet.keys.gvlk("Windows Server 2022", "Datacenter").key)
    assert admin.activate_windows(pc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
    assert admin.service(pc)["DiscoveredKeyManagementServiceMachineName"] == "kms1.lab.test"


def test_publish_list_is_a_multi_string_in_the_registry() -> None:
    _fleet, host = host_fleet()
    assert admin.set_publish_list(host, ["lab.test, 1, 2"]) == 0
    stored = host.registry.get(HKEY_LOCAL_MACHINE, SPP_KEY, "DnsDomainPublishList")
    assert stored is not None
    assert (stored.type, stored.data) == (RegType.REG_MULTI_SZ, ("lab.test, 1, 2",))
