# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page, from ``audit_report.build``'s model.

The markup is in the Jinja2 templates next to this file (``templates/``, shipped with the
collection); this module computes their data (:func:`view`: texts, numbers, lists, dicts) and
renders them in an environment with autoescaping on, so no value from the machines audited can
add markup. The page is inline CSS and inline SVG only: no script, no font, no image or style
sheet from anywhere, and a Content-Security-Policy (:data:`POLICY`) that forbids them, so even a
value that got past the escaping could not run or fetch anything.

Two rules of the environment, in :func:`environment`:

- Every ``{{ value }}`` is escaped as ``html.escape`` does (``&quot;``, ``&#x27;``), None shows
  as a dash and a bidi control as its code point (``[U+202E]``); a macro's output, already
  escaped, is taken as it is.
- An ``.html.j2`` template's lines are joined without their indentation and line breaks, so the
  templates can be laid out for reading while the page keeps no stray space between tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit import svg, tables
from ansible_collections.volact.kms.plugins.module_utils.audit.report import headline
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError

try:
    from jinja2 import Environment, FunctionLoader, StrictUndefined, TemplateNotFound
    from markupsafe import Markup
except ImportError:  # only the controller renders the page, and ansible-core brings Jinja2
    HAS_JINJA2 = False
else:
    HAS_JINJA2 = True

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE = "page.html.j2"
# The policy page.html.j2 declares (a test keeps the two the same).
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# The Windows count scale: the host keeps at most 50 machines (twice the highest threshold,
# kms-facts.md §4.4); Office at most 10 (§4.3).
WINDOWS_SCALE = 50
OFFICE_SCALE = 10
REQUIRED_KEYS = ("summary", "states", "attention", "kms_hosts", "srv", "editions", "machines")
BANNER_KINDS = ("bad", "warn", "good")
# Explicit bidi embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI):
# shown as their code points, so a value cannot reorder the text around it on screen.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _banner(model: Mapping[str, Any]) -> dict[str, Any]:
    """The one line a reader sees first: how many machines need attention, or that none does."""
    line = model.get("headline") or headline(model["summary"], list(model["attention"]))
    kind = line["kind"] if line["kind"] in BANNER_KINDS else "warn"
    return {"kind": kind, "text": line["text"], "detail": line["detail"]}


def _tone(count: int, tone: str) -> str:
    """A tile's colour: ``tone`` when it counts something, grey for a zero."""
    return tone if count else "zero"


def _tiles(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The counts at a glance, each coloured by what it means: green for activated, amber for a
    warning (in grace), red for an error (unlicensed, not audited), grey for a zero."""
    attention, flagged = ("bad" if summary["errors"] else "warn"), summary["needs_attention"]
    standby = summary.get("standby_kms_hosts", 0)
    hosts = "KMS hosts" if not standby else f"KMS hosts, {standby} standby"
    items = (
        ("", summary["machines"], "machines"),
        (_tone(summary["activated"], "good"), summary["activated"], "activated"),
        (_tone(summary["grace"], "warn"), summary["grace"], "in grace, not activated"),
        (_tone(summary["unlicensed"], "bad"), summary["unlicensed"], "unlicensed"),
        (_tone(summary["not_audited"], "bad"), summary["not_audited"], "not audited"),
        (_tone(flagged, attention), flagged, "need attention"),
        (_tone(summary["kms_hosts"], "info"), summary["kms_hosts"], hosts),
    )
    return [{"kind": kind, "number": n, "label": label} for kind, n, label in items]


def _host_bars(
    hosts: list[Mapping[str, Any]], thresholds: Mapping[str, int]
) -> list[dict[str, Any]]:
    """A bar per audited KMS host's Windows count, and one per Office host key it holds."""
    marks = [
        (thresholds["windows_server"], f"{thresholds['windows_server']} servers"),
        (thresholds["windows_client"], f"{thresholds['windows_client']} client OS"),
    ]
    office = [(thresholds["office"], f"{thresholds['office']} Office")]
    bars = []
    for host in (h for h in hosts if h["audited"]):
        name, standby = host["name"], bool(host.get("standby"))
        chart = svg.threshold_bar(
            host.get("current_count"),
            marks,
            WINDOWS_SCALE,
            f"{name} Windows count",
            standby=standby,
        )
        bars.append({"name": name, "what": "Windows count", "standby": standby, "bar": chart})
        for item in host["thresholds"][2:]:
            chart = svg.threshold_bar(
                item["count"], office, OFFICE_SCALE, f"{name} Office", standby=standby
            )
            bars.append({"name": name, "what": item["product"], "standby": standby, "bar": chart})
    return bars


def view(model: Mapping[str, Any]) -> dict[str, Any]:
    """What ``page.html.j2`` shows, as plain data."""
    if not isinstance(model, Mapping) or any(key not in model for key in REQUIRED_KEYS):
        raise KmsInputError(
            "model",
            "is not a fleet report model (it lacks summary, machines, ...).",
            "Pass the output of volact.kms.audit_report.",
        )
    summary, thresholds = model["summary"], model["thresholds"]
    standby = [h["name"] for h in model["kms_hosts"] if h.get("standby")]
    return {
        "title": model.get("title") or "KMS activation audit",
        "generated_at": model.get("generated_at"),
        "machine_count": _plural(summary["machines"], "machine"),
        "banner": _banner(model),
        "tiles": _tiles(summary),
        "donut_chart": svg.donut(
            model["states"], f"{summary['activated']}/{summary['machines']}", "activated"
        ),
        "legend": [
            {
                "colour": svg.COLOURS.get(str(s["state"]), "#8c959f"),
                "label": s["label"],
                "count": s["count"],
            }
            for s in model["states"]
        ],
        "host_bars": _host_bars(list(model["kms_hosts"]), thresholds),
        "findings": summary["findings"],
        "attention": tables.attention_rows(model["attention"]),
        "kms_hosts": tables.kms_host_rows(model["kms_hosts"]),
        "standby_notes": tables.standby_notes(model["kms_hosts"]),
        "srv": tables.srv_view(model["srv"]),
        "adba": tables.adba_view(model),
        "editions": tables.edition_rows(model["editions"]),
        "machines": tables.machine_rows(model["machines"], standby),
        "thresholds": {
            "windows_client": thresholds["windows_client"],
            "windows_server": thresholds["windows_server"],
            "office": thresholds["office"],
        },
    }


def _visible(match: re.Match[str]) -> str:
    return f"[U+{ord(match.group(0)):04X}]"


def _shown(value: object) -> Any:
    """Every ``{{ value }}``: a macro's output (Markup) as it is; None as a dash; anything else
    as text, its bidi controls made visible, escaped as ``html.escape`` does (the autoescape that
    follows leaves it be)."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("\u2014")
    return Markup(html.escape(BIDI_CONTROLS.sub(_visible, str(value)), quote=True))


def _source(name: str) -> tuple[str, str, Any]:
    """A template from ``templates/``; an ``.html.j2`` one with its lines joined without their
    indentation and line breaks."""
    path = TEMPLATES / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise TemplateNotFound(name)
    text = path.read_text(encoding="utf-8")
    if name.endswith(".html.j2"):
        text = "".join(line.lstrip() for line in text.splitlines())
    return text, str(path), lambda: True


_ENVIRONMENT: list[Any] = []


def environment() -> Any:
    """The report's Jinja2 environment (made once): autoescaping on, a missing value an error."""
    if not HAS_JINJA2:
        raise KmsError(
            "The fleet report needs Jinja2, which ansible-core brings: render it on the controller."
        )
    if not _ENVIRONMENT:
        env = Environment(
            loader=FunctionLoader(_source),
            autoescape=True,
            undefined=StrictUndefined,
            finalize=_shown,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        env.globals["BADGE_KINDS"] = tables.BADGE_KINDS
        _ENVIRONMENT.append(env)
    return _ENVIRONMENT[0]


def render(model: Mapping[str, Any]) -> str:
    """The whole page, as text."""
    data = view(model)
    return str(environment().get_template(PAGE).render(data))
