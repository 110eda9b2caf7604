# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management requests for WMI, shaped as pywinrm sends them (wsman-wire.md §1.1-§1.4), and
the response parsers of :mod:`wsman_response`, re-exported so callers need one import.

Every builder returns a :class:`WsmanRequest` carrying the XML and its MessageID, so the reply can
be checked against it. Every value is escaped; names are checked as WMI identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import (
    TypeHints,
    check_identifier,
    parse_hints,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim_encode import encode_property
from ansible_collections.volact.kms.plugins.module_utils.wsman.envelope import (  # re-exported
    ANONYMOUS,
    DEFAULT_HEADER,
    MAX_BATCH_ITEMS,
    PYWINRM_TO,
    WMI_BASE,
    HeaderOptions,
    WsmanRequest,
    build_envelope,
    check_count,
    check_text,
    new_message_id,
    normalize_namespace,
    resource_uri,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_ENUMERATION,
    NS_TRANSFER,
    escape_attr,
    escape_text,
    first_bad_char,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import (  # re-exported
    DEFAULT_MAX_RESPONSE,
    EndpointReference,
    EnumerationPage,
    MethodResult,
    Response,
    error_from_body,
    parse_enumerate_response,
    parse_get_response,
    parse_invoke_response,
    parse_pull_response,
    parse_release_response,
    read_envelope,
)

__all__ = [
    "ANONYMOUS",
    "DEFAULT_HEADER",
    "DEFAULT_MAX_RESPONSE",
    "ENUMERATE_OBJECT_AND_EPR",
    "MAX_BATCH_ITEMS",
    "PYWINRM_TO",
    "WMI_BASE",
    "EndpointReference",
    "EnumerationPage",
    "HeaderOptions",
    "MethodResult",
    "Response",
    "WsmanRequest",
    "enumerate_request",
    "error_from_body",
    "get_request",
    "invoke_request",
    "new_message_id",
    "normalize_namespace",
    "parse_enumerate_response",
    "parse_get_response",
    "parse_invoke_response",
    "parse_pull_response",
    "parse_release_response",
    "pull_request",
    "quote_wql",
    "read_envelope",
    "release_request",
    "resource_uri",
]

WQL_DIALECT = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
ACTION_ENUMERATE = f"{NS_ENUMERATION}/Enumerate"
ACTION_PULL = f"{NS_ENUMERATION}/Pull"
ACTION_RELEASE = f"{NS_ENUMERATION}/Release"
ACTION_GET = f"{NS_TRANSFER}/Get"
# wsman:EnumerationMode asking for each object with its endpoint reference (wsman-wire.md §1.2,
# MS Docs "Enumeration Constants"; DSP0226 §8.7).
ENUMERATE_OBJECT_AND_EPR = "EnumerateObjectAndEPR"


def quote_wql(value: Any) -> str:
    """A WQL literal: strings quoted with ``\\`` and ``'`` escaped, numbers, booleans, NULL."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise KmsInputError("wql", f"values of type {type(value).__name__} cannot be WQL literals")
    bad = first_bad_char(value)
    if bad is not None:
        raise KmsInputError("wql", f"a literal contains U+{ord(bad):04X}", "Remove it.")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def enumerate_request(
    namespace: str,
    wql: str,
    max_elements: int = 100,
    *,
    optimize: bool = True,
    mode: str | None = None,
    header: HeaderOptions = DEFAULT_HEADER,
    message_id: str | None = None,
) -> WsmanRequest:
    """Enumerate with a WQL filter on ``<namespace>/*``; with ``optimize`` the first page comes
    back in the EnumerateResponse itself, so a small result costs one request (§1.2).
    ``mode="EnumerateObjectAndEPR"`` asks for each object together with its endpoint reference."""
    text = escape_text(check_text("wql", wql))
    if mode not in (None, ENUMERATE_OBJECT_AND_EPR):
        raise KmsInputError("mode", f"must be {ENUMERATE_OBJECT_AND_EPR} or left out")
    parts = ["<n:Enumerate>"]
    if optimize:
        # wsman:MaxElements is only meaningful together with OptimizeEnumeration (openwsman, §1.2).
        parts.append("<w:OptimizeEnumeration/>")
        parts.append(f"<w:MaxElements>{check_count('max_elements', max_elements)}</w:MaxElements>")
    if mode is not None:
        # After OptimizeEnumeration/MaxElements, before the filter: openwsman's client order.
        parts.append(f"<w:EnumerationMode>{mode}</w:EnumerationMode>")
    parts.append(f'<w:Filter Dialect="{WQL_DIALECT}">{text}</w:Filter></n:Enumerate>')
    uri = resource_uri(namespace, "*")
    return build_envelope(
        ACTION_ENUMERATE, uri, "".join(parts), header, message_id, enumeration=True
    )


def pull_request(
    context: str,
    namespace: str = "root/cimv2",
    max_elements: int = 100,
    *,
    header: HeaderOptions = DEFAULT_HEADER,
    message_id: str | None = None,
) -> WsmanRequest:
    """Pull the next page; same resource URI as the Enumerate, ``n:MaxElements`` (§1.2)."""
    body = (
        f"<n:Pull><n:EnumerationContext>{escape_text(check_text('context', context))}"
        f"</n:EnumerationContext><n:MaxElements>{check_count('max_elements', max_elements)}"
        "</n:MaxElements></n:Pull>"
    )
    uri = resource_uri(namespace, "*")
    return build_envelope(ACTION_PULL, uri, body, header, message_id, enumeration=True)


def release_request(
    context: str,
    namespace: str = "root/cimv2",
    *,
    header: HeaderOptions = DEFAULT_HEADER,
    message_id: str | None = None,
) -> WsmanRequest:
    """Release an enumeration we abandon, so the host frees it before EnumerationTimeoutms."""
    body = (
        f"<n:Release><n:EnumerationContext>{escape_text(check_text('context', context))}"
        "</n:EnumerationContext></n:Release>"
    )
    uri = resource_uri(namespace, "*")
    return build_envelope(ACTION_RELEASE, uri, body, header, message_id, enumeration=True)


def get_request(
    class_name: str,
    selectors: Mapping[str, Any] | None,
    namespace: str = "root/cimv2",
    *,
    header: HeaderOptions = DEFAULT_HEADER,
    message_id: str | None = None,
) -> WsmanRequest:
    """WS-Transfer Get of one instance, addressed by its key selectors; empty body (§1.3)."""
    uri = resource_uri(namespace, class_name)
    return build_envelope(ACTION_GET, uri, "", header, message_id, selectors=selectors)


def invoke_request(
    class_name: str,
    method: str,
    params: Mapping[str, Any] | None = None,
    selectors: Mapping[str, Any] | None = None,
    namespace: str = "root/cimv2",
    *,
    types: TypeHints | None = None,
    header: HeaderOptions = DEFAULT_HEADER,
    message_id: str | None = None,
) -> WsmanRequest:
    """Invoke a WMI method: Action ``<URI>/<Method>``, body ``<Method>_INPUT`` in the exact
    resource URI namespace (§1.4). Instance methods pass key ``selectors``; static ones none.
    ``types`` gives CIM types of parameters (``{"PortNumber": "uint32"}``) for range checks."""
    uri = resource_uri(namespace, class_name)
    check_identifier("method", method, "method name")
    hints = parse_hints(types)
    if params is not None and not isinstance(params, Mapping):
        raise KmsInputError("params", "must be a mapping of parameter name to value")
    inner = "".join(
        encode_property("c", name, value, hints.get(str(name).lower()), field=f"params.{name}")
        for name, value in (params or {}).items()
    )
    tag = f"c:{method}_INPUT"
    declaration = f'xmlns:c="{escape_attr(uri)}"'
    body = f"<{tag} {declaration}>{inner}</{tag}>" if inner else f"<{tag} {declaration}/>"
    return build_envelope(f"{uri}/{method}", uri, body, header, message_id, selectors=selectors)
