"""kms_host_key for real: ansible-playbook against lab KMS host candidates (Windows Server 2022).

Every test works on its own machine with its own host key (the lab's CSVLK serial per machine, so
the per-key activation limit of §2.7 never couples tests), so the order of tests does not matter.
The lab's write journal proves check mode and refused input write nothing; its request counters
prove what a converged run costs.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.firewall import KMS_RULE
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY, reg_sz
from kmslab.presets import CORP
from kmslab.variants import Variants

MODULE = "volact.kms.kms_host_key"
TASK = "Host key"
HOSTS = (
    "fresh",
    "checked",
    "verbose",
    "drifted",
    "deferred",
    "retired",
    "refused",
    "office",
    "reverted",
)
LAB_SHAPE = LabShape(
    machines=tuple(
        # "office" has the Office LTSC 2021 volume license pack installed (license_packs.py).
        MachineShape(
            name,
            "ws2022-standard",
            CORP,
            role="kms_host",
            license_packs=("office2021",) if name == "office" else (),
        )
        for name in HOSTS
    ),
    zones=(CORP,),
)
# When IsKeyManagementServiceMachine turns 1 after a host key's InstallProductKey is unconfirmed
# (kms-facts §2.6 only says to restart sppsvc): the lab variant kms_flag_after_install. Tests whose
# run differs between the two forms run on a lab per value (flag_lab).
FLAGS = ("immediate", "after_restart")
FLAG_SHAPE = LabShape(
    machines=tuple(
        MachineShape(name, "ws2022-standard", CORP, role="kms_host")
        for name in ("fresh", "deferred")
    ),
    zones=(CORP,),
)
# Windows Server 2022 Standard's published GVLK (reference/gvlk.csv).
WS2022_STANDARD_GVLK = "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
SETTINGS = {
    "listening_port": 1690,
    "dns_publishing": False,
    "low_priority": True,
    "activation_interval": 60,
    "renewal_interval": 1440,
    "host_caching": False,
}


def host_key(lab, name: str, group: str = "ws2022") -> str:
    """The lab's host key for ``name``: one CSVLK serial per machine."""
    serial = HOSTS.index(name) + 1
    return lab.call(lambda: lab.fleet.keys.csvlk(group, serial).key)


def playbook(host: str, vars_files: tuple[str, ...] = (), **options: Any) -> str:
    task = {"name": TASK, MODULE: options}
    play = {"hosts": host, "gather_facts": False, "tasks": [task]}
    if vars_files:
        play["vars_files"] = list(vars_files)
    return yaml.safe_dump([play])


def play(
    lab,
    run_playbook,
    host,
    key,
    *,
    check=False,
    diff=False,
    verbosity=0,
    transport="https",
    **options,
):
    """Run the module once on ``host``. The key travels as an extra var, except at high
    verbosity, where ansible-playbook echoes its command line: there it comes from a vars file,
    as a vaulted variable would."""
    args = {"key": "{{ host_key }}", **options} if key is not None else options
    extra = {"host_key": key} if key is not None else None
    files: tuple[str, ...] = ()
    if key is not None and verbosity:
        path = lab.state_dir / f"vault-{host}.yml"
        path.write_text(yaml.safe_dump({"host_key": key}))
        files, extra = (str(path),), None
    run = run_playbook(
        lab,
        playbook(host, files, **args),
        check=check,
        diff=diff,
        verbosity=verbosity,
        extra_vars=extra,
        transport=transport,
    )
    return run, run.result(host, TASK)


def registry_value(lab, host: str, name: str) -> object:
    value = lab.call(lambda: lab.machine(host).registry.get(HKEY_LOCAL_MACHINE, SPP_KEY, name))
    return None if value is None else value.data


def effective(lab, host: str):
    return lab.call(lambda: lab.machine(host).spp.effective)


def windows_row(lab, host: str) -> dict[str, Any] | None:
    return lab.call(admin.windows_product, lab.machine(host))


def methods(writes) -> list[str]:
    return [w.method for w in writes]


@pytest.fixture(scope="module", params=FLAGS)
def flag_lab(request):
    """``(value, lab)``: a lab whose host flag follows kms_flag_after_install=value."""
    variants = Variants({"kms_flag_after_install": request.param})
    with Lab(FLAG_SHAPE, http_port=0, https_port=0, variants=variants) as running:
        yield request.param, running


