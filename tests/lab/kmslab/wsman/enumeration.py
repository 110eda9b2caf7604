# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Enumeration: Enumerate (WQL, selector filter or plain), Pull and Release (wsman-wire §1.2).

Response rules, from the captures:
* optimized Enumerate: first batch in ``w:Items`` inside ``n:EnumerateResponse``; when everything
  fit, an empty ``n:EnumerationContext`` and ``<w:EndOfSequence/>``; an empty result has no
  ``w:Items`` (pypsrp_enum_pretty.xml, both responses);
* Pull: items in ``n:Items``; the last page ends with ``<n:EndOfSequence/>`` and no context,
  other pages carry the context to use next (§1.2 rule 4);
* each batch holds at most MaxElements items and at most MaxEnvelopeSize octets; one item that
  alone exceeds the envelope is a ``w:EncodingLimit`` fault (§5 item 1).
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from . import faults, faults_wmi
from . import names as ns
from .call import Call, check_selectors, strip_cim_namespace, wmi_class
from .faults import SoapFault
from .provider import WBEM_E_INVALID_CLASS, WBEM_E_INVALID_NAMESPACE, CimError, Instance
from .render import epr_xml, instance_xml
from .soap import envelope, parse_selector_set, q
from .wql import WqlError, parse
from .wql_eval import select, validate

MAX_BATCH_ITEMS = 32000  # cfg:MaxBatchItems in capture pypsrp_get.txt
ENUMERATION_TIMEOUT = 240.0  # cfg:EnumerationTimeoutms in capture pypsrp_get.txt
MAX_OPEN_CONTEXTS = 1024  # lab bound, so a client that never pulls cannot grow memory forever
PREFIXES = ("s", "a", "n", "w", "p")  # capture pypsrp_enum_pretty.xml
MODES = ("EnumerateObjectAndEPR", "EnumerateEPR")
_PLACEHOLDER = "uuid:00000000-0000-0000-0000-000000000000"  # sizes the context element


@dataclass
class _Open:
    items: list[str]
    expires: float


@dataclass
class ContextStore:
    """Open enumeration contexts of one machine (touched only by the provider thread)."""

    timeout: float = ENUMERATION_TIMEOUT
    _open: dict[str, _Open] = field(default_factory=dict)

    def add(self, items: list[str]) -> str:
        now = time.monotonic()
        for key in [key for key, entry in self._open.items() if entry.expires < now]:
            del self._open[key]
        while len(self._open) >= MAX_OPEN_CONTEXTS:
            del self._open[next(iter(self._open))]
        context = f"uuid:{str(uuid.uuid4()).upper()}"
        self._open[context] = _Open(items, now + self.timeout)
        return context

    def get(self, context: str) -> _Open | None:
        entry = self._open.get(context)
        if entry is None or entry.expires < time.monotonic():
            self._open.pop(context, None)
            return None
        return entry

    def drop(self, context: str) -> bool:
        return self._open.pop(context, None) is not None

    def __len__(self) -> int:
        return len(self._open)


