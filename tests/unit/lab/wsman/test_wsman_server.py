# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LabServer life cycle: machines come and go, the provider thread, bad addresses, model bugs."""

from __future__ import annotations

import socket
import threading

import pytest
from kmslab.wsman import LabServer, Machine
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol
from wsman_clients import SERVICE_URI, winrm_invoke, winrm_wql
from wsman_fakes import VERSION, FakeSpp


def test_call_runs_on_the_provider_thread(lab: LabServer, machine: Machine, spp: FakeSpp) -> None:
    names = []

    def record() -> int:
        names.append(threading.current_thread().name)
        return spp.kms_port

    assert lab.call(record) == 0
    protocol = Protocol(
        machine.endpoint("http"), transport="basic", username="kmsadmin", password="S3cret!"
    )
    spp.calls.clear()
    original = spp.invoke

    def spy(*args, **kwargs):
        names.append(threading.current_thread().name)
        return original(*args, **kwargs)

    spp.invoke = spy  # type: ignore[method-assign]
    protocol.send_message(
        winrm_invoke(
            protocol,
            SERVICE_URI,
            "SetKeyManagementServicePort",
            {"PortNumber": "1"},
            {"Version": VERSION},
        )
    )
    assert len(names) == 2
    assert names[0] == names[1]
    assert names[0].startswith("kmslab-provider")


def test_removed_machine_refuses_connections(lab: LabServer, spp: FakeSpp) -> None:
    added = lab.add_machine(
        "gone.lab.test", spp, address="127.250.250.250", http_port=0, https_port=None
    )
    port = added.port("http")
    with socket.create_connection((added.address, port), timeout=5):
        pass
    lab.remove_machine("gone.lab.test")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((added.address, port), timeout=5)
    with pytest.raises(ValueError, match="no https listener"):
        added.port("https")


@pytest.mark.parametrize("address", ["0.0.0.0", "192.0.2.1", "127.0.0.0", "not-an-ip"])
def test_only_loopback_host_addresses(lab: LabServer, spp: FakeSpp, address: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8|not an IP"):
        lab.add_machine("bad.lab.test", spp, address=address, http_port=0, https_port=0)


def test_duplicate_names_are_rejected(lab: LabServer, machine: Machine, spp: FakeSpp) -> None:
    with pytest.raises(ValueError, match="already exists"):
        lab.add_machine(machine.name.upper(), spp, address="127.250.0.9", http_port=0, https_port=0)


def test_a_model_bug_becomes_a_visible_fault(machine: Machine, spp: FakeSpp) -> None:
    def broken(namespace: str, class_name: str):
        raise KeyError("state missing")

    spp.instances = broken  # type: ignore[method-assign]
    protocol = Protocol(
        machine.endpoint("http"), transport="basic", username="kmsadmin", password="S3cret!"
    )
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(winrm_wql(protocol, "SELECT * FROM SoftwareLicensingService"))
    assert "Internal error in the lab" in caught.value.reason
    assert "state missing" in caught.value.reason
    assert [type(error) for error in machine.service.errors] == [KeyError]


def test_winrm_inventory_vars(lab: LabServer, machine: Machine) -> None:
    variables = machine.winrm_vars("https", "ntlm")
    assert variables["ansible_host"] == machine.address
    assert variables["ansible_port"] == machine.https_port
    assert variables["ansible_winrm_transport"] == "ntlm"
    assert variables["ansible_winrm_ca_trust_path"] == str(lab.ca_path)
    assert "ansible_winrm_ca_trust_path" not in machine.winrm_vars("http")


def test_stopped_server_cleans_up(spp: FakeSpp) -> None:
    lab = LabServer().start()
    state = lab.state_dir
    added = lab.add_machine("short.lab.test", spp, address="127.250.1.1", http_port=0, https_port=0)
    port = added.port("http")
    lab.stop()
    assert not state.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((added.address, port), timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        lab.add_machine("late.lab.test", spp, address="127.250.1.2", http_port=0, https_port=0)
