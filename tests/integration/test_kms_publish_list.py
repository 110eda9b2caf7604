"""kms_publish_list for real: ansible-playbook, WS-Man to the lab's kms1, and the SRV records its
sppsvc publishes into the real BIND after the restart.

kms1 is made a KMS host once (host key installed and activated, firewall rule on). Every test sets
the registry values it starts from itself (``arrange``), so the order of the tests does not
matter, and uses domains of its own, so the records in BIND do not mix. A KMS host never deletes
records it published, which is why tests look at their own domains only.
"""

from __future__ import annotations

from typing import Any

import pytest
from kmslab.bind import SrvAnswer
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.machine import Machine
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY, reg_dword, reg_multi_sz
from kmslab.model.service import ServiceState

CORP, BRANCH = "corp.lab.test", "branch.lab.test"
TARGET = "kms1.corp.lab.test."
FIELD = "DnsDomainPublishList"
DISABLE = "DisableDnsPublishing"
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("pc001", "win11-pro", CORP),
    ),
    zones=(CORP, BRANCH),
)


@pytest.fixture(scope="module", autouse=True)
def kms_host(lab) -> Machine:
    machine = lab.machine("kms1")
    assert lab.call(admin.setup_kms_host, machine, lab.host_key) == 0
    return machine


def arrange(lab, entries: list[str] | None, disable: int | None = None, name: str = "kms1"):
    """Put the values in the registry behind Ansible's back, clear every fault, and (re)start
    sppsvc so that it has read them, as a host that has been running for a while would have."""

    def apply(machine: Machine) -> None:
        registry = machine.registry
        for value, data in ((FIELD, entries), (DISABLE, disable)):
            if data is None:
                registry.drop(SPP_KEY, value)
            else:
                registry.put(
                    SPP_KEY, value, reg_dword(data) if value == DISABLE else reg_multi_sz(data)
                )
        machine.faults.clear()
        if machine.sppsvc.state is not ServiceState.STOPPED:
            machine.sppsvc.stop_service()
        machine.sppsvc.start_service()

    lab.call(apply, lab.machine(name))


def registry(lab, value: str, name: str = "kms1") -> Any:
    found = lab.call(lambda: lab.machine(name).registry.get(HKEY_LOCAL_MACHINE, SPP_KEY, value))
    return None if found is None else (list(found.data) if value == FIELD else found.data)


def starts(lab, name: str = "kms1") -> int:
    return lab.call(lambda: lab.machine(name).sppsvc.starts)


def task(domains: Any = None, **options: Any) -> str:
    args = {"domains": domains, **options} if domains is not None else options
    lines = "\n".join(f"        {key}: {_yaml(value)}" for key, value in args.items())
    return f"""
- hosts: kms1
  gather_facts: false
  tasks:
    - name: publish
      volact.kms.kms_publish_list:
{lines}
"""


def _yaml(value: Any) -> str:
    import json  # noqa: PLC0415  # JSON is YAML: the task text stays exact

    return json.dumps(value)


def result(run) -> dict[str, Any]:
    return run.result("kms1", "publish")


def srv(lab, domain: str) -> list[SrvAnswer]:
    return lab.bind.query_srv(domain)


