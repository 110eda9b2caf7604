# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management responses: envelope checks, Enumerate/Pull pages, Get instances, method output.

Every failure is a :class:`WsmanProtocolError` (the body cannot be trusted) or a :class:`WsmanFault`
(the server said no); nothing else escapes. Structural elements are matched by namespace;
WMI properties by local name, because their namespace is the class URI (wsman-wire.md §1.2, §5.5).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import (
    CimType,
    CimTypeSpec,
    TypeHints,
    decode_properties,
    type_spec_for,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    WsmanError,
    WsmanProtocolError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.fault import fault_from_element
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_ADDRESSING,
    NS_ENUMERATION,
    NS_SOAP,
    NS_SOAP11,
    NS_WSMAN,
    XmlRefused,
    excerpt,
    local_name,
    namespace_of,
    parse_xml,
    qname,
)

# Twice pywinrm's MaxEnvelopeSize: the server honours the limit we send (§5.1), and a UTF-16
# body may take two bytes per character. Anything larger is refused before parsing.
DEFAULT_MAX_RESPONSE = 2 * 153600


@dataclass(frozen=True)
class Response:
    """A checked SOAP envelope that is not a fault."""

    action: str
    message_id: str
    relates_to: str | None
    body: ET.Element = field(repr=False, compare=False)


@dataclass(frozen=True)
class EndpointReference:
    """The ``a:EndpointReference`` an ``EnumerateObjectAndEPR`` item carries beside its object
    (DSP0226 §8.7; wsman-wire.md §1.2, §4.6): the identity Windows gives the instance, to be used
    as is instead of a selector set we would build ourselves."""

    resource_uri: str | None
    selectors: tuple[tuple[str, str], ...]

    def selector_map(self) -> dict[str, str]:
        return dict(self.selectors)


@dataclass(frozen=True)
class EnumerationPage:
    """One Enumerate/Pull page. ``context`` is None when the enumeration is finished.

    ``references`` holds, item for item, the endpoint reference of an ``EnumerateObjectAndEPR``
    enumeration (None for an item that came without one)."""

    elements: tuple[ET.Element, ...] = field(repr=False, compare=False)
    context: str | None
    end_of_sequence: bool
    references: tuple[EndpointReference | None, ...] = field(default=(), compare=False)

    @property
    def done(self) -> bool:
        return self.context is None

    def decode(self, types: TypeHints | None = None) -> list[dict[str, Any]]:
        """The items as property dicts (see :func:`cim.decode_properties`)."""
        return [decode_properties(element, types) for element in self.elements]


@dataclass(frozen=True)
class MethodResult:
    """A method's ``ReturnValue`` (None when the method returns nothing) and its out parameters."""

    return_value: int | None
    out: dict[str, Any]


def _same_id(left: str, right: str) -> bool:
    # uuids compare case-insensitively (RFC 4122); Windows echoes ours verbatim anyway.
    return left.strip().lower() == right.strip().lower()


def read_envelope(
    data: str | bytes,
    *,
    message_id: str | None = None,
    max_size: int = DEFAULT_MAX_RESPONSE,
    http_status: int | None = None,
) -> Response:
    """Parse and check an envelope; raise the fault it carries, if any.

    With ``message_id``, ``a:RelatesTo`` must match it (pypsrp checks the same, §1.1). A fault
    without RelatesTo is accepted (fixture (g) has none); a fault for another request is not.
    """
    try:
        root = parse_xml(data, max_size)
    except XmlRefused as exc:
        detail = f"The body starts with: {excerpt(data)}" if exc.quotable else ""
        raise WsmanProtocolError(str(exc), detail=detail, http_status=http_status) from None
    if root.tag != qname(NS_SOAP, "Envelope"):
        if root.tag == qname(NS_SOAP11, "Envelope"):
            problem = "the reply is a SOAP 1.1 envelope; WS-Management uses SOAP 1.2"
        else:
            problem = f"the reply is not a SOAP envelope (root element {local_name(root.tag)!r})"
        raise WsmanProtocolError(problem, http_status=http_status)
    header = root.find(qname(NS_SOAP, "Header"))
    bodies = root.findall(qname(NS_SOAP, "Body"))
    if len(bodies) != 1:
        raise WsmanProtocolError(
            "the envelope must have exactly one s:Body", http_status=http_status
        )
    body = bodies[0]

    def header_text(ns: str, name: str) -> str | None:
        if header is None:
            return None
        text = header.findtext(qname(ns, name))
        return text.strip() if text is not None else None

    relates_to = header_text(NS_ADDRESSING, "RelatesTo")
    action = header_text(NS_ADDRESSING, "Action") or ""
    if message_id is not None and relates_to is not None and not _same_id(relates_to, message_id):
        raise WsmanProtocolError(
            f"the reply relates to {relates_to[:60]!r}, not to our request {message_id!r}",
            detail="A proxy or the connection mixed up replies; retry on a new connection.",
            http_status=http_status,
        )
    fault = body.find(qname(NS_SOAP, "Fault"))
    if fault is not None:
        raise fault_from_element(fault, action=action, http_status=http_status)
    if message_id is not None and relates_to is None:
        raise WsmanProtocolError("the reply has no a:RelatesTo", http_status=http_status)
    if http_status is not None and not 200 <= http_status < 300:
        raise WsmanProtocolError("an error status without a SOAP fault", http_status=http_status)
    return Response(action, header_text(NS_ADDRESSING, "MessageID") or "", relates_to, body)


