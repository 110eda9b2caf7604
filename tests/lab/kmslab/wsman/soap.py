# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SOAP 1.2 request parsing and response envelopes.

Requests are read by namespace URI (wsman-wire §6: "accept SOAP 1.2 envelopes with any
prefixes"), so pywinrm's ``env:``/``a:``/``w:`` and pypsrp's ``s:``/``wsa:``/``wsman:`` parse alike.
Responses are written as text with the exact prefixes of the Windows captures.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from . import names as ns


class RequestError(ValueError):
    """The request is not a WS-Management envelope we can process (schema validation fault)."""


def q(namespace: str, local: str) -> str:
    """ElementTree's ``{uri}local`` form."""
    return f"{{{namespace}}}{local}"


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def namespace_of(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float:
    """Seconds in an xs:duration such as ``PT20S`` or ``P0DT0H0M9S`` (OperationTimeout, §1.1)."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        raise RequestError(f"{text!r} is not an xs:duration")
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


@dataclass(frozen=True)
class SoapRequest:
    action: str
    resource_uri: str
    message_id: str | None
    max_envelope_size: int | None
    operation_timeout: float | None
    selectors: tuple[tuple[str, str], ...] | None  # None: no SelectorSet in the header
    body: ET.Element

    def body_child(self) -> ET.Element | None:
        children = list(self.body)
        return children[0] if children else None

    def selector_map(self) -> dict[str, str]:
        return dict(self.selectors or ())


def _text(header: ET.Element, namespace: str, local: str) -> str | None:
    element = header.find(q(namespace, local))
    if element is None:
        return None
    return (element.text or "").strip()


def parse_selector_set(element: ET.Element) -> tuple[tuple[str, str], ...]:
    selectors = []
    for selector in element.findall(q(ns.WSMAN, "Selector")):
        name = selector.get("Name")
        if not name:
            raise RequestError("a Selector has no Name attribute")
        selectors.append((name, (selector.text or "").strip()))
    return tuple(selectors)


def parse_request(data: bytes) -> SoapRequest:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise RequestError(f"the body is not well-formed XML ({error})") from None
    if root.tag != q(ns.SOAP, "Envelope"):
        raise RequestError("the root element is not a SOAP 1.2 Envelope")
    header = root.find(q(ns.SOAP, "Header"))
    body = root.find(q(ns.SOAP, "Body"))
    if header is None or body is None:
        raise RequestError("the envelope needs a Header and a Body")
    action = _text(header, ns.ADDRESSING, "Action")
    resource_uri = _text(header, ns.WSMAN, "ResourceURI")
    if not action:
        raise RequestError("the header has no wsa:Action")
    if not resource_uri:
        raise RequestError("the header has no wsman:ResourceURI")
    size_text = _text(header, ns.WSMAN, "MaxEnvelopeSize")
    timeout_text = _text(header, ns.WSMAN, "OperationTimeout")
    try:
        max_size = int(size_text) if size_text else None
    except ValueError:
        raise RequestError(f"MaxEnvelopeSize {size_text!r} is not an integer") from None
    selector_set = header.find(q(ns.WSMAN, "SelectorSet"))
    return SoapRequest(
        action=action,
        resource_uri=resource_uri,
        # Echoed verbatim: pypsrp compares RelatesTo with its MessageID byte for byte (§1.1).
        message_id=_text(header, ns.ADDRESSING, "MessageID") or None,
        max_envelope_size=max_size,
        operation_timeout=parse_duration(timeout_text) if timeout_text else None,
        selectors=None if selector_set is None else parse_selector_set(selector_set),
        body=body,
    )


def new_message_id() -> str:
    # Windows writes upper-case uuid: MessageIDs (every capture in wsman-captures/).
    return f"uuid:{str(uuid.uuid4()).upper()}"


def envelope(
    *,
    prefixes: tuple[str, ...],
    action: str,
    relates_to: str | None,
    body: str,
    activity_id: bool = False,
) -> str:
    """A response envelope with the header order of the captures.

    Enumeration responses carry ``p:ActivityId`` (pypsrp_enum_pretty.xml); Get and method
    responses do not (pypsrp_get.txt, winrb_invoke_1.xml), so callers choose.
    """
    declarations = "".join(f' xmlns:{prefix}="{ns.PREFIXES[prefix]}"' for prefix in prefixes)
    activity = f"<p:ActivityId>{str(uuid.uuid4()).upper()}</p:ActivityId>" if activity_id else ""
    relates = "" if relates_to is None else f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
    body_xml = f"<s:Body>{body}</s:Body>" if body else "<s:Body/>"
    return (
        f'<s:Envelope xml:lang="en-US"{declarations}><s:Header>'
        f"<a:Action>{escape(action)}</a:Action><a:MessageID>{new_message_id()}</a:MessageID>"
        f"{activity}<a:To>{ns.ANONYMOUS}</a:To>{relates}</s:Header>{body_xml}</s:Envelope>"
    )
