# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIM values from Python to the wire: method parameters as WinRM's WMI plugin expects them.

The shapes are those of wsman-wire.md §1.5: decimal integers, ``true``/``false``, ``xsi:nil`` for
NULL, an array as its element repeated, datetimes wrapped in ``cim:Datetime``/``cim:Interval``.
:mod:`cim` reads the same shapes back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import (
    INT_RANGES,
    REAL32_MAX,
    CimType,
    CimTypeSpec,
    TypeHint,
    check_identifier,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim_time import encode_time
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_CIM,
    NS_XSI,
    escape_attr,
    escape_text,
    first_bad_char,
)

_PYTHON_KINDS: tuple[tuple[type, CimType], ...] = (
    (bool, CimType.BOOLEAN),  # before int: bool is an int subclass
    (float, CimType.REAL64),
    (str, CimType.STRING),
    (dt.datetime, CimType.DATETIME),
    (dt.timedelta, CimType.DATETIME),
    (Mapping, CimType.INSTANCE),
)


def _kind_of(value: Any) -> CimType:
    for python_type, kind in _PYTHON_KINDS:
        if isinstance(value, python_type):
            return kind
    return CimType.SINT64 if value < 0 else CimType.UINT64


_ACCEPTS: Mapping[CimType, tuple[type, ...]] = {
    CimType.STRING: (str,),
    CimType.BOOLEAN: (bool,),
    CimType.REAL32: (float, int),
    CimType.REAL64: (float, int),
    CimType.DATETIME: (dt.datetime, dt.timedelta),
    CimType.INSTANCE: (Mapping,),
}


def _encode_string(value: str, kind: CimType, field: str) -> str:
    bad = first_bad_char(value)
    if bad is not None:
        raise KmsInputError(
            field,
            f"contains the character U+{ord(bad):04X}, which XML cannot carry",
            "Remove control characters from the value.",
        )
    return value


def _encode_int(value: int, kind: CimType, field: str) -> str:
    low, high = INT_RANGES[kind]
    if not low <= value <= high:
        raise KmsInputError(
            field,
            f"is out of range for {kind.value}",
            f"Use a whole number from {low} to {high}.",
        )
    return str(value)


def _encode_real(value: float, kind: CimType, field: str) -> str:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "INF" if number > 0 else "-INF"
    if kind is CimType.REAL32 and abs(number) > REAL32_MAX:
        raise KmsInputError(field, "is out of range for real32", "Use a smaller number.")
    return repr(number)


def _encode_datetime(value: dt.datetime | dt.timedelta, kind: CimType, field: str) -> str:
    try:
        return encode_time(value)
    except ValueError as exc:
        raise KmsInputError(field, str(exc), "Pass a representable date or interval.") from None


def _encode_instance(value: Any, kind: CimType, field: str) -> str:
    raise KmsInputError(field, "an instance is not a scalar", "Pass a scalar value.")


_ENCODERS: Mapping[CimType, Callable[[Any, CimType, str], str]] = {
    **dict.fromkeys(INT_RANGES, _encode_int),
    CimType.STRING: _encode_string,
    CimType.BOOLEAN: lambda value, kind, field: "true" if value else "false",
    CimType.REAL32: _encode_real,
    CimType.REAL64: _encode_real,
    CimType.DATETIME: _encode_datetime,
    CimType.INSTANCE: _encode_instance,
}


def encode_scalar_text(value: Any, kind: CimType, field: str = "value") -> str:
    """The wire text of a scalar (not yet XML-escaped); raises ``KmsInputError`` if unfit."""
    accepted = _ACCEPTS.get(kind, (int,))
    if not isinstance(value, accepted) or (isinstance(value, bool) and kind is not CimType.BOOLEAN):
        raise KmsInputError(
            field,
            f"must be of type {kind.value}, not {type(value).__name__}",
            "Pass the right type.",
        )
    return _ENCODERS[kind](value, kind, field)


def _encode_one(prefix: str, name: str, value: Any, kind: CimType | None, field: str) -> str:
    tag = f"{prefix}:{name}"
    if value is None:
        return f'<{tag} xsi:nil="true" xmlns:xsi="{escape_attr(NS_XSI)}"/>'
    if kind is None:
        if not isinstance(value, (str, int, float, dt.datetime, dt.timedelta, Mapping)):
            raise KmsInputError(
                field,
                f"values of type {type(value).__name__} cannot be sent to WMI",
                "Use text, a number, a boolean, a datetime, a timedelta, a list or a mapping.",
            )
        kind = _kind_of(value)
    if kind is CimType.INSTANCE:
        if not isinstance(value, Mapping):
            raise KmsInputError(field, f"must be a mapping, not {type(value).__name__}")
        inner = "".join(
            encode_property(prefix, str(k), v, field=f"{field}.{k}") for k, v in value.items()
        )
        return f"<{tag}>{inner}</{tag}>"
    text = escape_text(encode_scalar_text(value, kind, field))
    if kind is CimType.DATETIME:
        wrapper = "Datetime" if isinstance(value, dt.datetime) else "Interval"
        cim = f'<cim:{wrapper} xmlns:cim="{escape_attr(NS_CIM)}">{text}</cim:{wrapper}>'
        return f"<{tag}>{cim}</{tag}>"
    return f"<{tag}>{text}</{tag}>"


def encode_property(
    prefix: str, name: str, value: Any, spec: TypeHint | None = None, *, field: str = ""
) -> str:
    """Serialize one property or parameter as element(s) ``<prefix:name>``.

    ``None`` is ``xsi:nil``; a list is the element repeated (§1.5) and an empty list sends nothing
    (WMI then sees NULL; the empty-array rendering is unconfirmed, §7). The value is escaped, so no
    value can break the XML; it is never quoted in an error message (it may be a product key).
    """
    field = field or name
    check_identifier(field, name, "property name")
    parsed = CimTypeSpec.parse(spec) if spec is not None else None
    kind = parsed.type if parsed is not None else None
    if isinstance(value, (list, tuple)):
        if parsed is not None and not parsed.is_array:
            raise KmsInputError(field, f"must be a single {parsed.type.value}, not a list")
        parts = []
        for index, item in enumerate(value):
            if item is None:
                raise KmsInputError(
                    f"{field}[{index}]", "is null", "WMI arrays cannot hold null items."
                )
            parts.append(_encode_one(prefix, name, item, kind, f"{field}[{index}]"))
        return "".join(parts)
    if parsed is not None and parsed.is_array and value is not None:
        raise KmsInputError(field, f"must be a list of {parsed.type.value}")
    return _encode_one(prefix, name, value, kind, field)
