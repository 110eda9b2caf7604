# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIM types and values from the wire, as WinRM's WMI plugin sends them (wsman-wire.md §1.5).

The other direction (Python to the wire) is :mod:`cim_encode`; times are in :mod:`cim_time`.

The wire carries no types for WMI properties (only ``MSFT_WmiError`` has ``xsi:type``), so decoding
is driven by an optional hint per property: ``{"PortNumber": "uint32", "sNames": "string[]"}``.
Without a hint a leaf is text, a repeated element a list, ``xsi:nil`` is ``None``, a
``cim:Datetime``/``cim:Interval`` child a datetime/timedelta and any other structure a dict.
Bad values from the caller raise ``KmsInputError``; from the server ``WsmanProtocolError``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeAlias

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim_time import decode_time
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanProtocolError
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_CIM,
    XSI_NIL,
    XSI_TYPE,
    local_name,
)


class CimType(Enum):
    """CIM intrinsic types (MOF names) that WMI properties and method parameters use."""

    STRING = "string"
    BOOLEAN = "boolean"
    UINT8 = "uint8"
    SINT8 = "sint8"
    UINT16 = "uint16"
    SINT16 = "sint16"
    UINT32 = "uint32"
    SINT32 = "sint32"
    UINT64 = "uint64"
    SINT64 = "sint64"
    REAL32 = "real32"
    REAL64 = "real64"
    DATETIME = "datetime"
    INSTANCE = "instance"


# (minimum, maximum) per integer type.
INT_RANGES: Mapping[CimType, tuple[int, int]] = {
    CimType.UINT8: (0, 2**8 - 1),
    CimType.SINT8: (-(2**7), 2**7 - 1),
    CimType.UINT16: (0, 2**16 - 1),
    CimType.SINT16: (-(2**15), 2**15 - 1),
    CimType.UINT32: (0, 2**32 - 1),
    CimType.SINT32: (-(2**31), 2**31 - 1),
    CimType.UINT64: (0, 2**64 - 1),
    CimType.SINT64: (-(2**63), 2**63 - 1),
}
REAL32_MAX = 3.4028234663852886e38

# xsi:type values of DSP0230's cim schema (seen on MSFT_WmiError properties, fixture (g)).
_XSI_TYPES: Mapping[str, CimType] = {
    "cimString": CimType.STRING,
    "cimBoolean": CimType.BOOLEAN,
    "cimUnsignedByte": CimType.UINT8,
    "cimByte": CimType.SINT8,
    "cimUnsignedShort": CimType.UINT16,
    "cimShort": CimType.SINT16,
    "cimUnsignedInt": CimType.UINT32,
    "cimInt": CimType.SINT32,
    "cimUnsignedLong": CimType.UINT64,
    "cimLong": CimType.SINT64,
    "cimFloat": CimType.REAL32,
    "cimDouble": CimType.REAL64,
    "cimDateTime": CimType.DATETIME,
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_REAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_SPECIAL_REALS = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}


@dataclass(frozen=True)
class CimTypeSpec:
    """A type hint: the CIM type and whether the property is an array."""

    type: CimType
    is_array: bool = False

    @classmethod
    def parse(cls, value: CimTypeSpec | CimType | str) -> CimTypeSpec:
        """Accept ``"uint32"``, ``"string[]"``, a :class:`CimType` or a spec."""
        if isinstance(value, CimTypeSpec):
            return value
        if isinstance(value, CimType):
            return cls(value)
        return _parse_type_text(str(value))


@functools.lru_cache(maxsize=256)
def _parse_type_text(value: str) -> CimTypeSpec:
    # Each reply is decoded with the query's whole hint table (about 20 entries per row, 88
    # parses per converged client task; docs/performance.md): parse each spelling once. A
    # frozen dataclass is safe to share; a bad hint raises, and errors are not cached.
    text = value.strip().lower()
    is_array = text.endswith("[]")
    try:
        return CimTypeSpec(CimType(text[:-2] if is_array else text), is_array)
    except ValueError:
        names = ", ".join(t.value for t in CimType)
        raise KmsInputError(
            "types", f"'{value}' is not a CIM type", f"Use one of {names}, with [] for arrays."
        ) from None


# A string alias: pylint reads module_utils as if for older Pythons, where "|" fails at run time.
TypeHint: TypeAlias = "CimTypeSpec | CimType | str"
TypeHints = Mapping[str, TypeHint]


