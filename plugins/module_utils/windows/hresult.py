# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HRESULT catalog: code -> what happened -> what the administrator should do.

SPP methods, the WMI provider and WinRM all fail with an HRESULT (wsman-wire.md §1.6), and slmgr.vbs
exits with the same number in signed form (kms-facts.md §1.9). Task results quote these codes, so
every failure the collection reports says what it means and what to fix, never in localized text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows import (
    hresult_licensing,
    hresult_system,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_entry import (
    _SIGN_BIT,
    _UINT32_MAX,
    _WIN32_MAX,
    ACTIVATION,
    CATEGORIES,
    DNS,
    E_ACCESSDENIED,
    ERROR_WSMAN_OPERATION_TIMEDOUT,
    FACILITY_WIN32,
    FIX_ADMIN,
    FIX_DNS,
    KMS_HOST,
    KMS_THRESHOLD_CLIENT_OS,
    KMS_THRESHOLD_SERVER_OFFICE,
    MAK,
    NETWORK,
    OTHER,
    PERMISSION,
    PRODUCT_KEY,
    S_OK,
    SL_E_LUA_ACCESSDENIED,
    SL_E_VL_NOT_ENOUGH_COUNT,
    SUCCESS,
    WIN32,
    WMI,
    WSMAN,
    HResult,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.return_codes import WIN32_ERRORS

# The entry type, the categories and the named codes are defined in hresult_entry; callers use
# this module for all of it.
__all__ = [
    "ACTIVATION",
    "CATALOG",
    "CATEGORIES",
    "DNS",
    "ENTRIES",
    "ERROR_WSMAN_OPERATION_TIMEDOUT",
    "E_ACCESSDENIED",
    "FACILITY_WIN32",
    "FIX_ADMIN",
    "FIX_DNS",
    "KMS_HOST",
    "KMS_THRESHOLD_CLIENT_OS",
    "KMS_THRESHOLD_SERVER_OFFICE",
    "MAK",
    "NETWORK",
    "OTHER",
    "PERMISSION",
    "PRODUCT_KEY",
    "SL_E_LUA_ACCESSDENIED",
    "SL_E_VL_NOT_ENOUGH_COUNT",
    "SUCCESS",
    "S_OK",
    "WIN32",
    "WMI",
    "WSMAN",
    "HResult",
    "below_threshold_message",
    "describe",
    "explain",
    "from_win32",
    "is_count_not_reached",
    "lookup",
    "to_code",
]

ENTRIES = (*hresult_licensing.ENTRIES, *hresult_system.ENTRIES)
CATALOG: Mapping[int, HResult] = MappingProxyType({entry.code: entry for entry in ENTRIES})

_DECIMAL = re.compile(r"-?[0-9]+", re.ASCII)
_PREFIXED_HEX = re.compile(r"0[xX]([0-9a-fA-F]+)", re.ASCII)
# Unprefixed hex must be the full 8 digits an HRESULT is written with ("C004F074"). Eight plain
# digits ("80070005") read as hex or as decimal, so they are refused rather than guessed.
_BARE_HEX = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)


def _ambiguous(text: str, field: str) -> KmsInputError:
    unsigned = int(text, 16)
    signed = unsigned - (1 << 32) if unsigned & _SIGN_BIT else unsigned
    decimal = f"{signed} signed or {unsigned} unsigned" if signed != unsigned else str(unsigned)
    return KmsInputError(
        field,
        f"{text!r} is ambiguous: eight digits can be hex 0x{text} or decimal {int(text)}.",
        f"Write the hex HRESULT with its prefix (0x{text}, which is {decimal} in decimal), "
        "or a decimal value that is not exactly 8 digits.",
    )


def to_code(value: object, field: str = "hresult") -> int:
    """Any usual spelling of an HRESULT -> the unsigned 32-bit code.

    Accepts an int (signed or unsigned), ``"0xC004F074"``, ``"C004F074"``, ``"-1073418124"`` and
    ``"3221549172"``, with surrounding spaces and in any case. Eight plain digits (``"80070005"``)
    are refused as ambiguous between hex and decimal.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        prefixed = _PREFIXED_HEX.fullmatch(text)
        if _BARE_HEX.fullmatch(text):
            if text.isdigit():
                raise _ambiguous(text, field)
            number = int(text, 16)
        elif _DECIMAL.fullmatch(text):
            number = int(text, 10)
        elif prefixed:
            number = int(prefixed.group(1), 16)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    if number is None:
        raise KmsInputError(
            field,
            f"{shown} is not an HRESULT.",
            "Write it as hex (0xC004F074 or C004F074) or in decimal, signed (-1073418124) or "
            "unsigned (3221549172).",
        )
    if -(1 << 31) <= number < 0:
        return number + (1 << 32)
    if 0 <= number <= _UINT32_MAX:
        return number
    raise KmsInputError(
        field,
        f"{shown} is outside the 32-bit range of an HRESULT.",
        "Use a value from -2147483648 to 4294967295, or at most 8 hex digits.",
    )


def from_win32(code: int) -> int:
    """HRESULT_FROM_WIN32 (winerror.h): a Win32 error code 1..0xFFFF becomes 0x8007xxxx; 0 and
    anything larger (already an HRESULT) are returned as they are."""
    if 0 < code <= _WIN32_MAX:
        return _SIGN_BIT | FACILITY_WIN32 << 16 | code
    return code


def lookup(value: object, field: str = "hresult") -> HResult | None:
    """The catalog entry for a code, or None when the catalog does not know it."""
    return CATALOG.get(to_code(value, field))


def explain(value: object, field: str = "hresult") -> HResult:
    """The catalog entry, or a generic entry that decodes the code and says where to look it up.

    A number from 1 to 0xFFFF is a Win32 error code, not an HRESULT (WinRM faults carry such
    codes, ``Code="87"``): it is explained as the Win32 error, under its HRESULT 0x8007xxxx.
    """
    code = to_code(value, field)
    known = CATALOG.get(code)
    if known is not None:
        return known
    if 0 < code <= _WIN32_MAX:
        return _win32(code)
    return _generic(code)


def _win32(code: int) -> HResult:
    """Win32 error ``code`` explained through HRESULT_FROM_WIN32 of it (the entry keeps the
    code as given; the meaning names the HRESULT)."""
    wrapped = from_win32(code)
    error = WIN32_ERRORS.get(code)
    said = f"Windows system error {code}" + (f" ({error.name})" if error else "")
    entry = CATALOG.get(wrapped)
    if entry is not None:
        return HResult(
            code,
            error.name if error else entry.symbol,
            f"{said}, a Win32 error code; as an HRESULT {entry.hex} ({entry.symbol}): "
            f"{entry.meaning}",
            entry.action,
            entry.category,
        )
    return HResult(
        code,
        error.name if error else "",
        f"{said}, a Win32 error code (0x{wrapped:08X} as an HRESULT).",
        f"Look up system error {code} in Microsoft's System Error Codes reference, or run "
        f"'net helpmsg {code}' on a Windows host.",
        WIN32,
    )


def _generic(code: int) -> HResult:
    # Layout per MS-ERREF 2.1: severity bit 31, facility bits 16-26, code bits 0-15.
    # FACILITY_ITF = 4, FACILITY_WIN32 = 7, FACILITY_WINRM = 51 (0x33).
    hex_code = f"0x{code:08X}"
    high, low = code >> 16, code & 0xFFFF
    if not code & _SIGN_BIT:
        return HResult(
            code,
            "",
            f"{hex_code} is not a failure: the severity bit is clear, so it reports success or "
            "information.",
            "Nothing to fix for this code; if the operation failed, look at the error beside it.",
            SUCCESS,
        )
    if high == 0x8007:
        win32 = WIN32_ERRORS.get(low)
        known = f" ({win32.name})" if win32 else ""
        return HResult(
            code,
            "",
            f"Windows system error {low} (0x{low:X}) returned as an HRESULT{known}.",
            f"Look up system error {low} in Microsoft's System Error Codes reference, or run "
            f"'net helpmsg {low}' on a Windows host.",
            WIN32,
        )
    if high == 0x8004 and 0x1000 <= low <= 0x1FFF:
        return HResult(
            code,
            "",
            f"A WMI error (WBEM_E_* range) not in this collection's catalog: {hex_code}.",
            f"Look up {hex_code} in Microsoft's WMI Error Constants (WBEMSTATUS) reference.",
            WMI,
        )
    if high == 0x8033:
        return HResult(
            code,
            "",
            f"A WinRM / WS-Management error (ERROR_WSMAN_* range) not in this catalog: {hex_code}.",
            f"Run 'winrm helpmsg {hex_code}' on a Windows host, or look it up among the "
            "ERROR_WSMAN_* codes in winerror.h.",
            WSMAN,
        )
    if high == 0xC004:
        return HResult(
            code,
            "",
            f"A Software Licensing (SPP) error (SL_E_* codes in slerror.h) not in this catalog: "
            f"{hex_code}.",
            "Look it up in Microsoft's 'Resolving common activation error codes' article and in "
            "slerror.h; on a KMS client, Application log events 12288/12289 give details.",
            ACTIVATION,
        )
    facility = (code >> 16) & 0x7FF
    return HResult(
        code,
        "",
        f"A failure HRESULT from facility {facility}, code {low} (0x{low:04X}), not in this "
        "collection's catalog.",
        f"Search Microsoft's documentation or winerror.h for {hex_code}.",
        OTHER,
    )


def _count(value: object, field: str, minimum: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    raise KmsInputError(field, f"{value!r} is not a whole number of at least {minimum}.")


def below_threshold_message(current: int, required: int) -> str:
    """How far a KMS host is from activating: its count ``current`` against ``required``."""
    current = _count(current, "current_count", 0)
    required = _count(required, "required", 1)
    if current >= required:
        return (
            f"The KMS host now counts {current} of the {required} machines needed, so the next "
            "attempt should succeed: activate again, or wait for the client's automatic retry "
            "(every 2 hours by default)."
        )
    missing = required - current
    machines = "machine" if missing == 1 else "machines"
    return (
        f"The KMS host counts {current} of the {required} machines needed: {missing} more "
        f"distinct {machines} must contact it within 30 days. Clients retry by themselves every "
        "2 hours by default, so activation completes without intervention once the count is "
        "reached."
    )


def describe(
    value: object,
    *,
    current_count: int | None = None,
    required: int | None = None,
    field: str = "hresult",
) -> str:
    """One line: ``0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT): <meaning> What to do: <action>``.

    For 0xC004F038, ``current_count`` and ``required`` (the host's KeyManagementServiceCurrentCount
    and the product's RequiredClientCount) add how many machines are still missing; they are
    ignored for other codes.
    """
    entry = explain(value, field)
    if current_count is None and required is None:
        return str(entry)
    if current_count is None or required is None:
        missing = "required" if required is None else "current_count"
        raise KmsInputError(missing, "is needed together with the other count.", "Give both.")
    if entry.code != SL_E_VL_NOT_ENOUGH_COUNT:
        return str(entry)
    return f"{entry} {below_threshold_message(current_count, required)}"


def is_count_not_reached(value: object, field: str = "hresult") -> bool:
    """True for 0xC004F038: the host's count is below threshold, a waiting state, not a fault."""
    return to_code(value, field) == SL_E_VL_NOT_ENOUGH_COUNT