def test_change_restarts_sppsvc_and_bind_serves_the_new_priorities(lab, run_playbook):
    arrange(lab, None)
    before = starts(lab)
    domains = [
        {"name": "p1.corp.lab.test", "priority": 10, "weight": 50},
        {"name": BRANCH, "priority": 20, "weight": 5},
        "p2.corp.lab.test",
    ]
    run = run_playbook(lab, task(domains))
    assert run.rc == 0, run.output
    out = result(run)
    assert out["changed"]
    assert out["restarted"]
    assert not out["restart_required"]
    assert out["publish_list"]["before_raw"] is None
    assert out["publish_list"]["after_raw"] == [
        "p1.corp.lab.test, 10, 50",
        "branch.lab.test, 20, 5",
        "p2.corp.lab.test",
    ]
    assert out["publish_list"]["after"][2] == {
        "name": "p2.corp.lab.test",
        "priority": 0,
        "weight": 0,
    }
    assert out["srv_records"] == [
        {"domain": CORP, "target": TARGET[:-1], "port": 1688, "priority": 0, "weight": 0},
        {
            "domain": "p1.corp.lab.test",
            "target": TARGET[:-1],
            "port": 1688,
            "priority": 10,
            "weight": 50,
        },
        {"domain": BRANCH, "target": TARGET[:-1], "port": 1688, "priority": 20, "weight": 5},
        {
            "domain": "p2.corp.lab.test",
            "target": TARGET[:-1],
            "port": 1688,
            "priority": 0,
            "weight": 0,
        },
    ]
    # 1 read, Win32_ComputerSystem, SoftwareLicensingService, 1 write, stop/poll/start/poll.
    assert out["wsman"]["requests"] == 8
    assert starts(lab) == before + 1
    # What the host published after the restart, read back from the real BIND.
    for record in out["srv_records"]:
        answer = SrvAnswer(record["priority"], record["weight"], 1688, TARGET)
        assert srv(lab, record["domain"]) == [answer], record
    assert lab.bind.dig("_vlmcs._tcp.p1.corp.lab.test", "SRV", "+short").split() == [
        "10",
        "50",
        "1688",
        TARGET,
    ]

    writes = len(lab.writes("kms1"))
    requests = lab.requests("kms1")
    again = run_playbook(lab, task(domains))
    assert again.rc == 0, again.output
    assert not result(again)["changed"]
    assert "srv_records" not in result(again)  # nothing changed: the host facts are not read
    assert result(again)["wsman"]["requests"] == 1
    grown = {op: n - requests.get(op, 0) for op, n in lab.requests("kms1").items()}
    assert {op: n for op, n in grown.items() if n} == {"Invoke": 1}  # GetMultiStringValue only
    assert lab.writes("kms1")[writes:] == []
    assert starts(lab) == before + 1


def test_same_meaning_in_another_spelling_or_order_is_left_alone(lab, run_playbook):
    arrange(lab, ["s1.corp.lab.test,0,0", "s2.corp.lab.test ,7", ""])
    writes = len(lab.writes("kms1"))
    domains = [{"name": "S2.corp.lab.test.", "priority": 7, "weight": 0}, "s1.corp.lab.test"]
    run = run_playbook(lab, task(domains, state="exact"))
    assert run.rc == 0, run.output
    assert not result(run)["changed"]
    assert result(run)["wsman"]["requests"] == 1
    assert lab.writes("kms1")[writes:] == []
    assert registry(lab, FIELD) == ["s1.corp.lab.test,0,0", "s2.corp.lab.test ,7", ""]


def test_absent_removes_and_exact_replaces_then_empties(lab, run_playbook):
    arrange(lab, ["a1.corp.lab.test, 1, 1", "a2.corp.lab.test, 2, 2", "a3.corp.lab.test"])
    run = run_playbook(lab, task([{"name": "a2.corp.lab.test", "priority": 9}], state="absent"))
    assert run.rc == 0, run.output
    assert result(run)["changed"]
    assert registry(lab, FIELD) == ["a1.corp.lab.test, 1, 1", "a3.corp.lab.test"]

    exact = [
        {"name": "a3.corp.lab.test", "weight": 30},
        {"name": "a4.corp.lab.test", "priority": 4},
    ]
    run = run_playbook(lab, task(exact, state="exact"))
    assert run.rc == 0, run.output
    assert registry(lab, FIELD) == ["a3.corp.lab.test, 0, 30", "a4.corp.lab.test, 4"]
    assert srv(lab, "a3.corp.lab.test") == [SrvAnswer(0, 30, 1688, TARGET)]
    assert srv(lab, "a4.corp.lab.test") == [SrvAnswer(4, 0, 1688, TARGET)]

    run = run_playbook(lab, task([], state="exact"))
    assert run.rc == 0, run.output
    out = result(run)
    assert out["changed"]
    assert out["publish_list"]["after_raw"] is None
    assert registry(lab, FIELD) is None  # the value is gone, not left empty
    assert out["srv_records"] == [
        {"domain": CORP, "target": TARGET[:-1], "port": 1688, "priority": 0, "weight": 0}
    ]
    assert not result(run_playbook(lab, task([], state="exact")))["changed"]


