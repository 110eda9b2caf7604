"""sppsvc as Win32_Service: return codes, pending states, and what a start does to SPP."""

from __future__ import annotations

import pytest
from kmslab.model import Fleet, admin
from kmslab.model.cim_classes import SERVICE
from kmslab.model.errors import HResult, SppFault
from kmslab.model.registry import SPP_KEY, reg_sz
from kmslab.model.service import ControlResult, ServiceState

SPPSVC = {"Name": "sppsvc"}


def test_sppsvc_runs_after_boot_and_reports_itself() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    row = machine.cim.get(SERVICE, {"Name": "SPPSVC"})
    assert row["State"] == "Running"
    assert row["Started"] is True
    assert row["StartMode"] == "Auto"
    assert row["ProcessId"] == 4004
    assert row["DisplayName"] == "Software Protection"


def test_stop_and_start_return_the_documented_codes() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    invoke = machine.cim.invoke
    assert invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 10  # already running
    assert invoke(SERVICE, "StopService", SPPSVC)["ReturnValue"] == 0
    assert machine.sppsvc.state is ServiceState.STOPPED
    assert invoke(SERVICE, "StopService", SPPSVC)["ReturnValue"] == 6  # not active
    assert invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 0
    assert machine.cim.get(SERVICE, SPPSVC)["ProcessId"] == 4008


def test_a_lingering_stop_shows_stop_pending_until_polled_enough() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.faults.linger("sppsvc", "stop", reads=2)
    assert machine.cim.invoke(SERVICE, "StopService", SPPSVC)["ReturnValue"] == 0
    assert machine.cim.get(SERVICE, SPPSVC)["State"] == "Stop Pending"
    # Starting before the service has stopped fails: poll State first (wsman-wire §5 item 8).
    assert machine.cim.invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 10
    assert machine.cim.get(SERVICE, SPPSVC)["State"] == "Stop Pending"
    assert machine.cim.get(SERVICE, SPPSVC)["State"] == "Stopped"
    assert machine.cim.invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 0


def test_injected_control_failures_return_their_code_a_given_number_of_times() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.faults.fail_service("sppsvc", "stop", ControlResult.DEPENDENT_SERVICES_RUNNING, times=1)
    assert machine.cim.invoke(SERVICE, "StopService", SPPSVC)["ReturnValue"] == 3
    assert machine.sppsvc.running
    assert machine.cim.invoke(SERVICE, "StopService", SPPSVC)["ReturnValue"] == 0
    machine.faults.fail_service("sppsvc", "start", ControlResult.SERVICE_REQUEST_TIMEOUT)
    assert machine.cim.invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 7
    assert machine.cim.invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 7
    machine.faults.clear()
    assert machine.cim.invoke(SERVICE, "StartService", SPPSVC)["ReturnValue"] == 0


def test_a_disabled_service_cannot_start() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.sppsvc.stop_service()
    machine.sppsvc.start_mode = "Disabled"
    assert machine.sppsvc.start_service() == ControlResult.SERVICE_DISABLED


def test_an_spp_call_starts_a_stopped_sppsvc_which_then_loads_the_registry() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    admin.restart_sppsvc(host)  # Microsoft's /ipk note: the host role from this start on
    host.registry.put(SPP_KEY, "KeyManagementServiceListeningPort", reg_sz("1690"))  # drift
    assert admin.service(host)["KeyManagementServiceListeningPort"] == 1688
    host.sppsvc.stop_service()
    assert admin.service(host)["KeyManagementServiceListeningPort"] == 1690
    assert host.sppsvc.running
    assert host.sppsvc.starts == 3  # at boot, the restart, the demand start


def test_an_spp_call_fails_when_sppsvc_cannot_be_demand_started() -> None:
    machine = Fleet().add("pc1", "win11-pro")
    machine.sppsvc.stop_service()
    machine.faults.fail_service("sppsvc", "start", ControlResult.UNKNOWN_FAILURE)
    with pytest.raises(SppFault) as caught:
        admin.service(machine)
    assert caught.value.hresult == HResult.ERROR_SERVICE_REQUEST_TIMEOUT
