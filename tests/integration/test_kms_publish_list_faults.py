"""kms_publish_list when things go wrong: bad input is refused before anything is sent, and each
fault on the way (the listener, the credentials, the registry write, the write's reply, sppsvc)
gives a failed task that names the cause and what to do, leaves the host as it was, and lets the
next run converge and publish.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from kmslab.bind import SrvAnswer
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.machine import Machine
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY, reg_multi_sz
from kmslab.model.service import ServiceState

CORP = "corp.lab.test"
TARGET = "kms1.corp.lab.test."
FIELD = "DnsDomainPublishList"
BASELINE = ["base.corp.lab.test, 1, 1"]
LAB_SHAPE = LabShape(
    machines=(MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),),
    zones=(CORP,),
)


@pytest.fixture(scope="module", autouse=True)
def kms_host(lab) -> Machine:
    machine = lab.machine("kms1")
    assert lab.call(admin.setup_kms_host, machine, lab.host_key) == 0
    return machine


@pytest.fixture(autouse=True)
def baseline(lab):
    """The list every test starts from, read by a running sppsvc; no fault armed before or
    after."""

    def apply(machine: Machine) -> None:
        machine.faults.clear()
        machine.registry.put(SPP_KEY, FIELD, reg_multi_sz(BASELINE))
        if machine.sppsvc.state is not ServiceState.STOPPED:
            machine.sppsvc.stop_service()
        machine.sppsvc.start_service()

    listener = lab.server.machine(lab.machine("kms1").fqdn)
    listener.clear_faults()
    lab.call(apply, lab.machine("kms1"))
    yield
    listener.clear_faults()
    lab.call(lab.machine("kms1").faults.clear)


def task(domains: Any, **options: Any) -> str:
    args = {"domains": domains, **options}
    lines = "\n".join(f"        {key}: {json.dumps(value)}" for key, value in args.items())
    return f"""