def test_check_mode_writes_nothing_and_diff_shows_the_raw_lines(lab, run_playbook):
    arrange(lab, ["c1.corp.lab.test,1,1"])
    writes = len(lab.writes("kms1"))
    before = starts(lab)
    domains = [{"name": "c1.corp.lab.test", "priority": 3, "weight": 4}, "c2.corp.lab.test"]
    run = run_playbook(lab, task(domains), check=True, diff=True)
    assert run.rc == 0, run.output
    out = result(run)
    assert out["changed"]
    assert not out["restarted"]
    assert not out["restart_required"]
    assert out["diff"]["before"] == {FIELD: ["c1.corp.lab.test,1,1"]}
    assert out["diff"]["after"] == {FIELD: ["c1.corp.lab.test, 3, 4", "c2.corp.lab.test"]}
    assert out["diff"]["before_header"].endswith(r"\SoftwareProtectionPlatform")
    assert '-        "c1.corp.lab.test,1,1"' in run.output
    assert '+        "c1.corp.lab.test, 3, 4",' in run.output
    assert out["srv_records"][1] == {
        "domain": "c1.corp.lab.test",
        "target": TARGET[:-1],
        "port": 1688,
        "priority": 3,
        "weight": 4,
    }
    assert out["wsman"]["requests"] == 3  # the list, Win32_ComputerSystem, SoftwareLicensingService
    assert lab.writes("kms1")[writes:] == []
    assert registry(lab, FIELD) == ["c1.corp.lab.test,1,1"]
    assert starts(lab) == before
    assert srv(lab, "c2.corp.lab.test") == []


def test_drift_is_reported_in_check_mode_and_corrected(lab, run_playbook):
    domains = [{"name": "d1.corp.lab.test", "priority": 5, "weight": 60}]
    arrange(lab, ["d1.corp.lab.test, 5, 60"])
    assert not result(run_playbook(lab, task(domains)))["changed"]

    drifted = ["d1.corp.lab.test, 50, 1", "rogue.corp.lab.test"]
    lab.call(lab.machine("kms1").registry.put, SPP_KEY, FIELD, reg_multi_sz(drifted))
    writes = len(lab.writes("kms1"))
    check = run_playbook(lab, task(domains), check=True, diff=True)
    assert check.rc == 0, check.output
    assert result(check)["changed"]
    assert result(check)["diff"]["before"] == {FIELD: drifted}
    assert result(check)["diff"]["after"] == {
        FIELD: ["d1.corp.lab.test, 5, 60", "rogue.corp.lab.test"]
    }
    assert lab.writes("kms1")[writes:] == []

    fix = run_playbook(lab, task(domains))
    assert fix.rc == 0, fix.output
    assert result(fix)["changed"]
    assert result(fix)["restarted"]
    assert registry(lab, FIELD) == ["d1.corp.lab.test, 5, 60", "rogue.corp.lab.test"]
    assert srv(lab, "d1.corp.lab.test") == [SrvAnswer(5, 60, 1688, TARGET)]


def test_garbage_on_the_host_fails_present_and_exact_replaces_it(lab, run_playbook):
    arrange(lab, ["g1.corp.lab.test, 1", "g2.corp.lab.test,,5", "a b c"])
    writes = len(lab.writes("kms1"))
    run = run_playbook(lab, task(["g3.corp.lab.test"]))
    assert run.rc != 0
    out = result(run)
    assert run.status("kms1", "publish") == "failed"
    assert (
        'DnsDomainPublishList[1] "g2.corp.lab.test,,5": the priority field is empty.' in out["msg"]
    )
    assert 'DnsDomainPublishList[2] "a b c"' in out["msg"]
    assert "state: exact" in out["msg"]
    assert out["wsman"]["requests"] == 1
    assert lab.writes("kms1")[writes:] == []

    kept = [{"name": "g1.corp.lab.test", "priority": 1}, "g3.corp.lab.test"]
    run = run_playbook(lab, task(kept, state="exact"))
    assert run.rc == 0, run.output
    out = result(run)
    assert [m["index"] for m in out["publish_list"]["malformed"]] == [1, 2]
    assert registry(lab, FIELD) == ["g1.corp.lab.test, 1", "g3.corp.lab.test"]  # g1 kept as is
    assert srv(lab, "g1.corp.lab.test") == [SrvAnswer(1, 0, 1688, TARGET)]


