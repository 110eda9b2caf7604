"""``sppsvc`` as Win32_Service sees it: a state machine with the documented return codes.

StartService/StopService return when the control is *accepted*; callers poll ``State``
(wsman-wire §4.5, §5 item 8). Starting sppsvc is when the Software Protection Platform reloads its
settings from the registry and a KMS host publishes its SRV records, so the start and stop effects
are callbacks the machine wires to the SPP model.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum, StrEnum

from kmslab.model.faults import FaultPlan


class ServiceState(StrEnum):
    STOPPED = "Stopped"
    START_PENDING = "Start Pending"
    STOP_PENDING = "Stop Pending"
    RUNNING = "Running"


class ControlResult(IntEnum):
    """Win32_Service StartService/StopService return values (MS Docs, wsman-wire §4.5)."""

    SUCCESS = 0
    NOT_SUPPORTED = 1
    ACCESS_DENIED = 2
    DEPENDENT_SERVICES_RUNNING = 3
    INVALID_SERVICE_CONTROL = 4
    SERVICE_CANNOT_ACCEPT_CONTROL = 5
    SERVICE_NOT_ACTIVE = 6
    SERVICE_REQUEST_TIMEOUT = 7
    UNKNOWN_FAILURE = 8
    PATH_NOT_FOUND = 9
    SERVICE_ALREADY_RUNNING = 10
    SERVICE_DATABASE_LOCKED = 11
    SERVICE_DEPENDENCY_DELETED = 12
    SERVICE_DEPENDENCY_FAILURE = 13
    SERVICE_DISABLED = 14
    SERVICE_LOGON_FAILED = 15


class Service:
    def __init__(
        self,
        name: str,
        display_name: str,
        path: str,
        faults: FaultPlan,
        *,
        on_start: Callable[[], None] = lambda: None,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.name = name
        self.display_name = display_name
        self.path = path
        self.start_mode = "Auto"  # sppsvc: automatic (delayed, trigger start)
        self.state = ServiceState.STOPPED
        self.starts = 0
        self._faults = faults
        self._on_start = on_start
        self._on_stop = on_stop
        self._pending_reads = 0
        self._process_id = 0

    def start_service(self) -> int:
        fault = self._faults.take_service_fault(self.name, "start")
        if fault is not None:
            return fault
        if self.start_mode == "Disabled":
            return ControlResult.SERVICE_DISABLED
        if self.state is not ServiceState.STOPPED:
            # Still running, or not yet fully stopped: poll State before starting (§5 item 8).
            return ControlResult.SERVICE_ALREADY_RUNNING
        self.starts += 1
        self._process_id = 4000 + 4 * self.starts
        self._pending_reads = self._faults.take_linger(self.name, "start")
        self.state = ServiceState.START_PENDING if self._pending_reads else ServiceState.RUNNING
        self._on_start()
        return ControlResult.SUCCESS

    def stop_service(self) -> int:
        fault = self._faults.take_service_fault(self.name, "stop")
        if fault is not None:
            return fault
        if self.state is ServiceState.STOPPED:
            # Lab choice between 5 and 6 (the table's "service not active").
            return ControlResult.SERVICE_NOT_ACTIVE
        if self.state is not ServiceState.RUNNING:
            return ControlResult.SERVICE_CANNOT_ACCEPT_CONTROL
        self._pending_reads = self._faults.take_linger(self.name, "stop")
        self.state = ServiceState.STOP_PENDING if self._pending_reads else ServiceState.STOPPED
        self._process_id = 0
        self._on_stop()
        return ControlResult.SUCCESS

    @property
    def running(self) -> bool:
        return self.state is ServiceState.RUNNING

    def observe(self) -> ServiceState:
        """The State a client reads: a lingering pending state shows for its reads, then settles."""
        if not self._pending_reads:
            return self.state
        self._pending_reads -= 1
        pending = self.state
        if not self._pending_reads:
            starting = pending is ServiceState.START_PENDING
            self.state = ServiceState.RUNNING if starting else ServiceState.STOPPED
        return pending

    def to_dict(self) -> dict[str, object]:
        state = self.observe()
        return {
            "AcceptPause": False,
            "AcceptStop": state is ServiceState.RUNNING,
            "DisplayName": self.display_name,
            "ExitCode": 0,
            "Name": self.name,
            "PathName": self.path,
            "ProcessId": self._process_id,
            "ServiceType": "Own Process",
            "Started": state is ServiceState.RUNNING,
            "StartMode": self.start_mode,
            "State": str(state),
            "Status": "OK",
        }
