"""Issue 15, item 4: a KMS host that listens on another port than 1688 is published with its port.

playbooks/site.yml with the demo inventory and ``kms_host_listening_port: 1690``, once per
publishing mode, each on a fresh lab: kms1 lives in corp.lab.test and publishes into
branch.lab.test, where the clients are. The host's own firewall rule admits 1690 (the built-in
SPPSVC-In-TCP covers 1688 only, so an administrator adds one). The role's DNS check must expect
1690, static mode must write 1690, and the clients must reach the host there (0xC004F074 when the
records say 1688).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import BRANCH, CORP

ROOT = Path(__file__).resolve().parents[2]
SITE = f"- ansible.builtin.import_playbook: {ROOT / 'playbooks' / 'site.yml'}\n"
PORT = 1690
SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("pc001", "win11-pro", BRANCH, initial_key=KeyKind.RETAIL),
        MachineShape("srv001", "ws2019-standard", BRANCH, initial_key=KeyKind.MAK),
    ),
    zones=(CORP, BRANCH),
)
STATIC = {
    "kms_publish_mode": "static",
    "kms_publish_tsig_key_name": "{{ kmslab_tsig_key_name }}",
    "kms_publish_tsig_secret": "{{ kmslab_tsig_secret }}",
}


def _kms_host(lab, by_hand: bool) -> None:
    """kms1 is a KMS host already (the lab's host key, so the role keeps it); ``by_hand``: moved
    to PORT with slmgr /sprt and a restart, which the inventory does not say."""
    machine = lab.machine("kms1")
    assert admin.setup_kms_host(machine, lab.host_key) == 0
    machine.firewall.allow_port(PORT)  # the administrator's own rule: SPPSVC-In-TCP is 1688 only
    if by_hand:
        admin.call_service(machine, "SetKeyManagementServiceListeningPort", PortNumber=PORT)
        admin.restart_sppsvc(machine)


# (mode, where the port comes from): kms_host_listening_port, or read from the host.
CASES = [("dynamic", "variable"), ("static", "variable"), ("static", "host")]


@pytest.fixture(params=CASES, ids=["-".join(case) for case in CASES])
def case_lab(request):
    mode, source = request.param
    with Lab(SHAPE, http_port=0, https_port=0) as lab:
        lab.call(_kms_host, lab, source == "host")
        yield mode, source, lab


def site(lab, run_playbook, mode: str, source: str):
    extra = {**(STATIC if mode == "static" else {})}
    if source == "variable":
        extra["kms_host_listening_port"] = PORT
    args = [
        "-i",
        str(ROOT / "playbooks" / "demo" / "inventory"),
        "-e",
        f"@{lab.state_dir / 'secrets.yml'}",
    ]
    return run_playbook(lab, SITE, transport="ntlm", extra_args=args, extra_vars=extra)


def failed_hosts(run) -> list[str]:
    found = re.findall(
        r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", run.stdout, re.M
    )
    return [host for host, unreachable, failed in found if int(unreachable) or int(failed)]


def test_a_host_on_another_port_is_published_checked_and_reached_there(case_lab, run_playbook):
    mode, source, lab = case_lab
    first = site(lab, run_playbook, mode, source)
    assert first.rc == 0, first.output[-5000:]
    assert failed_hosts(first) == []
    branch = [(r.priority, r.weight, r.port, r.target) for r in lab.bind.query_srv(BRANCH)]
    assert branch == [(10, 30, PORT, f"kms1.{CORP}.")], (mode, source, branch)
    if mode == "dynamic":  # the home domain too, published by the host itself
        assert [r.port for r in lab.bind.query_srv(CORP)] == [PORT]
    task = "volact.kms.kms_client : Install the right GVLK, point at the KMS host and activate"
    for name in ("pc001", "srv001"):
        service = lab.call(admin.service, lab.machine(name))
        assert service["DiscoveredKeyManagementServiceMachinePort"] == PORT, (mode, name)
        state = first.result(name, task)["activation"]["state"]
        assert state in ("activated", "below_threshold"), (mode, name, state)  # kms1 answered
    again = site(lab, run_playbook, mode, source)
    assert again.rc == 0, again.output[-5000:]
    changed = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", again.stdout, re.M)
    assert {host: int(count) for host, count in changed} == dict.fromkeys(lab.names(), 0)
