"""The protocol core through real ansible-playbook, the user's own connection settings, and the lab.

One request per operation, no shell opened, faults raised with their HRESULT, certificate
validation on by default.
"""

from __future__ import annotations

import pytest
import yaml

PROBE = """
- name: Probe WMI over the task's own connection
  hosts: pc001
  gather_facts: false
  tasks:
    - name: Probe
      wsman_probe:
"""


@pytest.mark.parametrize("transport", ["https", "http", "ntlm", "psrp"])
def test_query_get_invoke_and_fault_cost_one_request_each(lab, run_playbook, transport):
    before = lab.requests("pc001")
    run = run_playbook(lab, PROBE, transport=transport)
    assert run.rc == 0, run.output
    steps = run.result("pc001", "Probe")["steps"]
    assert steps["query"]["version"].startswith("10.0.22631")
    assert steps["query"]["requests"] == 1
    assert steps["get"] == {"state": "Running", "requests": 2}
    assert steps["invoke"] == {"return_value": 0, "requests": 3}
    fault = steps["fault"]
    assert fault["raised"]
    assert fault["requests"] == 4
    assert fault["subcode"] == "CannotProcessFilter"
    after = lab.requests("pc001")
    grown = {action: after.get(action, 0) - before.get(action, 0) for action in after}
    # Exactly the four operations reached the host: no shell Create/Delete, no extra reads.
    assert sum(grown.values()) == 4, grown
    assert {action for action, count in grown.items() if count} == {"Enumerate", "Get", "Invoke"}


@pytest.mark.reliability("transport")
def test_https_validation_fails_without_the_lab_ca(lab, run_playbook):
    inventory = yaml.safe_load((lab.state_dir / "inventory-https.yml").read_text())
    del inventory["all"]["vars"]["ansible_winrm_ca_trust_path"]
    path = lab.state_dir / "inventory-https-noca.yml"
    path.write_text(yaml.safe_dump(inventory))
    try:
        run = run_playbook(lab, PROBE, transport="https-noca")
    finally:
        path.unlink()
    assert run.rc != 0
    probe = run.result("pc001", "Probe")
    assert run.status("pc001", "Probe") == "failed", probe
    assert "certificate verification failed" in probe["msg"]
    assert (
        "Check ansible_winrm_server_cert_validation and ansible_winrm_ca_trust_path" in probe["msg"]
    )
    # Nothing reached the host: the TLS handshake failed before any request was sent.
    assert "S3cret!" not in run.output
