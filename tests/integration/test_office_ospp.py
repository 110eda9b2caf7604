"""Office through OSPP, and Office KMS host keys with their volume license files (issue 14).

kms1 is a Windows Server 2008 R2 KMS host with the Office 2010 and 2013 volume license packs and
their host keys. Office 2010 on Windows 7 (OSPP: OfficeSoftwareProtectionService/Product) is
converted from MAK to its GVLK by kms_client_setup_key, pinned to kms1, counted, and activated
once kms1's Office 2010 count reaches 5 (older-windows-office-adba §2-§3; kms-facts §4.3).
kms_host_key installs Office 2010 and 2016 host keys on hosts without their packs: refused,
naming the pack, without license_files; installed from the lab's fake .xrm-ms files with them.
Each test owns its machines, so the order of tests does not matter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.model.ospp import OFFICE_2010_APP_ID
from kmslab.presets import CORP
from kmslab.variants import Variants

CLIENT = "volact.kms.kms_client_setup_key"
HOST = "volact.kms.kms_host_key"
ROOT = Path(__file__).resolve().parents[2]
TASK = "Task"
KMS1 = f"kms1.{CORP}"
OFFICE_2010_GVLK = "VYBBJ-TRJPB-QFQRF-QFT4D-H3GVB"  # Office Professional Plus 2010 (§3.2)
OFFICE_2010_STD_GVLK = "V7QKV-4XVVR-XYV4D-F7DFM-8R6BM"  # Office Standard 2010
OFFICE_2013_GVLK = "YC7DK-G2NP3-2QQC3-J6H88-GVGXT"  # Office 2013 Professional Plus
OFFICE_2016_GVLK = "XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99"  # Office Professional Plus 2016
WIN7_PRO_GVLK = "FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4"
OFFICE_2010_HOST_ID = "BFE7A195-4F8F-4F0B-A622-CF13C7D16864"
OFFICE_2016_HOST_ID = "98EBFE73-2084-4C97-932C-C0CD1643BEA7"


def _host(name: str, image: str, packs: tuple[str, ...] = ()) -> MachineShape:
    return MachineShape(name, image, CORP, role="kms_host", license_packs=packs)


def _office(name: str, image: str, *suites: str) -> MachineShape:
    return MachineShape(name, image, CORP, initial_key=KeyKind.MAK, office=suites)


LAB_SHAPE = LabShape(
    machines=(
        _host("kms1", "ws2008r2-standard", ("office2010", "office2013")),
        _host("o10host", "ws2008r2-enterprise"),
        _host("o16host", "ws2022-standard"),
        _office("pc01", "win7-enterprise", "office2010-proplus"),
        _office("pc02", "win7-pro", "office2010-standard", "office2013-proplus"),
        _office("pc03", "win10-enterprise", "office2010-proplus"),
        # Midway through an Office upgrade: Office 2010 in OSPP beside Office 2016 in SPP.
        _office("pc04", "win10-enterprise", "office2010-proplus", "office2016-proplus"),
    ),
    zones=(CORP,),
)


def _activate_office_host(kms1, group: str) -> None:
    key = kms1.keys.csvlk(group).key
    admin.install_key(kms1, key)
    row = next(r for r in kms1.cim.instances("SoftwareLicensingProduct")
               if r["PartialProductKey"] == key[-5:])  # fmt: skip
    assert admin.activate_product(kms1, row["ID"]) == 0


def _arrange(lab: Lab) -> None:
    kms1 = lab.machine("kms1")
    assert admin.setup_kms_host(kms1, lab.fleet.keys.csvlk("ws2008r2-b").key) == 0
    for group in ("office2010", "office2013"):
        _activate_office_host(kms1, group)
    admin.restart_sppsvc(kms1)
    for name in ("pc01", "pc02", "pc03", "pc04"):
        admin.install_office_keys(lab.machine(name), KeyKind.MAK)


@pytest.fixture(scope="module", autouse=True)
def arranged(lab):
    lab.call(_arrange, lab)
    return lab


def run(lab, run_playbook, host, module, *, check=False, diff=False, extra=None, **options):
    play = {"hosts": host, "gather_facts": False, "tasks": [{"name": TASK, module: options}]}
    return run_playbook(lab, yaml.safe_dump([play]), check=check, diff=diff, extra_vars=extra)


def methods(lab, name: str, since: int = 0) -> list[str]:
    return [f"{w.target}.{w.method}" for w in lab.writes(name)[since:]]


def _seed_office_2010_clients(lab, count: int) -> None:
    """``count`` more Office 2010 clients ask kms1 (each on its own, as ospp.vbs /act would)."""

    def seed() -> None:
        for number in range(count):
            pc = lab.fleet.add(
                f"seed{number}", "win7-enterprise", domain=CORP, office=["office2010-proplus"]
            )
            admin.install_office_key(pc, OFFICE_2010_GVLK)
            (row,) = admin.office_products(pc)
            pc.cim.invoke(
                "OfficeSoftwareProtectionProduct",
                "SetKeyManagementServiceMachine",
                {"ID": row["ID"]},
                {"MachineName": KMS1},
            )
            admin.activate_office(pc, row["ID"])

    lab.call(seed)


def test_office_2010_on_windows_7_is_converted_pinned_counted_and_activated(lab, run_playbook):
    options = {"product": "office", "kms_host": KMS1}
    checked = run(lab, run_playbook, "pc01", CLIENT, check=True, diff=True, **options)
    result = checked.result("pc01", TASK)
    assert result["changed"] is True
    assert methods(lab, "pc01", since=1) == []  # check mode: nothing after the arranged MAK
    mak_row = "Office 14, OfficeProPlus-MAK edition"
    assert result["diff"]["before"]["office"][mak_row]["key"].endswith(
        lab.call(lambda: lab.machine("pc01").ospp.keyed()[0][1].key.partial)
    )
    assert result["diff"]["after"]["office"] == {
        mak_row: {"channel": "Volume:GVLK", "key": "XXXXX-XXXXX-XXXXX-XXXXX-H3GVB"}
    }
    assert result["diff"]["after"]["ospp"] == {mak_row: {"kms_host": KMS1, "kms_port": None}}
    assert "kms_host" not in result["diff"]["after"]  # Windows' own setting is left alone

    done = run(lab, run_playbook, "pc01", CLIENT, **options)
    assert done.rc == 0, done.output
    result = done.result("pc01", TASK)
    assert result["changed"] is True
    (office,) = result["kms_client"]["office"]
    assert office["gvlk"]["key"] == OFFICE_2010_GVLK
    assert office["gvlk"]["edition"] == "Office Professional Plus 2010"
    product = office["product"]
    assert product["name"] == "Office 14, OfficeProPlus-KMS_Client edition"
    assert (product["license_service"], product["kms_host"]) == ("ospp", KMS1)
    assert office["activation"]["state"] == "below_threshold"  # 1 of the 5 Office needs
    assert office["activation"]["required_count"] == 5
    assert result["kms_client"]["ospp"]["version"]
    assert result["kms_client"]["kms_host"] is None  # Windows is not pinned: out of scope
    assert methods(lab, "pc01", since=1) == [
        "OfficeSoftwareProtectionService.InstallProductKey",
        "OfficeSoftwareProtectionProduct.SetKeyManagementServiceMachine",
        "OfficeSoftwareProtectionProduct.Activate",
    ]

    _seed_office_2010_clients(lab, 4)  # kms1's Office 2010 count: 5 with pc01
    again = run(lab, run_playbook, "pc01", CLIENT, **options)
    result = again.result("pc01", TASK)
    assert result["changed"] is True
    assert result["kms_client"]["office"][0]["activation"]["state"] == "activated"
    count = lab.call(lambda: lab.machine("kms1").spp.current_count(OFFICE_2010_APP_ID))
    assert count == 5

    writes = len(lab.writes("pc01"))
    converged = run(lab, run_playbook, "pc01", CLIENT, **options)
    result = converged.result("pc01", TASK)
    assert result["changed"] is False
    assert result["kms_client"]["office"][0]["activation"]["state"] == "already_activated"
    # SoftwareLicensingService (its Version says Windows 7: no Office in SPP there), then
    # OfficeSoftwareProtectionService and the keyed OfficeSoftwareProtectionProduct rows.
    assert result["wsman"]["requests"] == 3
    assert len(lab.writes("pc01")) == writes

    info = run(lab, run_playbook, "pc01,kms1", "volact.kms.kms_activation_info", events=False)
    facts = info.result("pc01", TASK)["kms_activation"]
    (office,) = facts["office"]
    assert (office["license_service"], office["licensed"]) == ("ospp", True)
    assert office["name"] == "Office 14, OfficeProPlus-KMS_Client edition"
    assert office["pinned_host"] == KMS1
    assert facts["ospp"]["client_machine_id"] != facts["client_machine_id"]
    assert facts["ospp_problem"] is None
    # The host's Office 2010 KMS host product, in the Windows store, with its count.
    host = info.result("kms1", TASK)["kms_activation"]
    office_2010 = next(o for o in host["office"] if o["id"].upper() == OFFICE_2010_HOST_ID)
    assert (office_2010["license_service"], office_2010["current_count"]) == ("spp", 5)
    assert office_2010["required_count"] == 5
    assert host["ospp"] is None  # Windows Server 2008 R2 without Office: no OSPP class
    assert len(lab.writes("pc01")) == writes


def test_product_all_converts_windows_and_two_ospp_suites(lab, run_playbook):
    options = {"product": "all", "kms_host": KMS1, "activate": False}
    done = run(lab, run_playbook, "pc02", CLIENT, **options)
    assert done.rc == 0, done.output
    result = done.result("pc02", TASK)
    assert result["kms_client"]["gvlk"]["key"] == WIN7_PRO_GVLK
    assert result["kms_client"]["kms_host"] == KMS1  # Windows pinned through SPP
    office = {o["gvlk"]["key"]: o["product"] for o in result["kms_client"]["office"]}
    assert set(office) == {OFFICE_2010_STD_GVLK, OFFICE_2013_GVLK}
    assert {p["license_service"] for p in office.values()} == {"ospp"}
    assert {p["kms_host"] for p in office.values()} == {KMS1}
    writes = methods(lab, "pc02", since=2)  # after the two arranged Office MAKs
    assert writes.count("OfficeSoftwareProtectionService.InstallProductKey") == 2
    assert "SoftwareLicensingService.InstallProductKey" in writes
    assert "SoftwareLicensingService.SetKeyManagementServiceMachine" in writes

    again = run(lab, run_playbook, "pc02", CLIENT, **options)
    result = again.result("pc02", TASK)
    assert result["changed"] is False
    # SPP: service, products, the pinned port's registry value (Windows 7); OSPP: service,
    # products.
    assert result["wsman"]["requests"] == 5


def test_office_2010_in_ospp_beside_office_2016_in_spp_are_both_converted(lab, run_playbook):
    options = {"product": "office", "kms_host": KMS1, "activate": False}
    done = run(lab, run_playbook, "pc04", CLIENT, **options)
    assert done.rc == 0, done.output
    office = {
        o["gvlk"]["key"]: o["product"] for o in done.result("pc04", TASK)["kms_client"]["office"]
    }
    assert {key: p["license_service"] for key, p in office.items()} == {
        OFFICE_2010_GVLK: "ospp",
        OFFICE_2016_GVLK: "spp",
    }
    writes = methods(lab, "pc04", since=2)  # after the two arranged Office MAKs
    assert "OfficeSoftwareProtectionService.InstallProductKey" in writes
    assert "SoftwareLicensingService.InstallProductKey" in writes
    again = run(lab, run_playbook, "pc04", CLIENT, **options)
    assert again.result("pc04", TASK)["changed"] is False
    assert methods(lab, "pc04", since=2 + len(writes)) == []


def test_ospp_has_no_lookup_domain_and_says_so_before_any_write(lab, run_playbook):
    writes = len(lab.writes("pc03"))
    refused = run(lab, run_playbook, "pc03", CLIENT, product="office", lookup_domain=CORP)
    result = refused.result("pc03", TASK)
    assert refused.status("pc03", TASK) == "failed"
    assert "Office Software Protection Platform (OSPP)" in result["msg"]
    assert "lookup_domain" in result["msg"]
    assert len(lab.writes("pc03")) == writes
    # Office 2010 on Windows 10 is in OSPP too (KB 2870357), found where SPP holds no Office.
    done = run(lab, run_playbook, "pc03", CLIENT, product="office", activate=False)
    assert done.rc == 0, done.output
    (office,) = done.result("pc03", TASK)["kms_client"]["office"]
    assert office["product"]["license_service"] == "ospp"
    assert office["gvlk"]["key"] == OFFICE_2010_GVLK


def host_task(lab, run_playbook, host, group, *, check=False, files=True, release, **options):
    key = lab.call(lambda: lab.fleet.keys.csvlk(group).key)
    if files:
        options["license_files"] = [str(path) for path in lab.license_files(group)]
    return run(
        lab,
        run_playbook,
        host,
        HOST,
        check=check,
        extra={"office_key": key},
        key="{{ office_key }}",
        office_release=release,
        **options,
    )


HOST_CASES = {
    "office2010": ("o10host", 2010, "Office 2010 KMS Host License Pack", OFFICE_2010_HOST_ID),
    "office2016": ("o16host", 2016, "Office 2016 Volume License Pack", OFFICE_2016_HOST_ID),
}


@pytest.mark.parametrize("group", HOST_CASES)
def test_an_office_host_key_needs_its_license_files_first(lab, run_playbook, group):
    host, release, pack, activation_id = HOST_CASES[group]
    refused = host_task(lab, run_playbook, host, group, files=False, release=release)
    result = refused.result(host, TASK)
    assert refused.status(host, TASK) == "failed"
    assert pack in result["msg"]
    assert "license_files" in result["msg"]
    assert activation_id in result["msg"]
    assert result["changed"] is False
    assert lab.writes(host) == []

    checked = host_task(lab, run_playbook, host, group, check=True, release=release)
    result = checked.result(host, TASK)
    assert result["changed"] is True
    assert result["changes"][0].startswith(f"install the {pack} license files (lab-fake-")
    assert lab.writes(host) == []

    done = host_task(lab, run_playbook, host, group, release=release)
    assert done.rc == 0, done.output
    result = done.result(host, TASK)
    assert result["changed"] is True
    office: dict[str, Any] = result["office_host"]
    assert office["activation_id"] == activation_id
    assert office["license_files_installed"] == [path.name for path in lab.license_files(group)]
    assert office["license_status_name"] == "Licensed"
    writes = lab.writes(host)
    assert [w.method for w in writes][:4] == [
        "InstallLicense",
        "InstallLicense",
        "InstallProductKey",
        "RefreshLicenseStatus",
    ]
    (activate,) = [w for w in writes if w.method == "Activate"]
    assert dict(activate.selectors)["ID"].upper() == activation_id  # by its activation ID

    count = len(lab.writes(host))
    again = host_task(lab, run_playbook, host, group, release=release)
    result = again.result(host, TASK)
    assert result["changed"] is False
    assert result["wsman"]["requests"] == 2  # key in: the license files are not looked for
    assert len(lab.writes(host)) == count


# The unconfirmed OSPP details (kmslab/variants.py) each in their other form: the client must not
# depend on either. One small lab per value.
VARIANT_SHAPE = LabShape(
    machines=(
        _host("kms1", "ws2008r2-standard", ("office2010",)),
        _host("o16host", "ws2022-standard"),
        _office("pc01", "win7-enterprise", "office2010-proplus"),
    ),
    zones=(CORP,),
)
VARIANTS = (
    {"ospp_surface": "spp7"},
    {"ospp_kms_host_scope": "product"},
    {"office_host_key_without_pack": "0xC004F050"},
)


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda chosen: "-".join(chosen.values()))
def variant_lab(request):
    with Lab(VARIANT_SHAPE, http_port=0, https_port=0, variants=Variants(request.param)) as lab:

        def arrange() -> None:
            kms1 = lab.machine("kms1")
            assert admin.setup_kms_host(kms1, lab.fleet.keys.csvlk("ws2008r2-b").key) == 0
            _activate_office_host(kms1, "office2010")
            admin.restart_sppsvc(kms1)
            admin.install_office_keys(lab.machine("pc01"), KeyKind.MAK)

        lab.call(arrange)
        yield lab


def test_the_ospp_client_and_the_license_check_under_each_variant(variant_lab, run_playbook):
    lab = variant_lab
    options = {"product": "office", "kms_host": KMS1}
    done = run(lab, run_playbook, "pc01", CLIENT, **options)
    assert done.rc == 0, done.output
    (office,) = done.result("pc01", TASK)["kms_client"]["office"]
    assert office["product"]["kms_host"] == KMS1
    assert office["activation"]["state"] == "below_threshold"
    again = run(lab, run_playbook, "pc01", CLIENT, **options)
    result = again.result("pc01", TASK)
    assert result["changed"] is False
    # The three reads, and the product still below the threshold asked again: Activate and the
    # products read back.
    assert result["wsman"]["requests"] == 5
    assert [w.method for w in lab.writes("pc01")][-1] == "Activate"

    refused = host_task(lab, run_playbook, "o16host", "office2016", files=False, release=2016)
    assert "Office 2016 Volume License Pack" in refused.result("o16host", TASK)["msg"]
    assert lab.writes("o16host") == []
    done = host_task(lab, run_playbook, "o16host", "office2016", release=2016)
    assert done.result("o16host", TASK)["office_host"]["license_status_name"] == "Licensed"


@pytest.mark.parametrize(("ospp", "office"), [("auto", []), ("always", ["Office 14"])])
def test_the_audit_reads_office_2010_on_windows_10_when_told_to(
    lab, run_playbook, tmp_path, ospp, office
):
    """audit.yml's kms_audit_ospp reaches kms_activation_info: Office 2010 on Windows 10 is in
    OSPP, which ``auto`` reads only on Windows 7 / 2008 R2 and older."""
    audit = ROOT / "playbooks" / "audit.yml"
    extra = {
        "kms_audit_hosts": "pc03",
        "kms_audit_report_dir": str(tmp_path),
        "kms_audit_ospp": ospp,
    }
    done = run_playbook(lab, f"- ansible.builtin.import_playbook: {audit}\n", extra_vars=extra)
    assert done.rc == 0, done.output
    (machine,) = json.loads((tmp_path / "report.json").read_text())["machines"]
    assert [suite["name"].partition(",")[0] for suite in machine["office"]] == office
