# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's charts as inline SVG: a donut of activation states, a bar per KMS host
(count against the thresholds) and small stacked bars. No script, no external resource.

Every text that comes from data goes through :func:`esc`; numbers are formatted here, so no
attribute ever carries data as text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

# One colour per activation state (and severity), shared with the page's CSS.
COLOURS = {
    "activated": "#1a7f37",
    "grace": "#d4a72c",
    "unlicensed": "#cf222e",
    "not_audited": "#8c959f",
}
# A standby KMS host's count: neither good nor a fault (audit_report._mark_standby).
STANDBY = "#54aeff"
TRACK = "#eaeef2"
INK = "#1f2328"
MUTED = "#59636e"


def esc(value: object) -> str:
    """Text for HTML or SVG: ``<``, ``>``, ``&`` and both quotes escaped; None shows as a dash."""
    return "\u2014" if value is None else html.escape(str(value), quote=True)


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def donut(segments: Sequence[Mapping[str, Any]], centre: str, caption: str) -> str:
    """A ring with one arc per segment (``state``, ``label``, ``count``), ``centre`` text big in
    the middle and ``caption`` under it."""
    size, radius, width = 200, 76, 30
    middle = size / 2
    circumference = 2 * math.pi * radius
    total = sum(int(s["count"]) for s in segments)
    parts = [
        f'<svg class="donut" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
        f'role="img" aria-label="{esc(caption)}">',
        f'<circle cx="{_n(middle)}" cy="{_n(middle)}" r="{radius}" fill="none" '
        f'stroke="{TRACK}" stroke-width="{width}"/>',
    ]
    offset = 0.0
    for segment in segments:
        count = int(segment["count"])
        if not count or not total:
            continue
        length = circumference * count / total
        colour = COLOURS.get(str(segment["state"]), MUTED)
        # Each arc is the same circle, dashed to show only its own stretch; -90° starts at 12.
        parts.append(
            f'<circle cx="{_n(middle)}" cy="{_n(middle)}" r="{radius}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}" '
            f'stroke-dasharray="{_n(length)} {_n(circumference - length)}" '
            f'stroke-dashoffset="{_n(-offset)}" transform="rotate(-90 {_n(middle)} {_n(middle)})">'
            f"<title>{esc(segment['label'])}: {count}</title></circle>"
        )
        offset += length
    parts.append(
        f'<text x="{_n(middle)}" y="{_n(middle + 4)}" text-anchor="middle" font-size="30" '
        f'font-weight="700" fill="{INK}">{esc(centre)}</text>'
        f'<text x="{_n(middle)}" y="{_n(middle + 26)}" text-anchor="middle" font-size="13" '
        f'fill="{MUTED}">{esc(caption)}</text></svg>'
    )
    return "".join(parts)


def _bar_colour(count: int | None, marks: Sequence[int], standby: bool) -> str:
    """Green when every threshold is reached; below one it is a warning (amber), never an error,
    and on a standby host no fault at all (blue); grey when the count is unknown."""
    if count is None:
        return COLOURS["not_audited"]
    if count >= max(marks):
        return COLOURS["activated"]
    return STANDBY if standby else COLOURS["grace"]


def threshold_bar(
    count: int | None,
    marks: Sequence[tuple[int, str]],
    scale: int,
    label: str,
    *,
    standby: bool = False,
) -> str:
    """One horizontal bar: ``count`` filled on a track of ``scale``, with a tick and a caption at
    each threshold in ``marks`` (``(value, caption)``). The style sheet scales it to its box."""
    width, left, right, top, height = 420, 4, 48, 18, 18
    span = width - left - right
    values = [mark[0] for mark in marks]
    scale = max(scale, count or 0, *values)
    colour = _bar_colour(count, values, standby)
    filled = span * (count or 0) / scale
    parts = [
        f'<svg class="bar" viewBox="0 0 {width} 58" width="{width}" height="58" role="img" '
        f'aria-label="{esc(label)}">',
        f'<rect x="{left}" y="{top}" width="{span}" height="{height}" rx="4" fill="{TRACK}"/>',
        f'<rect x="{left}" y="{top}" width="{_n(filled)}" height="{height}" rx="4" '
        f'fill="{colour}"/>',
    ]
    for value, caption in marks:
        x = left + span * value / scale
        parts.append(
            f'<line x1="{_n(x)}" y1="{top - 5}" x2="{_n(x)}" y2="{top + height + 5}" '
            f'stroke="{INK}" stroke-width="2" stroke-dasharray="3 2"/>'
            f'<text x="{_n(x)}" y="{top + height + 18}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}">{esc(caption)}</text>'
        )
    shown = "unknown" if count is None else str(count)
    parts.append(
        f'<text x="{width - right + 8}" y="{top + height - 4}" font-size="15" font-weight="700" '
        f'fill="{INK}">{esc(shown)}</text>'
        f'<text x="{left}" y="{top - 6}" font-size="11" fill="{MUTED}">0</text>'
        f'<text x="{_n(left + span)}" y="{top - 6}" text-anchor="end" font-size="11" '
        f'fill="{MUTED}">{esc(scale)}</text></svg>'
    )
    return "".join(parts)


def stacked(counts: Mapping[str, int], order: Sequence[str], label: str) -> str:
    """A small bar split by state, for a table cell."""
    width, height = 150, 12
    total = sum(int(counts.get(state, 0)) for state in order)
    parts = [
        f'<svg class="mini" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(label)}">',
        f'<rect width="{width}" height="{height}" rx="3" fill="{TRACK}"/>',
    ]
    x = 0.0
    for state in order:
        count = int(counts.get(state, 0))
        if not count or not total:
            continue
        part = width * count / total
        parts.append(
            f'<rect x="{_n(x)}" width="{_n(part)}" height="{height}" '
            f'fill="{COLOURS.get(state, MUTED)}"/>'
        )
        x += part
    parts.append("</svg>")
    return "".join(parts)
