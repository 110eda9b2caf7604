"""playbooks/site.yml with the three roles, on the demo fleet: converge, re-run, drift, secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kmslab import control
from kmslab.model import admin
from kmslab.presets import demo

ROOT = Path(__file__).resolve().parents[2]
LAB_SHAPE = demo()
SITE = f"- ansible.builtin.import_playbook: {ROOT / 'playbooks' / 'site.yml'}\n"


def site(lab, run_playbook, **options):
    args = [
        "-i",
        str(ROOT / "playbooks" / "demo" / "inventory"),
        "-e",
        f"@{lab.state_dir / 'secrets.yml'}",
        "--forks",
        "10",
    ]
    return run_playbook(lab, SITE, transport="ntlm", extra_args=args, **options)


def recap(run) -> dict[str, dict[str, int]]:
    found = re.findall(
        r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", run.stdout, re.M
    )
    return {
        host: {"changed": int(c), "unreachable": int(u), "failed": int(f)}
        for host, _o, c, u, f in found
    }


@pytest.fixture(scope="module")
def deployed(lab, run_playbook):
    first = site(lab, run_playbook)
    assert first.rc == 0, first.output[-5000:]
    return first


def test_first_run_deploys_publishes_and_activates_everyone(lab, deployed):
    assert set(recap(deployed)) == set(lab.names())
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap(deployed).values())
    branch = sorted((r.priority, r.weight, r.target) for r in lab.bind.query_srv("branch.lab.test"))
    assert branch == [(10, 30, "kms1.corp.lab.test."), (20, 70, "kms2.corp.lab.test.")]
    assert (
        "kms1: 32 clients counted; threshold reached, activation started at 25" in deployed.stdout
    )
    for name in lab.names("client"):
        assert lab.call(admin.windows_product, lab.machine(name))["LicenseStatus"] == 1, name


def test_the_clients_outcomes_are_one_task_with_one_line_per_machine(lab, deployed):
    # One worker for the whole play instead of one per client (docs/performance.md).
    task = "Report each machine's outcome"
    reports = [r for r in deployed.results if r["task"].endswith(task)]
    assert len(reports) == 1, [r["host"] for r in reports]
    lines = reports[0]["result"]["msg"]
    clients = lab.names("client")
    assert sorted(line.split(":", 1)[0] for line in lines) == sorted(clients)
    for line in lines:
        assert line.endswith(", activated"), line
        assert "no Windows product" not in line, line


def test_second_run_changes_nothing(lab, run_playbook, deployed):
    again = site(lab, run_playbook)
    assert again.rc == 0, again.output[-5000:]
    assert {host: r["changed"] for host, r in recap(again).items()} == dict.fromkeys(lab.names(), 0)


def test_drift_is_listed_in_check_mode_and_corrected(lab, run_playbook, deployed):
    control.drift(
        lab,
        "kms1",
        registry="DnsDomainPublishList",
        value=["branch.lab.test, 90, 1"],
        kind="REG_MULTI_SZ",
    )
    control.drift(lab, "kms2", firewall=False)
    writes = {name: len(lab.writes(name)) for name in lab.names()}
    check = site(lab, run_playbook, check=True, diff=True)
    assert {name: len(lab.writes(name)) for name in lab.names()} == writes  # nothing written
    changed = {host for host, r in recap(check).items() if r["changed"]}
    assert {"kms1", "kms2"} <= changed
    assert "branch.lab.test, 90, 1" in check.stdout  # the diff shows the drifted value
    fix = site(lab, run_playbook)
    assert fix.rc == 0, fix.output[-5000:]
    again = site(lab, run_playbook)
    assert {host: r["changed"] for host, r in recap(again).items()} == dict.fromkeys(lab.names(), 0)


@pytest.mark.reliability("secrets")
def test_no_secret_reaches_the_output_at_vvvv(lab, run_playbook, deployed, tmp_path):
    log = tmp_path / "ansible.log"
    run = site(lab, run_playbook, verbosity=4, diff=True, env={"ANSIBLE_LOG_PATH": str(log)})
    assert run.rc == 0, run.output[-5000:]
    text = run.output + log.read_text() + str(run.results)
    assert "kms_host_key" in text  # the variable was there to leak
    for secret in (lab.host_key, lab.password, lab.bind.key_secret):
        assert secret not in text
