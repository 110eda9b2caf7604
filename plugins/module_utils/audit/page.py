# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page, from ``audit_report.build``'s model.

Inline CSS and inline SVG only: no script, no font, no image or style sheet from anywhere, and a
Content-Security-Policy that forbids them, so even a value that got past the escaping could not
run or fetch anything. What needs attention comes first: a banner, then the findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit.report import headline
from ansible_collections.volact.kms.plugins.module_utils.audit.style import CSS
from ansible_collections.volact.kms.plugins.module_utils.audit.svg import (
    COLOURS,
    donut,
    esc,
    threshold_bar,
)
from ansible_collections.volact.kms.plugins.module_utils.audit.tables import (
    attention_table,
    badge,
    edition_table,
    kms_host_table,
    machine_table,
    srv_section,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# The Windows count scale: the host keeps at most 50 machines (twice the highest threshold,
# kms-facts.md §4.4); Office at most 10 (§4.3).
WINDOWS_SCALE = 50
OFFICE_SCALE = 10
REQUIRED_KEYS = ("summary", "states", "attention", "kms_hosts", "srv", "editions", "machines")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def banner(model: Mapping[str, Any]) -> str:
    """The one line a reader sees first: how many machines need attention, or that none does."""
    line = model.get("headline") or headline(model["summary"], list(model["attention"]))
    kind = line["kind"] if line["kind"] in ("bad", "warn", "good") else "warn"
    text, detail = esc(line["text"]), esc(line["detail"])
    return f'<div class="banner {kind}">{text}<small>{detail}</small></div>'


def _tone(count: int, tone: str) -> str:
    """A tile's colour: ``tone`` when it counts something, grey for a zero."""
    return tone if count else "zero"


def tiles(summary: Mapping[str, Any]) -> str:
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
    return (
        '<section class="tiles">'
        + "".join(
            f'<div class="tile {kind}"><div class="n">{esc(n)}</div><div class="l">{esc(label)}'
            "</div></div>"
            for kind, n, label in items
        )
        + "</section>"
    )


def state_card(model: Mapping[str, Any]) -> str:
    summary = model["summary"]
    legend = "".join(
        f'<li><span class="swatch" style="background:{COLOURS.get(s["state"], "#8c959f")}">'
        f"</span>{esc(s['label'])}: <b>{esc(s['count'])}</b></li>"
        for s in model["states"]
    )
    chart = donut(model["states"], f"{summary['activated']}/{summary['machines']}", "activated")
    return (
        '<div class="card"><h2>Activation state</h2><div class="donutbox">'
        f'{chart}<ul class="legend">{legend}</ul></div></div>'
    )


def host_bars(hosts: list[Mapping[str, Any]], thresholds: Mapping[str, int]) -> str:
    marks = [
        (thresholds["windows_server"], f"{thresholds['windows_server']} servers"),
        (thresholds["windows_client"], f"{thresholds['windows_client']} client OS"),
    ]
    parts = []
    for host in (h for h in hosts if h["audited"]):
        count = host.get("current_count")
        standby = bool(host.get("standby"))
        role = f" {badge('standby', 'standby')}" if standby else ""
        parts.append(
            f'<div class="hostbar"><span class="name">{esc(host["name"])}</span> '
            f'<span class="muted">Windows count</span>{role}'
            + threshold_bar(
                count, marks, WINDOWS_SCALE, f"{host['name']} Windows count", standby=standby
            )
            + "</div>"
        )
        for item in host["thresholds"][2:]:
            office = [(thresholds["office"], f"{thresholds['office']} Office")]
            parts.append(
                f'<div class="hostbar"><span class="name">{esc(host["name"])}</span> '
                f'<span class="muted">{esc(item["product"])}</span>{role}'
                + threshold_bar(
                    item["count"], office, OFFICE_SCALE, f"{host['name']} Office", standby=standby
                )
                + "</div>"
            )
    if not parts:
        parts.append('<p class="empty">No KMS host was audited.</p>')
    return (
        '<div class="card"><h2>KMS host counts against the thresholds</h2>'
        '<p class="meta">Distinct machines seen in the last 30 days; clients activate once the '
        "count reaches their threshold. Green: reached; amber: below it while clients use the "
        "host; blue: a standby host no client uses yet.</p>" + "".join(parts) + "</div>"
    )


def render(model: Mapping[str, Any]) -> str:
    """The whole page, as text."""
    if not isinstance(model, Mapping) or any(key not in model for key in REQUIRED_KEYS):
        raise KmsInputError(
            "model",
            "is not a fleet report model (it lacks summary, machines, ...).",
            "Pass the output of volact.kms.audit_report.",
        )
    summary = model["summary"]
    standby = [h["name"] for h in model["kms_hosts"] if h.get("standby")]
    generated = esc(model.get("generated_at"))
    title = esc(model.get("title") or "KMS activation audit")
    sections = [
        f"<header><h1>{title}</h1>"
        f'<p class="meta">Generated {generated} &middot; {_plural(summary["machines"], "machine")}'
        f" &middot; read-only audit by volact.kms</p></header>",
        banner(model),
        tiles(summary),
        f'<div class="grid">{state_card(model)}'
        f"{host_bars(list(model['kms_hosts']), model['thresholds'])}</div>",
        f'<section class="card" id="attention"><h2>Needs attention '
        f"({esc(summary['findings'])})</h2>{attention_table(model['attention'])}</section>",
        f'<section class="card"><h2>KMS hosts</h2>{kms_host_table(model["kms_hosts"])}</section>',
        '<section class="card"><h2>DNS: <code>_vlmcs._tcp</code> SRV records per domain</h2>'
        f"{srv_section(model['srv'])}</section>",
        f'<section class="card"><h2>Editions</h2>{edition_table(model["editions"])}</section>',
        '<section class="card"><h2>Machines</h2>'
        f"{machine_table(model['machines'], standby)}</section>",
        "<footer>Only partial product keys are shown. Thresholds: Windows client OS "
        f"{esc(model['thresholds']['windows_client'])}, Windows Server "
        f"{esc(model['thresholds']['windows_server'])}, Office {esc(model['thresholds']['office'])}"
        " distinct machines in 30 days.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body><main>"
        + "".join(sections)
        + "</main></body></html>\n"
    )
