"""Transport security through real ansible-playbook against the lab.

Basic authentication over plain HTTP goes out only when the inventory accepts clear text
(``ansible_*_message_encryption: never``); otherwise the task fails before a single request
reaches the machine. The lab's own ``inventory-http.yml`` (which sets ``never``) keeps working.
"""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.reliability("transport")

READ = """
- name: Read one machine
  hosts: pc001
  gather_facts: false
  tasks:
    - name: Read
      volact.kms.kms_activation_info:
        events: false
"""


def variant(lab, name: str, base: str, **changes: object) -> str:
    """Write ``inventory-<name>.yml``: the lab's ``base`` inventory with ``changes`` to all vars
    (None removes a variable) and, for an http variant, every host on its http port."""
    inventory = yaml.safe_load((lab.state_dir / f"inventory-{base}.yml").read_text())
    common = inventory["all"]["vars"]
    for key, value in changes.items():
        if value is None:
            common.pop(key, None)
        else:
            common[key] = value
    if changes.get("ansible_psrp_protocol") == "http":
        http = yaml.safe_load((lab.state_dir / "inventory-http.yml").read_text())
        for group, members in inventory["all"]["children"].items():
            for host, variables in members["hosts"].items():
                variables["ansible_port"] = http["all"]["children"][group]["hosts"][host][
                    "ansible_port"
                ]
    (lab.state_dir / f"inventory-{name}.yml").write_text(yaml.safe_dump(inventory))
    return name


CLEARTEXT = {
    "winrm-auto": ("http", {"ansible_winrm_message_encryption": None}),
    "winrm-plaintext": (
        "http",
        {"ansible_winrm_message_encryption": None, "ansible_winrm_transport": "plaintext"},
    ),
    "psrp-auto": (
        "psrp",
        {"ansible_psrp_protocol": "http", "ansible_psrp_cert_validation": None},
    ),
}


@pytest.mark.parametrize("name", list(CLEARTEXT))
def test_basic_over_http_is_refused_unless_clear_text_is_accepted(
    lab, run_playbook, record_property, name
):
    base, changes = CLEARTEXT[name]
    before = lab.requests("pc001")
    run = run_playbook(lab, READ, transport=variant(lab, name, base, **changes))
    result = run.result("pc001", "Read")
    assert run.status("pc001", "Read") == "failed", result
    assert result["transport_error"] == "config"
    assert "would send the password in clear text" in result["msg"]
    assert "message_encryption: never" in result["msg"]
    assert lab.requests("pc001") == before, "a request reached the machine"
    assert lab.password not in run.output
    record_property("requests_on_rejected", 0)


@pytest.mark.parametrize("name", ["http", "psrp-never"])
def test_clear_text_accepted_by_the_inventory_works(lab, run_playbook, name):
    if name == "psrp-never":
        variant(
            lab,
            name,
            "psrp",
            ansible_psrp_protocol="http",
            ansible_psrp_cert_validation=None,
            ansible_psrp_message_encryption="never",
        )
    run = run_playbook(lab, READ, transport=name)
    assert run.rc == 0, run.output[-3000:]
    assert run.result("pc001", "Read")["wsman"]["requests"] >= 1
