"""site.yml restarts sppsvc once per new KMS host, and a converged run says nothing untrue.

kms_host (host key, host settings) and kms_publish (publish list) both need sppsvc restarted on a
new host; the handler both notify runs once. A second run changes nothing, so nothing may say a
restart is coming or a list changed, and no task header may stand with no host under it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kmslab.lab import Lab
from kmslab.presets import demo
from kmslab.variants import Variants

ROOT = Path(__file__).resolve().parents[2]
LAB_SHAPE = demo(clients=2)  # kms1 and kms2, new; two clients in branch.lab.test
SITE = f"- ansible.builtin.import_playbook: {ROOT / 'playbooks' / 'site.yml'}\n"
HEADER = re.compile(r"^(TASK|RUNNING HANDLER) \[")
UNTRUE_ON_A_CONVERGED_RUN = ("restarts once", "sppsvc restarts", "publish list changed")
READ_BACK = "volact.kms.kms_host : Check the host is a KMS host that answers as configured"
DNS_CHECK = "volact.kms.kms_publish : Check from DNS that every domain returns the expected records"


def site(lab, run_playbook, **options):
    args = [
        "-i",
        str(ROOT / "playbooks" / "demo" / "inventory"),
        "-e",
        f"@{lab.state_dir / 'secrets.yml'}",
    ]
    return run_playbook(lab, SITE, transport="ntlm", extra_args=args, **options)


def starts(lab, name: str) -> int:
    return [w.method for w in lab.writes(name)].count("StartService")


def empty_headers(stdout: str) -> list[str]:
    """Task and handler headers followed by another header, a play or the recap: no host under
    them."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    return [
        line
        for line, after in zip(lines, [*lines[1:], "PLAY RECAP"], strict=True)
        if HEADER.match(line) and (HEADER.match(after) or after.startswith("PLAY "))
    ]


def recap_changed(stdout: str) -> dict[str, int]:
    found = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", stdout, re.M)
    return {host: int(changed) for host, changed in found}


def test_first_run_restarts_each_new_host_once_and_the_second_says_nothing(lab, run_playbook):
    hosts = lab.names("kms_host")
    booted = {name: lab.machine(name).sppsvc.starts for name in hosts}

    first = site(lab, run_playbook)
    assert first.rc == 0, first.output[-5000:]
    for name in hosts:
        # One StopService/StartService pair from the play, for the key and the list together.
        assert starts(lab, name) == 1, (name, [w.method for w in lab.writes(name)])
        assert lab.machine(name).sppsvc.starts == booted[name] + 1, name
    branch = sorted((r.priority, r.weight, r.target) for r in lab.bind.query_srv("branch.lab.test"))
    assert branch == [(10, 30, "kms1.corp.lab.test."), (20, 70, "kms2.corp.lab.test.")]
    # DNS was checked after the restart (by the handler's follow-up, not before it), and each
    # host was read back after it.
    assert first.status("kms1", DNS_CHECK) == "skipped"
    assert first.status("kms1", f"{DNS_CHECK}, now the hosts republished") == "ok"
    for name in hosts:
        assert first.status(name, READ_BACK) == "ok", name

    second = site(lab, run_playbook)
    assert second.rc == 0, second.output[-5000:]
    assert recap_changed(second.stdout) == dict.fromkeys(lab.names(), 0)
    assert all(starts(lab, name) == 1 for name in hosts)
    for phrase in UNTRUE_ON_A_CONVERGED_RUN:
        assert phrase not in second.stdout.lower(), phrase
    assert "RUNNING HANDLER" not in second.stdout
    assert empty_headers(second.stdout) == [], second.stdout
    # The converged run still reads each host back and checks DNS.
    for name in hosts:
        assert second.status(name, READ_BACK) == "ok", name
    assert second.status("kms1", DNS_CHECK) == "ok"


@pytest.mark.parametrize(("flag", "restarts"), [("immediate", 1), ("after_restart", 2)])
def test_a_new_host_with_its_own_port_is_done_in_one_run_under_both_flag_forms(
    run_playbook, flag, restarts
):
    """Where Windows reports the KMS host role only after sppsvc restarts (the lab variant
    kms_flag_after_install; no source settles it), the host settings cannot be made before that
    restart: the role starts the role, makes them, and the play's one restart applies them with
    the publish list. That needs a second restart there, and only there."""
    variants = Variants({"kms_flag_after_install": flag})
    with Lab(LAB_SHAPE, http_port=0, https_port=0, variants=variants) as lab:
        lab.call(lambda: [lab.machine(n).firewall.allow_port(1690) for n in ("kms1", "kms2")])
        port = {"kms_host_listening_port": 1690}
        first = site(lab, run_playbook, extra_vars=port)
        assert first.rc == 0, first.output[-5000:]
        for name in lab.names("kms_host"):
            assert starts(lab, name) == restarts, (name, [w.method for w in lab.writes(name)])
            assert lab.call(lambda n=name: lab.machine(n).spp.effective.listening_port) == 1690
        branch = {(r.port, r.target) for r in lab.bind.query_srv("branch.lab.test")}
        assert branch == {(1690, "kms1.corp.lab.test."), (1690, "kms2.corp.lab.test.")}
        second = site(lab, run_playbook, extra_vars=port)
        assert second.rc == 0, second.output[-5000:]
        assert recap_changed(second.stdout) == dict.fromkeys(lab.names(), 0)
        assert "[WARNING]" not in second.output
