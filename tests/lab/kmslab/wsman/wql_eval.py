# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate a parsed WQL query against CIM instances.

Semantics, where WMI documents them: string comparisons ignore case; LIKE takes ``%``, ``_`` and
``[...]`` sets; a NULL property satisfies no comparison (only ``IS NULL``); array properties cannot
appear in WHERE. Where WMI's behaviour is not documented (NOT over a NULL comparison, which is
plain two-valued logic here) the README lists it as unconfirmed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache

from .cim import CimType, Property
from .provider import ClassInfo, Instance
from .wql import And, Compare, Expr, IsNull, Like, Not, Or, Query, WqlError


def validate(query: Query, info: ClassInfo) -> None:
    """Reject names the class does not have, when its schema is known (WMI: invalid query)."""
    if info.properties is None:
        return
    known = {name.casefold() for name in info.properties}
    for name in query.referenced():
        if name.casefold() not in known:
            raise WqlError(f"{info.name} has no property {name}")


def matches(expr: Expr | None, instance: Instance) -> bool:
    if expr is None:
        return True
    if isinstance(expr, Or):
        return any(matches(item, instance) for item in expr.operands)
    if isinstance(expr, And):
        return all(matches(item, instance) for item in expr.operands)
    if isinstance(expr, Not):
        return not matches(expr.operand, instance)
    return _predicate(expr, instance)


def _predicate(expr: Compare | IsNull | Like, instance: Instance) -> bool:
    prop = instance.prop(expr.prop)
    if prop is not None and prop.is_array:
        raise WqlError(f"array property {prop.name} cannot be used in WHERE")
    if isinstance(expr, IsNull):
        is_null = prop is None or prop.value is None
        return is_null != expr.negated
    if prop is None or prop.value is None:
        return False
    if isinstance(expr, Like):
        return _like(prop, expr.pattern)
    return _compare(prop, expr)


def select(query: Query, instances: Sequence[Instance], *, project: bool = True) -> list[Instance]:
    """Filter by WHERE and apply the projection (the properties the SELECT list names); with
    ``project`` False every property stays (lab variant ``projection_items=full``)."""
    chosen = [instance for instance in instances if matches(query.where, instance)]
    if query.properties is None or not project:
        return chosen
    return [_project(instance, query.properties) for instance in chosen]


def _project(instance: Instance, names: tuple[str, ...]) -> Instance:
    # Projection keeps only the named properties; whether Windows adds the keys is unconfirmed
    # (wsman-wire §5 item 5), so nothing is added.
    kept: dict[str, Property] = {}
    for name in names:
        prop = instance.prop(name)
        if prop is not None:
            kept.setdefault(prop.name.casefold(), prop)
    keys = tuple(key for key in instance.keys if key.casefold() in kept)
    return Instance(instance.class_name, tuple(kept.values()), keys)


def _like(prop: Property, pattern: str) -> bool:
    if prop.cim_type is not CimType.STRING:
        raise WqlError(f"LIKE needs a string property, {prop.name} is {prop.cim_type.value}")
    return _like_regex(pattern).fullmatch(str(prop.value)) is not None


@lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                raise WqlError("unclosed [ in LIKE pattern")
            body = pattern[index + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body:
                raise WqlError("empty [] in LIKE pattern")
            escaped = "".join(
                "-" if c == "-" and 0 < i < len(body) - 1 else re.escape(c)
                for i, c in enumerate(body)
            )
            out.append(f"[{'^' if negate else ''}{escaped}]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _as_boolean(constant: str | int | float | bool) -> bool | None:
    if isinstance(constant, bool):
        return constant
    if isinstance(constant, int | float) and constant in (0, 1):
        return bool(constant)
    if isinstance(constant, str) and constant.lower() in ("true", "false"):
        return constant.lower() == "true"
    return None


def _as_number(constant: str | int | float | bool) -> int | float | None:
    if isinstance(constant, bool):
        return None
    if isinstance(constant, int | float):
        return constant
    try:
        return float(constant) if "." in constant else int(constant, 10)
    except ValueError:
        return None


# WMI's DATETIME text, yyyymmddHHMMSS.mmmmmmsUUU (UUU: minutes from UTC). Microsoft's "WQL-Supported
# Date Formats" recommends it for WHERE clauses because it does not depend on the host's locale;
# the ISO form that WinRM serializes datetimes in is accepted too.
_DMTF = re.compile(r"(\d{14})\.(\d{6})([+-])(\d{3})")


def _as_datetime(value: object) -> dt.datetime | None:
    """An aware datetime from a property value or a WQL constant; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str):
        return None
    text = value.strip()
    found = _DMTF.fullmatch(text)
    try:
        if found:
            stamp = dt.datetime.strptime(found.group(1) + found.group(2), "%Y%m%d%H%M%S%f")
            minutes = int(found.group(4)) * (-1 if found.group(3) == "-" else 1)
            return stamp.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _as_text(constant: str | int | float | bool) -> str | None:
    if isinstance(constant, bool):
        return None
    return str(constant).casefold()


def _coerce(prop: Property, constant: str | int | float | bool) -> tuple[object, object]:
    """Both sides in one comparable domain; WMI compares strings without regard to case."""
    right: object
    if prop.cim_type is CimType.DATETIME:
        left, right = _as_datetime(prop.value), _as_datetime(constant)
        if left is None or right is None:
            raise WqlError(f"{prop.name} (datetime) cannot be compared with {constant!r}")
        return left, right
    if prop.cim_type is CimType.BOOLEAN:
        left, right = prop.value, _as_boolean(constant)
    elif prop.cim_type.is_numeric:
        left, right = prop.value, _as_number(constant)
    else:
        left, right = prop.text_value().casefold(), _as_text(constant)
    if right is None:
        raise WqlError(f"{prop.name} ({prop.cim_type.value}) cannot be compared with {constant!r}")
    return left, right


def _compare(prop: Property, expr: Compare) -> bool:
    left, right = _coerce(prop, expr.value)
    op = expr.op
    if op == "=":
        return left == right
    if op == "<>":
        return left != right
    try:
        if op == "<":
            return left < right  # type: ignore[operator]
        if op == ">":
            return left > right  # type: ignore[operator]
        if op == "<=":
            return left <= right  # type: ignore[operator]
        return left >= right  # type: ignore[operator]
    except TypeError:
        raise WqlError(f"{prop.name} cannot be ordered against {expr.value!r}") from None