def error_from_body(
    data: str | bytes,
    *,
    http_status: int | None = None,
    message_id: str | None = None,
    max_size: int = DEFAULT_MAX_RESPONSE,
) -> WsmanError:
    """For transports that raise on HTTP 500: the typed error a failed reply's body stands for."""
    try:
        read_envelope(data, message_id=message_id, max_size=max_size, http_status=http_status)
    except WsmanError as exc:
        return exc
    return WsmanProtocolError(
        "the reply was reported as failed but carries no SOAP fault", http_status=http_status
    )


def _elements(parent: ET.Element) -> list[ET.Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _only_child(body: ET.Element, what: str) -> ET.Element:
    children = _elements(body)
    if len(children) != 1:
        raise WsmanProtocolError(f"expected one {what} in s:Body, found {len(children)} elements")
    return children[0]


def _page(data: str | bytes, message_id: str | None, max_size: int, pull: bool) -> EnumerationPage:
    response = read_envelope(data, message_id=message_id, max_size=max_size)
    name = "PullResponse" if pull else "EnumerateResponse"
    top = _only_child(response.body, f"n:{name}")
    if top.tag != qname(NS_ENUMERATION, name):
        raise WsmanProtocolError(f"expected n:{name} in s:Body, found {local_name(top.tag)!r}")
    items: list[ET.Element] = []
    references: list[EndpointReference | None] = []
    context: str | None = None
    end = False
    for child in _elements(top):
        ns, name_ = namespace_of(child.tag), local_name(child.tag)
        # Items/EndOfSequence are w: in EnumerateResponse and n: in PullResponse (§1.2 rules 1-5).
        if ns in (NS_WSMAN, NS_ENUMERATION) and name_ == "Items":
            for item in _elements(child):
                element, reference = _unwrap_item(item)
                items.append(element)
                references.append(reference)
        elif ns in (NS_WSMAN, NS_ENUMERATION) and name_ == "EndOfSequence":
            end = True
        elif child.tag == qname(NS_ENUMERATION, "EnumerationContext"):
            context = (child.text or "").strip() or None
        elif name_ in ("Items", "EndOfSequence", "EnumerationContext"):
            # Silently skipping these would lose rows or loop: a namespace mix-up is an error.
            raise WsmanProtocolError(
                f"{name_} is not in the WS-Man or WS-Enumeration namespace (found {ns!r})"
            )
    # An empty context also means done (§5.4: testing "is not None" would loop forever on '').
    return EnumerationPage(tuple(items), None if end else context, end, tuple(references))


def _unwrap_item(item: ET.Element) -> tuple[ET.Element, EndpointReference | None]:
    # EnumerateObjectAndEPR wraps each object in w:Item next to its EPR (DSP0226 §8.7; the
    # Windows shape is unconfirmed, wsman-wire.md §1.2 and §7).
    if item.tag != qname(NS_WSMAN, "Item"):
        return item, None
    inner = [c for c in _elements(item) if namespace_of(c.tag) != NS_ADDRESSING]
    if len(inner) != 1:
        raise WsmanProtocolError("a w:Item must hold exactly one object")
    eprs = [c for c in _elements(item) if c.tag == qname(NS_ADDRESSING, "EndpointReference")]
    if len(eprs) > 1:
        raise WsmanProtocolError("a w:Item must hold at most one a:EndpointReference")
    return inner[0], (parse_endpoint_reference(eprs[0]) if eprs else None)


def parse_endpoint_reference(epr: ET.Element) -> EndpointReference:
    """``a:ReferenceParameters`` (or the older ``a:ReferenceProperties``) of an EPR: its
    ``w:ResourceURI`` and ``w:SelectorSet`` (WS-Management DSP0226 §5.1)."""
    holders = [
        c
        for c in _elements(epr)
        if c.tag
        in (
            qname(NS_ADDRESSING, "ReferenceParameters"),
            qname(NS_ADDRESSING, "ReferenceProperties"),
        )
    ]
    resource_uri: str | None = None
    selectors: list[tuple[str, str]] = []
    for holder in holders:
        for child in _elements(holder):
            if child.tag == qname(NS_WSMAN, "ResourceURI"):
                resource_uri = (child.text or "").strip() or None
            elif child.tag == qname(NS_WSMAN, "SelectorSet"):
                selectors.extend(_selector(s) for s in _elements(child))
    names = [name.lower() for name, _value in selectors]
    if len(set(names)) != len(names):
        raise WsmanProtocolError("an endpoint reference names the same selector twice")
    return EndpointReference(resource_uri, tuple(selectors))


def _selector(element: ET.Element) -> tuple[str, str]:
    if element.tag != qname(NS_WSMAN, "Selector"):
        raise WsmanProtocolError(f"unexpected {local_name(element.tag)!r} in a w:SelectorSet")
    name = (element.get("Name") or "").strip()
    if not name:
        raise WsmanProtocolError("a w:Selector in an endpoint reference has no Name")
    if _elements(element):
        # A key that is itself a reference (DSP0226 §5.1.2.3): no class this collection uses.
        raise WsmanProtocolError(f"the selector {name!r} holds an endpoint reference, not a value")
    return name, element.text or ""


def parse_enumerate_response(
    data: str | bytes, *, message_id: str | None = None, max_size: int = DEFAULT_MAX_RESPONSE
) -> EnumerationPage:
    """The first page of a WQL enumeration (items inline thanks to OptimizeEnumeration)."""
    return _page(data, message_id, max_size, pull=False)


def parse_pull_response(
    data: str | bytes, *, message_id: str | None = None, max_size: int = DEFAULT_MAX_RESPONSE
) -> EnumerationPage:
    """A following page of an enumeration."""
    return _page(data, message_id, max_size, pull=True)


def parse_release_response(
    data: str | bytes, *, message_id: str | None = None, max_size: int = DEFAULT_MAX_RESPONSE
) -> None:
    """A Release reply has an empty body; only faults and envelope errors matter."""
    read_envelope(data, message_id=message_id, max_size=max_size)


def parse_get_response(
    data: str | bytes,
    *,
    message_id: str | None = None,
    types: TypeHints | None = None,
    max_size: int = DEFAULT_MAX_RESPONSE,
) -> dict[str, Any]:
    """The instance of a GetResponse as a property dict."""
    response = read_envelope(data, message_id=message_id, max_size=max_size)
    return decode_properties(_only_child(response.body, "instance"), types)


def parse_invoke_response(
    data: str | bytes,
    method: str,
    *,
    resource_uri: str | None = None,
    message_id: str | None = None,
    types: TypeHints | None = None,
    max_size: int = DEFAULT_MAX_RESPONSE,
) -> MethodResult:
    """``<Method>_OUTPUT``: ``ReturnValue`` (uint32 unless ``types`` says otherwise) and the out
    parameters. With ``resource_uri`` the output element must be in that namespace (§1.4)."""
    response = read_envelope(data, message_id=message_id, max_size=max_size)
    output = _only_child(response.body, f"{method}_OUTPUT")
    if local_name(output.tag).lower() != f"{method}_OUTPUT".lower():
        raise WsmanProtocolError(
            f"expected {method}_OUTPUT in s:Body, found {local_name(output.tag)!r}"
        )
    if resource_uri is not None and namespace_of(output.tag).lower() != resource_uri.lower():
        raise WsmanProtocolError(
            f"{method}_OUTPUT is in namespace {namespace_of(output.tag)!r}, not {resource_uri!r}"
        )
    hints = dict(types or {})
    if type_spec_for(types, "ReturnValue") is None:
        hints["ReturnValue"] = CimTypeSpec(CimType.UINT32)
    values = decode_properties(output, hints)
    key = next((k for k in values if k.lower() == "returnvalue"), None)
    return_value = values.pop(key) if key is not None else None
    if return_value is not None and not isinstance(return_value, int):
        raise WsmanProtocolError(f"{method}: ReturnValue is not a whole number")
    return MethodResult(return_value, values)
