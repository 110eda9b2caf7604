"""A slow Activate under both values of the lab variant ``operation_timeout_cap`` (issue 13).

WinRM caps a requested OperationTimeout at MaxTimeoutms, 60 s by default (MS-WSMV 3.1.4.1.6):
the modules never ask for more. An Activate that takes 90 simulated seconds (``Lab.slow_method``)
runs to its end on the host but answers ``w:TimedOut``; the module reads the product again and
reports what is true: activated (changed) when it reads Licensed, a failure that says the call
timed out and what was read back when not. Under ``none`` (no cap) the outcome is the same,
because the module asks for 60 s either way. Both modules with a long Activate are covered:
kms_client_setup_key and kms_host_key.

The clients are servers (threshold 5); kms1 has already counted 4 other servers of the fleet, so
a client pinned to it activates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab import cli, control
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP
from kmslab.variants import Variants

pytestmark = pytest.mark.reliability("faults")

CLIENT_MODULE = "volact.kms.kms_client_setup_key"
HOST_MODULE = "volact.kms.kms_host_key"
TASK = "Task"
SLP = "SoftwareLicensingProduct"
SLOW = 90  # simulated seconds: longer than WinRM's 60 s cap
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("kms2", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("slow", "ws2019-standard", CORP, initial_key=KeyKind.MAK),
        MachineShape("lost", "ws2019-datacenter", CORP, initial_key=KeyKind.MAK),
    ),
    zones=(CORP,),
)
KMS1 = f"kms1.{CORP}"


def _arrange(lab: Lab) -> None:
    fleet = lab.fleet
    assert admin.setup_kms_host(lab.machine("kms1"), fleet.keys.csvlk("ws2022", 1).key) == 0
    for index in range(4):
        seed = fleet.add(f"seed{index}", "ws2019-standard", domain=CORP, initial_key=KeyKind.GVLK)
        admin.call_service(seed, "SetKeyManagementServiceMachine", MachineName=KMS1)
        admin.activate_windows(seed)


@pytest.fixture(scope="module", params=["60", "none"], ids=lambda cap: f"cap={cap}")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    variants = Variants({"operation_timeout_cap": request.param})
    with Lab(LAB_SHAPE, http_port=0, https_port=0, variants=variants) as running:
        running.call(_arrange, running)
        yield running


def run(lab: Lab, run_playbook, host: str, module: str, options: dict[str, Any], **extra: Any):
    play = {"hosts": host, "gather_facts": False, "tasks": [{"name": TASK, module: options}]}
    return run_playbook(lab, yaml.safe_dump([play]), **extra)


def timed_out(lab: Lab, host: str) -> int:
    return lab.counters(host).faults.get("w:TimedOut", 0)


def activations(lab: Lab, host: str) -> int:
    return [w.method for w in lab.writes(host)].count("Activate")


def test_client_activation_taking_90_seconds_converges(lab, run_playbook):
    lab.slow_method("slow", "Activate", SLOW, class_name=SLP, times=1)
    first = run(lab, run_playbook, "slow", CLIENT_MODULE, {"kms_host": KMS1})
    result = first.result("slow", TASK)
    assert first.rc == 0, first.output
    assert result["changed"] is True
    assert result["activation"]["state"] == "activated"
    assert (
        "Activate timed out, but the product reads Licensed afterwards"
        in (result["activation"]["message"])
    )
    assert result["kms_client"]["product"]["license_status_name"] == "Licensed"
    # The module asked for no more than WinRM's cap, so the host gave up at 60 s under both
    # values; it read the product back instead of activating a second time.
    assert timed_out(lab, "slow") == 1
    assert activations(lab, "slow") == 1
    again = run(lab, run_playbook, "slow", CLIENT_MODULE, {"kms_host": KMS1})
    assert again.rc == 0, again.output
    assert again.result("slow", TASK)["changed"] is False
    assert again.result("slow", TASK)["wsman"]["requests"] == 2


def test_a_slow_activation_that_fails_says_it_timed_out_and_what_was_read(lab, run_playbook):
    # Pinned to a host that does not exist: the attempt fails, after 90 s.
    lab.slow_method("lost", "Activate", SLOW, class_name=SLP, times=1)
    first = run(lab, run_playbook, "lost", CLIENT_MODULE, {"kms_host": f"gone.{CORP}"})
    result = first.result("lost", TASK)
    assert first.status("lost", TASK) == "failed", first.output
    assert result["activation"]["state"] == "unknown"
    assert result["hresult"] == "0x80338029"
    assert "Activate timed out and the product reads" in result["msg"]
    assert "afterwards" in result["msg"]
    assert result["kms_client"]["product"]["license_status_name"] != "Licensed"
    assert result["changed"] is True  # the GVLK and the pinned host are in place
    assert timed_out(lab, "lost") == 1
    fixed = run(lab, run_playbook, "lost", CLIENT_MODULE, {"kms_host": KMS1})
    assert fixed.rc == 0, fixed.output
    assert fixed.result("lost", TASK)["activation"]["state"] == "activated"
    again = run(lab, run_playbook, "lost", CLIENT_MODULE, {"kms_host": KMS1})
    assert again.result("lost", TASK)["changed"] is False


def test_host_key_activation_taking_90_seconds_converges(lab, run_playbook):
    key = lab.call(lambda: lab.fleet.keys.csvlk("ws2022", 30).key)
    # Armed as `scripts/lab fault kms2 --slow-method Activate --seconds 90` does (until cleared).
    args = cli.parser().parse_args(
        ["fault", "kms2", "--slow-method", "Activate", "--seconds", "90"]
    )
    control.apply(lab, "fault", cli._fault_arguments(args))
    extra = {"extra_vars": {"host_key": key}}
    options = {"key": "{{ host_key }}"}
    first = run(lab, run_playbook, "kms2", HOST_MODULE, options, **extra)
    result = first.result("kms2", TASK)
    assert first.rc == 0, first.output
    assert result["changed"] is True
    assert result["kms_host"]["license_status_name"] == "Licensed"
    assert any("timed out, but the product reads Licensed" in w for w in result["warnings"])
    assert timed_out(lab, "kms2") == 1
    assert activations(lab, "kms2") == 1
    again = run(lab, run_playbook, "kms2", HOST_MODULE, options, **extra)
    assert again.rc == 0, again.output
    assert again.result("kms2", TASK)["changed"] is False
    assert key not in first.output + again.output
    control.apply(lab, "fault", {"machine": "kms2", "clear": True})
    with pytest.raises(ValueError, match="go together"):
        control.apply(lab, "fault", {"machine": "kms2", "slow_method": "Activate"})