def check_identifier(field: str, name: str, what: str = "name") -> str:
    """A WMI class, method, property or key name: letters, digits and underscores."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise KmsInputError(
            field,
            f"is not a valid WMI {what}",
            "Use letters, digits and underscores, starting with a letter or underscore.",
        )
    return name


def parse_hints(types: TypeHints | None) -> dict[str, CimTypeSpec]:
    """Hints keyed by lower-case name: WMI names are case-insensitive."""
    return {k.lower(): CimTypeSpec.parse(v) for k, v in (types or {}).items()}


# ---------------------------------------------------------------- decoding (server -> Python)


def _bad(where: str, problem: str) -> WsmanProtocolError:
    return WsmanProtocolError(f"property {where}: {problem}")


def _decode_int(text: str, kind: CimType, where: str) -> int:
    if not _INTEGER.match(text):
        raise _bad(where, f"'{text[:40]}' is not a {kind.value}")
    number = int(text)
    low, high = INT_RANGES[kind]
    if low == 0 and -(high // 2 + 1) <= number < 0:
        # WMI documents "-1" for some uint32 counters (wsman-wire.md §1.5, unconfirmed render):
        # fold it to the unsigned value so both renderings compare equal.
        number += high + 1
    if not low <= number <= high:
        raise _bad(where, f"{number} is out of range for {kind.value}")
    return number


def _decode_bool(text: str, kind: CimType, where: str) -> bool:
    # Expected true/false; 1/0 tolerated (§1.5, unconfirmed for the WMI plugin).
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise _bad(where, f"'{text[:40]}' is not a boolean")


def _decode_real(text: str, kind: CimType, where: str) -> float:
    if text in _SPECIAL_REALS:
        return _SPECIAL_REALS[text]
    if not _REAL.match(text):
        raise _bad(where, f"'{text[:40]}' is not a {kind.value}")
    return float(text)


def _decode_datetime(text: str, kind: CimType, where: str) -> dt.datetime | dt.timedelta:
    try:
        return decode_time(text)
    except ValueError as exc:
        raise _bad(where, str(exc)) from None


def _decode_instance(text: str, kind: CimType, where: str) -> Any:
    raise _bad(where, f"{kind.value} cannot be plain text")


_DECODERS: Mapping[CimType, Callable[[str, CimType, str], Any]] = {
    **dict.fromkeys(INT_RANGES, _decode_int),
    CimType.BOOLEAN: _decode_bool,
    CimType.REAL32: _decode_real,
    CimType.REAL64: _decode_real,
    CimType.DATETIME: _decode_datetime,
    CimType.INSTANCE: _decode_instance,
}


def decode_scalar_text(text: str, kind: CimType, where: str = "value") -> Any:
    """Decode the text of a leaf element as ``kind`` (strings keep their whitespace)."""
    if kind is CimType.STRING:
        return text
    return _DECODERS[kind](text.strip(), kind, where)


def _is_nil(element: ET.Element) -> bool:
    return element.get(XSI_NIL, "").strip().lower() in ("true", "1")


def _children(element: ET.Element) -> list[ET.Element]:
    return [child for child in element if isinstance(child.tag, str)]


def decode_element(element: ET.Element, spec: CimTypeSpec | None = None) -> Any:
    """Decode one element (one array item at most) into a Python value."""
    where = local_name(element.tag)
    if _is_nil(element):
        return None
    kind = spec.type if spec is not None else None
    if kind is None:
        xsi_type = element.get(XSI_TYPE, "").rpartition(":")[2]
        kind = _XSI_TYPES.get(xsi_type)
    children = _children(element)
    if children:
        first = children[0]
        if len(children) == 1 and first.tag.startswith(f"{{{NS_CIM}}}"):
            if kind not in (None, CimType.DATETIME):
                raise _bad(where, f"expected {kind.value}, got cim:{local_name(first.tag)}")
            if _children(first):
                raise _bad(where, "a CIM datetime cannot have child elements")
            return decode_scalar_text(first.text or "", CimType.DATETIME, where)
        if kind not in (None, CimType.INSTANCE):
            raise _bad(where, f"expected {kind.value}, got a structure")
        # An embedded instance may come wrapped in its class element (carrying xsi:type) or bare.
        if len(children) == 1 and first.get(XSI_TYPE) and _children(first):
            return decode_properties(first)
        return decode_properties(element)
    if kind is CimType.INSTANCE:
        if (element.text or "").strip():
            raise _bad(where, "expected an instance, got text")
        return {}
    return decode_scalar_text(element.text or "", kind or CimType.STRING, where)


def decode_properties(
    parent: ET.Element, types: TypeHints | None = None, only: Collection[str] | None = None
) -> dict[str, Any]:
    """Decode the children of an instance (or ``_OUTPUT``) element, keyed by local name.

    A name that appears more than once is an array (§1.5: arrays are repeated elements); a hint
    ending in ``[]`` makes even a single element a list. A NULL array comes as one ``xsi:nil``
    element (MS-WSMAN 3.1.4.1.26) or, as some hosts may send it, not at all: a nil array is
    ``None`` and a missing one is not in the result, so ``.get(name)`` reads both as ``None``
    (callers write ``... or []``). Properties that are absent are simply not in the result (older
    Windows lacks some).

    ``only`` (lower-case names) keeps just those properties and skips the rest unread: a host
    may answer ``SELECT a, b`` with every property of the class (wsman-wire.md §5 item 5, §7).
    """
    hints = parse_hints(types)
    grouped: dict[str, list[ET.Element]] = {}
    for child in _children(parent):
        name = local_name(child.tag)
        if only is not None and name.lower() not in only:
            continue
        grouped.setdefault(name, []).append(child)
    result: dict[str, Any] = {}
    for name, elements in grouped.items():
        spec = hints.get(name.lower())
        item_spec = CimTypeSpec(spec.type) if spec is not None else None
        if spec is not None and spec.is_array:
            if len(elements) == 1 and _is_nil(elements[0]):
                result[name] = None
            else:
                result[name] = [decode_element(e, item_spec) for e in elements]
        elif len(elements) > 1:
            if spec is not None:
                raise _bad(name, f"expected one {spec.type.value}, got {len(elements)} elements")
            result[name] = [decode_element(e) for e in elements]
        else:
            result[name] = decode_element(elements[0], item_spec)
    return result


def type_spec_for(types: TypeHints | None, name: str) -> CimTypeSpec | None:
    """The hint for ``name`` in ``types``, matched case-insensitively."""
    return parse_hints(types).get(name.lower())
