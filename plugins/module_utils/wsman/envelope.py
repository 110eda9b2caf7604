# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SOAP envelope and header every WS-Management request shares (wsman-wire.md §1.1).

The header is pywinrm's, element for element: a:To, ReplyTo anonymous, MaxEnvelopeSize,
MessageID ``uuid:…``, Locale and DataLocale with ``mustUnderstand="false"``, OperationTimeout,
ResourceURI, Action, then the SelectorSet when an instance is addressed.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import check_identifier
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_ADDRESSING,
    NS_ENUMERATION,
    NS_SOAP,
    NS_WSMAN,
    NS_WSMV,
    escape_attr,
    escape_text,
    first_bad_char,
)

WMI_BASE = "http://schemas.microsoft.com/wbem/wsman/1/wmi"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
# pywinrm hard-codes this a:To whatever the endpoint is, and Windows accepts it (§1.1, §5.10).
PYWINRM_TO = "http://windows-host:5985/wsman"
# MaxBatchItems in the captured winrm/config (§1.3): the most items a host sends per page.
MAX_BATCH_ITEMS = 32000

_SEGMENT = re.compile(r"[A-Za-z0-9_]+\Z")
_LOCALE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_MESSAGE_ID = re.compile(r"uuid:[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\Z")


@dataclass(frozen=True)
class HeaderOptions:
    """Per-request header values. pywinrm defaults: PT20S, 153600 bytes, en-US (§1.1, §5.1-5.2)."""

    operation_timeout: float = 20.0
    max_envelope_size: int = 153600
    locale: str = "en-US"
    to: str = PYWINRM_TO

    def __post_init__(self) -> None:
        timeout = self.operation_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise KmsInputError("operation_timeout", "must be a number of seconds")
        # Millisecond resolution on the wire: anything shorter would be sent as PT0S.
        if not math.isfinite(timeout) or not 0.001 <= timeout <= 86400:
            raise KmsInputError("operation_timeout", "must be from 0.001 to 86400 seconds")
        size = self.max_envelope_size
        # A floor that still leaves room for a fault body; pywinrm and pypsrp send 153600.
        if isinstance(size, bool) or not isinstance(size, int) or not 8192 <= size <= 2**31 - 1:
            raise KmsInputError("max_envelope_size", "must be a whole number of bytes >= 8192")
        if not isinstance(self.locale, str) or not _LOCALE.match(self.locale):
            raise KmsInputError("locale", "is not a language tag", "Use a tag such as en-US.")
        if not isinstance(self.to, str) or first_bad_char(self.to) is not None or not self.to:
            raise KmsInputError("to", "must be a non-empty URL")

    @property
    def timeout_text(self) -> str:
        """``PT20S`` style xs:duration, with milliseconds only when needed."""
        seconds = float(self.operation_timeout)
        if seconds.is_integer():
            return f"PT{int(seconds)}S"
        return f"PT{seconds:.3f}".rstrip("0").rstrip(".") + "S"


DEFAULT_HEADER = HeaderOptions()


@dataclass(frozen=True)
class WsmanRequest:
    """A request ready to send. ``xml`` is left out of repr: it may hold a product key."""

    action: str
    resource_uri: str
    message_id: str
    xml: str = field(repr=False)


def new_message_id() -> str:
    """A fresh ``uuid:`` MessageID (upper case, as Windows and pypsrp write them)."""
    return f"uuid:{str(uuid.uuid4()).upper()}"


def normalize_namespace(namespace: str) -> str:
    """``root\\cimv2`` or ``/root/cimv2/`` -> ``root/cimv2``; segments must be WMI names."""
    if not isinstance(namespace, str):
        raise KmsInputError("namespace", "must be text such as root/cimv2")
    parts = namespace.replace("\\", "/").strip("/").split("/")
    if not all(_SEGMENT.match(p) for p in parts):
        raise KmsInputError(
            "namespace", "is not a WMI namespace path", "Use a path such as root/cimv2."
        )
    return "/".join(parts)


