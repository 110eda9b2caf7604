"""Fault injection: the lab control interface arms these, the model consumes them.

Each is armed for a number of uses (``times``) or until cleared (``times=None``): a CIM method
(or enumeration) failing with a chosen HRESULT or timing out, a method answering with a chosen
non-zero ReturnValue instead of running (StdRegProv), a service control (``StartService``/
``StopService``) returning a chosen Win32_Service code or lingering in a pending state, and a KMS
host whose port silently drops connections. HTTP-level faults (401, latency, envelope size) belong
to the WS-Man front end, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY_METHOD = "*"


@dataclass
class MethodFault:
    hresult: int | None = None  # raise SppFault(hresult)
    timeout: bool = False  # raise LabTimeout
    ran: bool = False  # with timeout: the method runs first, then the caller sees a timeout
    remaining: int | None = None  # None: until cleared


@dataclass
class _ReturnFault:
    return_value: int
    remaining: int | None


@dataclass
class _ServiceFault:
    return_code: int
    remaining: int | None


def _use(remaining: int | None) -> int | None:
    return None if remaining is None else remaining - 1


class FaultPlan:
    def __init__(self) -> None:
        self._methods: dict[tuple[str, str], MethodFault] = {}
        self._services: dict[tuple[str, str], _ServiceFault] = {}
        self._returns: dict[tuple[str, str], _ReturnFault] = {}
        self._pending: dict[tuple[str, str], int] = {}
        self.kms_unreachable = False  # the KMS port drops connections (a "black hole")
        self._lost_settings: set[str] = set()

    def clear(self) -> None:
        self._methods.clear()
        self._services.clear()
        self._returns.clear()
        self._pending.clear()
        self.kms_unreachable = False
        self._lost_settings.clear()

    # CIM methods. ``method`` is a method name, "Enumerate"/"Get" for reads, or "*" for all.
    def fail_method(
        self, target: str, method: str, hresult: int, *, times: int | None = None
    ) -> None:
        self._methods[target.casefold(), method.casefold()] = MethodFault(hresult, remaining=times)

    def timeout_method(
        self, target: str, method: str, *, ran: bool = False, times: int | None = None
    ) -> None:
        fault = MethodFault(timeout=True, ran=ran, remaining=times)
        self._methods[target.casefold(), method.casefold()] = fault

    def take_method_fault(self, target: str, method: str) -> MethodFault | None:
        for key in ((target.casefold(), method.casefold()), (target.casefold(), ANY_METHOD)):
            fault = self._methods.get(key)
            if fault is None:
                continue
            fault.remaining = _use(fault.remaining)
            if fault.remaining == 0:
                del self._methods[key]
            return fault
        return None

    # Methods that report failure in ReturnValue, not as a fault: StdRegProv answers with a Win32
    # code (wsman-wire §5 item 14), e.g. 5 (ERROR_ACCESS_DENIED). The method does not run.
    def fail_return(
        self, target: str, method: str, return_value: int, *, times: int | None = None
    ) -> None:
        fault = _ReturnFault(return_value, times)
        self._returns[target.casefold(), method.casefold()] = fault

    def take_return_fault(self, target: str, method: str) -> int | None:
        key = (target.casefold(), method.casefold())
        fault = self._returns.get(key)
        if fault is None:
            return None
        fault.remaining = _use(fault.remaining)
        if fault.remaining == 0:
            del self._returns[key]
        return fault.return_value

    # Settings that do not persist: the SPP settings method answers success and the WMI property
    # shows the new value, but the registry write of ``value_name`` is lost (think of a policy
    # that puts the old value back), so the setting reverts at the next sppsvc start: what a
    # read-back after the restart must catch. Armed until cleared.
    def lose_setting(self, value_name: str) -> None:
        self._lost_settings.add(value_name.casefold())

    def loses_setting(self, value_name: str) -> bool:
        return value_name.casefold() in self._lost_settings

    # Service control: action is "start" or "stop".
    def fail_service(
        self, service: str, action: str, return_code: int, *, times: int | None = None
    ) -> None:
        self._services[service.casefold(), action] = _ServiceFault(return_code, times)

    def take_service_fault(self, service: str, action: str) -> int | None:
        key = (service.casefold(), action)
        fault = self._services.get(key)
        if fault is None:
            return None
        fault.remaining = _use(fault.remaining)
        if fault.remaining == 0:
            del self._services[key]
        return fault.return_code

    def linger(self, service: str, action: str, reads: int) -> None:
        """After the next accepted ``action``, State reads show "... Pending" ``reads`` times."""
        self._pending[service.casefold(), action] = reads

    def take_linger(self, service: str, action: str) -> int:
        return self._pending.pop((service.casefold(), action), 0)
