# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_host_key against a lab machine whose IsKeyManagementServiceMachine turns 1 only when
sppsvc restarts after InstallProductKey, and against one where it turns 1 at once.

No source says the flag is immediate (kms-facts.md §2.6 only says to restart sppsvc after
/ipk), so the client must install, configure and converge under both: "host key installed" is
judged from the product's channel and last group, and host settings wait for the restart that
gives the machine its KMS host role.
"""

from __future__ import annotations

from typing import Any

import pytest
from kmslab.model import Fleet
from kmslab.model.machine import Machine
from kmslab.provider import ModelProvider
from kmslab.wsman.service import WsmanService

from ansible_collections.volact.kms.plugins.module_utils.host.plan import parse_request
from ansible_collections.volact.kms.plugins.module_utils.host.run import run
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

FLAG = {"immediate": True, "after_restart": False}


def lab_host(flag: str) -> tuple[Machine, str]:
    fleet = Fleet()
    machine = fleet.add("kms1", "ws2022-standard")
    machine.spp.kms_flag_immediate = FLAG[flag]
    return machine, fleet.keys.csvlk("ws2022").key


def session_for(machine: Machine) -> CimSession:
    service = WsmanService(machine.fqdn, ModelProvider(machine))

    def send(xml: str, **_: object) -> bytes:
        return service.handle(xml.encode(), alias=machine.fqdn, endpoint="http://lab/wsman")[1]

    return CimSession(send)


def task(
    machine: Machine, check: bool = False, warnings: list[str] | None = None, **options: Any
) -> dict[str, Any]:
    return run(
        session_for(machine),
        parse_request(options),
        check_mode=check,
        want_diff=True,
        warn=(warnings if warnings is not None else []).append,
    )


def test_the_model_flag_waits_for_the_restart() -> None:
    machine, key = lab_host("after_restart")
    machine.spp.install_product_key(key)
    assert machine.spp.holds_host_key
    assert not machine.spp.is_kms_host
    machine.sppsvc.stop_service()
    machine.sppsvc.start_service()
    assert machine.spp.is_kms_host


@pytest.mark.parametrize("flag", FLAG)
def test_a_fresh_host_key_with_host_settings_installs_and_converges(flag: str) -> None:
    machine, key = lab_host(flag)
    options = {"key": key, "listening_port": 1690, "firewall": True}
    first = task(machine, **options)
    assert not first.get("failed"), first.get("msg")
    assert first["changed"]
    assert first["service_restarted"]
    assert first["kms_host"]["is_kms_host"] is True
    assert first["kms_host"]["listening_port"] == 1690
    assert first["firewall_rule"]["enabled"] is True
    assert not first["restart_required"]
    assert machine.spp.effective is not None
    assert machine.spp.effective.listening_port == 1690
    assert machine.spp.serving
    writes = len(machine.journal.writes)
    second = task(machine, **options)
    assert not second.get("failed"), second.get("msg")
    assert not second["changed"], second["changes"]
    assert len(machine.journal.writes) == writes  # converged: only reads


@pytest.mark.parametrize("flag", FLAG)
def test_a_host_key_waiting_for_its_restart_counts_as_installed(flag: str) -> None:
    machine, key = lab_host(flag)
    first = task(machine, key=key, restart_service="never")
    assert not first.get("failed"), first.get("msg")
    assert first["changed"]
    assert first["restart_required"]
    assert first["kms_host"]["is_kms_host"] is (flag == "immediate")
    installs = sum(w.method == "InstallProductKey" for w in machine.journal.writes)
    # Not restarted yet: the key is in, so nothing is installed again.
    again = task(machine, key=key, restart_service="never")
    assert not again.get("failed"), again.get("msg")
    assert not again["changed"], again["changes"]
    assert sum(w.method == "InstallProductKey" for w in machine.journal.writes) == installs


@pytest.mark.parametrize("flag", FLAG)
def test_host_settings_left_to_a_handler_wait_for_the_restart_when_the_flag_waits(
    flag: str,
) -> None:
    # restart_service=never is how the kms_host role runs the module, its handler restarting
    # sppsvc afterwards: where the host role waits for that restart, the host settings cannot be
    # set in this run, so the task says so and leaves them to the next run instead of failing.
    machine, key = lab_host(flag)
    warnings: list[str] = []
    first = task(machine, warnings=warnings, key=key, listening_port=1690, restart_service="never")
    assert not first.get("failed"), first.get("msg")
    assert first["changed"]
    assert first["restart_required"]
    assert not first["service_restarted"]
    assert machine.spp.holds_host_key
    port_set = [w for w in machine.journal.writes if w.method.endswith("ListeningPort")]
    if flag == "immediate":
        assert "listening_port: 1688 -> 1690" in first["changes"]
        assert len(port_set) == 1
        assert not warnings
    else:
        assert not any(c.startswith("listening_port") for c in first["changes"])
        assert not port_set  # not even tried: the service would refuse it (0xC004F016)
        assert len(warnings) == 1
        assert warnings[0].startswith("listening_port: not set yet")
        assert "until the Software Protection service (sppsvc) restarts" in warnings[0]
    # The handler: the one restart; the run after it sets what waited.
    assert not task(machine, key=key, restart_service="always").get("failed")
    assert machine.spp.is_kms_host
    warnings.clear()
    second = task(machine, warnings=warnings, key=key, listening_port=1690, restart_service="never")
    assert not second.get("failed"), second.get("msg")
    assert not warnings
    if flag == "immediate":
        assert not second["changed"], second["changes"]
        assert not second["restart_required"]
    else:
        assert second["changes"] == ["listening_port: 1688 -> 1690"]
        assert second["restart_required"]  # for the handler again
    assert second["kms_host"]["listening_port"] == 1690


@pytest.mark.parametrize("flag", FLAG)
def test_check_mode_predicts_a_fresh_install_with_settings(flag: str) -> None:
    machine, key = lab_host(flag)
    result = task(machine, check=True, key=key, listening_port=1690)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"]
    assert result["diff"]["after"]["listening_port"] == 1690
    assert not machine.journal.writes  # check mode wrote nothing
