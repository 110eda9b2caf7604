"""KMS activation, client and host side (kms-facts §2.4, §2.7, §2.9, §4.2, §4.4)."""

from __future__ import annotations

import pytest
from kmslab.model import Fleet, KeyKind, LicenseStatus, Machine, admin
from kmslab.model.cim_classes import SLP
from kmslab.model.errors import HResult
from kmslab.model.events import KMS_CLIENT_REQUEST, KMS_REQUEST_SENT, KMS_RESPONSE_RECEIVED

MINUTES_180_DAYS = 180 * 24 * 60


def kms_fleet(
    group: str = "ws2022", image: str = "ws2022-standard", *, activate_host: bool = True
) -> tuple[Fleet, Machine]:
    fleet = Fleet()
    host = fleet.add("kms1", image)
    admin.install_key(host, fleet.keys.csvlk(group).key)
    if activate_host:
        assert admin.activate_windows(host) == 0
    admin.set_firewall_rule(host, enabled=True)
    admin.restart_sppsvc(host)
    return fleet, host


def client(fleet: Fleet, name: str, image: str = "win11-enterprise", **options: object) -> Machine:
    machine = fleet.add(name, image, **options)
    admin.install_key(machine, fleet.keys.for_image(KeyKind.GVLK, image).key)
    return machine


def licensed_servers(fleet: Fleet, count: int = 5) -> list[Machine]:
    """``count`` servers, each activated (the first four need a second attempt)."""
    servers = [client(fleet, f"srv{n}", "ws2022-standard") for n in range(count)]
    for server in servers + servers:
        admin.activate_windows(server)
    assert {product(server)["LicenseStatus"] for server in servers} == {LicenseStatus.LICENSED}
    return servers


def product(machine: Machine) -> dict[str, object]:
    row = admin.windows_product(machine)
    assert row is not None
    return row


def test_without_any_srv_record_activation_fails_with_dns_name_error() -> None:
    fleet = Fleet()
    pc = client(fleet, "pc1")
    assert admin.activate_windows(pc) == HResult.DNS_ERROR_RCODE_NAME_ERROR
    assert product(pc)["LicenseStatusReason"] == HResult.DNS_ERROR_RCODE_NAME_ERROR
    assert [event.event_id for event in pc.events.events] == [KMS_REQUEST_SENT]


def test_a_pinned_host_that_does_not_exist_is_unreachable() -> None:
    fleet = Fleet()
    pc = client(fleet, "pc1")
    admin.call_service(pc, "SetKeyManagementServiceMachine", MachineName="ghost.lab.test")
    assert admin.activate_windows(pc) == HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
    assert pc.events.find(KMS_REQUEST_SENT)[0].get("KmsHost") == "ghost.lab.test:1688"


def test_a_disabled_firewall_rule_makes_the_host_unreachable() -> None:
    fleet, host = kms_fleet(group="ws2022")
    pc = client(fleet, "pc1")
    admin.set_firewall_rule(host, enabled=False)
    assert (
        fleet.unreachable_reason("kms1.lab.test", 1688) == "kms1.lab.test: firewall blocks TCP 1688"
    )
    assert admin.activate_windows(pc) == HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
    assert host.events.find(KMS_CLIENT_REQUEST) == []


