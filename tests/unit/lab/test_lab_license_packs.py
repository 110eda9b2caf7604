"""Office volume license packs on a KMS host (kmslab/model/license_packs.py; older-windows-office-
adba §3): the Office host key installs only after the version's license files are in, through
SoftwareLicensingService.InstallLicense (slmgr /ilc), and activates under its activation ID."""

from __future__ import annotations

import pytest
from kmslab.model import Fleet, admin
from kmslab.model.catalog import HOST_KEY_GROUPS, OFFICE_APP_IDS
from kmslab.model.cim_classes import SLP, SLS
from kmslab.model.errors import HResult, SppFault
from kmslab.model.license_packs import PACKS, fake_file_text, fake_files, recognise
from kmslab.model.office_licenses import HOST_ACTIVATION_IDS
from kmslab.variants import Variants

from ansible_collections.volact.kms.plugins.module_utils.licensing import office_hosts


def test_every_office_host_group_has_a_pack_and_an_activation_id() -> None:
    office = {h for h, g in HOST_KEY_GROUPS.items() if g.application_id in OFFICE_APP_IDS}
    assert set(PACKS) == office == set(HOST_ACTIVATION_IDS)


def test_the_lab_and_the_collection_agree_on_packs_and_activation_ids() -> None:
    for group, pack in PACKS.items():
        release = office_hosts.RELEASES[int(group.removeprefix("office"))]
        assert release.activation_id == HOST_ACTIVATION_IDS[group]
        assert release.pack == pack.title
        assert release.application_id == HOST_KEY_GROUPS[group].application_id


def test_fake_files_say_they_are_fake_and_only_the_lab_reads_them() -> None:
    files = fake_files("office2016")
    assert sorted(files) == sorted(PACKS["office2016"].files)
    for name, text in files.items():
        assert name.endswith(".xrm-ms")
        assert "FAKE license file" in text
        assert "Office 2016 Volume License Pack" in text
    assert recognise(fake_file_text("office2016", "license")) == ("office2016", "license")
    assert recognise(fake_file_text("office2010", "pkeyconfig")) == ("office2010", "pkeyconfig")
    assert recognise("<r:license xmlns:r='http://www.microsoft.com/DRM/XrML2/TM/v2'/>") is None


def host(fleet: Fleet, image: str = "ws2022-standard", **options: object):
    machine = fleet.add("kms1", image, **options)
    version = machine.cim.instances(SLS)[0]["Version"]
    return machine, {"Version": version}


def office_rows(machine) -> list[dict]:
    return [r for r in machine.cim.instances(SLP) if r["ApplicationID"] in OFFICE_APP_IDS]


@pytest.mark.parametrize("code", ["0xC004F015", "0xC004F050"])
def test_an_office_host_key_before_its_pack_is_refused_with_the_variants_code(code: str) -> None:
    fleet = Fleet(variants=Variants({"office_host_key_without_pack": code}))
    machine, _selectors = host(fleet)
    assert office_rows(machine) == []  # no Office host row before the pack
    with pytest.raises(SppFault) as refused:
        admin.install_key(machine, fleet.keys.csvlk("office2016").key)
    assert refused.value.hresult == int(code, 16)
    assert all(state.key.kind.value != "csvlk" for _sku, state in machine.spp.keyed())


def test_install_license_adds_the_host_row_and_both_files_let_the_key_in() -> None:
    fleet = Fleet()
    machine, selectors = host(fleet)
    license_text, pkeyconfig_text = (
        fake_file_text("office2016", "license"),
        fake_file_text("office2016", "pkeyconfig"),
    )
    machine.cim.invoke(SLS, "InstallLicense", selectors, {"License": license_text})
    (row,) = office_rows(machine)
    assert row["ID"] == "98ebfe73-2084-4c97-932c-c0cd1643bea7"  # OFF-KMS's activation ID
    assert (row["Name"], row["Description"]) == (
        "Office 16, OfficeKMSHostVL_KMS_Host edition",
        "Office 16, VOLUME_KMS channel",
    )
    assert row["PartialProductKey"] is None
    key = fleet.keys.csvlk("office2016").key
    with pytest.raises(SppFault) as refused:  # the key configuration is still missing
        admin.install_key(machine, key)
    assert refused.value.hresult == HResult.SL_E_PRODUCT_SKU_NOT_INSTALLED
    machine.cim.invoke(SLS, "InstallLicense", selectors, {"License": pkeyconfig_text})
    machine.cim.invoke(SLS, "InstallLicense", selectors, {"License": pkeyconfig_text})  # again
    admin.install_key(machine, key)
    assert admin.activate_product(machine, "98EBFE73-2084-4C97-932C-C0CD1643BEA7") == 0
    (row,) = office_rows(machine)
    assert (row["PartialProductKey"], row["LicenseStatus"]) == (key[-5:], 1)
    writes = [(w.method, w.outcome) for w in machine.journal.writes]
    assert writes[:4] == [
        ("InstallLicense", "ReturnValue=0"),
        ("InstallProductKey", "HRESULT 0xC004F015 (SL_E_PRODUCT_SKU_NOT_INSTALLED)"),
        ("InstallLicense", "ReturnValue=0"),
        ("InstallLicense", "ReturnValue=0"),
    ]


def test_text_the_lab_does_not_know_is_refused_and_a_pack_on_the_wrong_os_adds_no_row() -> None:
    fleet = Fleet()
    machine, selectors = host(fleet)
    with pytest.raises(SppFault) as refused:
        machine.cim.invoke(SLS, "InstallLicense", selectors, {"License": "<license/>"})
    assert refused.value.hresult == HResult.E_INVALIDARG
    admin.install_license_pack(machine, "office2010")  # Office 2010 hosts: 2008 R2, 7
    assert office_rows(machine) == []
    with pytest.raises(SppFault) as wrong_os:
        admin.install_key(machine, fleet.keys.csvlk("office2010").key)
    assert wrong_os.value.hresult == HResult.SL_E_INVALID_PRODUCT_KEY


@pytest.mark.parametrize(
    ("image", "group"),
    [
        ("ws2008r2-standard", "office2010"),
        ("win7-enterprise", "office2010"),
        ("ws2008r2-enterprise", "office2013"),
        ("ws2008r2-datacenter", "office2016"),
        ("ws2022-standard", "office2024"),
    ],
)
def test_each_pack_enables_its_host_key_where_microsoft_lists_the_host(
    image: str, group: str
) -> None:
    fleet = Fleet()
    machine, _selectors = host(fleet, image, license_packs=[group])
    admin.install_key(machine, fleet.keys.csvlk(group).key)
    (row,) = office_rows(machine)
    assert row["ID"] == HOST_ACTIVATION_IDS[group]
    assert row["ApplicationID"] == HOST_KEY_GROUPS[group].application_id
