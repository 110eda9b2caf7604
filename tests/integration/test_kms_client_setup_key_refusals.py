"""kms_client_setup_key refuses what it must not do, before any write (and bad input before any
request): evaluation, Home and Azure editions, a KMS host, unpublished or misplaced keys, options
that contradict each other. Nothing here changes a machine, so the order of tests does not matter.
"""

from __future__ import annotations

import pytest
import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP

MODULE = "volact.kms.kms_client_setup_key"
TASK = "Client"
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("eval", "ws2022-standard-eval", CORP),
        MachineShape("home", "win11-home", CORP, language="fr-FR"),
        MachineShape("azure", "ws2022-datacenter-azure", CORP, initial_key=KeyKind.RETAIL),
        MachineShape("pc", "win11-pro", CORP, initial_key=KeyKind.RETAIL, language="es-ES"),
    ),
    zones=(CORP,),
)


@pytest.fixture(scope="module", autouse=True)
def kms_host(lab):
    lab.call(admin.setup_kms_host, lab.machine("kms1"), lab.host_key)
    return lab


def refused(lab, run_playbook, host: str, **options):
    """Run once; the task must fail and write nothing. Returns (result, requests sent)."""
    before = sum(lab.requests(host).values())
    journal = len(lab.writes(host))
    play = {"hosts": host, "gather_facts": False, "tasks": [{"name": TASK, MODULE: options}]}
    run = run_playbook(lab, yaml.safe_dump([play]))
    assert run.rc != 0, run.output
    assert run.status(host, TASK) == "failed", run.output
    assert len(lab.writes(host)) == journal
    return run.result(host, TASK), sum(lab.requests(host).values()) - before


def test_evaluation_edition_is_refused_with_the_dism_command(lab, run_playbook):
    result, requests = refused(lab, run_playbook, "eval", kms_host="kms1.corp.lab.test")
    assert "evaluation edition, which cannot be a KMS client" in result["msg"]
    assert (
        "DISM /online /Set-Edition:ServerStandard /ProductKey:VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
        in result["msg"]
    )
    assert requests == 2  # the two reads that tell the edition; no write


def test_home_edition_is_refused_whatever_key_is_given(lab, run_playbook):
    result = refused(lab, run_playbook, "home")[0]
    assert "Home edition" in result["msg"]
    assert "Upgrade the machine to Pro" in result["msg"]
    result = refused(lab, run_playbook, "home", key="W269N-WFGWX-YVC9B-4J6C9-T83GX")[0]
    assert "Home edition" in result["msg"]


def test_azure_edition_is_refused(lab, run_playbook):
    result, requests = refused(lab, run_playbook, "azure")
    assert "Azure Edition, which is activated by Azure" in result["msg"]
    assert requests == 2


def test_kms_host_is_never_converted(lab, run_playbook):
    result, requests = refused(lab, run_playbook, "kms1")
    assert "this machine is a KMS host (Volume:CSVLK)" in result["msg"]
    assert "kms_host_key with state=absent" in result["msg"]
    assert requests == 2
    assert lab.host_key not in str(result)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"key": "not-a-key"}, "has 3 groups; a product key has 5"),
        ({"key": "lab-mak"}, "is not one of the KMS client setup keys (GVLKs) Microsoft publishes"),
        ({"key": "FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH"}, "not a Windows GVLK"),
        (
            {"key": "W269N-WFGWX-YVC9B-4J6C9-T83GX", "product": "all"},
            "one key cannot be the GVLK of both Windows and Office",
        ),
        ({"kms_host": "kms1.corp.lab.test:1688"}, "Write the port in kms_port"),
        ({"kms_host": "  "}, "set discovery: true"),
        ({"kms_host": "kms1", "discovery": True}, "Give either kms_host (and kms_port)"),
        ({"kms_port": 1688}, "kms_port"),
        ({"kms_host": "kms1", "kms_port": 70000}, "is not a TCP port"),
        ({"lookup_domain": "corp_lab"}, "lookup_domain"),
        ({"below_threshold": "later"}, "below_threshold"),
    ],
)
@pytest.mark.reliability("bad_input")
def test_bad_input_is_refused_before_any_request(lab, run_playbook, options, expected):
    if options.get("key") == "lab-mak":
        mak = lab.call(lambda: lab.fleet.keys.for_image(KeyKind.MAK, "win11-pro").key)
        options = {**options, "key": mak}
    result, requests = refused(lab, run_playbook, "pc", **options)
    assert expected in result["msg"]
    assert requests == 0
    if "key" in options:
        assert options["key"] not in str(result) or options["key"] == "not-a-key"


def test_unpublished_key_with_opt_in_must_prove_to_be_a_gvlk(lab, run_playbook):
    # The opt-in does not bypass the edition check: Home is refused before any write.
    retail = lab.call(lambda: lab.fleet.keys.for_image(KeyKind.RETAIL, "win11-home").key)
    result = refused(lab, run_playbook, "home", key=retail, allow_unpublished_key=True)[0]
    assert "Home edition" in result["msg"]
    assert retail not in str(result)

    # A MAK passed as an "unpublished GVLK": InstallProductKey accepts it, the product then
    # reads Volume:MAK, and the task says so instead of claiming a KMS client.
    mak = lab.call(lambda: lab.fleet.keys.for_image(KeyKind.MAK, "win11-pro").key)
    play = {
        "hosts": "pc",
        "gather_facts": False,
        "tasks": [{"name": TASK, MODULE: {"key": mak, "allow_unpublished_key": True}}],
    }
    run = run_playbook(lab, yaml.safe_dump([play]), diff=True)
    result = run.result("pc", TASK)
    assert run.status("pc", TASK) == "failed"
    assert "is not a KMS client key on this machine (Volume:MAK)" in result["msg"]
    assert result["changed"] is True
    assert result["kms_client"]["gvlk"] == {
        "family": None,
        "edition": None,
        "key": f"XXXXX-XXXXX-XXXXX-XXXXX-{mak[-5:]}",
        "published": False,
        "confirmed": None,
    }
    assert [w.method for w in lab.writes("pc")][-2:] == [
        "InstallProductKey",
        "RefreshLicenseStatus",
    ]
    assert mak not in run.output
