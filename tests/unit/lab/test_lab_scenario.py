"""The lab's acceptance scenario in pure Python: two KMS hosts publish into two domains with
different priorities and weights; 25 client-OS machines reach the threshold one by one; a disabled
firewall rule on the preferred host sends clients to the other."""

from __future__ import annotations

from kmslab.model import Fleet, KeyKind, LicenseStatus, Machine, SrvRecord, admin
from kmslab.model.errors import HResult
from kmslab.model.events import KMS_CLIENT_REQUEST, KMS_RESPONSE_RECEIVED, SRV_PUBLISHED

CORP = "corp.lab.test"
BRANCH = "branch.lab.test"


def build() -> tuple[Fleet, Machine, Machine, list[Machine]]:
    fleet = Fleet(zones=[CORP, BRANCH])
    kms1 = fleet.add("kms1", "ws2022-standard", domain=CORP)
    kms2 = fleet.add("kms2", "ws2019-datacenter", domain=CORP)
    host_key = fleet.keys.csvlk("ws2022").key  # one CSVLK on two hosts (of the six allowed)
    assert admin.setup_kms_host(kms1, host_key, [f"{CORP}, 0, 100", f"{BRANCH}, 10, 20"]) == 0
    assert admin.setup_kms_host(kms2, host_key, [f"{CORP}, 10, 50", f"{BRANCH}, 0, 80"]) == 0
    gvlk = fleet.keys.gvlk("Windows 11/10 (GA channel)", "Enterprise").key
    clients = []
    for n in range(25):
        # MAK, retail and OEM machines alike are turned into KMS clients.
        start = (KeyKind.MAK, KeyKind.RETAIL, KeyKind.OEM)[n % 3]
        pc = fleet.add(f"pc{n:02}", "win11-enterprise", domain=CORP, initial_key=start,
                       language="fr-FR" if n % 2 else "en-US")  # fmt: skip
        admin.install_key(pc, gvlk)
        clients.append(pc)
    return fleet, kms1, kms2, clients


def count(host: Machine) -> int:
    return int(admin.service(host)["KeyManagementServiceCurrentCount"])


def status(machine: Machine) -> int:
    product = admin.windows_product(machine)
    assert product is not None
    return int(product["LicenseStatus"])


def test_two_hosts_publish_into_two_domains_with_their_priority_and_weight() -> None:
    fleet, kms1, kms2, _clients = build()
    assert sorted(fleet.dns.records(CORP)) == [
        SrvRecord(CORP, "kms1.corp.lab.test", 1688, 0, 100),
        SrvRecord(CORP, "kms2.corp.lab.test", 1688, 10, 50),
    ]
    assert sorted(fleet.dns.records(BRANCH)) == [
        SrvRecord(BRANCH, "kms1.corp.lab.test", 1688, 10, 20),
        SrvRecord(BRANCH, "kms2.corp.lab.test", 1688, 0, 80),
    ]
    for host in (kms1, kms2):
        assert [e.get("Domain") for e in host.events.find(SRV_PUBLISHED)] == [CORP, BRANCH]


def test_the_count_climbs_to_the_threshold_then_everyone_activates() -> None:
    _fleet, kms1, kms2, clients = build()
    for n, pc in enumerate(clients[:24], start=1):
        assert admin.activate_windows(pc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
        assert count(kms1) == n
        seen = pc.events.find(KMS_RESPONSE_RECEIVED)[-1]
        assert (seen.get("ActivationFlag"), seen.get("CurrentCount")) == ("0", str(n))
        assert status(pc) == LicenseStatus.OOB_GRACE
    assert admin.activate_windows(clients[24]) == 0  # the 25th reaches the threshold
    assert count(kms1) == 25
    assert status(clients[24]) == LicenseStatus.LICENSED
    assert [admin.activate_windows(pc) for pc in clients[:24]] == [0] * 24
    assert {status(pc) for pc in clients} == {LicenseStatus.LICENSED}
    assert count(kms2) == 0  # priority 0 in corp.lab.test is kms1: nobody asked kms2
    assert admin.service(clients[0])["DiscoveredKeyManagementServiceMachineName"] == (
        "kms1.corp.lab.test"
    )


def test_a_disabled_firewall_rule_on_one_host_sends_clients_to_the_other() -> None:
    fleet, kms1, kms2, clients = build()
    for pc in clients + clients:
        admin.activate_windows(pc)
    requests_on_kms1 = len(kms1.events.find(KMS_CLIENT_REQUEST))
    assert admin.set_firewall_rule(kms1, enabled=False) == 0
    assert fleet.unreachable_reason("kms1.corp.lab.test", 1688) == (
        "kms1.corp.lab.test: firewall blocks TCP 1688"
    )
    results = [admin.activate_windows(pc) for pc in clients]  # renewals
    assert results == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 24 + [0]
    assert count(kms2) == 25
    assert len(kms1.events.find(KMS_CLIENT_REQUEST)) == requests_on_kms1
    assert admin.service(clients[0])["DiscoveredKeyManagementServiceMachineName"] == (
        "kms2.corp.lab.test"
    )
    # A failed renewal is not a lost license: all 25 stay activated.
    assert {status(pc) for pc in clients} == {LicenseStatus.LICENSED}


def test_the_clients_captions_differ_but_the_outcome_does_not() -> None:
    _fleet, _kms1, _kms2, clients = build()
    captions = {str(pc.cim.instances("Win32_OperatingSystem")[0]["Caption"]) for pc in clients}
    assert captions == {"Microsoft Windows 11 Enterprise", "Microsoft Windows 11 Entreprise"}
