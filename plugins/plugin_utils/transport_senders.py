# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senders: one WS-Man envelope in, one HTTP POST out, the reply body back.

A pywinrm ``Transport`` (winrm connections) or a pypsrp ``WSMan`` transport (psrp connections)
carries the request with the user's authentication, certificate checks and message encryption.
Nothing here knows about Ansible: ``wsman_transport.sender_for`` reads the connection plugin and
hands over plain values.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.plugin_utils import transport_lean
from ansible_collections.volact.kms.plugins.plugin_utils.transport_cleartext import (
    psrp_refusal,
    winrm_refusal,
)
from ansible_collections.volact.kms.plugins.plugin_utils.transport_errors import (
    CHECK,
    TransportError,
    TransportKind,
    capture,
    classify,
    fault_body,
    scrub,
)

# Optional: each library is needed only for its own connection type.
try:
    from winrm.protocol import Protocol as WinrmProtocol
except ImportError:
    WinrmProtocol = None
try:
    from pypsrp.wsman import WSMan
except ImportError:
    WSMan = None

# Ansible's winrm plugin keeps the HTTP read timeout 10 s above the WS-Man OperationTimeout (its
# connection_timeout option); a per-request override keeps the same margin.
READ_TIMEOUT_MARGIN = 10
# Failures that mean "this authentication method does not work here": try the next one.
_NEXT_METHOD = (TransportKind.AUTH, TransportKind.CONFIG)


@dataclass(frozen=True)
class SenderSettings:
    """What a sender resolved from the inventory (never a credential)."""

    connection: str
    endpoint: str
    auth: str
    cert_validation: str
    ca_trust_path: str | None
    message_encryption: str
    operation_timeout: int
    read_timeout: int
    connect_timeout: int
    max_envelope_size: int


