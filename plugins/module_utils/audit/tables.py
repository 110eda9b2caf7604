# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's tables as HTML: attention, KMS hosts, SRV records, editions, machines.

Every value from the model goes through ``esc``; class names come from fixed tables, never from
data, so no value can add markup or attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from ansible_collections.volact.kms.plugins.module_utils.audit.svg import esc, stacked

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
# A threshold's product name up to this long is one phrase on one line (Windows client OS).
SHORT_NAME = 24


def badge(kind: str, text: object) -> str:
    """A coloured label; ``kind`` picks the colour from a fixed set (else grey)."""
    known = {"activated", "ok", "grace", "warning", "unlicensed", "error", "not_audited", "standby"}
    return f'<span class="badge {kind if kind in known else "none"}">{esc(text)}</span>'


def state_badge(state: str) -> str:
    return badge(state, STATE_WORDS.get(state, state))


def yes_no(value: object) -> str:
    return "\u2014" if value is None else ("yes" if value else "no")


# HTML, or (HTML, class) with a class from this module. An alias is evaluated when the module
# loads, where ``X | Y`` needs Python 3.10: ansible-test's pylint checks older ones too.
Cell = Union[str, tuple[str, str]]  # noqa: UP007
Row = tuple[str, Sequence[Cell]]  # (the row's class, its cells)


