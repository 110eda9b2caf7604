"""Issue 15, item 3: check mode does not promise an activation DNS discovery cannot deliver.

kms1 is a KMS host in corp.lab.test that publishes only in its home domain; the clients live in
branch.lab.test, whose zone has no _vlmcs._tcp record until kms1 is told to publish there. Check
mode asks the lab's BIND (dns_server) for the records of the client's domain, read from
Win32_ComputerSystem, or of its lookup domain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import BRANCH, CORP

ROOT = Path(__file__).resolve().parents[2]
MODULE = "volact.kms.kms_client_setup_key"
TASK = "Client"
CLIENTS = ("pc1", "pc2", "pc3")
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        *(MachineShape(n, "win10-enterprise", BRANCH, initial_key=KeyKind.MAK) for n in CLIENTS),
    ),
    zones=(CORP, BRANCH),
)
KMS1 = f"kms1.{CORP}"


def _host(lab) -> None:
    key = lab.fleet.keys.csvlk("ws2022").key
    assert admin.setup_kms_host(lab.machine("kms1"), key) == 0


@pytest.fixture(scope="module", autouse=True)
def arranged(lab):
    lab.call(_host, lab)
    return lab


def _publish_in_branch(lab) -> None:
    machine = lab.machine("kms1")
    assert admin.set_publish_list(machine, [f"{BRANCH}, 10, 0"]) == 0
    admin.restart_sppsvc(machine)


def run(lab, run_playbook, hosts: str, options: dict[str, Any], **kwargs):
    play = {"hosts": hosts, "gather_facts": False, "tasks": [{"name": TASK, MODULE: options}]}
    return run_playbook(lab, yaml.safe_dump([play]), **kwargs)


def test_check_mode_warns_where_the_clients_domain_has_no_srv_record(lab, run_playbook):
    assert lab.bind.query_srv(BRANCH) == []
    assert lab.bind.query_srv(CORP)  # kms1 publishes in its home domain only
    dns = {"dns_server": lab.bind.address, "dns_port": lab.bind.port}
    checked = run(lab, run_playbook, "pc1", {"discovery": True, **dns}, check=True)
    assert checked.rc == 0, checked.output  # a warning, not a failure
    result = checked.result("pc1", TASK)
    assert result["activation"]["state"] == "would_fail_no_srv"
    assert result["activation"]["hresult"] == "0x8007232B"
    assert result.get("failed") is not True
    (warning,) = result["warnings"]
    assert f"no _vlmcs._tcp SRV record in {BRANCH} (its domain)" in warning
    assert f"{lab.bind.address}:{lab.bind.port}" in warning
    # The two reads, and Win32_ComputerSystem for the machine's domain.
    assert result["wsman"]["requests"] == 3
    assert lab.writes("pc1") == []

    # A lookup domain that holds records: would_activate, and Win32_ComputerSystem is not read.
    corp = run(lab, run_playbook, "pc1", {"lookup_domain": CORP, **dns}, check=True)
    result = corp.result("pc1", TASK)
    assert result["activation"]["state"] == "would_activate", result
    assert f"{KMS1}." in result["activation"]["message"]
    assert "warnings" not in result
    assert result["wsman"]["requests"] == 2

    # The real run fails as check mode said, and its message says one thing about the host.
    failed = run(lab, run_playbook, "pc2", {"discovery": True})
    assert failed.status("pc2", TASK) == "failed"
    result = failed.result("pc2", TASK)
    assert result["hresult"] == "0x8007232B"
    assert "(KMS host: none found in DNS): 0x8007232B" in result["msg"]
    assert "KMS host: found in DNS" not in result["msg"]

    # kms1 publishes in branch now: check mode says would_activate, the real run gets an answer.
    lab.call(_publish_in_branch, lab)
    assert lab.bind.query_srv(BRANCH)
    again = run(lab, run_playbook, "pc1", {"discovery": True, **dns}, check=True)
    result = again.result("pc1", TASK)
    assert result["activation"]["state"] == "would_activate", result
    assert f"10 0 1688 {KMS1}." in result["activation"]["message"]
    assert "warnings" not in result
    done = run(lab, run_playbook, "pc1", {"discovery": True})
    assert done.rc == 0, done.output
    assert done.result("pc1", TASK)["activation"]["state"] == "below_threshold"


def test_the_kms_client_role_names_the_dns_server(lab, run_playbook):
    lab.bind.remove_srv(BRANCH, KMS1)
    assert lab.bind.query_srv(BRANCH) == []
    play = [
        {
            "hosts": "pc3",
            "gather_facts": False,
            "roles": [
                {
                    "role": "volact.kms.kms_client",
                    "vars": {
                        "kms_client_dns_server": lab.bind.address,
                        "kms_client_dns_port": lab.bind.port,
                    },
                }
            ],
        }
    ]
    checked = run_playbook(lab, yaml.safe_dump(play), check=True)
    assert checked.rc == 0, checked.output
    result = checked.result(
        "pc3", "volact.kms.kms_client : Install the right GVLK, point at the KMS host and activate"
    )
    assert result["activation"]["state"] == "would_fail_no_srv"
    assert BRANCH in " ".join(result["warnings"])
    assert "would_fail_no_srv" in checked.stdout  # the role's one line per machine