class Sender:
    """One WS-Man POST per ``send``; use it as a context manager or call ``close()``."""

    settings: SenderSettings

    def __init__(self, flavour: str, where: str, secret: str | None) -> None:
        self._flavour = flavour
        self._endpoint = where
        self._secret = secret or None

    @property
    def endpoint(self) -> str:
        """The URL requests go to (for messages: it never holds a credential)."""
        return self._endpoint

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credential this sender holds, for logs to remove (never for display)."""
        return (self._secret,) if self._secret else ()

    def send(self, xml: str, *, operation_timeout: int | None = None) -> bytes:
        """POST one envelope and return the reply body.

        A WS-Man fault (HTTP 4xx/5xx other than 401 whose body is a SOAP Fault) is returned like
        any other reply: the protocol core parses faults. Pass ``operation_timeout`` when the
        envelope's OperationTimeout is longer than ``settings.operation_timeout``; the HTTP read
        timeout then grows to match. Every other failure raises :class:`TransportError`.
        """
        read_timeout = None
        if operation_timeout is not None:
            read_timeout = max(self.settings.read_timeout, operation_timeout + READ_TIMEOUT_MARGIN)
        reply, exc = capture(self._post, xml.encode("utf-8"), read_timeout)
        if exc is None:
            return reply
        if isinstance(exc, TransportError):
            raise exc
        body = fault_body(exc)
        if body is not None:
            return body
        raise self.error_from(exc)

    def close(self) -> None:
        """Close the HTTP session (sends nothing)."""

    def _post(self, payload: bytes, read_timeout: int | None) -> bytes:
        raise NotImplementedError

    def error_from(self, exc: BaseException) -> TransportError:
        """Translate a library exception into a TransportError that names what to check."""
        kind, detail, maybe = classify(exc)
        status = getattr(exc, "code", None) if hasattr(exc, "response_text") else None
        return self.fail(kind, detail, maybe_processed=maybe, status=status)

    def fail(self, kind: TransportKind, detail: str, **extra: Any) -> TransportError:
        hints = CHECK[self._flavour]
        check = hints.get(kind, hints[TransportKind.CONFIG])
        return TransportError(kind, self.endpoint, scrub(detail, self._secret), check, **extra)

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        auth = getattr(getattr(self, "settings", None), "auth", "?")
        return f"<{type(self).__name__} {auth} {self.endpoint}>"


class WinrmSender(Sender):
    """A pywinrm Protocol per authentication method, tried in order; no shell is opened.

    ``kinit(user, password)`` gets a Kerberos ticket first when Ansible manages tickets.
    """

    def __init__(
        self,
        name: str,
        endpoint: str,
        transports: list[str],
        kwargs: dict[str, Any],
        kinit: Callable[[str, str | None], None] | None,
    ) -> None:
        super().__init__("winrm", endpoint, kwargs.get("password"))
        self._name = name
        self._kwargs = kwargs
        self._kinit = kinit
        self._remaining = list(transports)
        self._current = ""
        self._failures: list[str] = []
        self._confirmed = False
        self._protocol: Any = None
        self._lean: Any = None  # transport_lean.LeanChannel, False when pywinrm sends
        self._use_next()

    @property
    def protocol(self) -> Any:
        """The ``winrm.protocol.Protocol`` in use (its shell methods are never called)."""
        return self._protocol

    def _build(self, transport: str) -> Any:
        refusal = winrm_refusal(self._endpoint, transport, self._kwargs)
        if refusal is not None:  # before any request: the password never leaves in clear
            raise TransportError(
                TransportKind.CONFIG, self._endpoint, refusal.detail, refusal.check
            )
        if transport == "kerberos":
            # The winrm plugin skips Kerberos (before kinit) without the library; so do we.
            if not any(importlib.util.find_spec(m) for m in ("kerberos", "winkerberos")):
                raise self.fail(TransportKind.CONFIG, "Kerberos needs pykerberos on the controller")
            if self._kinit is not None:
                user = str(self._kwargs.get("username") or "")
                exc = capture(self._kinit, user, self._secret)[1]
                if exc is not None:
                    raise self.fail(TransportKind.AUTH, str(exc).strip())
        protocol, exc = capture(WinrmProtocol, self._endpoint, transport=transport, **self._kwargs)
        if exc is not None:
            raise self.error_from(exc)
        return protocol

    def _use_next(self) -> None:
        # ansible_winrm_transport is a list the plugin tries in order until one works.
        while self._remaining:
            candidate = self._remaining.pop(0)
            protocol, err = capture(self._build, candidate)
            if isinstance(err, TransportError):
                if err.kind not in _NEXT_METHOD or not self._remaining:
                    raise self._combined(candidate, err)
                self._failures.append(f"{candidate}: {err.detail}")
                continue
            if err is not None:
                raise err
            self._protocol, self._current = protocol, candidate
            self._lean = None
            self.settings = self._settings()
            return

    def _combined(self, candidate: str, err: TransportError) -> TransportError:
        if not self._failures:
            return err
        detail = "; ".join([*self._failures, f"{candidate}: {err.detail}"])
        # The last method's own advice (the clear-text refusal has its own) names what to change.
        return TransportError(
            err.kind,
            self.endpoint,
            scrub(detail, self._secret),
            err.check,
            maybe_processed=err.maybe_processed,
            status=err.status,
        )

    def _settings(self) -> SenderSettings:
        protocol, transport = self._protocol, self._protocol.transport
        trust = transport.ca_trust_path
        # pywinrm verifies only when the value is exactly "validate" (Transport.build_session).
        validate = transport.server_cert_validation == "validate"
        return SenderSettings(
            connection=self._name,
            endpoint=self._endpoint,
            auth=self._current,
            cert_validation="validate" if validate else "ignore",
            ca_trust_path=str(trust) if trust is not None else None,
            message_encryption=str(transport.message_encryption),
            operation_timeout=int(protocol.operation_timeout_sec),
            read_timeout=int(protocol.read_timeout_sec),
            connect_timeout=int(protocol.read_timeout_sec),
            max_envelope_size=int(protocol.max_env_sz),
        )

    def _post(self, payload: bytes, read_timeout: int | None) -> bytes:
        while True:
            reply, exc = capture(self._post_once, payload, read_timeout)
            if exc is None or self._confirmed or fault_body(exc) is not None:
                self._confirmed = True  # the server understood this method
                if exc is not None:
                    raise exc
                return reply
            err = self.error_from(exc)
            if err.kind not in _NEXT_METHOD or not self._remaining:
                raise self._combined(self._current, err)
            # Refused before the host acted on it, so resending with the next method is safe.
            self._failures.append(f"{self._current}: {err.detail}")
            self.close()
            self._use_next()

    def _post_once(self, payload: bytes, read_timeout: int | None) -> bytes:
        # Transport.send_message, not Protocol.send_message: the latter turns a w:TimedOut fault
        # into WinRMOperationTimeoutError and drops the body the protocol core wants to read.
        # The same exchanges over urllib3 and pyspnego where transport_lean covers the settings
        # (docs/performance.md: requests' cost per task); pywinrm's own Transport otherwise.
        transport = self._protocol.transport
        if self._lean is None:
            self._lean = transport_lean.channel_for(transport) or False
        default = transport.read_timeout_sec
        if read_timeout is not None:
            transport.read_timeout_sec = read_timeout
        try:
            if self._lean:
                return self._lean.send(payload)
            return bytes(transport.send_message(payload))
        finally:
            transport.read_timeout_sec = default

    @property
    def lean(self) -> bool:
        """True when transport_lean, not pywinrm's Transport, carries the requests."""
        return bool(self._lean)

    def close(self) -> None:
        if self._lean:
            self._lean.close()
        self._lean = None
        if self._protocol is not None:
            self._protocol.transport.close_session()


