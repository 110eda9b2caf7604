# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a SOAP 1.2 ``s:Fault`` element into a :class:`WsmanFault` (wsman-wire.md §1.6).

The detail comes in two forms: a ``f:WSManFault`` (``Code`` = HRESULT in unsigned decimal) that
may nest a ``f:ProviderFault`` with an inner ``f:WSManFault`` and an ``f:ExtendedError`` WMI
object, or a ``MSFT_WmiError`` CIM instance (``error_Code``). Both are read; neither is required.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.windows.hresult import from_win32
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import decode_properties
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    TIMED_OUT_CODE,
    OperationTimedOut,
    WsmanFault,
    WsmanProtocolError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_SOAP,
    NS_WSMANFAULT,
    local_name,
    qname,
)

_HRESULT_TEXT = re.compile(r"HRESULT\s*[:=]?\s*0x([0-9A-Fa-f]{8})\b")
_S = NS_SOAP
_F = NS_WSMANFAULT


def parse_code(value: Any) -> int | None:
    """An HRESULT from ``2150858778``, ``0x8033801A`` or a signed ``-2144108518``; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return None
    else:
        return None
    if -(2**31) <= number < 0:
        number += 2**32
    return number if 0 <= number < 2**32 else None


def _is_winrm_generic(code: int) -> bool:
    # Facility 0x33 is WinRM itself (0x8033xxxx): it says "the provider failed", not why.
    return (code >> 16) & 0x7FF == 0x33


def select_hresult(
    wmi_error: Mapping[str, Any] | None,
    fault_codes: list[int],
    texts: Iterable[str],
    extended_status: int | None = None,
) -> int | None:
    """The most specific HRESULT, in the order of wsman-wire.md §1.6.

    ``MSFT_WmiError/error_Code`` first, then the innermost ``WSManFault/@Code``, then an
    ``HRESULT 0x…`` in the text. One refinement: when the WSManFault code is a generic WinRM code
    (0x8033xxxx) and the text or ``__ExtendedStatus.StatusCode`` names a provider HRESULT
    (the "WMI provider returned an unknown error: HRESULT 0x8004106c" form), that one wins.
    """
    if wmi_error is not None:
        code = parse_code(wmi_error.get("error_Code"))
        if code is not None:
            return code
    in_text = [int(m, 16) for t in texts for m in _HRESULT_TEXT.findall(t)]
    specific = [c for c in [extended_status, *in_text] if c and not _is_winrm_generic(c)]
    innermost = fault_codes[-1] if fault_codes else None
    if innermost is not None and not (_is_winrm_generic(innermost) and specific):
        return innermost
    if specific:
        return specific[0]
    return in_text[0] if in_text else innermost


def _own_text(element: ET.Element | None) -> str:
    """Text directly inside ``element`` (not inside its children), whitespace collapsed."""
    if element is None:
        return ""
    pieces = [element.text or ""] + [child.tail or "" for child in element]
    return " ".join("".join(pieces).split())


def _deepest_subcode(code: ET.Element | None) -> str:
    found = ""
    node = code
    while node is not None:
        node = node.find(qname(_S, "Subcode"))
        if node is not None:
            found = (node.findtext(qname(_S, "Value")) or "").strip()
    return found


def _decode_quietly(element: ET.Element) -> dict[str, Any]:
    # A fault must never be lost to a badly typed detail property: fall back to plain text.
    try:
        return decode_properties(element)
    except WsmanProtocolError:
        return {local_name(c.tag): (c.text or "") for c in element if isinstance(c.tag, str)}


def fault_from_element(
    fault: ET.Element, *, action: str = "", http_status: int | None = None
) -> WsmanFault:
    """Build the exception (not raise it): :class:`OperationTimedOut` for ``w:TimedOut``."""
    code_el = fault.find(qname(_S, "Code"))
    code = (code_el.findtext(qname(_S, "Value")) if code_el is not None else "") or ""
    subcode = _deepest_subcode(code_el)
    reason = ""
    reason_el = fault.find(qname(_S, "Reason"))
    if reason_el is not None:
        reason = " ".join((reason_el.findtext(qname(_S, "Text")) or "").split())
    detail = fault.find(qname(_S, "Detail"))
    faults = list(detail.iter(qname(_F, "WSManFault"))) if detail is not None else []
    raw = [c for c in (parse_code(f.get("Code")) for f in faults) if c is not None]
    # WinRM also puts plain Win32 error codes in WSManFault/@Code (``Code="87"`` with
    # w:InvalidParameter: a Windows Server 2016 reply kept in pypsrp tests/adhoc.py @bfd566e6).
    # A number up to 0xFFFF is read as one, as its HRESULT_FROM_WIN32 (0x8007xxxx).
    codes = [from_win32(c) for c in raw]
    messages = [_own_text(f.find(qname(_F, "Message"))) for f in faults]
    providers = list(detail.iter(qname(_F, "ProviderFault"))) if detail is not None else []
    messages += [_own_text(p) for p in providers]
    message = next((m for m in reversed(messages) if m), "")
    machine = next((f.get("Machine", "") for f in reversed(faults) if f.get("Machine")), "")
    wmi_error = extended = None
    if detail is not None:
        wmi_el = next((e for e in detail.iter() if local_name(e.tag) == "MSFT_WmiError"), None)
        if wmi_el is not None:
            wmi_error = _decode_quietly(wmi_el)
            message = message or " ".join(str(wmi_error.get("Message") or "").split())
        ext_el = detail.find(f".//{qname(_F, 'ExtendedError')}")
        inner = [c for c in ext_el if isinstance(c.tag, str)] if ext_el is not None else []
        if inner:
            extended = _decode_quietly(inner[0])
    texts = [reason, *messages]
    if wmi_error is not None:
        texts += [str(wmi_error.get(k) or "") for k in ("Message", "MessageID")]
    status = parse_code(extended.get("StatusCode")) if extended else None
    chosen = select_hresult(wmi_error, codes, texts, status)
    kind = OperationTimedOut if _is_timeout(subcode, codes, wmi_error) else WsmanFault
    return kind(
        code=code.strip(),
        subcode=subcode,
        reason=reason,
        message=message,
        wsman_code=raw[0] if raw else None,
        provider_code=raw[-1] if len(raw) > 1 else None,
        hresult_code=chosen,
        machine=machine,
        provider=providers[0].get("provider", "") if providers else "",
        provider_path=providers[0].get("path", "") if providers else "",
        wmi_error=wmi_error,
        extended_error=extended,
        action=action,
        http_status=http_status,
    )


def _is_timeout(subcode: str, codes: list[int], wmi_error: Mapping[str, Any] | None) -> bool:
    if subcode.rpartition(":")[2] == "TimedOut" or TIMED_OUT_CODE in codes:
        return True
    return wmi_error is not None and parse_code(wmi_error.get("error_Code")) == TIMED_OUT_CODE
