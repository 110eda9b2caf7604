"""ansible.windows, unchanged, through real ansible-playbook against the lab: the path most Ansible
users take today, which the benchmark measures beside ours (docs/performance.md).

ansible-core sends each module as PowerShell through its exec wrapper over the winrm connection's
shell; the lab recognises the module in the wrapper's manifest and answers from its model
(``tests/lab/kmslab/ansible_windows.py``). ansible.windows comes from tests/requirements-bench.txt
(``scripts/peer-collections``, run by ``scripts/setup``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from kmslab.model import admin

PEER_COLLECTIONS = Path(sys.prefix) / "peer-collections"
ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".venv" / "collections"
# One module task over the winrm connection's shell: Send once per 200,000 bytes of manifest.
SHELL_OPERATIONS = {"Create", "Command", "Send", "Receive", "Signal", "Delete"}

PLAY = r"""
- name: ansible.windows against the lab
  hosts: pc001,kms1
  gather_facts: false
  tasks:
    - name: Ping
      ansible.windows.win_ping:
    - name: Ping with data
      ansible.windows.win_ping:
        data: lab
    - name: Product facts
      ansible.windows.win_product_facts:
    - name: Facts set
      ansible.builtin.set_fact:
        seen_status: "{{ ansible_os_license_status }}"
    - name: slmgr through win_shell
      ansible.windows.win_shell: cscript //nologo C:\Windows\System32\slmgr.vbs /dlv
"""


@pytest.fixture(scope="module")
def peer_env() -> dict[str, str]:
    manifest = PEER_COLLECTIONS / "ansible_collections" / "ansible" / "windows" / "MANIFEST.json"
    assert manifest.exists(), f"no ansible.windows in {PEER_COLLECTIONS}: run scripts/setup"
    return {"ANSIBLE_COLLECTIONS_PATH": f"{COLLECTIONS}:{PEER_COLLECTIONS}"}


@pytest.mark.parametrize("transport", ["https", "ntlm"])
def test_win_ping_and_win_product_facts(lab, run_playbook, peer_env, transport):
    before = {name: lab.counters(name).operations for name in ("pc001", "kms1")}
    run = run_playbook(lab, PLAY, transport=transport, env=peer_env)
    assert run.rc == 0, run.output
    for name in ("pc001", "kms1"):
        assert run.result(name, "Ping")["ping"] == "pong"
        assert run.result(name, "Ping with data")["ping"] == "lab"
        product = lab.call(admin.windows_product, lab.machine(name))
        facts = run.result(name, "Product facts")["ansible_facts"]
        assert facts["ansible_os_license_edition"] == product["Name"]
        assert facts["ansible_os_license_channel"] == product["ProductKeyChannel"]
        assert facts["ansible_os_product_id"] == product["ProductKeyID"]
        assert facts["ansible_os_product_key"].endswith(product["PartialProductKey"])
        assert facts["ansible_os_license_status"] in ("Licensed", "OOBGrace", "Unlicensed")
        assert (
            run.result(name, "Facts set")["ansible_facts"]["seen_status"]
            == (facts["ansible_os_license_status"])
        )
        shell = run.result(name, "slmgr through win_shell")
        assert shell["rc"] == 0
        assert f"Name: {product['Name']}" in shell["stdout_lines"]
        after = lab.counters(name).operations
        grown = {op: n - before[name].get(op, 0) for op, n in after.items()}
        tasks = 4  # the set_fact runs on the controller
        assert {op for op, n in grown.items() if n} == SHELL_OPERATIONS
        assert all(grown[op] == tasks for op in SHELL_OPERATIONS - {"Send"}), grown
        assert grown["Send"] >= tasks


def test_a_module_the_lab_does_not_simulate_fails_clearly(lab, run_playbook, peer_env):
    play = """
- name: not simulated
  hosts: pc001
  gather_facts: false
  tasks:
    - name: Service
      ansible.windows.win_service:
        name: sppsvc
"""
    run = run_playbook(lab, play, env=peer_env)
    assert run.rc != 0
    assert run.status("pc001", "Service") == "failed"
    assert "not simulated in this lab" in run.result("pc001", "Service")["msg"]
