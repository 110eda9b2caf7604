"""The seed-004 walk-through on the seeds' own systems, through ansible-playbook (issue 14).

A fresh Server 2008 R2 KMS host (its host key of Server Group B activates Windows 7 and Server 2008
R2); 2 Windows 7 clients ask: count 2, none activated; a Server 2008 R2 member asks: count 3, still
below the server threshold of 5; 10 more Windows 7: count 13; on its next contact the server
activates (13 >= 5), while the Windows 7 machines wait for 12 more (25 - 13). kms-facts §4.4; the
model-level twin is tests/unit/lab/test_lab_old_windows.py. Every step is a real playbook run of
the collection's modules; the counts are read back with kms_activation_info from the host.
"""

from __future__ import annotations

from typing import Any

import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP

TASK = "Task"
KMS1 = f"kms1.{CORP}"
FIRST = ("pc01", "pc02")
MORE = tuple(f"pc{n:02d}" for n in range(3, 13))
LAB_SHAPE = LabShape(
    machines=(
        # A Group Policy opens TCP 1688: Server 2008 R2 has no firewall class over WS-Management.
        MachineShape(
            "kms1", "ws2008r2-standard", CORP, role="kms_host", policy_opens_kms_port=True
        ),
        *(
            MachineShape(
                name, "win7-enterprise" if n % 2 else "win7-pro", CORP, initial_key=KeyKind.MAK
            )
            for n, name in enumerate(FIRST + MORE)
        ),
        MachineShape("srv01", "ws2008r2-standard", CORP, initial_key=KeyKind.RETAIL),
    ),
    zones=(CORP,),
    host_key_group="ws2008r2-b",
)
CLIENT = {"kms_host": KMS1, "below_threshold": "ignore"}


def run(lab, run_playbook, hosts: str, module: str, extra: dict | None = None, **options: Any):
    task = {"name": TASK, f"volact.kms.{module}": options}
    play = yaml.safe_dump([{"hosts": hosts, "gather_facts": False, "tasks": [task]}])
    done = run_playbook(lab, play, extra_vars=extra)
    assert done.rc == 0, done.output[-3000:]
    return done


def clients(lab, run_playbook, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    done = run(lab, run_playbook, ",".join(names), "kms_client_setup_key", **CLIENT)
    return {name: done.result(name, TASK)["activation"] for name in names}


def host_count(lab, run_playbook) -> tuple[int, int]:
    done = run(lab, run_playbook, "kms1", "kms_activation_info", events=False)
    host = done.result("kms1", TASK)["kms_activation"]["kms_host"]
    return host["current_count"], host["required_count"]


def test_seed_004_on_a_fresh_server_2008_r2_host(lab, run_playbook) -> None:
    deployed = run(
        lab,
        run_playbook,
        "kms1",
        "kms_host_key",
        extra={"host_key": lab.host_key},
        key="{{ host_key }}",
    )
    assert deployed.result("kms1", TASK)["changed"] is True
    assert host_count(lab, run_playbook) == (0, 25)  # a fresh host

    first = clients(lab, run_playbook, FIRST)
    assert {outcome["state"] for outcome in first.values()} == {"below_threshold"}
    assert host_count(lab, run_playbook) == (2, 25)

    (server,) = clients(lab, run_playbook, ("srv01",)).values()
    assert (server["state"], server["required_count"]) == ("below_threshold", 5)
    assert host_count(lab, run_playbook) == (3, 25)  # below the server threshold of 5

    more = clients(lab, run_playbook, MORE)
    assert {outcome["state"] for outcome in more.values()} == {"below_threshold"}
    assert host_count(lab, run_playbook) == (13, 25)

    # On its next contact the server activates; the Windows 7 machines need 12 more.
    (server,) = clients(lab, run_playbook, ("srv01",)).values()
    assert server["state"] == "activated"
    again = clients(lab, run_playbook, FIRST)
    assert {outcome["state"] for outcome in again.values()} == {"below_threshold"}
    assert {outcome["required_count"] for outcome in again.values()} == {25}
    counted, required = host_count(lab, run_playbook)
    assert (counted, required - counted) == (13, 12)
