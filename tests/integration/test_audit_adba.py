"""The fleet report (playbooks/audit.yml, real ansible-playbook) of a forest with ADBA (issue 16).

The lab's ``adba`` preset: a real Samba AD forest. adm1 activates it with the Windows Server CSVLK
(kms_adba_object); pc11 (Windows 11, in the forest) then activates from that object with
``activation_type: ad``; pc7 (Windows 7, same forest, no ADBA) activates from the KMS host out1.
The report must say which machine was activated by the object and which by the KMS host, count
them, and list the forest's objects with the machines each one activated. The objects list is
passed by hand (``kms_audit_adba_objects``) until the playbook reads it with
kms_adba_object_info.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import AD, CORP, adba
from kmslab.samba import missing_tools

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
]

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "audit.yml"
NAME = "WS2022 forest"
OUT1 = f"out1.{CORP}"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"
    with Lab(adba(), http_port=0, https_port=0) as running:
        yield running


def ldap_options(lab: Lab) -> dict[str, Any]:
    ad = yaml.safe_load((lab.state_dir / "active-directory.yml").read_text())
    return {
        "ldap_server": ad["kmslab_ad_server"],
        "ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
        "ldap_port": ad["kmslab_ad_ldaps_port"],
        "ldap_ca_path": ad["kmslab_ad_ca"],
        "ldap_auth": "simple",
        "ldap_user": ad["kmslab_ad_admin"],
        "ldap_password": ad["kmslab_ad_admin_password"],
    }


def play(host: str, task: dict[str, Any]) -> str:
    return yaml.safe_dump(
        [{"hosts": host, "gather_facts": False, "tasks": [{"name": "t0", **task}]}],
        sort_keys=False,
    )


def _kms_host_with_count(lab: Lab) -> None:
    """out1 serves KMS with the same CSVLK; 24 other client OSes have asked it already."""
    fleet = lab.fleet
    assert admin.setup_kms_host(lab.machine("out1"), lab.host_key) == 0
    for index in range(24):
        seed = fleet.add(
            f"seed{index:02d}", "win10-enterprise", domain=CORP, initial_key=KeyKind.GVLK
        )
        admin.call_service(seed, "SetKeyManagementServiceMachine", MachineName=OUT1)
        admin.activate_windows(seed)


@pytest.fixture(scope="module")
def arranged(lab: Lab, run_playbook) -> dict[str, Any]:
    """The forest's object (its listing as kms_adba_object returns it) and pc11's setup result."""
    made = run_playbook(
        lab,
        play(
            "adm1",
            {
                "volact.kms.kms_adba_object": {
                    **ldap_options(lab),
                    "name": NAME,
                    "product_key": "{{ adba_csvlk }}",
                }
            },
        ),
        extra_vars={"adba_csvlk": lab.host_key},
    )
    created = made.result("adm1", "t0")
    assert created["changed"] is True, made.output
    client = {"volact.kms.kms_client_setup_key": {"activation_type": "ad"}}
    set_up = run_playbook(lab, play("pc11", client))
    assert set_up.result("pc11", "t0")["changed"] is True, set_up.output
    assert set_up.status("pc11", "t0") != "failed", set_up.output
    lab.call(_kms_host_with_count, lab)
    pinned = {"volact.kms.kms_client_setup_key": {"kms_host": OUT1, "activation_type": "all"}}
    old = run_playbook(lab, play("pc7", pinned))
    assert old.result("pc7", "t0")["changed"] is True, old.output
    assert old.status("pc7", "t0") != "failed", old.output
    return {"objects": created["objects"], "pc11": set_up.result("pc11", "t0")}


def test_the_client_names_the_object_it_activated_from(lab: Lab, arranged) -> None:
    facts = arranged["pc11"]["kms_client"]
    [entry] = [o for o in arranged["objects"] if o["name"] == NAME]
    assert (facts["activated_by"], facts["activation_object"]) == ("ad", NAME)
    assert facts["activation_object_dn"].lower() == entry["dn"].lower()
    assert facts["activation_object_sku_id"].lower() == entry["activation_id"].lower()
    assert facts["activation_object_extended_pid"] == entry["extended_pid"]


def test_the_report_says_what_activated_each_machine(lab: Lab, arranged, run_playbook, tmp_path):
    report_dir = tmp_path / "report"
    writes_before = {name: len(lab.writes(name)) for name in ("pc11", "pc7", "adm1", "out1")}
    requests_before = {name: sum(lab.requests(name).values()) for name in ("pc11", "pc7")}
    run = run_playbook(
        lab,
        f"- name: The fleet report\n  ansible.builtin.import_playbook: {PLAYBOOK}\n",
        extra_vars={
            "kms_audit_report_dir": str(report_dir),
            "kms_audit_hosts": "pc11:pc7:adm1:out1",
            "kms_audit_events": False,
            "kms_audit_adba_objects": arranged["objects"],
        },
    )
    assert run.rc == 0, run.output
    report = json.loads((report_dir / "report.json").read_text())
    # ADBA costs no request: pc11 (Windows 11) SLS, SLP (its ADBA properties in it), EnumValues
    # with no value present; pc7 (Windows 7) the same three, a Get of the value present (its
    # pinned KMS host) and the OSPP probe (ospp=auto), its product query without ADBA properties
    spent = {n: sum(lab.requests(n).values()) - requests_before[n] for n in ("pc11", "pc7")}
    print(f"kms_activation_info requests in the audit: {spent}")
    assert spent == {"pc11": 3, "pc7": 5}, spent
    by = {m["name"]: m["activated_by"] for m in report["machines"]}
    assert by["pc11"]["kind"] == "adba"
    assert by["pc11"]["object"] == NAME
    assert by["pc7"]["kind"] == "kms"
    assert by["pc7"]["host"] == OUT1
    pc11 = next(m for m in report["machines"] if m["name"] == "pc11")
    assert pc11["windows"]["activation_object"]["name"] == NAME
    assert report["summary"]["activated_by_adba"] == 1
    assert report["summary"]["activated_by_kms"] == 1
    forest = report["adba"]
    assert forest["read"] is True
    [entry] = [o for o in forest["objects"] if o["name"] == NAME]
    assert entry["machines"] == ["pc11"]
    assert forest["unknown"] == []
    page = (report_dir / "report.html").read_text()
    assert "Active Directory-Based Activation" in page
    assert NAME in page
    assert lab.host_key not in page
    assert lab.host_key not in json.dumps(report)
    # the audit is read-only
    assert {name: len(lab.writes(name)) for name in writes_before} == writes_before


def _activate_member(lab: Lab, name: str) -> dict[str, Any]:
    """A new Windows 11 member of the forest (model only) activates its GVLK, accepting only AD:
    the product row afterwards."""
    machine = lab.fleet.add(name, "win11-enterprise", domain=AD, initial_key=KeyKind.GVLK)
    admin.call_service(machine, "SetVLActivationTypeEnabled", ActivationType=1)
    admin.activate_windows(machine)
    return admin.windows_product(machine)


def test_members_read_the_objects_as_their_computer_accounts(lab: Lab, arranged) -> None:
    """Windows reads the activation objects as the computer (any authenticated account may):
    an ACE that denies Domain Computers read hides them from the members, and they no longer
    activate by ADBA, while the Enterprise Admin still lists them."""
    row = lab.call(_activate_member, lab, "pc21")
    assert (row["LicenseStatus"], row["VLActivationType"]) == (1, 1), row
    [entry] = [o for o in arranged["objects"] if o["name"] == NAME]
    forest = lab.forest
    assert forest is not None
    forest.dc._run(
        forest.dc.command([
            "samba-tool", "dsacl", "set", f"--objectdn={entry['dn']}", "--sddl=(D;;RPLCLORC;;;DC)",
            "-H", str(forest.dc.workdir / "private" / "sam.ldb"),
        ])
    )  # fmt: skip
    denied = lab.call(_activate_member, lab, "pc22")
    assert denied["LicenseStatus"] != 1, denied
    assert denied["VLActivationType"] in (None, 0), denied
    assert lab.call(lab.fleet.directory.objects_seen_by, f"pc22.{AD}") == []
    assert [o["dn"] for o in lab.call(lab.fleet.directory.objects)] != []
