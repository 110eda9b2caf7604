"""kms_client_setup_key for volume Office licensed through the Windows SPP store.

kms1 carries a Windows Server 2022 host key and an Office LTSC 2021 host key; four other Office
2021 clients of the fleet have asked it already, so the next Office client reaches the Office
threshold of 5 (Windows clients stay below 25). The Office GVLK is chosen by the product's
license family, spelled as real SPP does (Office21ProPlus2021VL_MAK_AE1). Each test
owns its machines, so the order of tests does not matter.
"""

from __future__ import annotations

import pytest
import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.catalog import OFFICE_APP_ID
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP

MODULE = "volact.kms.kms_client_setup_key"
TASK = "Client"
LAB_SHAPE = LabShape(
    machines=(
        MachineShape(
            "kms1", "ws2022-standard", CORP, role="kms_host", license_packs=("office2021",)
        ),
        MachineShape(
            "suite",
            "win11-enterprise",
            CORP,
            initial_key=KeyKind.MAK,
            language="fr-FR",
            office=("office2021-proplus",),
        ),
        MachineShape(
            "twosuites",
            "win10-enterprise",
            CORP,
            initial_key=KeyKind.MAK,
            office=("office2019-proplus", "office2016-proplus"),
        ),
        MachineShape(
            "previewed",
            "win10-pro",
            CORP,
            initial_key=KeyKind.OEM,
            office=("office2024-proplus",),
        ),
        MachineShape("nooffice", "win11-pro", CORP, initial_key=KeyKind.RETAIL),
    ),
    zones=(CORP,),
)
KMS1 = f"kms1.{CORP}"
OFFICE_2021_GVLK = "FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH"
OFFICE_2019_GVLK = "NMMKJ-6RK4F-KMJVX-8D9MJ-6MWKP"
OFFICE_2016_GVLK = "XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99"


def _office_row(machine, key: str) -> str:
    rows = machine.cim.instances("SoftwareLicensingProduct")
    return next(
        r["ID"]
        for r in rows
        if r["ApplicationID"] == OFFICE_APP_ID and r["PartialProductKey"] == key[-5:]
    )


def _arrange(lab) -> None:
    fleet = lab.fleet
    kms1 = lab.machine("kms1")
    assert admin.setup_kms_host(kms1, fleet.keys.csvlk("ws2022").key) == 0
    office_key = fleet.keys.csvlk("office2021").key
    admin.install_key(kms1, office_key)
    assert admin.activate_product(kms1, _office_row(kms1, office_key)) == 0
    admin.restart_sppsvc(kms1)
    for index in range(4):
        seed = fleet.add(
            f"seed{index}", "win10-enterprise", domain=CORP, office=("office2021-proplus",)
        )
        admin.install_key(seed, OFFICE_2021_GVLK)
        admin.call_service(seed, "SetKeyManagementServiceMachine", MachineName=KMS1)
        admin.activate_product(seed, _office_row(seed, OFFICE_2021_GVLK))
    for name in ("suite", "twosuites", "previewed"):
        admin.install_office_keys(lab.machine(name), KeyKind.MAK)


@pytest.fixture(scope="module", autouse=True)
def arranged(lab):
    lab.call(_arrange, lab)
    return lab


def run(lab, run_playbook, host, *, check=False, diff=False, **options):
    play = {"hosts": host, "gather_facts": False, "tasks": [{"name": TASK, MODULE: options}]}
    return run_playbook(lab, yaml.safe_dump([play]), check=check, diff=diff)