- hosts: kms1
  gather_facts: false
  tasks:
    - name: publish
      volact.kms.kms_publish_list:
{lines}
"""


def held(lab) -> list[str] | None:
    found = lab.call(lambda: lab.machine("kms1").registry.get(HKEY_LOCAL_MACHINE, SPP_KEY, FIELD))
    return None if found is None else list(found.data)


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}


BAD_INPUT = {
    "duplicate": (
        ["dup.corp.lab.test", {"name": "DUP.corp.lab.test.", "priority": 1}],
        'domains[1]: domain "dup.corp.lab.test" is already listed at domains[0]. '
        "Keep one entry per domain.",
    ),
    "priority 70000": (
        [{"name": "big.corp.lab.test", "priority": 70000}],
        "domains[0].priority: 70000 is out of range. Write a number from 0 to 65535.",
    ),
    "look-alike": (
        ["\u0441\u043erp.lab.test"],  # Cyrillic es and o
        'domains[0]: "\u0441\u043erp.lab.test" has characters that look like ASCII but are not: '
        'position 1 is "\u0441" (U+0441 CYRILLIC SMALL LETTER ES)',
    ),
    "registry text": (
        ["txt.corp.lab.test, 1, 2"],
        'domains[0]: "txt.corp.lab.test, 1, 2" looks like registry text',
    ),
    "unknown key": (
        [{"name": "key.corp.lab.test", "prio": 1}],
        "domains[0]: unknown key(s) prio. Use only name, priority, weight.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
@pytest.mark.reliability("bad_input")
def test_bad_input_is_refused_before_any_request(lab, run_playbook, case):
    domains, message = BAD_INPUT[case]
    requests = lab.requests("kms1")
    writes = len(lab.writes("kms1"))
    run = run_playbook(lab, task(domains))
    assert run.rc != 0
    assert run.status("kms1", "publish") == "failed"
    assert message in run.result("kms1", "publish")["msg"]
    assert "Traceback" not in run.output
    assert grown(requests, lab.requests("kms1")) == {}  # not one request reached the host
    assert lab.writes("kms1")[writes:] == []


@pytest.mark.reliability("bad_input")
def test_a_zero_restart_timeout_is_refused_before_any_request(lab, run_playbook):
    requests = lab.requests("kms1")
    run = run_playbook(lab, task(["t.corp.lab.test"], restart_timeout=0))
    assert "restart_timeout: 0 is not a number of seconds." in run.result("kms1", "publish")["msg"]
    assert grown(requests, lab.requests("kms1")) == {}


def arm_unreachable(lab) -> None:
    lab.server.machine(lab.machine("kms1").fqdn).set_unreachable("refused")


def arm_401(lab) -> None:
    lab.server.machine(lab.machine("kms1").fqdn).set_reject_auth(True)


def arm_access_denied(lab) -> None:
    lab.call(lab.machine("kms1").faults.fail_return, "StdRegProv", "SetMultiStringValue", 5)


def arm_write_timeout(lab) -> None:
    # The write runs, but its reply is a w:TimedOut: the outcome is unknown to the module.
    fault = lab.machine("kms1").faults.timeout_method
    lab.call(fault, "StdRegProv", "SetMultiStringValue", ran=True, times=1)


def arm_sppsvc_start(lab) -> None:
    lab.call(lab.machine("kms1").faults.fail_service, "sppsvc", "start", 8)


# case -> (arm, task status, words in msg, write methods seen, rolled_back, hresult)
FAULTS = {
    "unreachable": (
        arm_unreachable,
        "unreachable",
        ["cannot reach the WS-Management listener", "ansible_host, ansible_port"],
        [],
        None,
        None,
    ),
    "401": (
        arm_401,
        "failed",
        ["authentication failed", "ansible_user, ansible_password"],
        [],
        None,
        None,
    ),
    "registry access denied": (
        arm_access_denied,
        "failed",
        [
            "writing the new values failed: SetMultiStringValue of SOFTWARE\\Microsoft\\Windows "
            "NT\\CurrentVersion\\SoftwareProtectionPlatform\\DnsDomainPublishList failed: "
            "5 (ERROR_ACCESS_DENIED)",
            "Administrators group",
        ],
        [("SetMultiStringValue", "ReturnValue=5")],
        None,
        None,
    ),
    "write timed out": (
        arm_write_timeout,
        "failed",
        ["writing the new values failed", "put back as they were", "run the task again"],
        [
            ("SetMultiStringValue", "timeout after running"),
            ("SetMultiStringValue", "ReturnValue=0"),
        ],
        True,
        "0x80338029",
    ),
    "sppsvc does not start": (
        arm_sppsvc_start,
        "failed",
        [
            "restarting sppsvc failed: StartService of sppsvc failed: 8 (Unknown Failure)",
            "put back as they were",
        ],
        [
            ("SetMultiStringValue", "ReturnValue=0"),
            ("StopService", "ReturnValue=0"),
            ("StartService", "ReturnValue=8"),
            ("SetMultiStringValue", "ReturnValue=0"),
        ],
        True,
        None,
    ),
}


@pytest.mark.parametrize("case", list(FAULTS))
@pytest.mark.reliability("faults")
def test_fault_fails_clearly_leaves_the_host_as_it_was_then_converges(lab, run_playbook, case):
    arm, status, words, methods, rolled_back, hresult = FAULTS[case]
    domain = f"f{list(FAULTS).index(case)}.corp.lab.test"
    domains = [{"name": domain, "priority": 30, "weight": 70}]
    writes = len(lab.writes("kms1"))
    arm(lab)
    run = run_playbook(lab, task(domains))
    assert run.rc != 0
    assert run.status("kms1", "publish") == status, run.output
    out = run.result("kms1", "publish")
    for word in words:
        assert word in out["msg"], out["msg"]
    assert out.get("rolled_back") == rolled_back
    assert out.get("unreachable", False) == (case == "unreachable")
    assert out.get("hresult") == hresult
    seen = [(w.method, w.outcome) for w in lab.writes("kms1")[writes:]]
    assert seen == methods
    assert held(lab) == BASELINE  # as it was: never changed, or put back
    assert lab.bind.query_srv(domain) == []

    lab.server.machine(lab.machine("kms1").fqdn).clear_faults()
    lab.call(lab.machine("kms1").faults.clear)
    clean = run_playbook(lab, task(domains))
    assert clean.rc == 0, clean.output
    assert run_result(clean)["changed"]
    assert run_result(clean)["restarted"]
    assert held(lab) == [*BASELINE, f"{domain}, 30, 70"]
    assert lab.bind.query_srv(domain) == [SrvAnswer(30, 70, 1688, TARGET)]
    assert lab.call(lambda: lab.machine("kms1").sppsvc.state) is ServiceState.RUNNING
    again = run_playbook(lab, task(domains))
    assert not run_result(again)["changed"]
    assert run_result(again)["wsman"]["requests"] == 1


def run_result(run) -> dict[str, Any]:
    return run.result("kms1", "publish")
