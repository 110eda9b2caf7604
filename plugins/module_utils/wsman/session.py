# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A generic CIM session over any ``send(xml) -> reply`` callable: query, get, invoke.

The transport (pywinrm ``Protocol.send_message``, pypsrp, a test server) is not our concern: it
takes the request text and returns the reply body. A transport that raises on HTTP 500 should turn
the body into our error with :func:`wsman.error_from_body`. Not thread-safe: one request at a time,
as the underlying WinRM connections are (wsman-wire.md §5.11).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeAlias

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import (
    TypeHints,
    decode_properties,
    parse_hints,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanProtocolError
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import (
    ENUMERATE_OBJECT_AND_EPR,
    PYWINRM_TO,
    HeaderOptions,
    WsmanRequest,
    check_count,
    enumerate_request,
    get_request,
    invoke_request,
    normalize_namespace,
    pull_request,
    release_request,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import (
    EndpointReference,
    EnumerationPage,
    MethodResult,
    parse_enumerate_response,
    parse_get_response,
    parse_invoke_response,
    parse_pull_response,
    parse_release_response,
)

Reply: TypeAlias = "str | bytes"  # a string: see cim.TypeHint
# ``send(xml)``, and ``send(xml, operation_timeout=seconds)`` for calls with a longer timeout.
Send = Callable[..., Reply]

# Enough for every SoftwareLicensingProduct row of a machine in one page (a few dozen SKUs);
# the host still splits pages to fit MaxEnvelopeSize (§5.1), so this only bounds the batch.
DEFAULT_MAX_ELEMENTS = 100
# A runaway server that never ends an enumeration must not hang a play.
DEFAULT_MAX_PULLS = 1000

_SELECT_LIST = re.compile(r"\s*SELECT\s+(?P<names>.+?)\s+FROM\s", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def selected_names(wql: str) -> frozenset[str] | None:
    """The lower-case property names of ``SELECT a, b FROM ...``; None for ``SELECT *`` (or a
    select list this does not read): then every property is kept.

    How Windows renders the items of a projection is unconfirmed (wsman-wire.md §5 item 5, §7):
    a host may send every property of the class, so rows keep only what the query asked for.
    """
    found = _SELECT_LIST.match(wql)
    if found is None:
        return None
    names = [name.strip() for name in found.group("names").split(",")]
    if not all(_PROPERTY.match(name) for name in names):
        return None
    return frozenset(name.lower() for name in names)


class CimSession:
    """WMI operations over WS-Management. ``requests`` counts every request sent (Release too)."""

    def __init__(
        self,
        send: Send,
        *,
        namespace: str = "root/cimv2",
        max_elements: int = DEFAULT_MAX_ELEMENTS,
        operation_timeout: float = 20.0,
        max_envelope_size: int = 153600,
        locale: str = "en-US",
        to: str = PYWINRM_TO,
        max_response_bytes: int | None = None,
        max_pulls: int = DEFAULT_MAX_PULLS,
    ) -> None:
        if not callable(send):
            raise KmsInputError("send", "must be a callable taking the request XML")
        self._send = send
        self.namespace = normalize_namespace(namespace)
        self.header = HeaderOptions(operation_timeout, max_envelope_size, locale, to)
        self.max_elements = check_count("max_elements", max_elements)
        if max_response_bytes is None:
            max_response_bytes = 2 * self.header.max_envelope_size
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
            raise KmsInputError("max_response_bytes", "must be a whole number of bytes")
        if max_response_bytes < 1:
            raise KmsInputError("max_response_bytes", "must be a whole number of bytes")
        self.max_response_bytes = max_response_bytes
        if isinstance(max_pulls, bool) or not isinstance(max_pulls, int) or max_pulls < 0:
            raise KmsInputError("max_pulls", "must be a whole number, 0 or more")
        self.max_pulls = max_pulls
        self.requests = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    def _exchange(self, request: WsmanRequest, header: HeaderOptions | None = None) -> Reply:
        self.requests += 1
        payload = request.xml
        self.bytes_sent += len(payload.encode("utf-8"))
        if header is None or header.operation_timeout == self.header.operation_timeout:
            reply = self._send(payload)
        else:
            # A longer OperationTimeout (Activate) needs a longer HTTP read timeout too, or the
            # transport gives up before the host answers: senders take it as a keyword.
            reply = self._send(payload, operation_timeout=header.operation_timeout)
        if not isinstance(reply, (str, bytes)):
            raise WsmanProtocolError(f"the transport returned a {type(reply).__name__}, not a body")
        self.bytes_received += len(reply.encode("utf-8") if isinstance(reply, str) else reply)
        return reply

    def _header(self, timeout: float | None) -> HeaderOptions:
        if timeout is None:
            return self.header
        return dataclasses.replace(self.header, operation_timeout=timeout)

    def _ns(self, namespace: str | None) -> str:
        return self.namespace if namespace is None else normalize_namespace(namespace)

    def query(
        self,
        wql: str,
        *,
        namespace: str | None = None,
        types: TypeHints | None = None,
        timeout: float | None = None,
        keep: Collection[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Run a WQL query and return every row. OptimizeEnumeration brings the first page in the
        Enumerate reply, so a small result costs one request; later pages are pulled. If anything
        fails while an enumeration is open, it is released before the error propagates.

        Rows hold only the properties the query selects (:func:`selected_names`), or with
        ``keep`` (``SELECT *``) only those names; the others a host sends are skipped unread."""
        found = self._enumerate(wql, namespace, types, timeout, mode=None, keep=keep)
        return [row for row, _reference in found]

    def query_with_references(
        self,
        wql: str,
        *,
        namespace: str | None = None,
        types: TypeHints | None = None,
        timeout: float | None = None,
    ) -> list[tuple[dict[str, Any], EndpointReference | None]]:
        """Like :meth:`query`, as an ``EnumerateObjectAndEPR`` enumeration: every row comes with
        the endpoint reference the host gives its instance (None if an item has none), in the
        same requests. Select the class's key properties too: a WMI instance read without its
        keys has no path to address it by."""
        return self._enumerate(wql, namespace, types, timeout, mode=ENUMERATE_OBJECT_AND_EPR)

    def _enumerate(
        self,
        wql: str,
        namespace: str | None,
        types: TypeHints | None,
        timeout: float | None,
        *,
        mode: str | None,
        keep: Collection[str] | None = None,
    ) -> list[tuple[dict[str, Any], EndpointReference | None]]:
        parse_hints(types)  # a bad hint fails before anything is sent
        wanted = selected_names(wql)
        if keep is not None:
            wanted = frozenset(name.lower() for name in keep)
        ns = self._ns(namespace)
        header = self._header(timeout)
        request = enumerate_request(ns, wql, self.max_elements, mode=mode, header=header)
        page = parse_enumerate_response(
            self._exchange(request, header),
            message_id=request.message_id,
            max_size=self.max_response_bytes,
        )
        rows: list[tuple[dict[str, Any], EndpointReference | None]] = []
        pulls = 0
        while True:
            try:
                references = page.references or (None,) * len(page.elements)
                rows.extend(
                    (decode_properties(item, types, wanted), reference)
                    for item, reference in zip(page.elements, references, strict=True)
                )
                if page.done:
                    return rows
                if pulls >= self.max_pulls:
                    raise WsmanProtocolError(
                        f"the enumeration did not end after {pulls} pulls",
                        detail="Narrow the WQL query.",
                    )
                pulls += 1
                page = self._pull(page, ns, header)
            except Exception as exc:
                if page.context is not None:
                    self._release_quietly(page.context, ns, header, exc)
                raise

    def _pull(self, page: EnumerationPage, ns: str, header: HeaderOptions) -> EnumerationPage:
        context = page.context or ""
        request = pull_request(context, ns, self.max_elements, header=header)
        return parse_pull_response(
            self._exchange(request, header),
            message_id=request.message_id,
            max_size=self.max_response_bytes,
        )

    def _release_quietly(
        self, context: str, ns: str, header: HeaderOptions, cause: BaseException
    ) -> None:
        # Best effort: the original error is what the caller needs; a failed Release only
        # means the host drops the context after EnumerationTimeoutms (§1.2 rule 6).
        try:
            request = release_request(context, ns, header=header)
            parse_release_response(
                self._exchange(request),
                message_id=request.message_id,
                max_size=self.max_response_bytes,
            )
        except Exception as exc:  # the transport may raise anything; never mask the cause
            cause.add_note(f"Releasing the enumeration also failed: {exc}")

    def get(
        self,
        class_name: str,
        selectors: Mapping[str, Any] | None,
        *,
        namespace: str | None = None,
        types: TypeHints | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Get one instance by its key selectors."""
        parse_hints(types)
        header = self._header(timeout)
        request = get_request(class_name, selectors, self._ns(namespace), header=header)
        return parse_get_response(
            self._exchange(request, header),
            message_id=request.message_id,
            types=types,
            max_size=self.max_response_bytes,
        )

    def invoke(
        self,
        class_name: str,
        method: str,
        params: Mapping[str, Any] | None = None,
        selectors: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        timeout: float | None = None,
        param_types: TypeHints | None = None,
        types: TypeHints | None = None,
    ) -> MethodResult:
        """Invoke a method; ``timeout`` overrides the OperationTimeout for slow calls (Activate).

        The transport's HTTP read timeout must be longer than ``timeout``. A
        :class:`OperationTimedOut` means the method may still have run: re-read the state."""
        parse_hints(types)
        header = self._header(timeout)
        request = invoke_request(
            class_name,
            method,
            params,
            selectors,
            self._ns(namespace),
            types=param_types,
            header=header,
        )
        return parse_invoke_response(
            self._exchange(request, header),
            method,
            resource_uri=request.resource_uri,
            message_id=request.message_id,
            types=types,
            max_size=self.max_response_bytes,
        )
