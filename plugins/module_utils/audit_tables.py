# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's tables as HTML: attention, KMS hosts, SRV records, editions, machines.

Every value from the model goes through ``esc``; class names come from fixed tables, never from
data, so no value can add markup or attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit_svg import esc, stacked

STATES = ("activated", "grace", "unlicensed", "not_audited")
STATE_WORDS = {
    "activated": "activated",
    "grace": "in grace",
    "unlicensed": "unlicensed",
    "not_audited": "not audited",
}
SOURCE_WORDS = {"pinned": "pinned (slmgr /skms)", "discovered": "found in DNS"}
SEVERITY_CLASS = {"error": "error", "warning": "warning"}
SEVERITY_RANK = {"error": 0, "warning": 1}


def badge(kind: str, text: object) -> str:
    """A coloured label; ``kind`` picks the colour from a fixed set (else grey)."""
    known = {"activated", "ok", "grace", "warning", "unlicensed", "error", "not_audited"}
    return f'<span class="badge {kind if kind in known else "none"}">{esc(text)}</span>'


def state_badge(state: str) -> str:
    return badge(state, STATE_WORDS.get(state, state))


def yes_no(value: object) -> str:
    return "\u2014" if value is None else ("yes" if value else "no")


def table(headers: Sequence[str], rows: Iterable[str], empty: str) -> str:
    body = "".join(rows)
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(
        f'<th class="num">{esc(h[1:])}</th>' if h.startswith("#") else f"<th>{esc(h)}</th>"
        for h in headers
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def hresult_block(item: Mapping[str, Any] | None, seen: set[str] | None = None) -> str:
    """The HRESULT explained; only named again when ``seen`` shows it was explained above."""
    if not item:
        return ""
    symbol = f' <span class="sym">{esc(item["symbol"])}</span>' if item.get("symbol") else ""
    if seen is not None:
        if item["code"] in seen:
            return f'<div class="hr"><code>{esc(item["code"])}</code>{symbol}: see above.</div>'
        seen.add(item["code"])
    return (
        f'<div class="hr"><code>{esc(item["code"])}</code>{symbol}: {esc(item["meaning"])}'
        f"<br><b>What to do:</b> {esc(item['what_to_do'])}</div>"
    )


def attention_table(findings: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    seen: set[str] = set()
    for item in findings:
        severity = SEVERITY_CLASS.get(str(item["severity"]), "warning")
        who = esc(item["machine"]) if item["machine"] else '<span class="muted">DNS</span>'
        rows.append(
            f'<tr class="{severity}"><td><b>{who}</b></td>'
            f"<td>{badge(severity, item['severity'])}</td>"
            f"<td><code>{esc(item['code'])}</code><br>"
            f'<span class="muted">{esc(item["subject"])}</span></td>'
            f"<td>{esc(item['message'])}{hresult_block(item.get('hresult'), seen)}</td></tr>"
        )
    return table(
        ["Machine", "Severity", "Finding", "What happened and what to do"],
        rows,
        "Nothing needs attention.",
    )


def _count_cell(row: Mapping[str, Any]) -> str:
    parts = []
    for item in row["thresholds"]:
        reached = item["reached"]
        kind = "not_audited" if reached is None else ("activated" if reached else "grace")
        word = "unknown" if reached is None else ("reached" if reached else "not reached")
        parts.append(f"{esc(item['product'])} \u2265 {esc(item['required'])}: {badge(kind, word)}")
    return "<br>".join(parts) or '<span class="muted">not audited</span>'


def kms_host_table(hosts: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for host in hosts:
        clients = host["clients"]
        if host["audited"]:
            state = badge("activated", "host key activated")
            if not host.get("activated"):
                state = badge("error", "host key NOT activated")
            details = (
                f"{state}<br>key <code>{esc(host.get('partial_product_key'))}</code>, "
                f"port {esc(host.get('listening_port'))}, DNS publishing "
                f"{yes_no(host.get('dns_publishing'))}"
            )
            count = f"<b>{esc(host.get('current_count'))}</b>"
        else:
            why = "audited, but no KMS host" if host.get("is_audited_machine") else "not audited"
            details, count = f'<span class="muted">{esc(why)}</span>', "\u2014"
        aliases = "".join(f'<br><span class="muted">{esc(a)}</span>' for a in host["aliases"])
        used = ", ".join(esc(m) for m in clients["machines"]) or '<span class="muted">none</span>'
        rows.append(
            f"<tr><td><b>{esc(host['name'])}</b>{aliases}</td><td>{details}</td>"
            f'<td class="num">{count}</td><td>{_count_cell(host)}</td>'
            f"<td>{stacked(clients, STATES, 'clients by state')} "
            f"{esc(clients['activated'])}/{esc(clients['count'])} activated<br>"
            f'<span class="muted">{used}</span></td>'
            f"<td>{', '.join(esc(d) for d in host['srv_domains']) or chr(8212)}</td></tr>"
        )
    return table(
        ["KMS host", "State", "#Count", "Thresholds", "Audited clients using it", "In SRV of"],
        rows,
        "No KMS host was audited and no audited client names one.",
    )


def srv_section(srv: Mapping[str, Any]) -> str:
    if not srv["read"] or not srv["domains"]:
        return (
            '<p class="empty">SRV records were not read: set kms_audit_dns_server and '
            "kms_audit_domains to include them.</p>"
        )
    parts = [f'<p class="meta">Read from {esc(srv["server"])} with plain DNS queries.</p>']
    for view in srv["domains"]:
        parts.append(f"<h3><code>{esc(view['owner'])}</code></h3>")
        if not view["read"]:
            parts.append(f"<p>{badge('warning', 'not read')} {esc(view['problem'])}</p>")
            continue
        rows = [
            f"<tr><td><code>{esc(r['target'])}</code></td><td>"
            + (
                esc(r["machine"])
                if r["machine"]
                else '<span class="muted">not in this audit</span>'
            )
            + f'</td><td class="num">{esc(r["priority"])}</td><td class="num">{esc(r["weight"])}'
            f'</td><td class="num">{esc(r["share_percent"])} %</td>'
            f'<td class="num">{esc(r["port"])}</td></tr>'
            for r in view["records"]
        ]
        parts.append(
            table(
                ["Target", "Audited machine", "#Priority", "#Weight", "#Share of tier", "#Port"],
                rows,
                "No record: clients searching this domain find no KMS host (0x8007232B).",
            )
        )
        ttl = f"TTL {esc(view['ttl'])} s, " if view["ttl"] is not None else ""
        parts.append(f'<p class="meta">{ttl}zone {esc(view["zone"])}</p>')
    return "".join(parts)


def edition_table(editions: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for row in editions:
        channels = ", ".join(f"{esc(k)} {esc(v)}" for k, v in sorted(row["channels"].items()))
        rows.append(
            f"<tr><td>{esc(row['product'])}</td><td><b>{esc(row['edition'])}</b></td>"
            f'<td class="num">{esc(row["machines"])}</td>'
            + "".join(f'<td class="num">{esc(row[s])}</td>' for s in STATES)
            + f"<td>{stacked(row, STATES, 'by state')}</td><td>{channels or chr(8212)}</td>"
            f'<td class="muted">{", ".join(esc(n) for n in row["names"])}</td></tr>'
        )
    headers = ["Product", "Edition", "#Machines", "#Activated", "#In grace", "#Unlicensed"]
    return table(
        [*headers, "#Not audited", "", "Channels", "Machines"], rows, "No machine was audited."
    )


def _product_cell(product: Mapping[str, Any] | None) -> str:
    if not product:
        return '<span class="muted">no key</span>'
    reason = product.get("reason")
    why = f"<br><code>{esc(reason['code'])}</code>" if reason else ""
    grace = ""
    if product.get("grace_expires"):
        until = "valid until" if product.get("licensed") else "grace until"
        grace = f'<br><span class="muted">{until} {esc(product["grace_expires"])}</span>'
    return (
        f"{esc(product['status'])} <span class='muted'>{esc(product['channel'])}</span>{why}{grace}"
    )


def _not_audited(machine: Mapping[str, Any]) -> str:
    """Why a machine was not audited, in short: the finding above has the whole message."""
    codes = [f["code"] for f in machine["attention"]] or ["not_audited"]
    return f'<code>{esc(codes[0])}</code> <span class="muted">(see Needs attention)</span>'


def machine_table(machines: Sequence[Mapping[str, Any]]) -> str:
    ordered = sorted(
        machines, key=lambda m: (SEVERITY_RANK.get(m["severity"] or "", 2), m["name"].lower())
    )
    rows = []
    for machine in ordered:
        severity = SEVERITY_CLASS.get(str(machine["severity"]), "")
        windows = machine["windows"]
        key = windows.get("partial_product_key") if windows else None
        office = "<br>".join(
            f"{esc(o['license_family'] or o['name'])}: {state_badge(o['state'])}"
            for o in machine["office"]
        )
        host = machine["kms_host"]
        source = SOURCE_WORDS.get(str(machine["kms_host_source"]), machine["kms_host_source"])
        via = f'<br><span class="muted">{esc(source)}</span>' if host else ""
        if machine["is_kms_host"]:
            host, via = "is a KMS host", ""
        build = ""
        if machine["build"] is not None:
            build = f'<br><span class="muted">build {esc(machine["build"])}</span>'
        findings = len(machine["attention"])
        attention = badge(severity, f"{findings} to check") if findings else badge("ok", "OK")
        rows.append(
            f'<tr class="{severity}"><td><b>{esc(machine["name"])}</b></td>'
            f"<td>{state_badge(machine['state'])}</td>"
            f"<td>{esc(machine['edition'])}{build}</td>"
            f"<td>{_product_cell(windows) if machine['audited'] else _not_audited(machine)}</td>"
            f"<td><code>{esc(key)}</code></td>"
            f"<td>{esc(host)}{via}</td><td>{office or chr(8212)}</td><td>{attention}</td></tr>"
        )
    return table(
        ["Machine", "State", "Edition", "Windows license", "Key", "KMS host", "Office", ""],
        rows,
        "No machine in this report.",
    )
