# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every wire-log recording under tests/fixtures/recordings/ replayed through the client.

Each file is one exchange written by the wire log (docs/wire-log.md). Every response goes through
the parser that reads its kind of reply, and every enumeration of SoftwareLicensingService or
SoftwareLicensingProduct is replayed through the client's read path (``spp.read_service``,
``spp.read_products``): a ``send`` answers each request the client sends with the recorded
response, in order, following the recorded Pulls. A recording added from a real Windows is
tested from then on with no code to write.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from fixture_files import RECORDINGS

from ansible_collections.volact.kms.plugins.module_utils.windows import spp
from ansible_collections.volact.kms.plugins.module_utils.wsman import messages as wsman
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import mask_secrets
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession
from ansible_collections.volact.kms.plugins.plugin_utils.wire_log import WireLog

MARK = re.compile(r"^<!-- (request|response) -->$", re.MULTILINE)
ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
SOAP = "http://www.w3.org/2003/05/soap-envelope"
READ_PATHS = {spp.SERVICE_CLASS, spp.PRODUCT_CLASS}
FILES = sorted(RECORDINGS.rglob("*.xml"))


@dataclass(frozen=True)
class Exchange:
    path: Path
    request: str
    response: str | None  # None when the transport failed before an answer

    @property
    def action(self) -> str:
        return header(self.request, "Action")

    @property
    def message_id(self) -> str:
        return header(self.request, "MessageID")

    @property
    def resource(self) -> str:
        return header(self.request, "ResourceURI")


def header(envelope: str, name: str) -> str:
    for element in ET.fromstring(envelope).iter():
        if element.tag.rpartition("}")[2] == name:
            return (element.text or "").strip()
    return ""


@cache
def load(path: Path) -> Exchange:
    parts = MARK.split(path.read_text(encoding="utf-8"))
    # ["header", "request", <xml>, "response", <xml>] or without the response pair
    found = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    response = found.get("response")
    if response is None:  # a failed exchange: "<!-- no response: ... -->" follows the request
        found["request"] = found["request"].rpartition("\n<!-- no response:")[0] or found["request"]
    return Exchange(path, found["request"], response)


def wql_class(exchange: Exchange) -> str | None:
    if exchange.action != ENUMERATION + "Enumerate":
        return None
    found = re.search(r"\bFROM\s+(\w+)", exchange.request, re.IGNORECASE)
    return found.group(1) if found else None


def context_of(envelope: str) -> str | None:
    return header(envelope, "EnumerationContext") or None


def chain(start: Exchange) -> list[Exchange]:
    """The Enumerate and the Pulls that followed it, linked by their enumeration contexts."""
    pulls = {}
    for path in start.path.parent.glob("*.xml"):
        other = load(path)
        if other.action == ENUMERATION + "Pull":
            pulls[context_of(other.request)] = other
    found = [start]
    while found[-1].response is not None:
        if is_fault(found[-1].response):
            break
        context = context_of(found[-1].response)
        if context is None or context not in pulls:
            break
        found.append(pulls[context])
    return found


class Replay:
    """A ``send`` that answers with the recorded responses, in order."""

    def __init__(self, exchanges: list[Exchange]) -> None:
        self.exchanges = exchanges
        self.used = 0

    def send(self, xml: str, **_options: object) -> str:
        assert self.used < len(self.exchanges), "the client sent more than the recording holds"
        recorded = self.exchanges[self.used]
        self.used += 1
        sent = header(xml, "Action")
        assert sent == recorded.action, f"{recorded.path.name}: the client now sends {sent}"
        assert recorded.response is not None, f"{recorded.path.name} holds no response"
        # The reply names the request it answers: the recorded one, so name ours instead.
        return recorded.response.replace(recorded.message_id, header(xml, "MessageID"))


def name(path: Path) -> str:
    return str(path.relative_to(RECORDINGS))


def test_there_is_a_recording_and_each_session_says_where_it_comes_from() -> None:
    assert FILES, f"no recordings under {RECORDINGS}"
    for directory in {path.parent for path in FILES}:
        assert (directory / "README.md").is_file(), f"{directory} has no README.md"


