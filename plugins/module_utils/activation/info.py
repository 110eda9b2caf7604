# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything about one machine's volume activation, read in as few WS-Man requests as possible.

Requests, in order (each class is read with one WQL query):

1. ``SoftwareLicensingService``: host or client settings, KMS host statistics (1 request,
   ``SELECT *``: its Version tells the Windows version, windows/versions.py);
2. ``SoftwareLicensingProduct``: the Windows and Office rows with a key, with the properties this
   version has, Active Directory-Based Activation's among them from Windows 8 / 2012 on (1
   request: how each product was activated costs nothing more);
3. ``StdRegProv.EnumValues`` on the SoftwareProtectionPlatform key (``…\\SL`` on Windows Vista /
   Server 2008; 1 request), then one ``Get…Value`` per relevant value present: StdRegProv has no
   way to read several at once;
4. on a KMS host with ``events`` on, ``Win32_NTLogEvent`` (1 request per page of events): only
   KMS hosts log 12290, 12293 and 12294, so clients are not asked;
5. Office in OSPP (windows/ospp.py: Office 2010, Office 2013/2016 on Windows 7): on Windows 7 /
   Server 2008 R2 and older, where every volume Office is there, and elsewhere with
   ``ospp=always``: ``OfficeSoftwareProtectionService`` (1 request, which finds no class when OSPP
   is not installed), then its keyed products (1 request). Its products join ``office`` with
   ``license_service: ospp``; a fault there is reported in ``ospp_problem``.

Nothing is ever written. The SPP reads (1, 2) are what the task stands on: their errors fail it.
The registry and the events are secondary: a fault there is reported in the facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.activation.attention import assess
from ansible_collections.volact.kms.plugins.module_utils.activation.events import (
    failing_domains,
    read_events,
    summarize,
)
from ansible_collections.volact.kms.plugins.module_utils.activation.facts import (
    iso,
    kms_client_facts,
    kms_host_facts,
    product_facts,
)
from ansible_collections.volact.kms.plugins.module_utils.activation.registry import read_registry
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows import ospp as wmi_ospp
from ansible_collections.volact.kms.plugins.module_utils.windows import spp
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

MAX_EVENT_DAYS = 3650


@dataclass(frozen=True)
class Options:
    events: bool = True
    event_days: int = 30
    event_limit: int = 100
    grace_warning_days: int = 15
    ospp: str = "auto"  # auto: Windows 7 / 2008 R2 and older; always; never

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Options:
        """The task's options, checked before anything is sent."""
        days = _whole(args.get("event_days", 30), "event_days", 1, MAX_EVENT_DAYS)
        limit = _whole(args.get("event_limit", 100), "event_limit", 0, 1_000_000)
        grace = _whole(args.get("grace_warning_days", 15), "grace_warning_days", 0, 3650)
        ospp = str(args.get("ospp") or "auto")
        if ospp not in ("auto", "always", "never"):
            raise KmsInputError("ospp", f"{ospp!r} is not one of auto, always, never.")
        return cls(bool(args.get("events", True)), days, limit, grace, ospp)


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise KmsInputError(field, f"{value!r} is not a whole number from {low} to {high}.")
    return value


def _products(
    products: list[spp.Product], now: dt.datetime
) -> tuple[dict[str, Any] | None, str | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """(primary Windows product, why there is none when ambiguous, Office, the rest)."""
    problem = None
    try:
        windows = spp.primary_windows_product(products)
    except spp.ProductSelectionError as error:
        windows, problem = None, str(error)
    office = spp.office_products(products)
    chosen = {p.id for p in office} | ({windows.id} if windows else set())
    others = [product_facts(p, now) for p in products if p.id not in chosen]
    primary = product_facts(windows, now) if windows else None
    return primary, problem, [product_facts(p, now) for p in office], others


def _events(
    session: CimSession, options: Options, is_host: bool, now: dt.datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The events section, and every event read (for the rules), newest first."""
    since = now - dt.timedelta(days=options.event_days)
    section: dict[str, Any] = {
        "queried": False,
        "skipped_reason": None,
        "problem": None,
        "days": options.event_days,
        "since": iso(since),
        "count": 0,
        "truncated": False,
        "summary": summarize([]),
        # Not "items" (nor "values" in the registry section): a return key named like a dict
        # method cannot be read with dot notation in Jinja, and validate-modules refuses it.
        "records": [],
    }
    if not options.events:
        section["skipped_reason"] = "events=false"
        return section, []
    if not is_host:
        section["skipped_reason"] = "not a KMS host: events 12290, 12293 and 12294 are host events"
        return section, []
    section["queried"] = True
    try:
        events = read_events(session, since)
    except WsmanFault as error:
        section["problem"] = f"Win32_NTLogEvent could not be read: {error}"
        return section, []
    limit = options.event_limit or len(events)
    section.update(
        count=len(events),
        truncated=len(events) > limit,
        summary=summarize(events),
        records=events[:limit],
    )
    return section, events


def _ospp(
    session: CimSession, options: Options, service: spp.Service, now: dt.datetime
) -> tuple[wmi_ospp.OsppReading | None, list[dict[str, Any]], str | None]:
    """(OSPP as read, its Office products as facts, what went wrong reading it)."""
    wanted = options.ospp == "always" or (
        options.ospp == "auto" and wmi_ospp.office_only_in_ospp(service.version)
    )
    if not wanted:
        return None, [], None
    try:
        reading = wmi_ospp.read(session)
    except WsmanFault as error:
        return None, [], f"the Office Software Protection Platform could not be read: {error}"
    if reading is None:
        return None, [], None
    products = [{**product_facts(p, now), "license_service": "ospp"} for p in reading.products]
    return reading, products, None


def gather(session: CimSession, options: Options, now: dt.datetime) -> dict[str, Any]:
    """Read everything and return the ``kms_activation`` facts. ``now`` is the controller's clock
    (UTC): it dates the report, anchors the event window and turns grace minutes into a date."""
    service = spp.read_service(session)
    surface = service.surface  # the product properties and the registry key of this Windows
    apps = (spp.WINDOWS_APP_ID, *spp.OFFICE_APP_IDS)
    products = spp.read_products(session, apps, surface, adba=True)
    windows, problem, office, others = _products(products, now)
    office = [{**entry, "license_service": "spp"} for entry in office]
    ospp, ospp_office, ospp_problem = _ospp(session, options, service, now)
    registry = read_registry(session, surface.registry_key)
    events, every_event = _events(session, options, service.is_kms_host, now)
    facts: dict[str, Any] = {
        "collected_at": iso(now),
        "spp_version": service.version,
        "build": service.build,
        "client_machine_id": service.client_machine_id,
        "edition": windows["license_family"] if windows else None,
        "activated": bool(windows and windows["licensed"]),
        "windows": windows,
        "windows_problem": problem,
        "office": office + ospp_office,
        "ospp": ospp.service.to_dict() if ospp is not None else None,
        "ospp_problem": ospp_problem,
        "other_products": others,
        "is_kms_host": service.is_kms_host,
        "kms_host": kms_host_facts(service),
        "kms_client": kms_client_facts(service, registry),
        "adba_available": surface.adba_properties != (),
        "registry": registry,
        "events": events,
    }
    attention = assess(facts, failing_domains(every_event), options.grace_warning_days)
    facts["attention"] = attention
    facts["needs_attention"] = bool(attention)
    return facts
