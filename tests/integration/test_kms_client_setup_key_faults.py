"""kms_client_setup_key under faults: each one fails the task with its cause and fix, and once the
fault is cleared the next run converges.

The clients are servers (threshold 5); kms1 has already counted 4 other servers of the fleet, so a
client pinned to it activates. kms3 holds a Windows Server 2016 host key (it cannot activate
Windows Server 2022: 0xC004F042); kms4's host key is installed but not activated (0xC004F041).
Each test owns its machines, so the order of tests does not matter.
"""

from __future__ import annotations

import pytest
import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import BRANCH, CORP

pytestmark = pytest.mark.reliability("faults")

MODULE = "volact.kms.kms_client_setup_key"
TASK = "Client"
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("kms3", "ws2016-standard", CORP, role="kms_host"),
        MachineShape("kms4", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("down", "ws2022-standard", CORP, initial_key=KeyKind.MAK),
        MachineShape("faulty", "ws2019-standard", CORP, initial_key=KeyKind.MAK),
        MachineShape("slow", "ws2019-datacenter", CORP, initial_key=KeyKind.MAK),
        MachineShape("stuck", "ws2022-standard", CORP, initial_key=KeyKind.RETAIL),
        *(
            MachineShape(name, "ws2022-datacenter", CORP, initial_key=KeyKind.MAK)
            for name in ("lost74", "lost2b", "lost42", "lost41")
        ),
    ),
    zones=(CORP, BRANCH),
)
KMS1, KMS3, KMS4 = (f"{name}.{CORP}" for name in ("kms1", "kms3", "kms4"))
SLS, SLP = "SoftwareLicensingService", "SoftwareLicensingProduct"


def _arrange(lab) -> None:
    fleet = lab.fleet
    assert admin.setup_kms_host(lab.machine("kms1"), fleet.keys.csvlk("ws2022", 1).key) == 0
    assert admin.setup_kms_host(lab.machine("kms3"), fleet.keys.csvlk("ws2016").key) == 0
    kms4 = lab.machine("kms4")
    admin.install_key(kms4, fleet.keys.csvlk("ws2022", 2).key)  # never activated
    admin.set_firewall_rule(kms4, enabled=True)
    admin.restart_sppsvc(kms4)
    for index in range(4):
        seed = fleet.add(f"seed{index}", "ws2019-standard", domain=CORP, initial_key=KeyKind.GVLK)
        admin.call_service(seed, "SetKeyManagementServiceMachine", MachineName=KMS1)
        admin.activate_windows(seed)


@pytest.fixture(scope="module", autouse=True)
def arranged(lab):
    lab.call(_arrange, lab)
    return lab


def run(lab, run_playbook, host, **options):
    play = {"hosts": host, "gather_facts": False, "tasks": [{"name": TASK, MODULE: options}]}
    return run_playbook(lab, yaml.safe_dump([play]))


def converges(lab, run_playbook, host, **options) -> None:
    first = run(lab, run_playbook, host, **options)
    assert first.rc == 0, first.output
    assert first.result(host, TASK)["activation"]["state"] in ("activated", "already_activated")
    again = run(lab, run_playbook, host, **options)
    assert again.result(host, TASK)["changed"] is False
    assert again.result(host, TASK)["wsman"]["requests"] == 2


def listener(lab, name: str):
    return lab.server.machine(lab.machine(name).fqdn)


def test_unreachable_and_401_fail_before_any_write(lab, run_playbook):
    listener(lab, "down").set_unreachable("refused")
    try:
        gone = run(lab, run_playbook, "down", kms_host=KMS1)
    finally:
        listener(lab, "down").clear_faults()
    assert gone.rc != 0
    assert gone.result("down", TASK)["unreachable"] is True
    assert "cannot reach the WS-Management listener" in gone.result("down", TASK)["msg"]
    listener(lab, "down").set_reject_auth(True)
    try:
        denied = run(lab, run_playbook, "down", kms_host=KMS1)
    finally:
        listener(lab, "down").clear_faults()
    result = denied.result("down", TASK)
    assert denied.status("down", TASK) == "failed"
    assert result["transport_error"] == "auth"
    assert "ansible_password" in result["msg"]
    assert lab.password not in denied.output
    assert lab.writes("down") == []
    converges(lab, run_playbook, "down", kms_host=KMS1)


