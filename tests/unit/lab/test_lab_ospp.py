"""The Office Software Protection Platform (kmslab/model/ospp.py; older-windows-office-adba §2):
which Office licenses where, its classes as ospp.vbs uses them, and KMS activation of its products
against a Windows KMS host that holds an Office host key (threshold 5, counted per application).
"""

from __future__ import annotations

import pytest
from kmslab.model import Fleet, KeyKind, LicenseStatus, Machine, admin
from kmslab.model.catalog import OFFICE_2010_APP_ID, OFFICE_APP_ID
from kmslab.model.cim_classes import SERVICE, SLP, SLS
from kmslab.model.errors import CimError, HResult, SppFault
from kmslab.model.images import IMAGES, OFFICE_SUITES
from kmslab.model.ospp import OSPP, OSPP_KEY, OSPS, PRODUCT_SCHEMAS, license_service
from kmslab.model.registry import HKEY_LOCAL_MACHINE, RegType
from kmslab.variants import Variants

CORP = "corp.lab.test"
OFFICE_2010_GVLK = "VYBBJ-TRJPB-QFQRF-QFT4D-H3GVB"  # Office Professional Plus 2010 (§3.2)
OFFICE_2013_GVLK = "YC7DK-G2NP3-2QQC3-J6H88-GVGXT"  # Office 2013 Professional Plus (§3.2)


@pytest.mark.parametrize(
    ("suite", "image", "stack"),
    [
        # KB 2870357: Office 2010 on Windows 8, 7, Vista -> OSPP; 2013 on 7 -> OSPP, on 8 -> SPP.
        ("office2010-proplus", "win7-enterprise", "ospp"),
        ("office2010-proplus", "win10-enterprise", "ospp"),
        ("office2010-standard", "ws2008r2-standard", "ospp"),
        ("office2013-proplus", "win7-pro", "ospp"),
        ("office2013-proplus", "win81-pro", "spp"),
        ("office2013-proplus", "win10-enterprise", "spp"),
        # OLicenseCleanup: GetVersionNT > 601 -> SPP, else OSPP (Office 2016 MSI).
        ("office2016-proplus", "win7-enterprise", "ospp"),
        ("office2016-proplus", "ws2022-standard", "spp"),
    ],
)
def test_which_office_licenses_through_ospp(suite: str, image: str, stack: str) -> None:
    assert license_service(OFFICE_SUITES[suite], IMAGES[image]) == stack
    machine = Fleet().add("pc1", image, office=[suite])
    assert (machine.ospp is not None) is (stack == "ospp")
    spp_office = [
        r for r in machine.cim.instances(SLP) if r["ApplicationID"] != admin.WINDOWS_APP_ID
    ]
    assert bool(spp_office) is (stack == "spp")


def test_office_2019_and_later_do_not_run_on_windows_7() -> None:
    with pytest.raises(ValueError, match="does not run on win7-pro"):
        Fleet().add("pc1", "win7-pro", office=["office2019-proplus"])


def test_the_classes_exist_only_with_ospp_and_its_service_is_osppsvc() -> None:
    fleet = Fleet()
    plain = fleet.add("pc0", "win7-enterprise")
    for cls in (OSPS, OSPP):
        with pytest.raises(CimError, match="OSPP is not installed"):
            plain.cim.instances(cls)
    assert [row["Name"] for row in plain.cim.instances(SERVICE)] == ["sppsvc"]
    office = fleet.add("pc1", "win7-enterprise", office=["office2010-proplus"])
    services = {row["Name"]: row for row in office.cim.instances(SERVICE)}
    assert services["osppsvc"]["DisplayName"] == "Office Software Protection Platform"
    assert services["osppsvc"]["State"] == "Running"
    # An OSPP call starts a stopped osppsvc, as SPP calls start sppsvc.
    office.osppsvc.stop_service()
    office.cim.instances(OSPS)
    assert office.osppsvc.running


def test_the_default_surface_is_what_ospp_vbs_names_spelled_as_it_spells_them() -> None:
    machine = Fleet().add("pc1", "win7-enterprise", office=["office2010-proplus"])
    rows = machine.cim.instances(OSPP)
    assert {tuple(sorted(row)) for row in rows} == {tuple(sorted(PRODUCT_SCHEMAS["ospp_vbs"]))}
    assert "ApplicationId" in rows[0]
    assert "LicenseFamily" not in rows[0]
    assert set(machine.cim.instances(OSPS)[0]) == {
        "ClientMachineID",
        "KeyManagementServiceHostCaching",
        "Version",
    }
    wide = Fleet(variants=Variants({"ospp_surface": "spp7"}))
    row = wide.add("pc2", "win7-enterprise", office=["office2010-proplus"]).cim.instances(OSPP)[0]
    assert row["ApplicationID"] == OFFICE_2010_APP_ID
    assert row["LicenseFamily"] in {"OfficeProPlus-MAK", "OfficeProPlus-KMS_Client"}