def test_install_activate_settings_and_firewall_then_nothing_to_do(flag_lab, run_playbook):
    flag, lab = flag_lab
    key = host_key(lab, "fresh")
    run, first = play(lab, run_playbook, "fresh", key, firewall=True, **SETTINGS)
    assert run.rc == 0, run.output
    assert first["changed"] is True
    assert first["service_restarted"] is True
    assert first["restart_required"] is False
    facts = first["kms_host"]
    assert facts["is_kms_host"] is True
    assert facts["partial_product_key"] == key[-5:]
    assert facts["channel"] == "Volume:CSVLK"
    assert facts["license_status_name"] == "Licensed"
    assert facts["required_count"] == 25
    assert facts["current_count"] == 0
    assert facts["requests"]["total"] == 0
    assert facts["host_keys"] == [f"XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}"]
    assert {name: facts[name] for name in SETTINGS} == SETTINGS
    assert first["firewall_rule"]["enabled"] is True
    # Where the host role waits for sppsvc to start with the key in, sppsvc restarts before the
    # host settings too (the service refuses them until then), and again after them.
    role_restart = (
        ["restart the Software Protection service (sppsvc) so the host key takes effect"]
        if flag == "after_restart"
        else []
    )
    assert first["changes"] == [
        f"install the KMS host key XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}",
        "activate the KMS host key online",
        *role_restart,
        "listening_port: 1688 -> 1690",
        "dns_publishing: True -> False",
        "low_priority: False -> True",
        "activation_interval: 120 -> 60",
        "renewal_interval: 10080 -> 1440",
        "host_caching: True -> False",
        "enable the firewall rule SPPSVC-In-TCP",
        "restart the Software Protection service (sppsvc)",
    ]
    # slmgr's order (wsman-wire §4.3), one call per differing setting, then the restart.
    assert methods(lab.writes("fresh")) == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        "SetStringValue",
        "Activate",
        *(["StopService", "StartService"] if role_restart else []),
        "SetKeyManagementServiceListeningPort",
        "DisableKeyManagementServiceDnsPublishing",
        "EnableKeyManagementServiceLowPriority",
        "SetVLActivationInterval",
        "SetVLRenewalInterval",
        "DisableKeyManagementServiceHostCaching",
        "Enable",
        "StopService",
        "StartService",
    ]
    assert registry_value(lab, "fresh", "KeyManagementServiceVersion") == "10.0.20348.1"
    # The restart made the settings effective: the host now serves on the new port.
    live = effective(lab, "fresh")
    assert (live.listening_port, live.dns_publishing, live.low_priority) == (1690, False, True)
    assert (live.activation_interval, live.renewal_interval) == (60, 1440)
    assert lab.call(lambda: lab.machine("fresh").firewall.rule(KMS_RULE).enabled) is True

    writes = len(lab.writes("fresh"))
    before = lab.requests("fresh")
    run, second = play(lab, run_playbook, "fresh", key, firewall=True, **SETTINGS)
    assert run.rc == 0, run.output
    assert second["changed"] is False
    assert second["changes"] == []
    assert second["service_restarted"] is False
    assert second["restart_required"] is False
    # Converged: SoftwareLicensingProduct, SoftwareLicensingService, the firewall rule.
    assert second["wsman"]["requests"] == 3
    after = lab.requests("fresh")
    assert {
        op: after[op] - before.get(op, 0) for op in after if after[op] != before.get(op, 0)
    } == {"Enumerate": 3}
    assert len(lab.writes("fresh")) == writes
    assert second["kms_host"] == facts

    run, bare = play(lab, run_playbook, "fresh", key)
    assert run.rc == 0, run.output
    assert bare["changed"] is False
    assert bare["wsman"]["requests"] == 2  # without the firewall option: the two SPP classes
    for transport in ("http", "psrp"):  # the same over every connection the inventory may use
        run, other = play(lab, run_playbook, "fresh", key, transport=transport, firewall=True)
        assert run.rc == 0, run.output
        assert (other["changed"], other["wsman"]["requests"]) == (False, 3)
    # Disable goes to the selectors of the rule's endpoint reference over psrp too.
    run, closed = play(lab, run_playbook, "fresh", key, transport="psrp", firewall=False)
    assert run.rc == 0, run.output
    assert (closed["changed"], closed["firewall_rule"]["enabled"]) == (True, False)
    assert lab.call(lambda: lab.machine("fresh").firewall.rule(KMS_RULE).enabled) is False