def test_hresult_on_install_and_on_a_setting_name_the_step_and_fix(lab, run_playbook):
    machine = lab.machine("faulty")
    lab.call(machine.faults.fail_method, SLS, "InstallProductKey", 0xC004F050, times=1)
    bad_key = run(lab, run_playbook, "faulty", kms_host=KMS1)
    result = bad_key.result("faulty", TASK)
    assert bad_key.status("faulty", TASK) == "failed"
    assert result["hresult"] == "0xC004F050"
    assert result["msg"].startswith(
        "InstallProductKey (Windows Server 2019 Standard for Windows(R), ServerStandard edition) "
        "failed:"
    )
    assert "SL_E_INVALID_PRODUCT_KEY" in result["msg"]
    assert "What to do:" in result["msg"]
    assert result["changed"] is False
    assert [w.method for w in lab.writes("faulty")] == ["InstallProductKey"]

    lab.call(machine.faults.fail_method, SLS, "SetKeyManagementServiceMachine", 0x80070005)
    try:
        denied = run(lab, run_playbook, "faulty", kms_host=KMS1)
    finally:
        lab.call(machine.faults.clear)
    result = denied.result("faulty", TASK)
    assert result["hresult"] == "0x80070005"
    assert "SetKeyManagementServiceMachine (kms_host) failed" in result["msg"]
    # The key went in before the setting failed: reported as a change.
    assert result["changed"] is True
    converges(lab, run_playbook, "faulty", kms_host=KMS1)


def test_activate_timing_out_after_it_ran_is_read_back_as_activated(lab, run_playbook):
    machine = lab.machine("slow")
    lab.call(machine.faults.timeout_method, SLP, "Activate", ran=True, times=1)
    slow = run(lab, run_playbook, "slow", kms_host=KMS1)
    result = slow.result("slow", TASK)
    assert slow.rc == 0, slow.output
    assert result["activation"]["state"] == "activated"
    assert "timed out, but the product reads Licensed afterwards" in result["activation"]["message"]
    assert result["kms_client"]["product"]["license_status_name"] == "Licensed"
    # Activate was called once: the module read the product back instead of calling it again.
    assert [w.method for w in lab.writes("slow")].count("Activate") == 1
    converges(lab, run_playbook, "slow", kms_host=KMS1)


def test_activate_timing_out_before_it_ran_is_reported_unknown(lab, run_playbook):
    machine = lab.machine("stuck")
    lab.call(machine.faults.timeout_method, SLP, "Activate", ran=False, times=1)
    stuck = run(lab, run_playbook, "stuck", kms_host=KMS1)
    result = stuck.result("stuck", TASK)
    assert stuck.status("stuck", TASK) == "failed"
    assert result["activation"]["state"] == "unknown"
    assert "reads OOBGrace afterwards" in result["msg"]
    assert result["hresult"] == "0x80338029"
    assert result["changed"] is True  # the GVLK and the host are in place
    converges(lab, run_playbook, "stuck", kms_host=KMS1)


FAILURES = {
    "lost74": ({"kms_host": f"nohost.{CORP}"}, "0xC004F074", "No KMS host could be contacted"),
    "lost2b": (
        {"discovery": True, "lookup_domain": BRANCH},
        "0x8007232B",
        "no _vlmcs._tcp SRV record",
    ),
    "lost42": ({"kms_host": KMS3}, "0xC004F042", "cannot activate this product"),
    "lost41": ({"kms_host": KMS4}, "0xC004F041", "is not activated itself"),
}


@pytest.mark.parametrize("host", list(FAILURES))
def test_activation_failures_explain_the_hresult(lab, run_playbook, host):
    options, code, words = FAILURES[host]
    failed = run(lab, run_playbook, host, **options)
    result = failed.result(host, TASK)
    assert failed.status(host, TASK) == "failed", failed.output
    assert result["hresult"] == code
    assert result["activation"]["state"] == "failed"
    assert words in result["details"]  # what the HRESULT means; msg names it and what to do
    assert f"{code} ({result['hresult_name']}). What to do:" in result["msg"]
    assert result["kms_client"]["product"]["channel"] == "Volume:GVLK"
    if "kms_host" in options:
        assert f"(KMS host: {options['kms_host']}:1688 (pinned))" in result["msg"]
    converges(lab, run_playbook, host, kms_host=KMS1)