def table(headers: Sequence[str], rows: Iterable[Row], empty: str) -> str:
    """A table whose every column has a header; ``#Name`` is a numeric column. Each cell carries
    its column's name in ``data-label``, shown in its place where the page is too narrow for
    columns (the style sheet stacks the cells then)."""
    names = [h[1:] if h.startswith("#") else h for h in headers]
    body = []
    for kind, cells in rows:
        tds = []
        for name, header, cell in zip(names, headers, cells, strict=True):
            markup, cls = cell if isinstance(cell, tuple) else (cell, "")
            cls = " ".join(c for c in ("num" if header.startswith("#") else "", cls) if c)
            attr = f' class="{cls}"' if cls else ""
            tds.append(f'<td{attr} data-label="{esc(name)}">{markup}</td>')
        attr = f' class="{kind}"' if kind else ""
        body.append(f"<tr{attr}>{''.join(tds)}</tr>")
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(
        f'<th class="num">{esc(n)}</th>' if h.startswith("#") else f"<th>{esc(n)}</th>"
        for n, h in zip(names, headers, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


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
            (
                severity,
                [
                    (f"<b>{who}</b>", "wrap"),
                    badge(severity, item["severity"]),
                    f"<code>{esc(item['code'])}</code><br>"
                    f'<span class="muted">{esc(item["subject"])}</span>',
                    f"{esc(item['message'])}{hresult_block(item.get('hresult'), seen)}",
                ],
            )
        )
    return table(
        ["Machine", "Severity", "Finding", "What happened and what to do"],
        rows,
        "Nothing needs attention.",
    )


def _count_cell(row: Mapping[str, Any]) -> str:
    """One line per threshold, never broken inside: ``Windows client OS ≥ 25: reached``."""
    parts = []
    for item in row["thresholds"]:
        reached = item["reached"]
        kind = "not_audited" if reached is None else ("activated" if reached else "grace")
        if row.get("standby") and reached is False:
            kind = "standby"
        word = "unknown" if reached is None else ("reached" if reached else "not reached")
        level = f'<span class="nowrap">\u2265 {esc(item["required"])}: {badge(kind, word)}</span>'
        product = str(item["product"])
        if len(product) <= SHORT_NAME:  # "Windows client OS": one phrase, kept on one line
            parts.append(f'<span class="nowrap">{esc(product)} {level}</span>')
        else:  # a long SPP product name may wrap between its words, never in the level
            parts.append(f"{esc(product)} {level}")
    return "<br>".join(parts) or '<span class="muted">not audited</span>'


def kms_host_table(hosts: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for host in hosts:
        clients = host["clients"]
        if host["audited"]:
            state = badge("activated", "host key activated")
            if not host.get("activated"):
                state = badge("error", "host key NOT activated")
            if host.get("standby"):
                state += " " + badge("standby", "standby")
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
            (
                "",
                [
                    f"<b>{esc(host['name'])}</b>{aliases}",
                    details,
                    count,
                    _count_cell(host),
                    (
                        f"{stacked(clients, STATES, 'clients by state')} "
                        f"{esc(clients['activated'])}/{esc(clients['count'])} activated<br>"
                        f'<span class="muted">{used}</span>',
                        "wrap",
                    ),
                    ", ".join(esc(d) for d in host["srv_domains"]) or chr(8212),
                ],
            )
        )
    notes = "".join(standby_note(host) for host in hosts if host.get("standby"))
    return (
        table(
            ["KMS host", "State", "#Count", "Thresholds", "Audited clients using it", "In SRV of"],
            rows,
            "No KMS host was audited and no audited client names one.",
        )
        + notes
    )


def standby_note(host: Mapping[str, Any]) -> str:
    """A standby KMS host: why it is one, the risk of its low count (said here, once), and what
    to do about it."""
    note = host["standby"]
    return (
        f'<div class="note"><p><b>{esc(host["name"])} is a standby KMS host</b>: '
        f"{esc(note['reason'])} Its low count needs no action today.</p>"
        f"<p><b>Risk:</b> {esc(note['risk'])}</p>"
        f"<p><b>What to do:</b> {esc(note['advice'])}</p></div>"
    )


def _tier(tier: int, tiers: int) -> str:
    """A record's tier in words: which clients it gets."""
    if tiers == 1:
        return '<span class="nowrap">1, the only one</span>'
    if tier == 1:
        return '<span class="nowrap">1, tried first</span>'
    return f'<span class="nowrap">{esc(tier)}, fallback</span>'


def srv_section(srv: Mapping[str, Any]) -> str:
    if not srv["read"] or not srv["domains"]:
        return (
            '<p class="empty">SRV records were not read: set kms_audit_dns_server and '
            "kms_audit_domains to include them.</p>"
        )
    parts = [
        f'<p class="meta">Read from {esc(srv["server"])} with plain DNS queries.</p>',
        '<p class="explain">How clients choose (RFC 2782): they try the records with the lowest '
        "priority value first, and a record of a higher value only when no host before it "
        "answers. Among records of the same priority (a tier), the weight sets each host's share "
        "of the clients: its weight divided by the sum of the tier's weights (all weights 0: an "
        "even share). A weight never moves a host into another tier.</p>",
    ]
    for view in srv["domains"]:
        parts.append(f"<h3><code>{esc(view['owner'])}</code></h3>")
        if not view["read"]:
            parts.append(f"<p>{badge('warning', 'not read')} {esc(view['problem'])}</p>")
            continue
        tiers = len({r["priority"] for r in view["records"]})
        rows = [
            (
                "",
                [
                    f"<code>{esc(r['target'])}</code>",
                    esc(r["machine"])
                    if r["machine"]
                    else '<span class="muted">not in this audit</span>',
                    esc(r["priority"]),
                    _tier(r["tier"], tiers),
                    esc(r["weight"]),
                    f"{esc(r['share_percent'])} %",
                    esc(r["port"]),
                ],
            )
            for r in view["records"]
        ]
        parts.append(
            table(
                [
                    "Target",
                    "Audited machine",
                    "#Priority",
                    "Tier",
                    "#Weight",
                    "#Share of its tier",
                    "#Port",
                ],
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
            (
                "",
                [
                    esc(row["product"]),
                    f"<b>{esc(row['edition'])}</b>",
                    esc(row["machines"]),
                    *(esc(row[state]) for state in STATES),
                    stacked(row, STATES, "by state"),
                    channels or chr(8212),
                    (", ".join(esc(n) for n in row["names"]), "muted wrap"),
                ],
            )
        )
    headers = ["Product", "Edition", "#Machines", "#Activated", "#In grace", "#Unlicensed"]
    return table(
        [*headers, "#Not audited", "By state", "Channels", "Names"],
        rows,
        "No machine was audited.",
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


def machine_table(machines: Sequence[Mapping[str, Any]], standby: Iterable[str] = ()) -> str:
    """Every machine, those with findings first; ``standby`` names the standby KMS hosts."""
    standby = set(standby)
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
            if machine["name"] in standby:
                host = "is a standby KMS host"
        build = ""
        if machine["build"] is not None:
            build = f'<br><span class="muted">build {esc(machine["build"])}</span>'
        findings = len(machine["attention"])
        attention = badge(severity, f"{findings} to check") if findings else badge("ok", "OK")
        domain = machine.get("domain")
        rows.append(
            (
                severity,
                [
                    (f"<b>{esc(machine['name'])}</b>", "wrap"),
                    # The same markup either way: a value never changes the page's structure.
                    f'<span class="dn">{esc(domain)}</span>'
                    if domain
                    else '<span class="dn muted">unknown</span>',
                    state_badge(machine["state"]),
                    f"{esc(machine['edition'])}{build}",
                    _product_cell(windows) if machine["audited"] else _not_audited(machine),
                    f"<code>{esc(key)}</code>",
                    (f"{esc(host)}{via}", "wrap"),
                    (office or chr(8212), "wrap"),
                    attention,
                ],
            )
        )
    return table(
        [
            "Machine",
            "DNS domain",
            "State",
            "Edition",
            "Windows license",
            "Key",
            "KMS host",
            "Office",
            "Attention",
        ],
        rows,
        "No machine in this report.",
    )