def test_check_mode_on_a_fresh_machine_writes_nothing_and_diffs_masked(lab, run_playbook):
    key = host_key(lab, "checked")
    before = lab.requests("checked")
    run, result = play(
        lab, run_playbook, "checked", key, check=True, diff=True, firewall=True, listening_port=1690
    )
    assert run.rc == 0, run.output
    assert result["changed"] is True
    assert lab.writes("checked") == []
    grown = lab.requests("checked")
    assert {op: grown[op] - before.get(op, 0) for op in grown} == {"Enumerate": 3}
    masked = f"XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}"
    assert result["diff"] == {
        "before": {
            "host_key": None,
            "activated": False,
            "listening_port": 1688,
            "firewall_rule_enabled": False,
        },
        "after": {
            "host_key": masked,
            "activated": True,
            "listening_port": 1690,
            "firewall_rule_enabled": True,
        },
    }
    assert result["changes"] == [
        f"install the KMS host key {masked}",
        "activate the KMS host key online",
        "listening_port: 1688 -> 1690",
        "enable the firewall rule SPPSVC-In-TCP",
        "restart the Software Protection service (sppsvc)",
    ]
    assert result["restart_required"] is False  # a real run restarts sppsvc itself
    assert result["kms_host"]["is_kms_host"] is False  # as read: nothing changed
    assert key not in run.output
    assert masked in run.output  # the --diff text shows the masked key


def test_verbose_output_and_diff_carry_neither_the_key_nor_the_password(lab, run_playbook):
    key = host_key(lab, "verbose")
    run, result = play(
        lab, run_playbook, "verbose", key, diff=True, verbosity=4, firewall=True, low_priority=True
    )
    assert run.rc == 0, run.output
    assert result["changed"] is True
    # -vvvv really ran: the whole result, diff included, is in the output.
    assert "verbosity: 4" in run.output
    assert '"kms_host": {' in run.output
    assert "--- before" in run.output
    for secret in (key, key.replace("-", ""), lab.password):
        assert secret not in run.output
        assert secret not in str(run.results)
    assert f"XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}" in run.output


def test_drift_is_reported_in_check_mode_and_corrected(lab, run_playbook):
    key = host_key(lab, "drifted")
    machine = lab.machine("drifted")
    assert lab.call(admin.setup_kms_host, machine, key) == 0
    run, first = play(lab, run_playbook, "drifted", key, firewall=True, listening_port=1688)
    assert run.rc == 0, run.output
    assert first["changed"] is False  # admin.setup_kms_host already did all of it

    # Behind Ansible's back: another port, and the firewall rule closed.
    lab.call(admin.call_service, machine, "SetKeyManagementServiceListeningPort", PortNumber=1700)
    lab.call(admin.set_firewall_rule, machine, False)
    writes = len(lab.writes("drifted"))

    run, check = play(
        lab, run_playbook, "drifted", key, check=True, diff=True, firewall=True, listening_port=1688
    )
    assert run.rc == 0, run.output
    assert check["changed"] is True
    assert len(lab.writes("drifted")) == writes
    assert check["diff"]["before"] == {
        "host_key": f"XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}",
        "activated": True,
        "listening_port": 1700,
        "firewall_rule_enabled": False,
    }
    assert check["diff"]["after"]["listening_port"] == 1688
    assert check["diff"]["after"]["firewall_rule_enabled"] is True

    run, fix = play(lab, run_playbook, "drifted", key, firewall=True, listening_port=1688)
    assert run.rc == 0, run.output
    assert fix["changed"] is True
    assert methods(lab.writes("drifted")[writes:]) == [
        "SetKeyManagementServiceListeningPort",
        "Enable",
        "StopService",
        "StartService",
    ]
    assert effective(lab, "drifted").listening_port == 1688
    run, again = play(lab, run_playbook, "drifted", key, firewall=True, listening_port=1688)
    assert (run.rc, again["changed"], again["wsman"]["requests"]) == (0, False, 3)


