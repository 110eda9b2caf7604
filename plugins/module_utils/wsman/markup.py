# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XML plumbing shared by the WS-Management codec: namespaces, escaping and a hardened parser.

Nothing here knows about WMI classes or faults; it only turns text into trees and back safely.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

# Namespace URIs, from reference/wsman-wire.md §1.1 (identical in pywinrm, pypsrp and WinRM ruby).
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_CIMBINDING = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
NS_WSMANFAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_CIM = "http://schemas.dmtf.org/wbem/wscim/1/common"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

XSI_NIL = f"{{{NS_XSI}}}nil"
XSI_TYPE = f"{{{NS_XSI}}}type"

# Characters XML 1.0 can carry at all (§2.2 of the XML spec); anything else cannot be sent.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Product-key shaped text is masked in anything we quote back from a server body or log. A longer
# run of groups is masked whole: matching only five of them could start early and show a key's
# fourth group beside its fifth.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){4,}")
# A DOCTYPE is the only place entities can be declared; refuse it before expat sees it.
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class XmlRefused(ValueError):
    """The body is not XML we are willing to parse (malformed, too large, or with a DOCTYPE).

    ``quotable`` is False when quoting the body back would not help (it is too large).
    """

    def __init__(self, message: str, *, quotable: bool = True) -> None:
        super().__init__(message)
        self.quotable = quotable


def qname(namespace: str, local: str) -> str:
    """Return the ElementTree ``{namespace}local`` spelling."""
    return f"{{{namespace}}}{local}"


def local_name(tag: Any) -> str:
    """Return the local part of an element tag ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    """Return the namespace URI of an element tag, '' when it has none."""
    if tag.startswith("{"):
        return tag[1:].partition("}")[0]
    return ""


def first_bad_char(text: str) -> str | None:
    """Return the first character that XML 1.0 cannot carry, if any."""
    found = _NOT_XML_CHAR.search(text)
    return found.group(0) if found else None


def escape_text(text: str) -> str:
    """Escape element content; a carriage return becomes a reference so parsers keep it."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attr(text: str) -> str:
    """Escape an attribute value delimited by double quotes (whitespace kept as references)."""
    return escape_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def mask_secrets(text: str) -> str:
    """Mask anything shaped like a product key (either case), keeping only its last group."""
    return _KEY_SHAPE.sub(lambda m: "XXXXX-XXXXX-XXXXX-XXXXX-" + m.group(0)[-5:], text)


def excerpt(data: str | bytes, limit: int = 120) -> str:
    """A short, printable, secret-masked excerpt of a body, for error messages."""
    if isinstance(data, bytes):
        text = data.decode("utf-8", "replace")
    else:
        text = data if isinstance(data, str) else repr(data)
    text = " ".join(text[: limit * 2].split())
    text = mask_secrets(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _RefusingTreeBuilder(ET.TreeBuilder):
    """A tree builder that stops the parse at the first DOCTYPE (catches UTF-16 bodies too)."""

    def doctype(self, name: str, pubid: str, system: str) -> None:
        raise XmlRefused("the body declares a DOCTYPE; WS-Management never does")


def parse_xml(data: str | bytes, max_size: int) -> ET.Element:
    """Parse a response body into an element tree, refusing anything unsafe.

    ``max_size`` bounds the body (bytes, or characters for ``str``). DOCTYPE and ENTITY declarations
    are refused before parsing (entity expansion and external entities are the classic XML attacks;
    SOAP 1.2 forbids a DOCTYPE in an envelope anyway). Raises :class:`XmlRefused` with a readable
    reason for every failure.
    """
    if not isinstance(data, (str, bytes)):
        raise XmlRefused(f"the body is of type {type(data).__name__}, not text or bytes")
    if len(data) > max_size:
        raise XmlRefused(
            f"the body is {len(data)} long, over the limit of {max_size}", quotable=False
        )
    if not data.strip():
        raise XmlRefused("the body is empty")
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _DECLARATION.search(raw):
        raise XmlRefused("the body declares a DOCTYPE or ENTITY; WS-Management never does")
    parser = ET.XMLParser(target=_RefusingTreeBuilder())
    try:
        parser.feed(data)
        root = parser.close()
    except XmlRefused:
        raise
    except ET.ParseError as exc:
        raise XmlRefused(f"the body is not well-formed XML ({exc})") from None
    except (ValueError, UnicodeError, TypeError) as exc:
        raise XmlRefused(f"the body cannot be read as XML ({exc})") from None
    return root
