"""InstallProductKey, UninstallProductKey, ClearProductKeyFromRegistry: which key fits which OS,
and what the SoftwareLicensingProduct rows show afterwards (kms-facts §2.6-§2.8, §4.2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kmslab.model import Fleet, KeyKind, Machine, admin
from kmslab.model.catalog import OFFICE_APP_ID, WINDOWS_APP_ID
from kmslab.model.cim_classes import SLP
from kmslab.model.errors import HResult, SppFault
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY
from kmslab.variants import Variants


def install_error(fleet: Fleet, image: str, key: str) -> int:
    machine = fleet.add(f"m{len(fleet)}", image)
    with pytest.raises(SppFault) as caught:
        admin.install_key(machine, key)
    return caught.value.hresult


def keyed_rows(machine: Machine) -> list[dict[str, object]]:
    rows = machine.cim.instances(SLP)
    return [row for row in rows if row["PartialProductKey"] is not None]


def test_a_gvlk_makes_the_machine_a_kms_client() -> None:
    fleet = Fleet()
    machine = fleet.add("srv1", "ws2022-standard")
    before = admin.windows_product(machine)
    assert before is not None
    assert before["ProductKeyChannel"] == "Retail"
    admin.install_key(machine, "VDYBN-27WPP-V4HQT-9VMD4-VMK7H")
    after = admin.windows_product(machine)
    assert after is not None
    assert after["ProductKeyChannel"] == "Volume:GVLK"
    assert after["Description"] == "Windows(R) Operating System, VOLUME_KMSCLIENT channel"
    assert after["Name"] == "Windows(R), ServerStandard edition"
    assert after["LicenseFamily"] == "ServerStandard"
    assert after["PartialProductKey"] == "VMK7H"
    assert after["LicenseStatus"] == 2  # out-of-box grace until activated
    assert after["ID"] != before["ID"]  # another SKU row: the retail row lost its key
    assert len(keyed_rows(machine)) == 1


@pytest.mark.parametrize(
    ("kind", "channel", "tag"),
    [
        (KeyKind.MAK, "Volume:MAK", "VOLUME_MAK"),
        (KeyKind.RETAIL, "Retail", "RETAIL"),
        (KeyKind.OEM, "OEM:DM", "OEM_DM"),
    ],
)
def test_mak_retail_and_oem_keys_land_in_their_channel(
    kind: KeyKind, channel: str, tag: str
) -> None:
    fleet = Fleet()
    machine = fleet.add("pc1", "win11-pro", initial_key=KeyKind.GVLK)
    admin.install_key(machine, fleet.keys.for_image(kind, "win11-pro").key)
    product = admin.windows_product(machine)
    assert product is not None
    assert (product["ProductKeyChannel"], product["Description"]) == (
        channel,
        f"Windows(R) Operating System, {tag} channel",
    )
    assert admin.activate_windows(machine) == 0
    activated = admin.windows_product(machine)
    assert activated is not None
    assert (activated["LicenseStatus"], activated["GracePeriodRemaining"]) == (1, 0)


@pytest.mark.parametrize(
    "key",
    [
        "VDYBN-27WPP-V4HQT-9VMD4-VMK7B",  # one character off: unknown
        "vdybn-27wpp-v4hqt-9vmd4-vmk7h",  # not normalised
        "VDYBN27WPPV4HQT9VMD4VMK7H",
        "",
    ],
)
def test_a_malformed_or_unknown_key_is_invalid(key: str) -> None:
    assert install_error(Fleet(), "ws2022-standard", key) == HResult.SL_E_INVALID_PRODUCT_KEY


def test_a_key_for_another_edition_of_the_same_product_is_a_sku_mismatch() -> None:
    fleet = Fleet()
    datacenter = fleet.keys.gvlk("Windows Server 2022", "Datacenter").key
    enterprise = fleet.keys.gvlk("Windows 11/10 (GA channel)", "Enterprise").key
    pro = fleet.keys.gvlk("Windows 11/10 (GA channel)", "Pro").key
    assert (
        install_error(fleet, "ws2022-standard", datacenter) == HResult.SL_E_MISMATCHED_PRODUCT_SKU
    )
    assert install_error(fleet, "win11-pro", enterprise) == HResult.SL_E_MISMATCHED_PRODUCT_SKU
    # No GVLK fits a Home or an evaluation edition (convert with DISM first, §3.3).
    assert install_error(fleet, "win11-home", pro) == HResult.SL_E_MISMATCHED_PRODUCT_SKU
    standard = fleet.keys.gvlk("Windows Server 2022", "Standard").key
    assert (
        install_error(fleet, "ws2022-standard-eval", standard)
        == HResult.SL_E_MISMATCHED_PRODUCT_SKU
    )


def test_a_key_for_another_product_is_invalid_for_this_product() -> None:
    fleet = Fleet()
    server_2019 = fleet.keys.gvlk("Windows Server 2019", "Standard").key
    office = fleet.keys.gvlk("Office LTSC 2021", "Office LTSC Professional Plus 2021").key
    assert install_error(fleet, "ws2022-standard", server_2019) == HResult.SL_E_PKEY_INVALID_CONFIG
    assert install_error(fleet, "win11-pro", office) == HResult.SL_E_PKEY_INVALID_CONFIG


@pytest.mark.parametrize("flag", ["immediate", "after_restart"])
def test_a_host_key_makes_a_kms_host_on_an_os_that_can_host_it(flag: str) -> None:
    # When IsKeyManagementServiceMachine turns 1 is the variant kms_flag_after_install: at
    # InstallProductKey, or only once sppsvc restarts (Microsoft's /ipk note, kms-facts §2.6).
    fleet = Fleet(variants=Variants({"kms_flag_after_install": flag}))
    host = fleet.add("kms1", "ws2019-standard")
    assert admin.service(host)["IsKeyManagementServiceMachine"] == 0
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    product = admin.windows_product(host)
    assert product is not None
    # The key is in under both values: the channel and the description say so at once.
    assert product["ProductKeyChannel"] == "Volume:CSVLK"
    assert product["Description"] == "Windows(R) Operating System, VOLUME_KMS_WS22 channel"
    at_once = int(flag == "immediate")
    assert product["IsKeyManagementServiceMachine"] == at_once
    service = admin.service(host)
    assert service["IsKeyManagementServiceMachine"] == at_once
    assert service["KeyManagementServiceListeningPort"] == 1688 * at_once
    assert service["RequiredClientCount"] == 25 * at_once
    assert service["KeyManagementServiceProductKeyID"] == product["ProductKeyID"]
    admin.restart_sppsvc(host)
    # After the restart Microsoft asks for, a KMS host under both values.
    product = admin.windows_product(host)
    assert product is not None
    assert product["IsKeyManagementServiceMachine"] == 1
    service = admin.service(host)
    assert service["IsKeyManagementServiceMachine"] == 1
    assert service["KeyManagementServiceListeningPort"] == 1688
    assert service["RequiredClientCount"] == 25
    assert service["KeyManagementServiceProductKeyID"] == product["ProductKeyID"]


@pytest.mark.parametrize("flag", ["immediate", "after_restart"])
def test_removing_the_host_key_clears_the_flag_at_once(flag: str) -> None:
    fleet = Fleet(variants=Variants({"kms_flag_after_install": flag}))
    host = fleet.add("kms1", "ws2022-standard")
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    admin.restart_sppsvc(host)
    assert admin.service(host)["IsKeyManagementServiceMachine"] == 1
    admin.install_key(host, fleet.keys.for_image(KeyKind.GVLK, "ws2022-standard").key)
    assert admin.service(host)["IsKeyManagementServiceMachine"] == 0  # no restart needed
    # A host key installed again waits for the next restart again (after_restart).
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    assert admin.service(host)["IsKeyManagementServiceMachine"] == int(flag == "immediate")


@pytest.mark.parametrize(
    ("image", "group", "expected"),
    [
        ("ws2016-standard", "ws2025", HResult.SL_E_PRODUCT_SKU_NOT_INSTALLED),  # key newer than OS
        ("ws2012r2-standard", "ws2022", HResult.SL_E_PRODUCT_SKU_NOT_INSTALLED),
        ("ws2022-standard", "ws2016", HResult.SL_E_INVALID_PRODUCT_KEY),  # key older than OS
        ("ws2025-standard", "ws2019", HResult.SL_E_INVALID_PRODUCT_KEY),
        ("ws2022-standard", "win10", HResult.SL_E_INVALID_PRODUCT_KEY),  # client key on a server
        ("win10-enterprise", "ws2022", HResult.SL_E_INVALID_PRODUCT_KEY),  # server key on a client
        ("win11-enterprise", "win10", HResult.SL_E_INVALID_PRODUCT_KEY),  # not in §4.2's host list
        ("ws2022-datacenter-azure", "ws2022", HResult.SL_E_INVALID_PRODUCT_KEY),  # §3.3
        ("ws2012r2-standard", "office2021", HResult.SL_E_PRODUCT_SKU_NOT_INSTALLED),  # §4.3 min OS
    ],
)
def test_a_host_key_on_an_os_that_cannot_host_it_fails(
    image: str, group: str, expected: int
) -> None:
    fleet = Fleet()
    assert install_error(fleet, image, fleet.keys.csvlk(group).key) == expected


@pytest.mark.parametrize(
    ("image", "group"),
    [
        ("ws2025-standard", "ws2025"),
        ("ws2019-datacenter", "ws2025"),
        ("ws2016-standard", "ws2022"),
        ("ws2012r2-standard", "ws2019"),
        ("ws2012r2-datacenter", "ws2016"),
        ("win10-pro", "win10"),
        ("win81-pro", "win10"),
        ("ws2016-standard", "office2021"),
        ("win10-enterprise", "office2024"),
    ],
)
def test_a_host_key_installs_on_each_os_the_planning_table_lists(image: str, group: str) -> None:
    fleet = Fleet()
    host = fleet.add("kms1", image)
    if group.startswith("office"):  # its volume license pack first (license_packs.py)
        admin.install_license_pack(host, group)
    admin.install_key(host, fleet.keys.csvlk(group).key)
    admin.restart_sppsvc(host)  # Microsoft's /ipk note (kms-facts §2.6)
    assert admin.service(host)["IsKeyManagementServiceMachine"] == 1


def test_an_office_host_key_sits_beside_the_windows_key() -> None:
    fleet = Fleet()
    host = fleet.add(
        "kms1", "ws2022-standard", initial_key=KeyKind.MAK, activated=True,
        license_packs=["office2021"],
    )  # fmt: skip
    admin.install_key(host, fleet.keys.csvlk("office2021").key)
    admin.restart_sppsvc(host)  # Microsoft's /ipk note (kms-facts §2.6)
    rows = keyed_rows(host)
    assert sorted((row["ApplicationID"], row["ProductKeyChannel"]) for row in rows) == [
        (OFFICE_APP_ID, "Volume:CSVLK"),
        (WINDOWS_APP_ID, "Volume:MAK"),
    ]
    assert admin.service(host)["RequiredClientCount"] == 5  # an Office-only KMS host


def test_each_host_row_needs_its_own_products_threshold() -> None:
    # kms-facts.md §4.3 and §4.4: Office needs 5 machines, Windows client OSes 25, on one host too.
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard", license_packs=["office2021"])
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    admin.install_key(host, fleet.keys.csvlk("office2021").key)
    admin.restart_sppsvc(host)  # Microsoft's /ipk note (kms-facts §2.6)
    required = {row["ApplicationID"]: row["RequiredClientCount"] for row in keyed_rows(host)}
    assert required == {WINDOWS_APP_ID: 25, OFFICE_APP_ID: 5}
    assert admin.service(host)["RequiredClientCount"] == 25  # the service: the largest


def test_office_and_add_on_rows_do_not_disturb_the_windows_product_selection() -> None:
    fleet = Fleet()
    machine = fleet.add("pc1", "win11-pro", office=["office2021-proplus"], addon=True)
    office_gvlk = fleet.keys.gvlk("Office LTSC 2021", "Office LTSC Professional Plus 2021").key
    admin.install_key(machine, office_gvlk)
    rows = keyed_rows(machine)
    assert len(rows) == 3  # Windows retail, Office GVLK, the add-on
    assert [row["LicenseIsAddon"] for row in rows].count(True) == 1
    product = admin.windows_product(machine)
    assert product is not None
    assert product["ProductKeyChannel"] == "Retail"


def test_uninstall_removes_the_key_and_a_second_uninstall_fails() -> None:
    fleet = Fleet()
    machine = fleet.add("pc1", "win11-pro")
    product = admin.windows_product(machine)
    assert product is not None
    selector = {"ID": str(product["ID"])}
    assert machine.cim.invoke(SLP, "UninstallProductKey", selector) == {"ReturnValue": 0}
    assert admin.windows_product(machine) is None
    with pytest.raises(SppFault) as caught:
        machine.cim.invoke(SLP, "UninstallProductKey", selector)
    assert caught.value.hresult == HResult.SL_E_PKEY_NOT_INSTALLED
    with pytest.raises(SppFault) as activation:
        machine.cim.invoke(SLP, "Activate", selector)
    assert activation.value.hresult == HResult.SL_E_PKEY_NOT_INSTALLED


def test_clearing_the_key_from_the_registry_removes_the_readable_copy_only() -> None:
    fleet = Fleet()
    machine = fleet.add("pc1", "win11-pro")
    gvlk = "W269N-WFGWX-YVC9B-4J6C9-T83GX"
    admin.install_key(machine, gvlk)
    read = {"hDefKey": HKEY_LOCAL_MACHINE, "sSubKeyName": SPP_KEY}
    backup = {**read, "sValueName": "BackupProductKeyDefault"}
    assert machine.cim.invoke("StdRegProv", "GetStringValue", params=backup)["sValue"] == gvlk
    assert admin.call_service(machine, "ClearProductKeyFromRegistry") == {"ReturnValue": 0}
    gone = machine.cim.invoke("StdRegProv", "GetStringValue", params=backup)
    assert gone["ReturnValue"] == 1  # a missing value: registry_missing_value's default
    product = admin.windows_product(machine)
    assert product is not None
    assert product["PartialProductKey"] == "T83GX"
    assert admin.call_service(machine, "RefreshLicenseStatus") == {"ReturnValue": 0}


def test_an_evaluation_edition_runs_licensed_for_180_days() -> None:
    fleet = Fleet()
    machine = fleet.add("eval1", "ws2022-standard-eval")
    product = admin.windows_product(machine)
    assert product is not None
    assert (product["ProductKeyChannel"], product["LicenseStatus"]) == ("Retail:TB:Eval", 1)
    assert product["GracePeriodRemaining"] == 180 * 24 * 60
    assert product["EvaluationEndDate"] == fleet.clock.now() + timedelta(days=180)
    fleet.advance(days=181)
    expired = admin.windows_product(machine)
    assert expired is not None
    assert expired["LicenseStatus"] == 5


def test_an_oem_machine_exposes_its_firmware_key_like_windows_does() -> None:
    fleet = Fleet()
    machine = fleet.add("pc1", "win11-pro", initial_key=KeyKind.OEM, activated=True)
    oem = fleet.keys.for_image(KeyKind.OEM, "win11-pro").key
    assert admin.service(machine)["OA3xOriginalProductKey"] == oem
    assert admin.service(Fleet().add("pc2", "win11-pro"))["OA3xOriginalProductKey"] is None


def test_a_machine_cannot_start_with_a_channel_its_edition_lacks() -> None:
    with pytest.raises(ValueError, match="no mak license"):
        Fleet().add("home1", "win11-home", initial_key=KeyKind.MAK)