def test_disable_publishing_is_read_and_written_only_when_given(lab, run_playbook):
    arrange(lab, ["x1.corp.lab.test"], disable=None)
    run = run_playbook(lab, task(["x1.corp.lab.test"], disable_publishing=True))
    assert run.rc == 0, run.output
    out = result(run)
    assert out["changed"]
    assert out["disable_publishing"] == {"before": False, "after": True}
    assert out["srv_records"] == []  # the host publishes nothing any more
    assert registry(lab, DISABLE) == 1
    assert registry(lab, FIELD) == ["x1.corp.lab.test"]

    again = run_playbook(lab, task(["x1.corp.lab.test"], disable_publishing=True))
    assert not result(again)["changed"]
    assert result(again)["wsman"]["requests"] == 2  # GetMultiStringValue and GetDWORDValue

    alone = run_playbook(lab, task(disable_publishing=False), diff=True)
    assert alone.rc == 0, alone.output
    out = result(alone)
    assert out["changed"]
    assert registry(lab, DISABLE) == 0
    assert out["diff"]["before"] == {FIELD: ["x1.corp.lab.test"], DISABLE: 1}
    assert out["diff"]["after"] == {FIELD: ["x1.corp.lab.test"], DISABLE: 0}
    assert [r["domain"] for r in out["srv_records"]] == [CORP, "x1.corp.lab.test"]
    assert srv(lab, "x1.corp.lab.test") == [SrvAnswer(0, 0, 1688, TARGET)]


def test_without_restart_the_result_says_a_restart_is_due(lab, run_playbook):
    arrange(lab, None)
    before = starts(lab)
    run = run_playbook(
        lab, task([{"name": "r1.corp.lab.test", "weight": 7}], restart_service="never")
    )
    assert run.rc == 0, run.output
    out = result(run)
    assert out["changed"]
    assert out["restart_required"]
    assert not out["restarted"]
    assert out["wsman"]["requests"] == 4  # read, two facts, one write: no service control
    assert starts(lab) == before
    assert srv(lab, "r1.corp.lab.test") == []  # sppsvc has not read it yet
    # What a handler runs: restart now, though the list is already as wanted.
    handler = run_playbook(lab, task([], restart_service="always"))
    assert handler.rc == 0, handler.output
    assert (result(handler)["changed"], result(handler)["restarted"]) == (True, True)
    assert starts(lab) == before + 1
    assert srv(lab, "r1.corp.lab.test") == [SrvAnswer(0, 7, 1688, TARGET)]


def test_a_machine_that_is_no_kms_host_gets_a_warning(lab, run_playbook):
    arrange(lab, None, name="pc001")
    playbook = task(["w1.corp.lab.test"]).replace("hosts: kms1", "hosts: pc001")
    run = run_playbook(lab, playbook)
    assert run.rc == 0, run.output
    out = run.result("pc001", "publish")
    assert out["changed"]
    assert out["srv_records"] == []
    assert any("not a KMS host" in warning for warning in out["warnings"])


@pytest.mark.parametrize("transport", ["http", "psrp"])
def test_other_transports_converge_in_one_request(lab, run_playbook, transport):
    arrange(lab, ["t1.corp.lab.test, 1, 2"])
    run = run_playbook(
        lab, task([{"name": "t1.corp.lab.test", "priority": 1, "weight": 2}]), transport=transport
    )
    assert run.rc == 0, run.output
    assert not result(run)["changed"]
    assert result(run)["wsman"]["requests"] == 1


@pytest.mark.reliability("secrets")
def test_no_secret_in_verbose_output(lab, run_playbook):
    arrange(lab, None)
    run = run_playbook(lab, task(["v1.corp.lab.test"]), verbosity=4, diff=True)
    assert run.rc == 0, run.output
    assert lab.password not in run.output
    assert lab.host_key not in run.output
    assert lab.host_key.replace("-", "") not in run.output
