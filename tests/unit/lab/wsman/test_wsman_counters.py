# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-machine counters and fault injection, seen through real pywinrm and pypsrp clients."""

from __future__ import annotations

import time

import pytest
import requests
from kmslab.wsman import LabServer, Machine
from kmslab.wsman.counters import Counters, FaultPlan
from pypsrp.exceptions import WSManFaultError as PsrpFault
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WSManFaultError
from winrm.protocol import Protocol
from wsman_clients import SERVICE_URI, psrp_client, selector_set, winrm_invoke, winrm_wql
from wsman_fakes import VERSION, FakeSpp

QUERY = "SELECT * FROM SoftwareLicensingService"


def protocol(machine: Machine, **kwargs: object) -> Protocol:
    return Protocol(
        machine.endpoint("http"),
        transport="basic",
        username="kmsadmin",
        password="S3cret!",
        **kwargs,
    )


def test_counts_operations_methods_and_bytes(machine: Machine) -> None:
    client = protocol(machine)
    client.send_message(winrm_wql(client, QUERY))
    client.send_message(winrm_wql(client, QUERY))
    client.send_message(
        winrm_invoke(
            client,
            SERVICE_URI,
            "SetKeyManagementServicePort",
            {"PortNumber": "1688"},
            {"Version": VERSION},
        )
    )
    snapshot = machine.counters.snapshot()
    assert snapshot.operations == {"Enumerate": 2, "Invoke": 1}
    assert snapshot.methods == {"SoftwareLicensingService.SetKeyManagementServicePort": 1}
    assert snapshot.requests == 3
    assert snapshot.http_requests == 3
    assert snapshot.connections == 1  # keep-alive: one TCP connection for all three
    assert snapshot.bytes_in > 3 * 900  # three pywinrm envelopes of roughly 1 KB
    assert snapshot.bytes_out > 3 * 600
    machine.counters.reset()
    assert machine.counters.snapshot().requests == 0


def test_read_only_traffic_counts_no_methods(machine: Machine) -> None:
    client = psrp_client(machine.address, machine.port("http"))
    client.get(SERVICE_URI, selector_set=selector_set(Version=VERSION))
    assert machine.counters.snapshot().methods == {}


def test_injected_hresult_on_one_method(machine: Machine, spp: FakeSpp) -> None:
    machine.fail(
        "SetKeyManagementServicePort", 0x80070005, class_name="SoftwareLicensingService", times=1
    )
    client = protocol(machine)
    message = winrm_invoke(
        client,
        SERVICE_URI,
        "SetKeyManagementServicePort",
        {"PortNumber": "1688"},
        {"Version": VERSION},
    )
    with pytest.raises(WSManFaultError) as caught:
        client.send_message(message)
    assert caught.value.wsman_fault_code == 0x80070005
    assert spp.kms_port == 0  # the provider never ran
    client.send_message(message)  # times=1: the second call goes through
    assert spp.kms_port == 1688
    assert machine.counters.snapshot().faults == {"w:InternalError": 1}


def test_injected_hresult_in_wmi_error_form_on_enumerate(machine: Machine) -> None:
    machine.fail("Enumerate", 0x80041033, form="wmierror")
    client = protocol(machine)
    with pytest.raises(WSManFaultError) as caught:
        client.send_message(winrm_wql(client, QUERY))
    assert caught.value.wmierror_code == 0x80041033
    machine.clear_faults()
    client.send_message(winrm_wql(client, QUERY))


def test_injected_timeout(machine: Machine) -> None:
    machine.time_out("Get")
    client = psrp_client(machine.address, machine.port("http"))
    with pytest.raises(PsrpFault) as caught:
        client.get(SERVICE_URI, selector_set=selector_set(Version=VERSION))
    assert caught.value.code == 2150858793
    winrm_client = protocol(machine)
    machine.time_out("Enumerate", class_name="SoftwareLicensingService")
    with pytest.raises(WinRMOperationTimeoutError):
        winrm_client.send_message(winrm_wql(winrm_client, QUERY))


def test_injected_401(machine: Machine) -> None:
    machine.set_reject_auth()
    client = protocol(machine)
    with pytest.raises(InvalidCredentialsError):
        client.send_message(winrm_wql(client, QUERY))
    machine.set_reject_auth(False)
    client.send_message(winrm_wql(client, QUERY))


def test_injected_latency(machine: Machine) -> None:
    client = protocol(machine)
    client.send_message(winrm_wql(client, QUERY))  # connect first: time only the request
    machine.set_latency(0.3)
    started = time.perf_counter()
    client.send_message(winrm_wql(client, QUERY))
    assert time.perf_counter() - started >= 0.3
    machine.set_latency(0)


def test_unreachable_refused_then_restored(machine: Machine) -> None:
    machine.set_unreachable("refused")
    client = protocol(machine, read_timeout_sec=5, operation_timeout_sec=3)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        client.send_message(winrm_wql(client, QUERY))
    assert "refused" in str(caught.value).lower()
    machine.set_unreachable(None)
    fresh = protocol(machine)
    fresh.send_message(winrm_wql(fresh, QUERY))


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_unreachable_reset(lab: LabServer, machine: Machine, scheme: str) -> None:
    machine.set_unreachable("reset")

    def client() -> Protocol:
        return Protocol(
            machine.endpoint(scheme),
            transport="basic",
            username="kmsadmin",
            password="S3cret!",
            server_cert_validation="validate",
            ca_trust_path=str(lab.ca_path),
            read_timeout_sec=5,
            operation_timeout_sec=3,
        )

    broken = client()
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        broken.send_message(winrm_wql(broken, QUERY))
    assert "reset" in str(caught.value).lower()
    machine.clear_faults()
    assert machine.plan.unreachable is None
    working = client()
    working.send_message(winrm_wql(working, QUERY))


def test_fault_plan_rules_are_consumed_and_scoped() -> None:
    plan = FaultPlan()
    plan.fail("Activate", 0xC004F074, class_name="SoftwareLicensingProduct", times=2)
    assert plan.take("Activate", "SoftwareLicensingService") is None  # other class
    assert plan.take("activate", "softwarelicensingproduct").hresult == 0xC004F074
    assert plan.take("Activate", "SoftwareLicensingProduct") is not None
    assert plan.take("Activate", "SoftwareLicensingProduct") is None  # used up
    plan.time_out("Get")
    rule = plan.take("Get", "Anything")
    assert rule is not None
    assert rule.hresult is None


def test_counters_snapshot_is_a_copy() -> None:
    counters = Counters()
    counters.request("Get", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get")
    snapshot = counters.snapshot()
    counters.request("Get", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get")
    assert snapshot.operations == {"Get": 1}
    assert counters.snapshot().operations == {"Get": 2}
