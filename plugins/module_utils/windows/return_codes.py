# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Return values of the WMI methods this collection calls that report plain numbers, not HRESULTs.

``StdRegProv`` methods answer with a Win32 error code in ``ReturnValue`` and ``Win32_Service``
control methods with their own 0-24 table; neither raises a fault (wsman-wire.md §1.4, §4.5,
§5 item 14). This module names those numbers and says which ones mean "already done".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

_UINT32_MAX = 0xFFFFFFFF


@dataclass(frozen=True)
class ReturnCode:
    """One documented return value: the number, Microsoft's name for it, and what it means."""

    code: int
    name: str
    meaning: str

    def __str__(self) -> str:
        return f"{self.code} ({self.name}): {self.meaning}"


def _table(*rows: tuple[int, str, str]) -> Mapping[int, ReturnCode]:
    return MappingProxyType({code: ReturnCode(code, name, text) for code, name, text in rows})


# Win32 error codes as StdRegProv returns them. Names and numbers: Microsoft "System Error Codes
# (0-499)" (learn.microsoft.com, found with search/docs); 87 and 1018 also in MS-RRP's error list.
# Meanings are our own words, aimed at registry calls.
WIN32_ERRORS: Mapping[int, ReturnCode] = _table(
    (0, "ERROR_SUCCESS", "The call succeeded."),
    (1, "ERROR_INVALID_FUNCTION", "The call is not valid for this key or value."),
    (2, "ERROR_FILE_NOT_FOUND", "The registry key or value does not exist."),
    (3, "ERROR_PATH_NOT_FOUND", "A key on the path does not exist."),
    (5, "ERROR_ACCESS_DENIED", "Access denied: the account may not read or change this key."),
    (6, "ERROR_INVALID_HANDLE", "The hive or key handle is not valid (check hDefKey)."),
    (8, "ERROR_NOT_ENOUGH_MEMORY", "The host ran out of memory for the call."),
    (13, "ERROR_INVALID_DATA", "The data given for the value is not valid."),
    (87, "ERROR_INVALID_PARAMETER", "A parameter of the call is not valid."),
    (1018, "ERROR_KEY_DELETED", "The key is marked for deletion."),
)

# Win32_Service.StartService/StopService return values 0-24: wsman-wire.md §4.5 and Microsoft
# "StartService method of the Win32_Service class" (found with search/docs), which also gives the
# names. The Invoke-WSManAction doc example calling 5 "already started" contradicts that table
# (wsman-wire.md §4.5); we follow the method's own table. Meanings are our own words.
SERVICE_CODES: Mapping[int, ReturnCode] = _table(
    (0, "Success", "The control request was accepted; poll State until the service gets there."),
    (1, "Not Supported", "The service does not support this request."),
    (2, "Access Denied", "The account lacks the rights to control this service."),
    (3, "Dependent Services Running", "Services that depend on it are still running."),
    (4, "Invalid Service Control", "The control code is not valid or not accepted."),
    (
        5,
        "Service Cannot Accept Control",
        "The service is in a state where it cannot take this control (starting, stopping or "
        "stopped); wait, poll State, then retry.",
    ),
    (6, "Service Not Active", "The service is not running."),
    (7, "Service Request Timeout", "The service did not answer the request in time."),
    (8, "Unknown Failure", "The service failed to start for an unknown reason."),
    (9, "Path Not Found", "The directory of the service executable was not found."),
    (
        10,
        "Service Already Running",
        "The service is already running. A paused service also answers 10 and stays paused "
        "until ResumeService.",
    ),
    (11, "Service Database Locked", "The service database is locked."),
    (12, "Service Dependency Deleted", "A service it depends on was removed."),
    (13, "Service Dependency Failure", "A service it depends on could not be found or started."),
    (14, "Service Disabled", "The service is disabled; set its start mode before starting it."),
    (15, "Service Logon Failed", "The service account could not log on."),
    (16, "Service Marked For Deletion", "The service is being removed from the system."),
    (17, "Service No Thread", "No thread could be created for the service."),
    (18, "Status Circular Dependency", "The service dependencies form a loop."),
    (19, "Status Duplicate Name", "A service with the same name is already running."),
    (20, "Status Invalid Name", "The service name contains invalid characters."),
    (21, "Status Invalid Parameter", "An invalid parameter was passed to the service."),
    (22, "Status Invalid Service Account", "The service account is invalid or lacks rights."),
    (23, "Status Service Exists", "The service already exists in the service database."),
    (24, "Service Already Paused", "The service is already paused."),
)