def test_windows_and_office_convert_together_and_office_activates(lab, run_playbook):
    journal = len(lab.writes("suite"))  # the Office MAK the fixture installed
    checked = run(lab, run_playbook, "suite", check=True, diff=True, product="all", kms_host=KMS1)
    result = checked.result("suite", TASK)
    assert len(lab.writes("suite")) == journal
    assert result["changed"] is True
    office_name = "Office 21, Office21ProPlus2021VL_MAK_AE1 edition"  # the MAK row, before
    assert result["diff"]["after"]["office"] == {
        office_name: {"channel": "Volume:GVLK", "key": "XXXXX-XXXXX-XXXXX-XXXXX-6F7TH"}
    }
    assert result["diff"]["before"]["office"][office_name]["channel"] == "Volume:MAK"

    done = run(lab, run_playbook, "suite", product="all", kms_host=KMS1)
    assert done.rc == 0, done.output
    result = done.result("suite", TASK)
    office = result["kms_client"]["office"]
    assert len(office) == 1
    assert office[0]["gvlk"] == {
        "family": "Office LTSC 2021",
        "edition": "Office LTSC Professional Plus 2021",
        "key": OFFICE_2021_GVLK,
        "published": True,
        "confirmed": True,
    }
    assert office[0]["product"]["channel"] == "Volume:GVLK"
    assert office[0]["product"]["license_family"] == "Office21ProPlus2021VL_KMS_Client_AE"
    assert office[0]["activation"]["state"] == "activated"
    # Windows (threshold 25) is still below it on this host: a warning, not a failure.
    assert result["activation"]["state"] == "below_threshold"
    assert result["kms_client"]["gvlk"]["key"] == "NPPR9-FWDCX-D2C8J-H872K-2YT43"

    office_only = run(lab, run_playbook, "suite", product="office", kms_host=KMS1)
    result = office_only.result("suite", TASK)
    assert result["changed"] is False
    assert result["kms_client"]["product"] is None
    assert "activation" not in result
    assert result["kms_client"]["office"][0]["activation"]["state"] == "already_activated"
    # The service, the Office rows in SPP, and OSPP's (absent here): Office 2010 licenses
    # through OSPP on every Windows, also beside Office 2013 or later in SPP.
    assert result["wsman"]["requests"] == 3


def test_explicit_office_key_converts_only_its_product(lab, run_playbook):
    keyed = run(
        lab, run_playbook, "twosuites", product="office", key=OFFICE_2019_GVLK, activate=False
    )
    assert keyed.rc == 0, keyed.output
    office = keyed.result("twosuites", TASK)["kms_client"]["office"]
    assert [(o["product"]["license_family"], o["converted"]) for o in office] == [
        ("Office19ProPlus2019VL_KMS_Client_AE", True)
    ]
    every = run(lab, run_playbook, "twosuites", product="office", activate=False)
    office = every.result("twosuites", TASK)["kms_client"]["office"]
    assert {o["product"]["license_family"]: o["gvlk"]["key"] for o in office} == {
        "Office19ProPlus2019VL_KMS_Client_AE": OFFICE_2019_GVLK,
        "Office16ProPlusVL_KMS_Client": OFFICE_2016_GVLK,
    }
    assert {o["product"]["license_family"]: o["converted"] for o in office} == {
        "Office19ProPlus2019VL_KMS_Client_AE": False,
        "Office16ProPlusVL_KMS_Client": True,
    }
    again = run(lab, run_playbook, "twosuites", product="office", activate=False)
    assert again.result("twosuites", TASK)["changed"] is False


def test_office_without_a_host_key_for_its_version_fails_with_0xc004f042(lab, run_playbook):
    # kms1 has no Office LTSC 2024 host key: 0xC004F042 for that Office, named with its fix.
    failed = run(lab, run_playbook, "previewed", product="office", kms_host=KMS1)
    result = failed.result("previewed", TASK)
    assert failed.status("previewed", TASK) == "failed"
    assert result["hresult"] == "0xC004F042"
    office = result["kms_client"]["office"][0]
    assert office["gvlk"]["edition"] == "Office LTSC Professional Plus 2024"
    assert office["activation"]["state"] == "failed"
    assert "Use a KMS host whose host key covers this product" in result["msg"]
    assert "Install a host key whose group covers this" in result["what_to_do"]


def test_office_asked_where_none_is_licensed_through_spp(lab, run_playbook):
    refused = run(lab, run_playbook, "nooffice", product="office")
    result = refused.result("nooffice", TASK)
    assert refused.status("nooffice", TASK) == "failed"
    assert "no Office product with a product key" in result["msg"]
    assert "OSPP" in result["msg"]
    assert lab.writes("nooffice") == []