def resource_uri(namespace: str, class_name: str) -> str:
    """The WMI resource URI of a class; ``*`` is the WQL form of the namespace (§1.2, §5.3)."""
    if class_name != "*":
        check_identifier("class_name", class_name, "class name")
    return f"{WMI_BASE}/{normalize_namespace(namespace)}/{class_name}"


def check_count(name: str, value: int) -> int:
    """A batch size (MaxElements) within what WinRM accepts."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH_ITEMS:
        raise KmsInputError(name, f"must be a whole number from 1 to {MAX_BATCH_ITEMS}")
    return value


def _check_message_id(message_id: str | None) -> str:
    if message_id is None:
        return new_message_id()
    if not isinstance(message_id, str) or not _MESSAGE_ID.match(message_id):
        raise KmsInputError(
            "message_id", "must look like uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        )
    return message_id


def check_text(name: str, value: Any) -> str:
    """Non-empty text that XML can carry (a WQL query, an enumeration context)."""
    if not isinstance(value, str) or not value.strip():
        raise KmsInputError(name, "must be non-empty text")
    bad = first_bad_char(value)
    if bad is not None:
        raise KmsInputError(
            name, f"contains U+{ord(bad):04X}, which XML cannot carry", "Remove it."
        )
    return value


def _selector_set(selectors: Mapping[str, Any] | None) -> str:
    if not selectors:
        return ""
    if not isinstance(selectors, Mapping):
        raise KmsInputError("selectors", "must be a mapping of key name to value")
    parts = []
    for name, value in selectors.items():
        where = f"selectors.{name}"
        check_identifier(where, name, "key name")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            text = value
            bad = first_bad_char(value)
            if bad is not None:
                raise KmsInputError(where, f"contains U+{ord(bad):04X}, which XML cannot carry")
        else:
            raise KmsInputError(where, "must be text, a whole number or a boolean")
        parts.append(f'<w:Selector Name="{escape_attr(name)}">{escape_text(text)}</w:Selector>')
    return "<w:SelectorSet>" + "".join(parts) + "</w:SelectorSet>"


def build_envelope(
    action: str,
    uri: str,
    body: str,
    header: HeaderOptions,
    message_id: str | None,
    *,
    selectors: Mapping[str, Any] | None = None,
    enumeration: bool = False,
) -> WsmanRequest:
    """Wrap ``body`` in pywinrm's header; ``enumeration`` declares the ``n:`` namespace."""
    if not isinstance(header, HeaderOptions):
        raise KmsInputError("header", "must be a HeaderOptions")
    mid = _check_message_id(message_id)
    namespaces = [("env", NS_SOAP), ("a", NS_ADDRESSING)]
    if enumeration:
        namespaces.append(("n", NS_ENUMERATION))
    namespaces += [("w", NS_WSMAN), ("p", NS_WSMV)]
    declarations = " ".join(f'xmlns:{p}="{escape_attr(u)}"' for p, u in namespaces)
    lang = escape_attr(header.locale)
    xml = (
        f"<env:Envelope {declarations}><env:Header>"
        f"<a:To>{escape_text(header.to)}</a:To>"
        f'<a:ReplyTo><a:Address mustUnderstand="true">{ANONYMOUS}</a:Address></a:ReplyTo>'
        f'<w:MaxEnvelopeSize mustUnderstand="true">{header.max_envelope_size}</w:MaxEnvelopeSize>'
        f"<a:MessageID>{mid}</a:MessageID>"
        f'<w:Locale mustUnderstand="false" xml:lang="{lang}"/>'
        f'<p:DataLocale mustUnderstand="false" xml:lang="{lang}"/>'
        f"<w:OperationTimeout>{header.timeout_text}</w:OperationTimeout>"
        f'<w:ResourceURI mustUnderstand="true">{escape_text(uri)}</w:ResourceURI>'
        f'<a:Action mustUnderstand="true">{escape_text(action)}</a:Action>'
        f"{_selector_set(selectors)}</env:Header>"
        + (f"<env:Body>{body}</env:Body>" if body else "<env:Body/>")
        + "</env:Envelope>"
    )
    return WsmanRequest(action=action, resource_uri=uri, message_id=mid, xml=xml)
