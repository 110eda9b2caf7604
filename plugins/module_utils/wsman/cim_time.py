# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIM datetimes and intervals, both ways.

Two spellings exist: the XML Schema forms WinRM wraps in ``cim:Datetime``/``cim:Interval``, and the
DMTF text forms WMI uses elsewhere (``20130429114311.203125-420``, ``00000001020304.000000:000``).

Datetimes decode to :class:`datetime.datetime` (aware when an offset is given), intervals to
:class:`datetime.timedelta`. Fractions beyond microseconds are truncated (Windows keeps 100 ns).
"""

from __future__ import annotations

import datetime as dt
import re

_DMTF_DATETIME = re.compile(
    r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})\Z", re.ASCII
)
_DMTF_INTERVAL = re.compile(r"(\d{8})(\d{2})(\d{2})(\d{2})\.(\d{6}):000\Z", re.ASCII)
_XS_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?\Z", re.ASCII
)
_XS_DURATION = re.compile(
    r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?\Z",
    re.ASCII,
)


def _micro(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


def _offset(minutes: int) -> dt.timezone:
    return dt.timezone(dt.timedelta(minutes=minutes))


def decode_time(text: str) -> dt.datetime | dt.timedelta:
    """Decode any of the four forms; raise ``ValueError`` with a readable reason otherwise."""
    try:
        return _decode(text)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"'{text[:40]}' is not a valid CIM datetime ({exc})") from None


def _decode(text: str) -> dt.datetime | dt.timedelta:
    found = _XS_DATETIME.match(text)
    if found:
        year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
        zone = found.group(8)
        tzinfo: dt.tzinfo | None = None
        if zone == "Z":
            tzinfo = dt.UTC
        elif zone:
            sign = -1 if zone[0] == "-" else 1
            tzinfo = _offset(sign * (int(zone[1:3]) * 60 + int(zone[4:6])))
        micro = _micro(found.group(7))
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tzinfo)
    found = _XS_DURATION.match(text)
    if found and text not in ("P", "PT") and not text.endswith("T"):
        years, months, days, hours, minutes, seconds = (int(g or 0) for g in found.groups()[:6])
        if years or months:
            raise ValueError("years and months have no fixed length")
        return dt.timedelta(
            days=days,
            hours=hours,
            minutes=minutes,
            seconds=seconds,
            microseconds=_micro(found.group(7)),
        )
    found = _DMTF_DATETIME.match(text)
    if found:
        parts = [int(found.group(i)) for i in range(1, 8)]
        sign = -1 if found.group(8) == "-" else 1
        return dt.datetime(*parts, tzinfo=_offset(sign * int(found.group(9))))
    found = _DMTF_INTERVAL.match(text)
    if found:
        days, hours, minutes, seconds, micro = (int(g) for g in found.groups())
        return dt.timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=micro
        )
    raise ValueError("expected xs:dateTime, xs:duration or DMTF text")


def encode_time(value: dt.datetime | dt.timedelta) -> str:
    """The XML Schema text of a datetime or a non-negative interval."""
    if isinstance(value, dt.datetime):
        text = (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
            f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        )
        if value.microsecond:
            text += f".{value.microsecond:06d}"
        offset = value.utcoffset()
        if offset is None:
            return text
        if offset.seconds % 60 or offset.microseconds:
            raise ValueError("has a UTC offset that is not a whole number of minutes")
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if value < dt.timedelta(0):
        raise ValueError("is a negative interval, which CIM cannot express")
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = f".{value.microseconds:06d}" if value.microseconds else ""
    return f"P{value.days}DT{hours}H{minutes}M{seconds}{fraction}S"


def to_dmtf(value: dt.datetime | dt.timedelta) -> str:
    """The DMTF text form (WQL literals compare datetimes in this form)."""
    if isinstance(value, dt.timedelta):
        if value < dt.timedelta(0) or value.days > 99999999:
            raise ValueError("is outside the DMTF interval range")
        hours, rest = divmod(value.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{value.days:08d}{hours:02d}{minutes:02d}{seconds:02d}.{value.microseconds:06d}:000"
    offset = value.utcoffset() or dt.timedelta(0)
    if offset.seconds % 60 or offset.microseconds or abs(offset) > dt.timedelta(minutes=999):
        raise ValueError("has a UTC offset that DMTF text cannot express")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    stamp = (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
    )
    return f"{stamp}.{value.microsecond:06d}{sign}{abs(minutes):03d}"
