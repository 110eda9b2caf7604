"""The wire log against the lab: every exchange written, no secret in any file.

kms_host_key installs the lab's host key on kms1 over winrm (HTTPS), kms_client_setup_key installs
the clients' GVLKs over psrp, both with ``VOLACT_KMS_WIRE_LOG`` set. The log must hold one private
file per request each task counted, the keys only in their masked form, and neither the password
nor the TSIG secret.
"""

from __future__ import annotations

import stat

import pytest

from ansible_collections.volact.kms.plugins.module_utils.licensing.gvlk import CATALOG

pytestmark = pytest.mark.reliability("secrets")

CLIENTS = ("pc001", "pc002", "srv001")
HOST_KEY = """
- hosts: kms1
  gather_facts: false
  tasks:
    - name: Host key
      volact.kms.kms_host_key:
        key: "{{ host_key }}"
"""
CLIENT = """
- hosts: kms_clients
  gather_facts: false
  tasks:
    - name: Client
      volact.kms.kms_client_setup_key:
        kms_host: kms1.corp.lab.test
        activate: false
"""


def masked(key: str) -> str:
    return "XXXXX-XXXXX-XXXXX-XXXXX-" + key[-5:]


def test_the_wire_log_holds_every_exchange_and_no_secret(lab, run_playbook, tmp_path):
    wire = tmp_path / "wire"
    env = {"VOLACT_KMS_WIRE_LOG": str(wire)}
    host = run_playbook(lab, HOST_KEY, extra_vars={"host_key": lab.host_key}, env=env)
    assert host.rc == 0, host.output[-3000:]
    clients = run_playbook(lab, CLIENT, transport="psrp", env=env)
    assert clients.rc == 0, clients.output[-3000:]

    assert stat.S_IMODE(wire.stat().st_mode) == 0o700
    files = {path.name: path for path in wire.iterdir()}
    for path in files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    # One file per request the tasks report, named after the host and the operation.
    counted = {"kms1": host.result("kms1", "Host key")["wsman"]["requests"]}
    counted |= {name: clients.result(name, "Client")["wsman"]["requests"] for name in CLIENTS}
    assert {name: len([f for f in files if f"-{name}-" in f]) for name in counted} == counted
    assert len(files) == sum(counted.values())

    texts = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    # The keys were on the wire, masked to their last group.
    installs = {name: text for name, text in texts.items() if "-InstallProductKey-" in name}
    assert any(masked(lab.host_key) in t for n, t in installs.items() if "-kms1-" in n)
    for name in CLIENTS:
        gvlk = clients.result(name, "Client")["kms_client"]["gvlk"]["key"]
        assert any(masked(gvlk) in t for n, t in installs.items() if f"-{name}-" in n), name

    secrets = {
        "host key": lab.host_key,
        "WinRM password": lab.password,
        "TSIG secret": lab.bind.key_secret,
        **{f"GVLK of {entry.label}": entry.key for entry in CATALOG},
    }
    assert len(secrets) == 3 + len(CATALOG)
    leaks = [
        f"{what} in {name}"
        for name, text in texts.items()
        for what, secret in secrets.items()
        for probe in (secret, secret[:17])
        if probe.lower() in text.lower()
    ]
    assert leaks == []
