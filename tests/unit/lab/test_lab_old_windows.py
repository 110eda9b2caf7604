"""Windows Vista / 7 and Server 2008 / 2008 R2 in the lab (issue 14): their facts, their keys, the
host key groups of 2009 with KB968912, and the seed-004 walk-through at model level (kms-facts
§3.3, §4.1, §4.2, §4.4; older-windows-office-adba §1.1)."""

from __future__ import annotations

import pytest
from kmslab import slmgr
from kmslab.cli import parser
from kmslab.model import Fleet, KeyKind, LicenseStatus, Machine, admin
from kmslab.model.authority import CSVLK_MAX_ACTIVATIONS_PER_HOST, CSVLK_MAX_HOSTS
from kmslab.model.catalog import HOST_KEY_GROUPS
from kmslab.model.cim_classes import OS, SLP, SLS
from kmslab.model.errors import HResult, SppFault
from kmslab.model.images import IMAGES
from kmslab.model.registry import CURRENT_VERSION, HKEY_LOCAL_MACHINE
from kmslab.presets import PRESETS

from ansible_collections.volact.kms.plugins.module_utils.licensing.editions import (
    EditionFacts,
    select_gvlk,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing.gvlk import lookup

# handle: EditionID, OperatingSystemSKU, build, ProductType, GVLK family, GVLK edition, Version
OLD_IMAGES = {
    "win7-pro": ("Professional", 48, 7601, 1, "Windows 7", "Professional", "6.1"),
    "win7-enterprise": ("Enterprise", 4, 7601, 1, "Windows 7", "Enterprise", "6.1"),
    "ws2008r2-standard": (
        "ServerStandard", 7, 7601, 3, "Windows Server 2008 R2", "Standard", "6.1"
    ),
    "ws2008r2-enterprise": (
        "ServerEnterprise", 10, 7601, 3, "Windows Server 2008 R2", "Enterprise", "6.1"
    ),
    "ws2008r2-datacenter": (
        "ServerDatacenter", 8, 7601, 3, "Windows Server 2008 R2", "Datacenter", "6.1"
    ),
    "vista-business": ("Business", 6, 6002, 1, "Windows Vista", "Business", "6.0"),
    "vista-enterprise": ("Enterprise", 4, 6002, 1, "Windows Vista", "Enterprise", "6.0"),
    "ws2008-standard": ("ServerStandard", 7, 6002, 3, "Windows Server 2008", "Standard", "6.0"),
    "ws2008-enterprise": (
        "ServerEnterprise", 10, 6002, 3, "Windows Server 2008", "Enterprise", "6.0"
    ),
}  # fmt: skip


def product(machine: Machine) -> dict[str, object]:
    row = admin.windows_product(machine)
    assert row is not None
    return row


def install_error(machine: Machine, key: str) -> int:
    with pytest.raises(SppFault) as caught:
        admin.install_key(machine, key)
    return caught.value.hresult


def kms_host(fleet: Fleet, name: str, image: str, group: str, **options: object) -> Machine:
    host = fleet.add(name, image, **options)
    assert admin.setup_kms_host(host, fleet.keys.csvlk(group).key) == 0
    return host


def kms_client(fleet: Fleet, name: str, image: str) -> Machine:
    machine = fleet.add(name, image, initial_key=KeyKind.MAK)
    admin.install_key(machine, fleet.keys.for_image(KeyKind.GVLK, image).key)
    return machine


def count(host: Machine) -> int:
    return int(admin.service(host)["KeyManagementServiceCurrentCount"])


# Images --------------------------------------------------------------------------------------
@pytest.mark.parametrize("handle", sorted(OLD_IMAGES))
def test_each_old_image_serves_its_facts(handle: str) -> None:
    edition_id, sku, build, product_type, _family, _edition, version = OLD_IMAGES[handle]
    machine = Fleet().add("m1", handle)
    os_row = machine.cim.instances(OS)[0]
    assert (os_row["OperatingSystemSKU"], os_row["BuildNumber"], os_row["ProductType"]) == (
        sku,
        str(build),
        product_type,
    )
    assert os_row["Version"] == f"{version}.{build}"
    registry = machine.registry
    assert registry.get(HKEY_LOCAL_MACHINE, CURRENT_VERSION, "EditionID").data == edition_id
    assert registry.get(HKEY_LOCAL_MACHINE, CURRENT_VERSION, "CurrentVersion").data == version
    assert registry.get(HKEY_LOCAL_MACHINE, CURRENT_VERSION, "CurrentMajorVersionNumber") is None
    # The SPP service's Version prefix is what slmgr.vbs gates on (older-windows §1.1).
    assert str(admin.service(machine)["Version"]).startswith(f"{version}.{build}.")
    # sppsvc from Windows 7 on; slsvc on Vista / Server 2008 (kms-facts §2.5).
    assert machine.sppsvc.name == ("slsvc" if version == "6.0" else "sppsvc")


@pytest.mark.parametrize("handle", sorted(OLD_IMAGES))
def test_the_lab_knows_each_old_image_by_its_published_gvlk(handle: str) -> None:
    edition_id, sku, build, product_type, family, edition, _version = OLD_IMAGES[handle]
    keys = Fleet().keys
    gvlk = keys.for_image(KeyKind.GVLK, handle)
    assert gvlk.published
    assert gvlk.key == lookup(family, edition).key  # plugins/module_utils/licensing/gvlk_table.py
    # The collection's edition logic, fed the facts the lab serves, picks the same key.
    facts = EditionFacts(edition_id, sku, build, product_type)
    assert select_gvlk(facts).key == gvlk.key
    for kind in (KeyKind.MAK, KeyKind.RETAIL, KeyKind.OEM):
        assert not keys.for_image(kind, handle).published


@pytest.mark.parametrize("handle", sorted(OLD_IMAGES))
def test_each_old_image_takes_its_gvlk_and_arrives_with_mak_or_retail(handle: str) -> None:
    fleet = Fleet()
    for kind in (KeyKind.MAK, KeyKind.RETAIL):
        machine = fleet.add(f"m{kind.value}", handle, initial_key=kind)
        assert str(product(machine)["Description"]).endswith(
            {KeyKind.MAK: "VOLUME_MAK channel", KeyKind.RETAIL: "RETAIL channel"}[kind]
        )
        admin.install_key(machine, fleet.keys.for_image(KeyKind.GVLK, handle).key)
        row = product(machine)
        assert row["Description"] == "Windows(R) Operating System, VOLUME_KMSCLIENT channel"
        assert row["LicenseFamily"] == IMAGES[handle].edition_id


# Host key groups of 2009 (kms-facts §4.1) ----------------------------------------------------
def test_the_2009_groups_activate_their_group_and_every_group_below() -> None:
    vl = {"W7", "Vista"}
    assert HOST_KEY_GROUPS["win7"].activates == vl
    assert HOST_KEY_GROUPS["ws2008r2-a"].activates == vl | {"WS2008R2-A", "WS2008-A"}
    assert HOST_KEY_GROUPS["ws2008r2-b"].activates == HOST_KEY_GROUPS["ws2008r2-a"].activates | {
        "WS2008R2-B",
        "WS2008-B",
    }
    assert HOST_KEY_GROUPS["ws2008r2-c"].activates == HOST_KEY_GROUPS["ws2008r2-b"].activates | {
        "WS2008R2-C",
        "WS2008-C",
    }
    # The newer groups of §4.2 activate every 2008 / 2008 R2 edition and Windows 7.
    for handle in ("ws2016", "ws2019", "ws2022", "ws2025"):
        assert HOST_KEY_GROUPS[handle].activates >= HOST_KEY_GROUPS["ws2008r2-c"].activates - {
            "Vista"
        }


def test_a_windows_7_kms_host_activates_client_os_only() -> None:
    fleet = Fleet()
    kms_host(fleet, "kms1", "win7-enterprise", "win7")
    assert admin.service(fleet["kms1"])["RequiredClientCount"] == 25
    server = kms_client(fleet, "srv1", "ws2008r2-standard")
    # §4.2: "A KMS host running on a Windows client operating system can only activate computers
    # also running client operating systems"; 0xC004F042, the host cannot activate the product.
    assert admin.activate_windows(server) == HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH
    clients = [kms_client(fleet, f"pc{n:02d}", "win7-pro") for n in range(25)]
    results = [admin.activate_windows(pc) for pc in clients]
    assert results == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 24 + [0]
    vista = kms_client(fleet, "vista1", "vista-business")
    assert admin.activate_windows(vista) == 0  # Client VL covers the previous generation
    assert admin.activate_windows(server) == HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH


@pytest.mark.parametrize(
    ("image", "group", "expected"),
    [
        ("win7-pro", "ws2008r2-b", HResult.SL_E_INVALID_PRODUCT_KEY),  # server key on a client
        ("ws2008r2-standard", "win7", HResult.SL_E_INVALID_PRODUCT_KEY),  # client key on a server
        ("ws2008r2-standard", "ws2016", HResult.SL_E_PRODUCT_SKU_NOT_INSTALLED),  # newer group
        ("ws2012r2-standard", "ws2008r2-b", HResult.SL_E_INVALID_PRODUCT_KEY),  # older group
    ],
)
def test_a_2009_host_key_on_an_os_that_cannot_hold_it_fails(
    image: str, group: str, expected: int
) -> None:
    fleet = Fleet()
    assert install_error(fleet.add("m1", image), fleet.keys.csvlk(group).key) == expected


@pytest.mark.parametrize("image", ["ws2008-standard", "ws2008-enterprise"])
def test_server_2008_takes_the_2008_r2_host_key_only_with_kb968912(image: str) -> None:
    fleet = Fleet()
    key = fleet.keys.csvlk("ws2008r2-b").key
    plain = fleet.add("kms0", image)
    # KB968912's note: 0xC004F050 "The Software Licensing service reported that the product key
    # is invalid" (kms-facts §2.7: "the KMS host is missing the update for newer clients").
    assert install_error(plain, key) == HResult.SL_E_INVALID_PRODUCT_KEY
    descriptions = [str(row["Description"]) for row in plain.cim.instances(SLP)]
    assert not any("VOLUME_KMS_R2" in text for text in descriptions)  # no such license row
    assert plain.journal.writes[-1].outcome.startswith("HRESULT 0xC004F050")
    updated = kms_host(fleet, "kms1", image, "ws2008r2-b", updates=("KB968912",))
    assert admin.service(updated)["IsKeyManagementServiceMachine"] == 1
    win7 = [kms_client(fleet, f"pc{n:02d}", "win7-enterprise") for n in range(25)]
    assert [admin.activate_windows(pc) for pc in win7][-2:] == [
        HResult.SL_E_VL_NOT_ENOUGH_COUNT,
        0,
    ]
    assert product(win7[-1])["LicenseStatus"] == LicenseStatus.LICENSED


def test_vista_needs_kb968912_for_the_windows_7_client_host_key_too() -> None:
    fleet = Fleet()
    key = fleet.keys.csvlk("win7").key
    plain = fleet.add("v0", "vista-enterprise")
    assert install_error(plain, key) == HResult.SL_E_INVALID_PRODUCT_KEY
    updated = fleet.add("v1", "vista-enterprise", updates=("kb968912",))
    admin.install_key(updated, key)
    assert admin.activate_windows(updated) == 0


def test_a_group_b_host_does_not_activate_datacenter_and_a_group_c_host_does() -> None:
    fleet = Fleet()
    kms_host(fleet, "kmsb", "ws2008r2-standard", "ws2008r2-b")
    datacenter = kms_client(fleet, "dc1", "ws2008r2-datacenter")
    admin.call_service(datacenter, "SetKeyManagementServiceMachine", MachineName="kmsb.lab.test")
    assert admin.activate_windows(datacenter) == HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH
    kms_host(fleet, "kmsc", "ws2008r2-datacenter", "ws2008r2-c")
    admin.call_service(datacenter, "SetKeyManagementServiceMachine", MachineName="kmsc.lab.test")
    assert admin.activate_windows(datacenter) == HResult.SL_E_VL_NOT_ENOUGH_COUNT  # counted


def test_a_2009_host_key_goes_on_six_hosts_each_at_most_ten_times() -> None:
    fleet = Fleet()
    key = fleet.keys.csvlk("ws2008r2-b", serial=3)
    hosts = [fleet.add(f"kms{n}", "ws2008r2-standard") for n in range(CSVLK_MAX_HOSTS + 1)]
    results = []
    for host in hosts:
        admin.install_key(host, key.key)
        results.append(admin.activate_windows(host))
    assert results == [0] * CSVLK_MAX_HOSTS + [HResult.SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED]
    retail = fleet.keys.for_image(KeyKind.RETAIL, "ws2008r2-standard").key
    again = []
    for _reinstall in range(CSVLK_MAX_ACTIVATIONS_PER_HOST):  # 9 reactivations, then refused
        admin.install_key(hosts[0], retail)
        admin.install_key(hosts[0], key.key)
        again.append(admin.activate_windows(hosts[0]))
    assert again == [0] * 9 + [HResult.SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED]


# The seed-004 walk-through (issue 14, "Done when") ---------------------------------------------
def test_seed_004_walk_through_on_a_server_2008_r2_kms_host() -> None:
    fleet = Fleet()
    host = kms_host(fleet, "kms1", "ws2008r2-standard", "ws2008r2-b")
    assert count(host) == 0  # a fresh host
    first = [kms_client(fleet, f"pc{n:02d}", "win7-enterprise") for n in range(2)]
    assert [admin.activate_windows(pc) for pc in first] == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 2
    assert count(host) == 2
    server = kms_client(fleet, "srv01", "ws2008r2-standard")
    assert admin.activate_windows(server) == HResult.SL_E_VL_NOT_ENOUGH_COUNT
    assert count(host) == 3  # below the server threshold of 5
    more = [kms_client(fleet, f"pc{n:02d}", "win7-pro") for n in range(2, 12)]
    assert {admin.activate_windows(pc) for pc in more} == {HResult.SL_E_VL_NOT_ENOUGH_COUNT}
    assert count(host) == 13
    # On its next contact the server activates: 13 >= 5 (kms-facts §4.4).
    assert admin.activate_windows(server) == 0
    assert product(server)["LicenseStatus"] == LicenseStatus.LICENSED
    windows7 = first + more
    assert {product(pc)["LicenseStatus"] for pc in windows7} == {LicenseStatus.OOB_GRACE}
    # The Windows 7 machines need 12 more: 25 - 13.
    last = [kms_client(fleet, f"pc{n:02d}", "win7-enterprise") for n in range(12, 24)]
    results = [admin.activate_windows(pc) for pc in last]
    assert results == [HResult.SL_E_VL_NOT_ENOUGH_COUNT] * 11 + [0]
    assert count(host) == 25
    assert {admin.activate_windows(pc) for pc in windows7 + last[:-1]} == {0}  # next contact
    assert {product(pc)["LicenseStatus"] for pc in windows7 + last} == {LicenseStatus.LICENSED}
    assert admin.service(host)["RequiredClientCount"] == 25


def test_only_the_update_switch_decides_and_it_is_per_machine() -> None:
    fleet = Fleet()
    with_update = fleet.add("a", "ws2008-standard", updates=["KB968912"])
    without = fleet.add("b", "ws2008-standard")
    assert with_update.updates == frozenset({"KB968912"})
    assert without.updates == frozenset()
    groups = {
        str(row["Description"]).split(", ")[1]
        for row in with_update.cim.instances(SLP)
        if "VOLUME_KMS_R2" in str(row["Description"])
    }
    assert groups == {f"VOLUME_KMS_R2_{letter} channel" for letter in "ABC"}
    assert str(admin.service(with_update)["Version"]).startswith("6.0.6002.")
    assert SLS  # the same class name on every version


@pytest.mark.parametrize("handle", ["win7-pro", "vista-business"])
def test_slmgr_dlv_reads_an_old_version_without_its_missing_properties(handle: str) -> None:
    machine = Fleet().add("m1", handle, initial_key=KeyKind.GVLK)
    result = slmgr.run(machine, "cscript //nologo slmgr.vbs /dlv")
    assert result.exit_code == 0, result.stderr
    assert "Product Key Channel" not in result.stdout  # no such property before Windows 8
    assert "Key Management Service client information" in result.stdout  # by its Description


# The preset `seeds` (scripts/lab up --preset seeds) ------------------------------------------
def test_the_seeds_preset_is_the_seeds_own_fleet() -> None:
    shape = PRESETS["seeds"]()
    assert shape.zones == ("corp.lab.test",)
    assert shape.host_key_group == "ws2008r2-b"
    (host,) = [m for m in shape.machines if m.role == "kms_host"]
    assert host.image == "ws2008r2-standard"
    clients = [m for m in shape.machines if m.role == "client"]
    assert {m.image for m in clients} == {
        "win7-pro",
        "win7-enterprise",
        "ws2008r2-standard",
        "ws2008r2-enterprise",
    }
    assert {m.initial_key for m in clients} == {KeyKind.MAK, KeyKind.RETAIL}
    assert {m.domain for m in shape.machines} == {"corp.lab.test"}
    assert sum(IMAGES[m.image].token == "W7" for m in clients) == 25
    office = {m.name: m.office for m in shape.machines if m.office}
    assert len(office) == 6  # one more than Office's threshold of 5
    assert {suite for suites in office.values() for suite in suites} == {
        "office2010-proplus",
        "office2010-standard",
    }
    assert all(IMAGES[shape_of.image].token == "W7" for shape_of in clients if shape_of.office)
    assert {m.office_key for m in clients if m.office} == {KeyKind.MAK}
    assert shape.office_host_keys == ("office2010",)
    assert host.policy_opens_kms_port
    assert parser().parse_args(["up", "--preset", "seeds"]).preset == "seeds"


def test_the_seeds_fleet_converges_at_model_level() -> None:
    shape = PRESETS["seeds"]()
    fleet = Fleet(zones=shape.zones)
    machines = {
        m.name: fleet.add(m.name, m.image, domain=m.domain, initial_key=m.initial_key)
        for m in shape.machines
    }
    (host,) = [machines[m.name] for m in shape.machines if m.role == "kms_host"]
    key = fleet.keys.csvlk(shape.host_key_group).key
    assert admin.setup_kms_host(host, key) == 0
    clients = [machines[m.name] for m in shape.machines if m.role == "client"]
    for machine in clients:
        admin.install_key(machine, fleet.keys.for_image(KeyKind.GVLK, machine.image.handle).key)
    first = [admin.activate_windows(machine) for machine in clients]
    assert HResult.SL_E_VL_NOT_ENOUGH_COUNT in first  # below the thresholds at first
    assert {admin.activate_windows(machine) for machine in clients} == {0}  # next contact
    assert count(host) == len(clients)