def _max_elements(call: Call, element: ET.Element | None) -> int:
    if element is None:
        return 1  # WS-Enumeration / DSP0226 8.2.3 default
    text = (element.text or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise SoapFault(
            faults.schema_validation(call.alias, f"MaxElements {text!r} is not a positive integer")
        )
    # MS-WSMAN 3.2.4.1.6: clients keep MaxElements within MaxBatchItems; the lab clamps above it.
    return min(int(text), MAX_BATCH_ITEMS)


def _batch(call: Call, items: list[str], limit: int, skeleton: str) -> int:
    """How many of ``items`` fit in one response of at most MaxElements / MaxEnvelopeSize."""
    size = len(skeleton.encode("utf-8"))
    count = 0
    for item in items[:limit]:
        item_size = len(item.encode("utf-8"))
        if size + item_size > call.max_envelope:
            if count == 0:
                raise SoapFault(
                    faults.encoding_limit(call.alias, size + item_size, call.max_envelope)
                )
            break
        size += item_size
        count += 1
    return count


def _items_for(
    call: Call, class_uri: str, instances: list[Instance], mode: str | None
) -> list[str]:
    out = []
    null_array = call.variants["null_array"]
    for instance in instances:
        body = instance_xml(class_uri, instance, null_array)
        if mode is None:
            out.append(body)
            continue
        epr = epr_xml(call.endpoint, class_uri, instance.key_values())
        out.append(epr if mode == "EnumerateEPR" else f"<w:Item>{body}{epr}</w:Item>")
    return out


def _bad_query(call: Call, resource: ns.WmiResource, text: str) -> SoapFault:
    return SoapFault(
        faults_wmi.invalid_query(
            machine=call.alias, computer=call.computer, namespace=resource.namespace, query=text
        )
    )


def _select_wql(call: Call, resource: ns.WmiResource, text: str) -> tuple[str, list[Instance]]:
    if not resource.is_wildcard:
        # MS Docs "Querying for Specific Instances": WQL goes to the namespace URI ending in /*.
        raise _bad_query(call, resource, text)
    try:
        query = parse(text)
    except WqlError:
        raise _bad_query(call, resource, text) from None
    try:
        info = call.provider.describe(resource.namespace_key, query.class_name)
    except CimError as error:
        if error.hresult not in (WBEM_E_INVALID_CLASS, WBEM_E_INVALID_NAMESPACE):
            raise
        # Capture winrb_soap_fault_v2.xml: WQL naming a class that does not exist.
        fault = faults_wmi.class_not_found(
            machine=call.alias, computer=call.computer, namespace=resource.namespace, query=text
        )
        raise SoapFault(fault) from None
    call.inject("Enumerate", info.name)
    try:
        validate(query, info)
        instances = list(call.provider.instances(resource.namespace_key, info.name))
        # Variant projection_items: "projected" keeps only the SELECT list (§5 item 5), "full"
        # sends every property as if SELECT * (unconfirmed: no capture of a projection).
        project = call.variants["projection_items"] == "projected"
        chosen = select(query, instances, project=project)
    except WqlError:
        raise _bad_query(call, resource, text) from None
    return resource.class_uri(info.name), chosen


def _select_class(call: Call, filter_el: ET.Element | None) -> tuple[str, list[Instance]]:
    """A class URI, unfiltered or with the selector filter of pypsrp_enum_pretty.xml."""
    resource, info = wmi_class(call)
    call.inject("Enumerate", info.name)
    chosen = list(call.provider.instances(resource.namespace_key, info.name))
    if filter_el is not None:
        selector_set = filter_el.find(q(ns.WSMAN, "SelectorSet"))
        given = dict(parse_selector_set(selector_set)) if selector_set is not None else {}
        wanted = {k.casefold(): v.casefold() for k, v in check_selectors(call, info, given).items()}
        chosen = [
            instance
            for instance in chosen
            if {k.casefold(): v.casefold() for k, v in instance.key_values().items()} == wanted
        ]
    return resource.class_uri(info.name), chosen


def _select(call: Call, enumerate_el: ET.Element) -> tuple[str, list[Instance]]:
    """(class URI of the items, the instances the filter selects)."""
    request = call.request
    filter_el = enumerate_el.find(q(ns.WSMAN, "Filter"))
    if filter_el is None:
        filter_el = enumerate_el.find(q(ns.ENUMERATION, "Filter"))
    resource = ns.parse_wmi_uri(request.resource_uri)
    if resource is None:
        raise SoapFault(faults.unknown_resource_uri(call.alias, request.resource_uri))
    strip_cim_namespace(call, resource, request.selector_map())
    if filter_el is None:
        return _select_class(call, None)
    # A Filter without Dialect is read as WQL (tolerated variant; every client studied sends it).
    dialect = filter_el.get("Dialect", ns.DIALECT_WQL)
    if dialect == ns.DIALECT_WQL:
        return _select_wql(call, resource, (filter_el.text or "").strip())
    if dialect == ns.DIALECT_SELECTOR:
        return _select_class(call, filter_el)
    raise SoapFault(faults.dialect_unavailable(call.alias, dialect))


def _answer(call: Call, action: str, body: str) -> str:
    return envelope(
        prefixes=PREFIXES,
        action=action,
        relates_to=call.request.message_id,
        body=body,
        activity_id=True,
    )


def _enumerate_response(context: str, items: str, done: bool) -> str:
    end = "<w:EndOfSequence/>" if done else ""
    return (
        f"<n:EnumerateResponse><n:EnumerationContext>{context}</n:EnumerationContext>"
        f"{items}{end}</n:EnumerateResponse>"
    )


def _pull_response(context: str | None, items: str) -> str:
    if context is None:
        return f"<n:PullResponse>{items}<n:EndOfSequence/></n:PullResponse>"
    return (
        f"<n:PullResponse><n:EnumerationContext>{context}</n:EnumerationContext>"
        f"{items}</n:PullResponse>"
    )


def enumerate_(call: Call, store: ContextStore) -> str:
    enumerate_el = call.request.body.find(q(ns.ENUMERATION, "Enumerate"))
    if enumerate_el is None:
        raise SoapFault(faults.schema_validation(call.alias, "the Body has no wsen:Enumerate"))
    mode_el = enumerate_el.find(q(ns.WSMAN, "EnumerationMode"))
    mode = None if mode_el is None else (mode_el.text or "").strip()
    if mode is not None and mode not in MODES:
        raise SoapFault(faults.enumeration_mode_unsupported(call.alias, mode))
    optimize = enumerate_el.find(q(ns.WSMAN, "OptimizeEnumeration")) is not None
    limit = _max_elements(call, enumerate_el.find(q(ns.WSMAN, "MaxElements"))) if optimize else 0
    class_uri, chosen = _select(call, enumerate_el)
    items = _items_for(call, class_uri, chosen, mode)
    action = ns.ACTION_ENUMERATE + "Response"
    if not optimize:
        return _answer(call, action, _enumerate_response(store.add(items), "", done=False))
    skeleton = _answer(call, action, _enumerate_response(_PLACEHOLDER, "<w:Items></w:Items>", True))
    count = _batch(call, items, limit, skeleton) if items else 0
    first, rest = items[:count], items[count:]
    listed = f"<w:Items>{''.join(first)}</w:Items>" if first else ""
    if rest:
        return _answer(call, action, _enumerate_response(store.add(rest), listed, done=False))
    # Empty context + w:EndOfSequence: capture pypsrp_enum_pretty.xml (raw form in §1.2 (c)).
    return _answer(call, action, _enumerate_response("", listed, done=True))


def _context_of(call: Call, local: str) -> tuple[ET.Element, str]:
    element = call.request.body.find(q(ns.ENUMERATION, local))
    if element is None:
        raise SoapFault(faults.schema_validation(call.alias, f"the Body has no wsen:{local}"))
    context_el = element.find(q(ns.ENUMERATION, "EnumerationContext"))
    context = "" if context_el is None else (context_el.text or "").strip()
    return element, context


def pull(call: Call, store: ContextStore) -> str:
    pull_el, context = _context_of(call, "Pull")
    call.inject("Pull", None)
    entry = store.get(context)
    if entry is None:
        raise SoapFault(faults.invalid_enumeration_context(call.alias))
    # wsen:MaxElements in Pull (§1.2: openwsman, ruby); wsman:MaxElements tolerated (dracclient).
    max_el = pull_el.find(q(ns.ENUMERATION, "MaxElements"))
    if max_el is None:
        max_el = pull_el.find(q(ns.WSMAN, "MaxElements"))
    limit = _max_elements(call, max_el)
    action = ns.ACTION_PULL + "Response"
    skeleton = _answer(call, action, _pull_response(context, "<n:Items></n:Items>"))
    count = _batch(call, entry.items, limit, skeleton + "<n:EndOfSequence/>") if entry.items else 0
    page, entry.items = entry.items[:count], entry.items[count:]
    listed = f"<n:Items>{''.join(page)}</n:Items>" if page else ""
    if entry.items:
        return _answer(call, action, _pull_response(context, listed))
    store.drop(context)
    return _answer(call, action, _pull_response(None, listed))


def release(call: Call, store: ContextStore) -> str:
    _element, context = _context_of(call, "Release")
    if not store.drop(context):
        raise SoapFault(faults.invalid_enumeration_context(call.alias))
    # §6: "Release → empty body".
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_RELEASE + "Response",
        relates_to=call.request.message_id,
        body="",
    )