def _office_key(fleet: Fleet, machine: Machine, kind: KeyKind = KeyKind.MAK) -> str:
    suite = machine.office[0]
    if kind is KeyKind.GVLK:
        return fleet.keys.gvlk(suite.family, suite.edition).key
    return fleet.keys.lab_key(kind, suite.family, suite.edition).key


def test_keys_go_in_through_the_ospp_service_not_spp() -> None:
    fleet = Fleet()
    pc = fleet.add("pc1", "win7-enterprise", office=["office2010-proplus"])
    with pytest.raises(SppFault) as refused:  # no Office row in SPP on Windows 7
        admin.install_key(pc, OFFICE_2010_GVLK)
    assert refused.value.hresult == HResult.SL_E_PKEY_INVALID_CONFIG
    admin.install_office_key(pc, _office_key(fleet, pc))
    (row,) = admin.office_products(pc)
    assert (row["Name"], row["Description"]) == (
        "Office 14, OfficeProPlus-MAK edition",
        "Office 14, RETAIL(MAK) channel",
    )
    assert row["ApplicationId"] == OFFICE_2010_APP_ID
    admin.install_office_key(pc, OFFICE_2010_GVLK)  # replaces the MAK: one key per suite
    (row,) = admin.office_products(pc)
    assert row["Name"] == "Office 14, OfficeProPlus-KMS_Client edition"
    assert row["PartialProductKey"] == "H3GVB"
    with pytest.raises(SppFault) as other:  # the Standard GVLK on ProPlus: same family
        admin.install_office_key(pc, "V7QKV-4XVVR-XYV4D-F7DFM-8R6BM")
    assert other.value.hresult == HResult.SL_E_MISMATCHED_PRODUCT_SKU


def office_host(fleet: Fleet, image: str = "ws2008r2-standard", group: str = "office2010"):
    host = fleet.add("kms1", image, domain=CORP, license_packs=[group])
    windows_group = {"ws2008r2-standard": "ws2008r2-b", "win7-enterprise": "win7"}[image]
    assert admin.setup_kms_host(host, fleet.keys.csvlk(windows_group).key) == 0
    key = fleet.keys.csvlk(group).key
    admin.install_key(host, key)
    row = next(r for r in host.cim.instances(SLP) if r["PartialProductKey"] == key[-5:])
    assert admin.activate_product(host, str(row["ID"])) == 0
    admin.restart_sppsvc(host)
    return host, row


def office_client(fleet: Fleet, name: str, image: str = "win7-enterprise", **options: object):
    pc = fleet.add(name, image, domain=CORP, office=["office2010-proplus"], **options)
    admin.install_office_key(pc, OFFICE_2010_GVLK)
    return pc


def activate(pc: Machine) -> int:
    (row,) = admin.office_products(pc)
    return admin.activate_office(pc, str(row["ID"]))


def test_office_2010_activates_once_five_ospp_clients_counted_per_application() -> None:
    fleet = Fleet(zones=[CORP])
    host, host_row = office_host(fleet)
    assert host_row["ID"] == "bfe7a195-4f8f-4f0b-a622-cf13c7d16864"  # its activation ID (§3)
    assert host_row["ApplicationID"] == OFFICE_2010_APP_ID
    clients = [office_client(fleet, f"pc{n}") for n in range(5)]
    assert [activate(pc) for pc in clients] == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 4 + [0]
    assert activate(clients[0]) == 0  # counted 5 now: the first one's next attempt activates
    assert host.spp.current_count(OFFICE_2010_APP_ID) == 5
    assert host.spp.current_count(admin.WINDOWS_APP_ID) == 0  # Office's count is its own
    (row,) = admin.office_products(clients[0])
    assert row["LicenseStatus"] == LicenseStatus.LICENSED
    assert row["DiscoveredKeyManagementServiceMachineName"] == host.fqdn
    # OSPP asks with its own client machine ID (ospp.vbs /dcmid), not Windows'.
    assert admin.office_service(clients[0])["ClientMachineID"] != clients[0].cmid


def test_a_host_without_the_office_2010_key_refuses_office_2010_clients() -> None:
    fleet = Fleet(zones=[CORP])
    office_host(fleet, group="office2010")
    pc = fleet.add("pc1", "win7-enterprise", domain=CORP, office=["office2013-proplus"])
    admin.install_office_key(pc, OFFICE_2013_GVLK)
    assert activate(pc) == HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH


@pytest.mark.parametrize("scope", ["machine", "product"])
def test_a_kms_host_pinned_on_a_product_lands_where_the_variant_says(scope: str) -> None:
    fleet = Fleet(zones=[CORP], variants=Variants({"ospp_kms_host_scope": scope}))
    host, _row = office_host(fleet)
    pc = office_client(fleet, "pc1")
    (row,) = admin.office_products(pc)
    pc.cim.invoke(OSPP, "SetKeyManagementServiceMachine", {"ID": row["ID"]}, {"MachineName": "x"})
    pc.cim.invoke(OSPP, "SetKeyManagementServicePort", {"ID": row["ID"]}, {"PortNumber": "1690"})
    root = pc.registry.get(HKEY_LOCAL_MACHINE, OSPP_KEY, "KeyManagementServiceName")
    if scope == "machine":  # OFF-TOOLS: /sethst writes the OSPP root, REG_SZ
        assert root is not None
        assert (root.type, root.data) == (RegType.REG_SZ, "x")
        port = pc.registry.get(HKEY_LOCAL_MACHINE, OSPP_KEY, "KeyManagementServicePort")
        assert (port.type, port.data) == (RegType.REG_SZ, "1690")
    else:
        assert root is None
        below = f"{OSPP_KEY}\\{OFFICE_2010_APP_ID}\\{row['ID']}"
        assert pc.registry.get(HKEY_LOCAL_MACHINE, below, "KeyManagementServiceName") is not None
    (row,) = admin.office_products(pc)
    assert (row["KeyManagementServiceMachine"], row["KeyManagementServicePort"]) == ("x", 1690)
    # Windows' own setting is untouched; the pin survives an osppsvc restart.
    assert admin.service(pc)["KeyManagementServiceMachine"] is None
    pc.osppsvc.stop_service()
    pc.osppsvc.start_service()
    (row,) = admin.office_products(pc)
    assert row["KeyManagementServiceMachine"] == "x"
    assert host is not None


def test_a_pinned_host_is_the_only_candidate_and_unknown_names_fail_with_0xc004f074() -> None:
    fleet = Fleet(zones=[CORP])
    host, _row = office_host(fleet)
    pc = office_client(fleet, "pc1")
    (row,) = admin.office_products(pc)
    pc.cim.invoke(OSPP, "SetKeyManagementServiceMachine", {"ID": row["ID"]}, {"MachineName": "no"})
    assert activate(pc) == HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
    pc.cim.invoke(
        OSPP, "SetKeyManagementServiceMachine", {"ID": row["ID"]}, {"MachineName": host.fqdn}
    )
    assert activate(pc) == HResult.SL_E_VL_NOT_ENOUGH_COUNT


def test_host_caching_is_the_services_and_install_license_knows_no_ospp_file() -> None:
    pc = Fleet().add("pc1", "win7-enterprise", office=["office2010-proplus"])
    version = admin.office_service(pc)["Version"]
    pc.cim.invoke(OSPS, "DisableKeyManagementServiceHostCaching", {"Version": version},
                  {"DisableCaching": "true"})  # fmt: skip
    assert admin.office_service(pc)["KeyManagementServiceHostCaching"] is False
    with pytest.raises(SppFault) as refused:
        pc.cim.invoke(OSPS, "InstallLicense", {"Version": version}, {"License": "<x/>"})
    assert refused.value.hresult == HResult.E_INVALIDARG
    assert [w.method for w in pc.journal.writes] == [
        "DisableKeyManagementServiceHostCaching",
        "InstallLicense",
    ]


def test_background_attempts_reach_ospp_products_too() -> None:
    fleet = Fleet(zones=[CORP])
    office_host(fleet)
    clients = [office_client(fleet, f"pc{n}") for n in range(5)]
    for pc in clients:
        activate(pc)
    fleet.advance(hours=3, background=True)
    statuses = {admin.office_products(pc)[0]["LicenseStatus"] for pc in clients}
    assert statuses == {LicenseStatus.LICENSED}


def test_office_2013_on_windows_8_and_later_stays_in_spp() -> None:
    fleet = Fleet()
    pc = fleet.add("pc1", "win10-enterprise", office=["office2013-proplus"])
    admin.install_key(pc, OFFICE_2013_GVLK)
    rows = [r for r in pc.cim.instances(SLP) if r["PartialProductKey"] == "GVGXT"]
    assert [(r["ApplicationID"], r["LicenseFamily"]) for r in rows] == [
        (OFFICE_APP_ID, "OfficeProPlusVL_KMS_Client")
    ]
    assert pc.ospp is None
    assert pc.cim.instances(SLS)[0]["Version"].startswith("10.0.")
