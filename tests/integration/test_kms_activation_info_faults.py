"""kms_activation_info when things go wrong: the fault table, and the other transports.

What the task stands on (the two SPP reads) fails it with the cause and the fix; what is secondary
(the registry, the events) is reported in the facts and the task stands. After each fault is
cleared, the next run reads everything again. No run writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kmslab.model import admin

TASK = "Activation facts"
NAMES = ("kms1", "pc001", "pc002", "srv001")
E_ACCESSDENIED = 0x80070005
WBEM_E_ACCESS_DENIED = 0x80041003


def play(host: str, **options: Any) -> str:
    args = json.dumps(options) if options else ""
    return f"""
- name: Licensing audit
  hosts: {host}
  gather_facts: false
  tasks:
    - name: {TASK}
      volact.kms.kms_activation_info: {args}
"""


@pytest.fixture(scope="module")
def arranged(lab):
    def arrange() -> None:
        host = lab.machine("kms1")
        assert admin.setup_kms_host(host, lab.host_key, ["corp.lab.test, 0, 100"]) == 0
        for name in NAMES:
            lab.machine(name).journal.clear()

    lab.call(arrange)
    return lab


@pytest.fixture
def clean(arranged) -> Iterator[Any]:
    """The lab, with every fault cleared and nothing written afterwards."""
    yield arranged
    for name in NAMES:
        arranged.server.machine(arranged.machine(name).fqdn).clear_faults()
        arranged.call(arranged.machine(name).faults.clear)
    for name in NAMES:
        assert arranged.writes(name) == [], name


def recovered(lab, run_playbook, host: str, requests: int) -> dict[str, Any]:
    run = run_playbook(lab, play(host))
    assert run.status(host, TASK) == "ok", run.output
    result = run.result(host, TASK)
    assert result["wsman"]["requests"] == requests
    return result["kms_activation"]


@pytest.mark.reliability("faults")
def test_unreachable_host(clean, run_playbook):
    listener = clean.server.machine(clean.machine("kms1").fqdn)
    listener.set_unreachable("refused")
    run = run_playbook(clean, play("kms1"))
    result = run.result("kms1", TASK)
    assert run.status("kms1", TASK) == "unreachable", result
    assert result["unreachable"] is True
    assert result["transport_error"] == "unreachable"
    assert result["wsman"]["requests"] == 1  # the first request found nobody listening
    assert "firewall" in result["msg"]
    listener.set_unreachable(None)
    assert recovered(clean, run_playbook, "kms1", 5)["is_kms_host"] is True


@pytest.mark.reliability("faults")
def test_rejected_credentials_fail_with_the_fix(clean, run_playbook):
    listener = clean.server.machine(clean.machine("pc001").fqdn)
    listener.set_reject_auth(True)
    run = run_playbook(clean, play("pc001"), verbosity=4)
    result = run.result("pc001", TASK)
    assert run.status("pc001", TASK) == "failed", result
    assert result["transport_error"] == "auth"
    assert "ansible_user, ansible_password" in result["msg"]
    assert clean.password not in run.output
    listener.set_reject_auth(False)
    assert recovered(clean, run_playbook, "pc001", 3)["windows"]["channel"] == "Retail"


@pytest.mark.reliability("faults")
def test_hresult_on_the_product_enumeration_fails_with_it_explained(clean, run_playbook):
    machine = clean.machine("pc002")
    clean.call(machine.faults.fail_method, "SoftwareLicensingProduct", "Enumerate", E_ACCESSDENIED)
    run = run_playbook(clean, play("pc002"))
    result = run.result("pc002", TASK)
    assert run.status("pc002", TASK) == "failed", result
    assert result["hresult"] == "0x80070005"
    assert "[HRESULT 0x80070005 (E_ACCESSDENIED): Access denied" in result["msg"]
    assert "What to do: Connect with an account in the host's local Administrators" in result["msg"]
    assert result["wsman"]["requests"] == 2  # the service, then the products that failed
    clean.call(machine.faults.clear)
    assert recovered(clean, run_playbook, "pc002", 3)["windows"]["channel"] == "Volume:MAK"


@pytest.mark.reliability("faults")
def test_timeout_on_the_product_enumeration(clean, run_playbook):
    machine = clean.machine("srv001")
    clean.call(machine.faults.timeout_method, "SoftwareLicensingProduct", "Enumerate", times=1)
    run = run_playbook(clean, play("srv001"))
    result = run.result("srv001", TASK)
    assert run.status("srv001", TASK) == "failed", result
    assert result["hresult"] == "0x80338029"
    assert "re-read the state before retrying" in result["msg"]
    assert recovered(clean, run_playbook, "srv001", 3)["activated"] is False


@pytest.mark.reliability("faults")
def test_registry_and_event_faults_leave_the_facts_standing(clean, run_playbook):
    machine = clean.machine("kms1")
    clean.call(machine.faults.fail_method, "StdRegProv", "EnumValues", E_ACCESSDENIED)
    clean.call(machine.faults.fail_method, "Win32_NTLogEvent", "Enumerate", WBEM_E_ACCESS_DENIED)
    run = run_playbook(clean, play("kms1"))
    result = run.result("kms1", TASK)
    assert run.status("kms1", TASK) == "ok", result
    assert result["wsman"]["requests"] == 4  # both faults cost their request, nothing more
    facts = result["kms_activation"]
    assert facts["activated"] is True
    assert facts["kms_host"]["required_count"] == 25
    assert facts["registry"]["problem"].startswith("the key could not be listed")
    assert "0x80070005" in facts["registry"]["problem"]
    assert facts["events"]["queried"] is True
    assert "WBEM_E_ACCESS_DENIED" in facts["events"]["problem"]
    found = {item["code"] for item in facts["attention"]}
    assert {"registry_unreadable", "events_unavailable"} <= found
    clean.call(machine.faults.clear)
    facts = recovered(clean, run_playbook, "kms1", 5)
    assert facts["registry"]["publish_list"]["entries"][0]["domain"] == "corp.lab.test"
    assert facts["events"]["problem"] is None


@pytest.mark.parametrize("transport", ["http", "psrp"])
def test_other_transports_read_the_same_at_the_same_cost(clean, run_playbook, transport):
    run = run_playbook(clean, play("kms1:pc001"), transport=transport)
    assert run.rc == 0, run.output
    assert run.result("kms1", TASK)["wsman"]["requests"] == 5
    assert run.result("pc001", TASK)["wsman"]["requests"] == 3
    host = run.result("kms1", TASK)["kms_activation"]
    assert host["registry"]["publish_list"]["valid"] is True
    assert host["kms_host"]["listening_port"] == 1688