def test_restart_left_to_a_handler_is_reported(flag_lab, run_playbook):
    # restart_service=never, as the kms_host role runs the module: its handler restarts sppsvc.
    flag, lab = flag_lab
    key = host_key(lab, "deferred")
    starts = lab.call(lambda: lab.machine("deferred").sppsvc.starts)
    run, result = play(
        lab, run_playbook, "deferred", key, restart_service="never", activation_interval=30
    )
    assert run.rc == 0, run.output
    assert result["changed"] is True
    assert result["restart_required"] is True
    assert result["service_restarted"] is False
    assert lab.call(lambda: lab.machine("deferred").sppsvc.starts) == starts
    assert "StopService" not in methods(lab.writes("deferred"))
    if flag == "immediate":
        assert "activation_interval: 120 -> 30" in result["changes"]
        assert result["kms_host"]["activation_interval"] == 30  # configured...
    else:
        # The host role waits for the restart, and Windows takes no host setting before it: the
        # setting is not tried, the task does not fail, and a warning says it waits for the next
        # run (failing would leave the role's handler, and so the restart, out for good).
        assert result["kms_host"]["is_kms_host"] is False
        assert not any(change.startswith("activation_interval") for change in result["changes"])
        assert "SetVLActivationInterval" not in methods(lab.writes("deferred"))
        assert result["kms_host"]["activation_interval"] == 120
        (warning,) = result["warnings"]
        assert warning.startswith("activation_interval: not set yet")
        assert "until the Software Protection service (sppsvc) restarts" in warning
    assert effective(lab, "deferred").activation_interval == 120  # ...not yet effective
    # What the kms_host role's handler runs: the one restart, though nothing else changes.
    run, handler = play(lab, run_playbook, "deferred", key, restart_service="always")
    assert run.rc == 0, run.output
    assert (handler["changed"], handler["service_restarted"]) == (True, True)
    assert handler["restart_required"] is False
    assert handler["kms_host"]["is_kms_host"] is True
    assert lab.call(lambda: lab.machine("deferred").sppsvc.starts) == starts + 1
    if flag == "after_restart":
        assert effective(lab, "deferred").activation_interval == 120
        # The next run sets what waited, and its handler makes it effective.
        run, again = play(
            lab, run_playbook, "deferred", key, restart_service="never", activation_interval=30
        )
        assert run.rc == 0, run.output
        assert again["changes"] == ["activation_interval: 120 -> 30"]
        assert (again["restart_required"], again["service_restarted"]) == (True, False)
        assert "warnings" not in again or not again["warnings"]
        run, handler = play(lab, run_playbook, "deferred", key, restart_service="always")
        assert run.rc == 0, run.output
        assert lab.call(lambda: lab.machine("deferred").sppsvc.starts) == starts + 2
    assert effective(lab, "deferred").activation_interval == 30
    run, converged = play(
        lab, run_playbook, "deferred", key, restart_service="never", activation_interval=30
    )
    assert run.rc == 0, run.output
    assert (converged["changed"], converged["restart_required"]) == (False, False)


def test_absent_turns_the_host_back_into_a_kms_client(lab, run_playbook):
    key = host_key(lab, "retired")
    machine = lab.machine("retired")
    assert lab.call(admin.setup_kms_host, machine, key) == 0
    # What slmgr /ipk leaves on a host (wsman-wire §4.3); state=absent removes it.
    version = reg_sz("10.0.20348.1")
    lab.call(machine.registry.put, SPP_KEY, "KeyManagementServiceVersion", version)
    run, check = play(lab, run_playbook, "retired", None, check=True, diff=True, state="absent")
    assert run.rc == 0, run.output
    assert check["changed"] is True
    assert check["diff"] == {
        "before": {
            "host_key": f"XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}",
            "windows_channel": "Volume:CSVLK",
        },
        "after": {"host_key": None, "windows_channel": "Volume:GVLK"},
    }
    writes = len(lab.writes("retired"))

    run, result = play(lab, run_playbook, "retired", None, state="absent", firewall=False)
    assert run.rc == 0, run.output
    assert result["changed"] is True
    assert result["service_restarted"] is True
    assert result["kms_host"]["is_kms_host"] is False
    assert result["kms_host"]["partial_product_key"] is None
    assert result["firewall_rule"]["enabled"] is False
    row = windows_row(lab, "retired")
    assert (row["ProductKeyChannel"], row["PartialProductKey"]) == ("Volume:GVLK", "VMK7H")
    assert registry_value(lab, "retired", "KeyManagementServiceVersion") is None
    assert lab.call(lambda: lab.machine("retired").spp.serving) is False
    assert methods(lab.writes("retired")[writes:]) == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        "DeleteValue",
        "Disable",
        "StopService",
        "StartService",
    ]

    run, again = play(lab, run_playbook, "retired", None, state="absent")
    assert (run.rc, again["changed"], again["wsman"]["requests"]) == (0, False, 2)


