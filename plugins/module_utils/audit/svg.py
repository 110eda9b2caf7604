# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The geometry of the fleet report's charts: a donut of activation states, a bar per KMS host
(count against the thresholds) and small stacked bars.

Numbers only (coordinates formatted here) and the texts the charts show: the shapes themselves are
markup in ``templates/charts.html.j2``, where every text is escaped.
"""

from __future__ import annotations

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
# A standby KMS host's count: neither good nor a fault (hosts.mark_standby).
STANDBY = "#54aeff"
TRACK = "#eaeef2"
INK = "#1f2328"
MUTED = "#59636e"
# The ink every chart uses, for the templates.
INKS = {"track": TRACK, "ink": INK, "muted": MUTED}


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def colour(state: object) -> str:
    """A state's colour; grey for anything else."""
    return COLOURS.get(str(state), MUTED)


def donut(segments: Sequence[Mapping[str, Any]], centre: str, caption: str) -> dict[str, Any]:
    """A ring with one arc per segment (``state``, ``label``, ``count``), ``centre`` text big in
    the middle and ``caption`` under it."""
    size, radius, width = 200, 76, 30
    middle = size / 2
    circumference = 2 * math.pi * radius
    total = sum(int(s["count"]) for s in segments)
    arcs = []
    offset = 0.0
    for segment in segments:
        count = int(segment["count"])
        if not count or not total:
            continue
        length = circumference * count / total
        # Each arc is the same circle, dashed to show only its own stretch; -90° starts at 12.
        arcs.append(
            {
                "colour": colour(segment["state"]),
                "dash": _n(length),
                "gap": _n(circumference - length),
                "offset": _n(-offset),
                "label": segment["label"],
                "count": count,
            }
        )
        offset += length
    return {
        **INKS,
        "size": size,
        "radius": radius,
        "width": width,
        "middle": _n(middle),
        "centre_y": _n(middle + 4),
        "caption_y": _n(middle + 26),
        "arcs": arcs,
        "centre": centre,
        "caption": caption,
    }


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
) -> dict[str, Any]:
    """One horizontal bar: ``count`` filled on a track of ``scale``, with a tick and a caption at
    each threshold in ``marks`` (``(value, caption)``). The style sheet scales it to its box."""
    width, left, right, top, height = 420, 4, 48, 18, 18
    span = width - left - right
    values = [mark[0] for mark in marks]
    scale = max(scale, count or 0, *values)
    return {
        **INKS,
        "width": width,
        "height": 58,
        "left": left,
        "top": top,
        "span": span,
        "bar_height": height,
        "filled": _n(span * (count or 0) / scale),
        "colour": _bar_colour(count, values, standby),
        "marks": [
            {"x": _n(left + span * value / scale), "caption": caption} for value, caption in marks
        ],
        "tick_top": top - 5,
        "tick_bottom": top + height + 5,
        "caption_y": top + height + 18,
        "count_x": width - right + 8,
        "count_y": top + height - 4,
        "count": "unknown" if count is None else str(count),
        "scale_y": top - 6,
        "scale_x": _n(left + span),
        "scale": scale,
        "label": label,
    }


def stacked(counts: Mapping[str, int], order: Sequence[str], label: str) -> dict[str, Any]:
    """A small bar split by state, for a table cell."""
    width, height = 150, 12
    total = sum(int(counts.get(state, 0)) for state in order)
    parts = []
    x = 0.0
    for state in order:
        count = int(counts.get(state, 0))
        if not count or not total:
            continue
        part = width * count / total
        parts.append({"x": _n(x), "width": _n(part), "colour": colour(state)})
        x += part
    return {"track": TRACK, "width": width, "height": height, "parts": parts, "label": label}