# Codes that mean the call found the target already in the state the caller wanted, so an
# idempotent task can count them as success: StartService 10 (running; wsman-wire.md §5 item 8),
# StopService 6 (not active), and deleting a registry value or key that does not exist (2; slmgr.vbs
# accepts it after DeleteValue, wsman-wire.md §1.4).
ALREADY_IN_STATE: Mapping[str, frozenset[int]] = MappingProxyType(
    {
        "StartService": frozenset({10}),
        "StopService": frozenset({6}),
        "DeleteValue": frozenset({2}),
        "DeleteKey": frozenset({2}),
    }
)

# Methods whose only success is 0; listed so a misspelt method name is caught, not ignored.
_PLAIN_METHODS = (
    "CreateKey",
    "EnumKey",
    "EnumValues",
    "GetDWORDValue",
    "GetMultiStringValue",
    "GetStringValue",
    "SetDWORDValue",
    "SetMultiStringValue",
    "SetStringValue",
)
_METHODS: Mapping[str, str] = MappingProxyType(
    {name.lower(): name for name in (*ALREADY_IN_STATE, *_PLAIN_METHODS)}
)


def _to_uint32(value: object, field: str) -> int:
    """A ReturnValue as parsed from XML (int or decimal text) -> int, or KmsInputError."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _UINT32_MAX:
        return value
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    raise KmsInputError(
        field,
        f"{shown} is not a WMI return value.",
        "Expected a whole number from 0 to 4294967295 (uint32 ReturnValue).",
    )


def _method(method: str, field: str) -> str:
    name = _METHODS.get(method.lower()) if isinstance(method, str) else None
    if name is None:
        raise KmsInputError(
            field,
            f"{method!r} is not a WMI method this collection knows return codes for.",
            f"Use one of: {', '.join(sorted(_METHODS.values()))}.",
        )
    return name


def _unknown(code: int, table: str, advice: str) -> str:
    if code > 0x7FFFFFFF:
        return (
            f"Not {table}: 0x{code:08X} has the failure bit set, so it is an HRESULT; explain it "
            "with the hresult catalog."
        )
    return f"Not {table} this collection knows; {advice}"


def registry_return(code: object, field: str = "ReturnValue") -> ReturnCode:
    """Name and meaning of a StdRegProv ReturnValue; unknown numbers still get a description."""
    number = _to_uint32(code, field)
    known = WIN32_ERRORS.get(number)
    if known is not None:
        return known
    advice = (
        f"look up system error {number} in Microsoft's System Error Codes reference or run "
        f"'net helpmsg {number}' on a Windows host."
    )
    return ReturnCode(number, "", _unknown(number, "a Win32 error", advice))


def service_return(code: object, field: str = "ReturnValue") -> ReturnCode:
    """Name and meaning of a Win32_Service control method's ReturnValue."""
    number = _to_uint32(code, field)
    known = SERVICE_CODES.get(number)
    if known is not None:
        return known
    advice = "Microsoft documents only 0-24; treat it as a failure and check the service's State."
    return ReturnCode(number, "Other", _unknown(number, "a Win32_Service return value", advice))


def registry_result(code: object, field: str = "ReturnValue") -> str:
    """One line for a StdRegProv ReturnValue, e.g. ``2 (ERROR_FILE_NOT_FOUND): ...``."""
    entry = registry_return(code, field)
    return str(entry) if entry.name else f"{entry.code}: {entry.meaning}"


def service_result(code: object, field: str = "ReturnValue") -> str:
    """One line for a StartService/StopService ReturnValue: ``10 (Service Already Running): …``."""
    return str(service_return(code, field))


def already_in_state(code: object, method: str, field: str = "ReturnValue") -> bool:
    """True when ``method`` reports that the target was already as wanted (e.g. StartService 10)."""
    number = _to_uint32(code, field)
    return number in ALREADY_IN_STATE.get(_method(method, "method"), frozenset())


def is_success(code: object, method: str, field: str = "ReturnValue") -> bool:
    """True for 0 and for the method's already-in-state codes: what an idempotent task wants."""
    number = _to_uint32(code, field)
    return number == 0 or already_in_state(number, method, field)