def test_the_wrong_port_is_unreachable() -> None:
    fleet, _host = kms_fleet()
    pc = client(fleet, "pc1")
    admin.call_service(pc, "SetKeyManagementServiceMachine", MachineName="kms1")
    admin.call_service(pc, "SetKeyManagementServicePort", PortNumber=1689)
    assert admin.activate_windows(pc) == HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
    admin.call_service(pc, "ClearKeyManagementServicePort")
    assert admin.activate_windows(pc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT  # reached: 1 of 25


def test_a_host_whose_key_is_not_activated_answers_not_activated() -> None:
    fleet, host = kms_fleet(activate_host=False)
    pc = client(fleet, "pc1")
    assert admin.activate_windows(pc) == HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED
    service = admin.service(host)
    assert service["KeyManagementServiceFailedRequests"] == 1
    assert service["KeyManagementServiceTotalRequests"] == 1
    assert service["KeyManagementServiceCurrentCount"] == 0  # refused requests are not counted


def test_a_host_whose_key_group_cannot_activate_the_edition_answers_id_mismatch() -> None:
    fleet, host = kms_fleet(group="ws2019", image="ws2019-standard")  # no Windows 11 (§4.2)
    pc = client(fleet, "pc1", "win11-enterprise")
    assert admin.activate_windows(pc) == HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH
    ltsc = client(fleet, "pc2", "win10-ltsc2021")
    assert admin.activate_windows(ltsc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 1


def test_server_clients_need_a_count_of_five_including_themselves() -> None:
    fleet, host = kms_fleet()
    servers = [client(fleet, f"srv{n}", "ws2022-datacenter") for n in range(5)]
    results = [admin.activate_windows(server) for server in servers]
    assert results == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 4 + [0]
    assert product(servers[0])["RequiredClientCount"] == 5
    assert [admin.activate_windows(server) for server in servers[:4]] == [0, 0, 0, 0]
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 5
    counts = [event.get("CurrentCount") for event in host.events.find(KMS_CLIENT_REQUEST)]
    assert counts == ["1", "2", "3", "4", "5", "5", "5", "5", "5"]
    response = servers[0].events.find(KMS_RESPONSE_RECEIVED)[-1]
    assert (response.get("ActivationFlag"), response.get("CurrentCount")) == ("1", "5")


def test_servers_and_clients_share_one_windows_count() -> None:
    fleet, host = kms_fleet()
    licensed_servers(fleet, 8)
    pcs = [client(fleet, f"pc{n}") for n in range(17)]
    results = [admin.activate_windows(pc) for pc in pcs]
    assert results == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 16 + [0]
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 25


def test_a_server_only_host_keeps_ten_cmids() -> None:
    fleet, host = kms_fleet()
    licensed_servers(fleet, 12)
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 10


def test_office_has_its_own_count_with_threshold_five_and_at_most_ten() -> None:
    fleet, host = kms_fleet()
    admin.install_license_pack(host, "office2021")  # slmgr /ilc of the pack's files
    admin.install_key(host, fleet.keys.csvlk("office2021").key)
    office_row = next(
        row
        for row in host.cim.instances(SLP)
        if row["LicenseFamily"] == "Office21KMSHost2021VL_KMS_Host"
    )
    assert admin.activate_product(host, str(office_row["ID"])) == 0
    gvlk = fleet.keys.gvlk("Office LTSC 2021", "Office LTSC Professional Plus 2021").key
    results = []
    for n in range(12):
        pc = fleet.add(f"pc{n}", "win11-enterprise", office=["office2021-proplus"], activated=True,
                       initial_key=KeyKind.GVLK)  # fmt: skip
        admin.install_key(pc, gvlk)
        office = next(row for row in pc.cim.instances(SLP) if row["PartialProductKey"] == gvlk[-5:])
        results.append(admin.activate_product(pc, str(office["ID"])))
    assert results == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 4 + [0] * 8
    office_host = next(row for row in host.cim.instances(SLP) if row["ID"] == office_row["ID"])
    assert office_host["KeyManagementServiceCurrentCount"] == 10
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 0  # Windows count untouched


def test_clones_with_one_cmid_keep_the_count_at_one() -> None:
    fleet, host = kms_fleet()
    clones = [client(fleet, f"clone{n}", "ws2022-standard", cmid="same-cmid") for n in range(6)]
    assert {admin.activate_windows(clone) for clone in clones} == {HResult.SL_E_VL_NOT_ENOUGH_COUNT}
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 1


def test_an_activation_lasts_180_days_then_out_of_tolerance_grace() -> None:
    fleet, _host = kms_fleet()
    first = licensed_servers(fleet)[-1]
    assert (product(first)["LicenseStatus"], product(first)["GracePeriodRemaining"]) == (
        LicenseStatus.LICENSED,
        MINUTES_180_DAYS,
    )
    fleet.advance(days=179)
    assert (product(first)["LicenseStatus"], product(first)["GracePeriodRemaining"]) == (1, 1440)
    fleet.advance(days=1)
    assert (product(first)["LicenseStatus"], product(first)["GracePeriodRemaining"]) == (
        LicenseStatus.OOT_GRACE,
        30 * 24 * 60,
    )


def test_weekly_renewals_keep_clients_licensed_and_the_count_alive() -> None:
    fleet, host = kms_fleet()
    servers = licensed_servers(fleet)
    for _week in range(30):  # 210 days, a renewal attempt every 7 days (§2.9)
        fleet.advance(days=7, background=True)
    assert {product(server)["LicenseStatus"] for server in servers} == {LicenseStatus.LICENSED}
    assert product(servers[0])["GracePeriodRemaining"] == MINUTES_180_DAYS
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 5


def test_the_host_forgets_clients_after_thirty_days() -> None:
    fleet, host = kms_fleet()
    servers = licensed_servers(fleet)
    fleet.advance(days=29)
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 5
    fleet.advance(days=1)
    assert admin.service(host)["KeyManagementServiceCurrentCount"] == 0
    assert admin.activate_windows(servers[0]) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
    assert product(servers[0])["LicenseStatus"] == 1  # a failed renewal leaves the license alone


def test_clients_adopt_the_hosts_effective_intervals() -> None:
    fleet, host = kms_fleet()
    admin.call_service(host, "SetVLActivationInterval", ActivationInterval=60)
    admin.call_service(host, "SetVLRenewalInterval", RenewalInterval=1440)
    pc = client(fleet, "pc1")
    admin.activate_windows(pc)
    # Not yet: the host hands out its effective values until sppsvc restarts.
    assert (admin.service(pc)["VLActivationInterval"], admin.service(pc)["VLRenewalInterval"]) == (
        120,
        10080,
    )
    admin.restart_sppsvc(host)
    admin.activate_windows(pc)
    assert (admin.service(pc)["VLActivationInterval"], admin.service(pc)["VLRenewalInterval"]) == (
        60,
        1440,
    )
    assert (product(pc)["VLActivationInterval"], product(pc)["VLRenewalInterval"]) == (60, 1440)


def test_host_caching_reuses_the_last_host_and_can_be_turned_off() -> None:
    fleet, _host = kms_fleet()
    pc = client(fleet, "pc1")
    admin.activate_windows(pc)
    assert admin.service(pc)["DiscoveredKeyManagementServiceMachineName"] == "kms1.lab.test"
    fleet.dns.remove("lab.test")  # the SRV record disappears
    assert admin.activate_windows(pc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT  # cached host answered
    admin.call_service(pc, "DisableKeyManagementServiceHostCaching", DisableCaching=True)
    assert admin.service(pc)["KeyManagementServiceHostCaching"] is False
    assert admin.activate_windows(pc) == HResult.DNS_ERROR_RCODE_NAME_ERROR


def test_the_lookup_domain_and_the_suffix_search_list_decide_where_clients_look() -> None:
    fleet, _host = kms_fleet()
    elsewhere = client(fleet, "pc1", domain="branch.lab.test")
    assert admin.activate_windows(elsewhere) == HResult.DNS_ERROR_RCODE_NAME_ERROR
    admin.call_service(elsewhere, "SetKeyManagementServiceLookupDomain", LookupDomain="lab.test")
    assert admin.activate_windows(elsewhere) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
    searching = client(fleet, "pc2", domain="branch.lab.test", dns_search=["lab.test"])
    assert admin.activate_windows(searching) == HResult.SL_E_VL_NOT_ENOUGH_COUNT


def test_a_product_level_host_overrides_the_service_level_host() -> None:
    fleet, _host = kms_fleet()
    pc = client(fleet, "pc1")
    admin.call_service(pc, "SetKeyManagementServiceMachine", MachineName="ghost.lab.test")
    selector = {"ID": str(product(pc)["ID"])}
    pc.cim.invoke(SLP, "SetKeyManagementServiceMachine", selector, {"MachineName": "kms1.lab.test"})
    assert product(pc)["KeyManagementServiceMachine"] == "kms1.lab.test"
    assert admin.activate_windows(pc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT


def test_a_host_key_activates_at_most_six_hosts_each_ten_times() -> None:
    fleet = Fleet()
    key = fleet.keys.csvlk("ws2022", serial=7)
    hosts = [fleet.add(f"kms{n}", "ws2022-standard") for n in range(7)]
    results = []
    for host in hosts:
        admin.install_key(host, key.key)
        results.append(admin.activate_windows(host))
    assert results == [0] * 6 + [HResult.SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED]
    first = hosts[0]
    reactivations = []
    for _reinstall in range(10):  # the same host again after a reinstall: 9 reactivations (§2.9)
        admin.install_key(first, fleet.keys.for_image(KeyKind.RETAIL, "ws2022-standard").key)
        admin.install_key(first, key.key)
        reactivations.append(admin.activate_windows(first))
    assert reactivations == [0] * 9 + [HResult.SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED]
    assert fleet.authority.csvlk_usage(key) == (6, 15)
    second = hosts[1]  # another host keeps its own ten
    admin.install_key(second, fleet.keys.for_image(KeyKind.RETAIL, "ws2022-standard").key)
    admin.install_key(second, key.key)
    assert admin.activate_windows(second) == 0


def test_activating_an_already_activated_mak_does_not_ask_microsoft_again() -> None:
    fleet = Fleet()
    pc = fleet.add("pc1", "win11-pro", initial_key=KeyKind.MAK)
    assert admin.activate_windows(pc) == 0
    assert admin.activate_windows(pc) == 0
    assert len(fleet.authority.activations) == 1


def test_background_renewal_follows_the_renewal_interval() -> None:
    fleet, host = kms_fleet()
    servers = licensed_servers(fleet)
    requests = len(host.events.find(KMS_CLIENT_REQUEST))
    fleet.advance(days=6, background=True)
    assert len(host.events.find(KMS_CLIENT_REQUEST)) == requests  # renewal is every 7 days
    fleet.advance(days=1, background=True)
    assert len(host.events.find(KMS_CLIENT_REQUEST)) == requests + 5
    assert product(servers[0])["GracePeriodRemaining"] == MINUTES_180_DAYS


def test_background_attempts_retry_every_two_hours_until_activated() -> None:
    fleet, _host = kms_fleet()
    servers = [client(fleet, f"srv{n}", "ws2022-standard") for n in range(4)]
    for server in servers:
        assert admin.activate_windows(server) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
    late = client(fleet, "srv4", "ws2022-standard")
    assert admin.activate_windows(late) == 0
    fleet.advance(hours=1, background=True)
    assert product(servers[0])["LicenseStatus"] == LicenseStatus.OOB_GRACE
    fleet.advance(hours=1, background=True)
    assert {product(server)["LicenseStatus"] for server in servers} == {LicenseStatus.LICENSED}


@pytest.mark.parametrize("image", ["win10-ltsc2021", "win11-ltsc2024", "win10-pro"])
def test_the_2025_host_key_serves_every_client_in_its_row(image: str) -> None:
    fleet, _host = kms_fleet(group="ws2025", image="ws2025-standard")
    assert admin.activate_windows(client(fleet, "pc1", image)) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
