"""Tests for StdRegProv and Win32_Service return values."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows.return_codes import (
    SERVICE_CODES,
    WIN32_ERRORS,
    already_in_state,
    is_success,
    registry_result,
    registry_return,
    service_result,
    service_return,
)

# Names of the documented 0-24 table (Win32_Service StartService docs; wsman-wire.md §4.5).
SERVICE_NAMES = [
    "Success",
    "Not Supported",
    "Access Denied",
    "Dependent Services Running",
    "Invalid Service Control",
    "Service Cannot Accept Control",
    "Service Not Active",
    "Service Request Timeout",
    "Unknown Failure",
    "Path Not Found",
    "Service Already Running",
    "Service Database Locked",
    "Service Dependency Deleted",
    "Service Dependency Failure",
    "Service Disabled",
    "Service Logon Failed",
    "Service Marked For Deletion",
    "Service No Thread",
    "Status Circular Dependency",
    "Status Duplicate Name",
    "Status Invalid Name",
    "Status Invalid Parameter",
    "Status Invalid Service Account",
    "Status Service Exists",
    "Service Already Paused",
]


def test_service_table_is_exactly_the_documented_0_to_24() -> None:
    assert sorted(SERVICE_CODES) == list(range(25))
    assert [SERVICE_CODES[code].name for code in range(25)] == SERVICE_NAMES


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (0, "0 (Success): The control request was accepted"),
        (2, "2 (Access Denied): "),
        (5, "5 (Service Cannot Accept Control): "),
        (7, "7 (Service Request Timeout): "),
        (10, "10 (Service Already Running): The service is already running."),
        (14, "14 (Service Disabled): "),
    ],
)
def test_service_result_names_and_explains(code: int, expected: str) -> None:
    assert service_result(code).startswith(expected)


def test_service_result_warns_that_paused_also_answers_10() -> None:
    assert "paused" in service_result(10)


@pytest.mark.parametrize(
    ("code", "name"),
    [(0, "ERROR_SUCCESS"), (2, "ERROR_FILE_NOT_FOUND"), (5, "ERROR_ACCESS_DENIED")],
)
def test_registry_result_names_win32_codes(code: int, name: str) -> None:
    assert registry_result(code).startswith(f"{code} ({name}): ")
    assert registry_return(code) is WIN32_ERRORS[code]


def test_registry_result_exact_line() -> None:
    expected = "2 (ERROR_FILE_NOT_FOUND): The registry key or value does not exist."
    assert registry_result(2) == expected


def test_unknown_service_code_is_still_described() -> None:
    line = service_result(25)
    assert line.startswith("25 (Other): ")
    assert "0-24" in line
    assert service_return(25).name == "Other"


def test_unknown_registry_code_points_to_the_lookup() -> None:
    line = registry_result(4000)
    assert line.startswith("4000: ")
    assert "net helpmsg 4000" in line


@pytest.mark.parametrize("result", [registry_result, service_result])
def test_hresult_shaped_return_value_is_called_out(result: Callable[[object], str]) -> None:
    line = result(2147749890)
    assert "0x80041002" in line
    assert "HRESULT" in line


@pytest.mark.parametrize(
    ("code", "method", "expected"),
    [
        (10, "StartService", True),
        (10, "startservice", True),
        (10, "StopService", False),
        (6, "StopService", True),
        (6, "StartService", False),
        (0, "StartService", False),
        (2, "DeleteValue", True),
        (2, "DeleteKey", True),
        (5, "DeleteValue", False),
        (2, "SetStringValue", False),
    ],
)
def test_already_in_state(code: int, method: str, expected: bool) -> None:
    assert already_in_state(code, method) is expected


@pytest.mark.parametrize(
    ("code", "method", "expected"),
    [
        (0, "StartService", True),
        (0, "SetMultiStringValue", True),
        (10, "StartService", True),
        (6, "StopService", True),
        (2, "SetStringValue", False),
        (2, "GetStringValue", False),
        (7, "StartService", False),
        (5, "StopService", False),
    ],
)
def test_is_success(code: int, method: str, expected: bool) -> None:
    assert is_success(code, method) is expected


@pytest.mark.parametrize("method", ["StartSevice", "", "Activate", None])
def test_unknown_method_is_refused(method: object) -> None:
    with pytest.raises(KmsInputError) as caught:
        already_in_state(0, method)  # type: ignore[arg-type]
    assert caught.value.field == "method"
    assert "StartService" in caught.value.fix


@pytest.mark.parametrize("text", ["10", " 10 ", "0"])
def test_decimal_text_is_accepted(text: str) -> None:
    assert service_return(text).code == int(text)


@pytest.mark.parametrize("bad", [-1, 1 << 32, True, 1.5, "0x10", "", "ten", None, "\u0661"])
def test_bad_return_values_raise_with_the_field(bad: object) -> None:
    for call in (registry_result, service_result):
        with pytest.raises(KmsInputError) as caught:
            call(bad, field="results.ReturnValue")
        assert caught.value.field == "results.ReturnValue"
    with pytest.raises(KmsInputError):
        is_success(bad, "StartService")


def test_return_code_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SERVICE_CODES[10].code = 0  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(code=st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_any_uint32_is_described(code: int) -> None:
    for line in (registry_result(code), service_result(code)):
        assert line.startswith(f"{code}")
        assert line.endswith(".")
    assert is_success(code, "StartService") is (code in {0, 10})
