# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIM types and values, and how WinRM's WMI plugin writes them as XML (wsman-wire §1.5).

Scalars are element text; booleans ``true``/``false``; NULL is ``xsi:nil="true"``; arrays repeat the
element once per item; datetimes wrap their value in ``<cim:Datetime>``. A NULL or empty array
follows the lab variant ``null_array`` (``kmslab.variants``): ``nil`` (default) writes the element
once with ``xsi:nil="true"`` as MS-WSMAN 3.1.4.1.26 / 3.2.4.1.12 require for null arrays;
``omit`` writes nothing. Empty arrays have no form of their own on the wire (wsman-wire §1.5 marks
them unconfirmed): both values treat them as NULL.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

Scalar = str | bool | int | float | dt.datetime
Value = Scalar | tuple[Scalar, ...] | None

# Values of the ``null_array`` variant (kmslab.variants).
NULL_ARRAY_NIL = "nil"
NULL_ARRAY_OMIT = "omit"

_INT_RANGES = {
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "sint8": (-(2**7), 2**7 - 1),
    "sint16": (-(2**15), 2**15 - 1),
    "sint32": (-(2**31), 2**31 - 1),
    "sint64": (-(2**63), 2**63 - 1),
}


class CimType(enum.Enum):
    STRING = "string"
    BOOLEAN = "boolean"
    UINT8 = "uint8"
    UINT16 = "uint16"
    UINT32 = "uint32"
    UINT64 = "uint64"
    SINT8 = "sint8"
    SINT16 = "sint16"
    SINT32 = "sint32"
    SINT64 = "sint64"
    REAL32 = "real32"
    REAL64 = "real64"
    DATETIME = "datetime"

    @property
    def is_integer(self) -> bool:
        return self.value in _INT_RANGES

    @property
    def is_numeric(self) -> bool:
        return self.is_integer or self in (CimType.REAL32, CimType.REAL64)

    def int_range(self) -> tuple[int, int]:
        if not self.is_integer:
            raise ValueError(f"{self.value} is not an integer type")
        return _INT_RANGES[self.value]


def _check_scalar(name: str, cim_type: CimType, item: object) -> None:
    # bool is an int subclass in Python: check it first so True never passes as uint32.
    if cim_type is CimType.BOOLEAN:
        ok = isinstance(item, bool)
    elif cim_type.is_integer:
        ok = isinstance(item, int) and not isinstance(item, bool)
        if ok:
            low, high = cim_type.int_range()
            if not low <= item <= high:  # type: ignore[operator]
                raise ValueError(f"{name}: {item} is outside {cim_type.value}")
    elif cim_type in (CimType.REAL32, CimType.REAL64):
        ok = isinstance(item, int | float) and not isinstance(item, bool)
    elif cim_type is CimType.DATETIME:
        ok = isinstance(item, dt.datetime | str)
    else:
        ok = isinstance(item, str)
    if not ok:
        raise ValueError(f"{name}: {item!r} is not a {cim_type.value}")


@dataclass(frozen=True)
class Property:
    """A named, typed value. ``is_array`` marks ``T[]``; the value is then a tuple or None."""

    name: str
    cim_type: CimType
    value: Value
    is_array: bool = False

    def __post_init__(self) -> None:
        if self.value is None:
            return
        if self.is_array:
            if not isinstance(self.value, tuple):
                raise ValueError(f"{self.name}: an array value must be a tuple")
            for item in self.value:
                if item is None:
                    # MS-WSMAN 3.1.4.1.26: null array elements are never sent.
                    raise ValueError(f"{self.name}: arrays cannot hold NULL items")
                _check_scalar(self.name, self.cim_type, item)
        else:
            _check_scalar(self.name, self.cim_type, self.value)

    def text_value(self) -> str:
        """The wire text of a scalar (used for selectors and WQL)."""
        if self.value is None or isinstance(self.value, tuple):
            raise ValueError(f"{self.name}: not a non-NULL scalar")
        return scalar_text(self.cim_type, self.value)


def scalar_text(cim_type: CimType, value: Scalar) -> str:
    if cim_type is CimType.BOOLEAN:
        return "true" if value else "false"
    if cim_type is CimType.DATETIME:
        return value.isoformat() if isinstance(value, dt.datetime) else str(value)
    if cim_type in (CimType.REAL32, CimType.REAL64):
        number = float(value)  # type: ignore[arg-type]
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "INF" if number > 0 else "-INF"
        return repr(number)
    return str(value)


def element_xml(prefix: str, prop: Property, null_array: str = NULL_ARRAY_NIL) -> str:
    """The element(s) one property becomes inside an instance or ``_OUTPUT`` element.

    The ``xsi`` and ``cim`` prefixes must be declared by the enclosing element, as Windows does
    on the instance root (wsman-wire §1.5 "instance root"). ``null_array`` is the value of the
    variant of that name: how a NULL or empty array travels (module docstring).
    """
    tag = f"{prefix}:{prop.name}"
    if prop.is_array and not prop.value:
        if null_array == NULL_ARRAY_OMIT:
            return ""  # variant omit: no element at all (unconfirmed form)
        return f'<{tag} xsi:nil="true"/>'  # MS-WSMAN 3.1.4.1.26: one element, xsi:nil="true"
    if prop.value is None:
        return f'<{tag} xsi:nil="true"/>'
    items = prop.value if isinstance(prop.value, tuple) else (prop.value,)
    parts = []
    for item in items:
        text = escape(scalar_text(prop.cim_type, item))
        if prop.cim_type is CimType.DATETIME:
            text = f"<cim:Datetime>{text}</cim:Datetime>"
        parts.append(f"<{tag}>{text}</{tag}>")
    return "".join(parts)


# Small constructors so instances read like their MOF: string("Name", "x"), uint32("Port", 1688).
def string(name: str, value: str | None) -> Property:
    return Property(name, CimType.STRING, value)


def boolean(name: str, value: bool | None) -> Property:
    return Property(name, CimType.BOOLEAN, value)


def uint32(name: str, value: int | None) -> Property:
    return Property(name, CimType.UINT32, value)


def uint64(name: str, value: int | None) -> Property:
    return Property(name, CimType.UINT64, value)


def datetime(name: str, value: dt.datetime | str | None) -> Property:
    return Property(name, CimType.DATETIME, value)


def strings(name: str, values: tuple[str, ...] | None) -> Property:
    return Property(name, CimType.STRING, values, is_array=True)