class PsrpSender(Sender):
    """A pypsrp WSMan built from the psrp plugin's keyword arguments; no runspace is opened."""

    def __init__(self, name: str, kwargs: dict[str, Any]) -> None:
        super().__init__("psrp", name, kwargs.get("password"))
        refusal = psrp_refusal(kwargs)
        if refusal is not None:
            raise TransportError(TransportKind.CONFIG, name, refusal.detail, refusal.check)
        self._wsman, exc = capture(WSMan, **kwargs)
        if exc is not None:
            raise self.error_from(exc)
        transport = self._wsman.transport
        self._endpoint = str(transport.endpoint)
        trust = transport.cert_validation  # False, True, or the CA bundle path
        self.settings = SenderSettings(
            connection=name,
            endpoint=self._endpoint,
            auth=str(transport.auth),
            cert_validation="validate" if trust else "ignore",
            ca_trust_path=trust if isinstance(trust, str) else None,
            message_encryption=str(kwargs.get("encryption", "auto")),
            operation_timeout=int(self._wsman.operation_timeout),
            read_timeout=int(transport.read_timeout),
            connect_timeout=int(transport.connection_timeout),
            max_envelope_size=int(self._wsman.max_envelope_size),
        )

    @property
    def wsman(self) -> Any:
        """The ``pypsrp.wsman.WSMan`` in use (no runspace is opened on it)."""
        return self._wsman

    def _post(self, payload: bytes, read_timeout: int | None) -> bytes:
        # WSMan.invoke() builds its own header around an Element body; the protocol core sends
        # whole envelopes, so go one layer down to the transport invoke() itself uses (same
        # session, auth and message encryption). retries_on_read_timeout stays 0: a method may
        # already have run when a read times out.
        transport = self._wsman.transport
        timeout = None if read_timeout is None else (transport.connection_timeout, read_timeout)
        return bytes(transport.send(payload, timeout=timeout))

    def close(self) -> None:
        self._wsman.close()
