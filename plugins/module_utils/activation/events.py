# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A KMS host's recent events through ``Win32_NTLogEvent``: one WQL query, filtered on the log, the
event ID and a time window, newest first.

The events (kms-facts.md §2.5): 12290 in the "Key Management Service" log (a client's request
answered), 12293 and 12294 in the Application log (SRV publishing failed / succeeded). Only
non-localized data is interpreted: the event ID, the time and the insertion strings. ``Message`` is
localized on Windows and is passed through for people to read, never parsed.

Properties are Microsoft's (the ``Win32_NTLogEvent`` class page: Logfile and RecordNumber are its
keys). The time bound is written in WMI's DATETIME form, which Microsoft's "WQL-Supported Date
Formats" page recommends because it does not depend on the host's locale.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.activation.facts import (
    hresult_info,
    iso,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim_time import to_dmtf
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import quote_wql
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

CLASS = "Win32_NTLogEvent"
APPLICATION = "Application"
KMS_LOG = "Key Management Service"

CLIENT_REQUEST = 12290
PUBLISH_FAILED = 12293
PUBLISHED = 12294
# Event ID -> (log, name in the report's summary).
EVENTS: Mapping[int, tuple[str, str]] = {
    CLIENT_REQUEST: (KMS_LOG, "client_requests"),
    PUBLISH_FAILED: (APPLICATION, "publish_failed"),
    PUBLISHED: (APPLICATION, "published"),
}

EVENT_TYPES: Mapping[str, str] = {
    "EventCode": "uint16",
    "InsertionStrings": "string[]",
    "Logfile": "string",
    "Message": "string",
    "RecordNumber": "uint32",
    "SourceName": "string",
    "TimeGenerated": "datetime",
    "Type": "string",
}

# An HRESULT among the insertion strings ("0x0", "0xC004F038 ..."): the codes KMS events carry.
_HRESULT = re.compile(r"0[xX][0-9A-Fa-f]{1,8}\b")


def events_wql(since: dt.datetime) -> str:
    """The query: each event ID in its own log (the provider reads only the logs named), from
    ``since`` on."""
    by_log: dict[str, list[int]] = {}
    for event_id, (log, _name) in EVENTS.items():
        by_log.setdefault(log, []).append(event_id)
    parts = []
    for log, ids in by_log.items():
        codes = " OR ".join(f"EventCode = {event_id}" for event_id in ids)
        parts.append(f"(Logfile = {quote_wql(log)} AND ({codes}))")
    bound = quote_wql(to_dmtf(since.astimezone(dt.UTC)))
    return (
        f"SELECT {', '.join(EVENT_TYPES)} FROM {CLASS} "
        f"WHERE ({' OR '.join(parts)}) AND TimeGenerated >= {bound}"
    )


def _first_hresult(strings: Sequence[str]) -> int | None:
    for text in strings:
        found = _HRESULT.match(text.strip())
        if found:
            return int(found.group(0), 16)
    return None


def parse_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """One row as the report shows it. For 12293/12294 the first insertion string is the domain
    (the event names the domain it published in; its position is UNCONFIRMED on Windows)."""
    strings = [str(text) for text in row.get("InsertionStrings") or []]
    event_id = int(row.get("EventCode") or 0)
    code = _first_hresult(strings)
    time = row.get("TimeGenerated")
    return {
        "event_id": event_id,
        "log": row.get("Logfile"),
        "source": row.get("SourceName"),
        "type": row.get("Type"),
        "record_number": row.get("RecordNumber"),
        "time": iso(time) if isinstance(time, dt.datetime) else None,
        "domain": strings[0] if event_id in (PUBLISH_FAILED, PUBLISHED) and strings else None,
        "hresult": None if code is None else f"0x{code:08X}",
        "hresult_explained": hresult_info(code),
        "insertion_strings": strings,
        "message": row.get("Message"),
    }


def newest_first(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (e["time"] or "", e["record_number"] or 0), reverse=True)


def summarize(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per event ID: how many, the newest time; the results 12290 answered with; the domains of
    12293/12294. ``events`` newest first."""
    summary: dict[str, Any] = {}
    for event_id, (_log, name) in EVENTS.items():
        mine = [event for event in events if event["event_id"] == event_id]
        entry: dict[str, Any] = {
            "event_id": event_id,
            "count": len(mine),
            "latest": mine[0]["time"] if mine else None,
        }
        if event_id == CLIENT_REQUEST:
            results: dict[str, int] = {}
            for event in mine:
                key = event["hresult"] or "none"
                results[key] = results.get(key, 0) + 1
            entry["results"] = results
        else:
            entry["domains"] = sorted({event["domain"] for event in mine if event["domain"]})
        summary[name] = entry
    return summary


def failing_domains(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The 12293 events of domains whose newest publishing event is a failure (a later 12294 for
    the same domain means publishing has recovered). ``events`` newest first."""
    newest: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["event_id"] in (PUBLISH_FAILED, PUBLISHED):
            newest.setdefault(event["domain"] or "", event)
    return [event for event in newest.values() if event["event_id"] == PUBLISH_FAILED]


def read_events(session: CimSession, since: dt.datetime) -> list[dict[str, Any]]:
    """The events from ``since`` on, newest first: one request per page of events."""
    rows = session.query(events_wql(since), types=EVENT_TYPES)
    return newest_first(parse_event(row) for row in rows)