def test_bad_keys_are_refused_before_anything_is_sent(lab, run_playbook):
    before = lab.requests("refused")
    run, gvlk = play(lab, run_playbook, "refused", WS2022_STANDARD_GVLK)
    assert run.status("refused", TASK) == "failed"
    assert (
        "a GVLK is a KMS *client* key; a host needs your CSVLK from the Volume Licensing "
        "Service Center" in gvlk["msg"]
    )
    run, typo = play(lab, run_playbook, "refused", "AB0DE-FGHJK-MPQRT-VWXY2-34678")
    assert run.status("refused", TASK) == "failed"
    assert typo["msg"].startswith("key: the value (XXXXX-XXXXX-XXXXX-XXXXX-34678) has characters")
    assert "AB0DE" not in run.output
    run, port = play(lab, run_playbook, "refused", host_key(lab, "refused"), listening_port=0)
    assert port["msg"] == "listening_port: 0 is outside 1-65535. Give a value from 1 to 65535."
    run, absent = play(lab, run_playbook, "refused", None, state="absent", dns_publishing=False)
    assert absent["msg"].startswith("dns_publishing: is a KMS host setting")
    run, missing = play(lab, run_playbook, "refused", None)
    assert "key" in missing["msg"]
    assert lab.requests("refused") == before
    assert lab.writes("refused") == []


def test_an_office_host_key_is_found_in_its_own_product(lab, run_playbook):
    key = host_key(lab, "office", group="office2021")
    run, result = play(lab, run_playbook, "office", key)
    assert run.rc == 0, run.output
    assert result["changed"] is True
    facts = result["kms_host"]
    assert facts["application_id"] == "0ff1ce15-a989-479d-af46-f275c6370663"
    assert (facts["partial_product_key"], facts["channel"]) == (key[-5:], "Volume:CSVLK")
    assert facts["license_status_name"] == "Licensed"
    assert facts["required_count"] == 5  # an Office-only host (§4.3)
    # The Windows product keeps its own key.
    assert windows_row(lab, "office")["ProductKeyChannel"] == "Retail"
    run, again = play(lab, run_playbook, "office", key)
    assert (run.rc, again["changed"], again["wsman"]["requests"]) == (0, False, 2)


def test_a_setting_that_does_not_take_fails_naming_it(lab, run_playbook):
    key = host_key(lab, "reverted")
    machine = lab.machine("reverted")
    lab.call(machine.faults.lose_setting, "KeyManagementServiceListeningPort")
    run, result = play(lab, run_playbook, "reverted", key, listening_port=1690, low_priority=True)
    assert run.status("reverted", TASK) == "failed"
    assert result["msg"].startswith(
        "sppsvc restarted, but these settings did not take: listening_port (set to 1690, "
        "the host reports 1688)."
    )
    assert result["changed"] is True
    assert result["kms_host"]["low_priority"] is True  # the other setting took
    lab.call(machine.faults.clear)
    run, fixed = play(lab, run_playbook, "reverted", key, listening_port=1690, low_priority=True)
    assert run.rc == 0, run.output
    assert fixed["changes"] == [
        "listening_port: 1688 -> 1690",
        "restart the Software Protection service (sppsvc)",
    ]
    assert effective(lab, "reverted").listening_port == 1690
