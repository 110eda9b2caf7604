"""The lab's acceptance scenario, over the wire: WS-Management in, real DNS between machines.

Two KMS hosts publish into two domains with different priority and weight (``dig`` shows it);
24 client-OS clients fail with 0xC004F038 while the host's count climbs; the 25th reaches the
threshold and every client activates on its next attempt; a disabled firewall rule on the preferred
host sends clients to the other one.
"""

from __future__ import annotations

import pytest
import winrm
from kmslab.lab import LabShape, MachineShape
from kmslab.model.keys import KeyKind

from ansible_collections.volact.kms.plugins.module_utils.host.plan import host_products
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows import firewall as wmi_firewall
from ansible_collections.volact.kms.plugins.module_utils.windows import registry as wmi_registry
from ansible_collections.volact.kms.plugins.module_utils.windows import service as wmi_service
from ansible_collections.volact.kms.plugins.module_utils.windows import spp
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import Spp
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

CORP, BRANCH = "corp.lab.test", "branch.lab.test"
GVLK = ProductKey.parse("NPPR9-FWDCX-D2C8J-H872K-2YT43")  # Windows 10/11 Enterprise, published
CLIENTS = [f"pc{n:02d}" for n in range(1, 26)]
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("kms2", "ws2022-datacenter", CORP, role="kms_host"),
        *(
            MachineShape(name, "win11-enterprise", BRANCH, initial_key=KeyKind.MAK)
            for name in CLIENTS
        ),
    ),
    zones=(CORP, BRANCH),
)


def session(lab, name: str) -> CimSession:
    listener = lab.server.machine(lab.machine(name).fqdn)
    protocol = winrm.protocol.Protocol(
        listener.endpoint("http"),
        transport="basic",
        username="kmsadmin",
        password=lab.password,
        message_encryption="never",
    )

    def send(xml: str, **_: object) -> str:
        try:
            return protocol.transport.send_message(xml)
        except winrm.exceptions.WinRMTransportError as error:
            return error.response_text  # a WS-Man fault: the core reads its HRESULT

    return CimSession(send)


def make_host(lab, name: str, publish: list[str]) -> None:
    cim = session(lab, name)
    methods = Spp(cim, spp.read_service(cim).version)
    methods.install_product_key(ProductKey.parse(lab.host_key))
    # By its channel: IsKeyManagementServiceMachine may wait for the restart below.
    host = host_products(spp.read_products(cim))[0]
    methods.activate(host.id)
    wmi_registry.Registry(cim).set("DnsDomainPublishList", "REG_MULTI_SZ", publish)
    firewall(cim, "Enable")  # the built-in rule is off until someone turns it on
    wmi_service.restart(cim)


def firewall(cim: CimSession, method: str) -> None:
    # On the identity the host returns for the rule, not an InstanceID selector: InstanceID is no
    # key of MSFT_NetFirewallRule (older-windows-office-adba.md §7.2).
    rule = wmi_firewall.read_rule(cim)
    assert rule is not None
    wmi_firewall.set_enabled(cim, method == "Enable", rule)


def count(lab, host: str) -> int | None:
    return spp.read_service(session(lab, host)).current_count


def activate(lab, client: str) -> int:
    """One activation attempt; 0 on success, else the HRESULT."""
    cim = session(lab, client)
    product = spp.primary_windows_product(spp.read_products(cim))
    try:
        Spp(cim, spp.read_service(cim).version).activate(product.id)
    except WsmanFault as fault:
        return fault.hresult
    return 0


@pytest.fixture(scope="module")
def hosts(lab):
    make_host(lab, "kms1", [f"{BRANCH}, 10, 30"])
    make_host(lab, "kms2", [f"{BRANCH}, 20, 70"])
    for client in CLIENTS:
        cim = session(lab, client)
        Spp(cim, spp.read_service(cim).version).install_product_key(GVLK)
    return lab


def test_hosts_publish_home_domain_and_list_with_priority_and_weight(hosts):
    corp = hosts.bind.dig(f"_vlmcs._tcp.{CORP}", "SRV", "+short").split("\n")
    assert sorted(filter(None, corp)) == [
        f"0 0 1688 kms1.{CORP}.",
        f"0 0 1688 kms2.{CORP}.",
    ]
    branch = hosts.bind.dig(f"_vlmcs._tcp.{BRANCH}", "SRV", "+short").split("\n")
    assert sorted(filter(None, branch)) == [
        f"10 30 1688 kms1.{CORP}.",
        f"20 70 1688 kms2.{CORP}.",
    ]


def test_count_climbs_to_the_threshold_then_everyone_activates(hosts):
    # Clients in the branch domain try kms1 first (priority 10 beats 20, RFC 2782).
    for number, client in enumerate(CLIENTS[:24], start=1):
        assert activate(hosts, client) == 0xC004F038, client
        assert count(hosts, "kms1") == number
    assert count(hosts, "kms2") in (None, 0)
    assert activate(hosts, CLIENTS[24]) == 0
    assert count(hosts, "kms1") == 25
    for client in CLIENTS[:24]:
        assert activate(hosts, client) == 0, client
    licensed = [
        spp.primary_windows_product(spp.read_products(session(hosts, c))).licensed for c in CLIENTS
    ]
    assert all(licensed)


def test_a_closed_firewall_on_the_preferred_host_sends_clients_to_the_other(hosts):
    kms1 = session(hosts, "kms1")
    before = spp.read_service(kms1).requests["total"]
    kms2_before = spp.read_service(session(hosts, "kms2")).requests["total"] or 0
    firewall(kms1, "Disable")
    try:
        activate(hosts, CLIENTS[0])
        assert spp.read_service(kms1).requests["total"] == before
        assert spp.read_service(session(hosts, "kms2")).requests["total"] == kms2_before + 1
    finally:
        firewall(kms1, "Enable")