@pytest.mark.parametrize("path", FILES, ids=name)
def test_a_recording_holds_no_product_key_in_clear(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert mask_secrets(text) == text, f"{name(path)} holds a product key: record it again"


def parse(exchange: Exchange, body: str) -> None:
    """Read ``body`` with the parser the client uses for this kind of request."""
    mid, action = exchange.message_id, exchange.action
    if action == ENUMERATION + "Enumerate":
        wsman.parse_enumerate_response(body, message_id=mid).decode()
    elif action == ENUMERATION + "Pull":
        wsman.parse_pull_response(body, message_id=mid).decode()
    elif action == ENUMERATION + "Release":
        wsman.parse_release_response(body, message_id=mid)
    elif action.endswith("/transfer/Get"):
        wsman.parse_get_response(body, message_id=mid)
    else:
        method = action.rpartition("/")[2]
        wsman.parse_invoke_response(body, method, resource_uri=exchange.resource, message_id=mid)


def is_fault(envelope: str) -> bool:
    return any(e.tag == f"{{{SOAP}}}Fault" for e in ET.fromstring(envelope).iter())


@pytest.mark.parametrize("path", FILES, ids=name)
def test_every_recorded_response_parses(path: Path) -> None:
    exchange = load(path)
    assert exchange.action, f"{name(path)}: the request has no Action"
    if exchange.response is None:
        return  # nothing came back: the request alone is the record
    if is_fault(exchange.response):
        with pytest.raises(WsmanFault) as caught:
            parse(exchange, exchange.response)
        assert caught.value.what_happened
    else:
        parse(exchange, exchange.response)


READS = [path for path in FILES if wql_class(load(path)) in READ_PATHS]


def test_the_recordings_cover_both_read_paths() -> None:
    assert {wql_class(load(path)) for path in READS} == READ_PATHS


@pytest.mark.parametrize("path", READS, ids=name)
def test_the_read_path_replays_the_recorded_enumeration(path: Path) -> None:
    start = load(path)
    exchanges = chain(start)
    replay = Replay(exchanges)
    session = CimSession(replay.send)
    items = sum(len(_items(e.response)) for e in exchanges if e.response is not None)
    if wql_class(start) == spp.SERVICE_CLASS:
        service = spp.read_service(session)
        assert service.version, name(path)
    else:
        ids = re.findall(r"ApplicationID\s*=\s*'([^']+)'", start.request) or [spp.WINDOWS_APP_ID]
        products = spp.read_products(session, ids)
        assert len(products) == items, name(path)
        for product in products:
            assert product.to_dict()
    assert replay.used == len(exchanges), "the client stopped before the recorded enumeration did"


def _items(envelope: str) -> list[ET.Element]:
    for element in ET.fromstring(envelope).iter():
        if element.tag.rpartition("}")[2] == "Items":
            return list(element)
    return []


PAGE = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"
 xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>
<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/{verb}Response</a:Action>
<a:RelatesTo>{mid}</a:RelatesTo></s:Header><s:Body><n:{verb}Response>{context}
<{items}><p:SoftwareLicensingProduct
 xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingProduct">
<p:ApplicationID>55c92734-d682-4d71-983e-d6ec3f16059f</p:ApplicationID><p:ID>{id}</p:ID>
<p:LicenseStatus>1</p:LicenseStatus><p:PartialProductKey>2YT43</p:PartialProductKey>
</p:SoftwareLicensingProduct></{items}>{end}</n:{verb}Response></s:Body></s:Envelope>"""


def test_a_paged_enumeration_is_recorded_then_replayed_through_its_pulls(tmp_path: Path) -> None:
    """The wire log's files, read back by this module: the Pulls follow their contexts."""

    def windows(xml: str, **_options: object) -> str:
        mid = header(xml, "MessageID")
        if header(xml, "Action").endswith("Enumerate"):
            context = "<n:EnumerationContext>ctx-1</n:EnumerationContext>"
            return PAGE.format(
                verb="Enumerate", mid=mid, context=context, items="w:Items", id="a", end=""
            )
        return PAGE.format(
            verb="Pull", mid=mid, context="", items="n:Items", id="b", end="<n:EndOfSequence/>"
        )

    log = WireLog(tmp_path, "pc001")
    assert len(spp.read_products(CimSession(log.wrap(windows)))) == 2
    (first, pull) = sorted(tmp_path.iterdir())
    exchanges = chain(load(first))
    assert [e.path for e in exchanges] == [first, pull]
    replay = Replay(exchanges)
    products = spp.read_products(CimSession(replay.send))
    assert [p.id for p in products] == ["a", "b"]
    assert replay.used == 2
