# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a WS-Man request failed, in terms a user can act on.

pywinrm, pypsrp, requests and urllib3 each raise their own exceptions; this file turns them into one
:class:`TransportError` whose ``kind`` says what went wrong and whose message names the inventory
settings to check. WS-Man faults are not errors here: their bodies go back to the protocol core.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from enum import Enum
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    NS_SOAP,
    XmlRefused,
    excerpt,
    parse_xml,
)

try:
    import requests.exceptions as requests_errors
except ImportError:  # only pywinrm and pypsrp need requests, and they bring it
    requests_errors = None

# WinRM replies are bounded by MaxEnvelopeSize (a few hundred KB at most, wsman-wire.md §5.1).
MAX_FAULT_BODY = 8 * 1024 * 1024


class TransportKind(Enum):
    """The failure classes a user can act on."""

    UNREACHABLE = "unreachable"
    AUTH = "auth"
    TLS = "tls"
    TIMEOUT = "timeout"
    HTTP = "http"
    CONFIG = "config"
    INCOMPATIBLE = "incompatible"
    OTHER = "other"


SUMMARY = {
    TransportKind.UNREACHABLE: "cannot reach the WS-Management listener",
    TransportKind.AUTH: "authentication failed",
    TransportKind.TLS: "the TLS connection could not be verified",
    TransportKind.TIMEOUT: "no reply before the read timeout",
    TransportKind.HTTP: "the reply is not WS-Management",
    TransportKind.CONFIG: "the connection settings cannot be used",
    TransportKind.INCOMPATIBLE: "this ansible-core is not supported by volact.kms",
    TransportKind.OTHER: "the request failed",
}

_LISTENER = ", and that the WinRM listener runs and the firewall lets the controller in"
CHECK = {
    "winrm": {
        TransportKind.UNREACHABLE: "ansible_host, ansible_port and ansible_winrm_scheme"
        + _LISTENER,
        TransportKind.AUTH: "ansible_user, ansible_password and ansible_winrm_transport",
        TransportKind.TLS: "ansible_winrm_server_cert_validation and ansible_winrm_ca_trust_path",
        TransportKind.TIMEOUT: "ansible_winrm_read_timeout_sec and "
        "ansible_winrm_operation_timeout_sec (or ansible_winrm_connection_timeout)",
        TransportKind.HTTP: "ansible_port, ansible_winrm_scheme and ansible_winrm_path",
        TransportKind.CONFIG: "ansible_winrm_transport, ansible_winrm_message_encryption and the "
        "ansible_winrm_* timeouts",
    },
    "psrp": {
        TransportKind.UNREACHABLE: "ansible_host, ansible_port and ansible_psrp_protocol"
        + _LISTENER,
        TransportKind.AUTH: "ansible_user, ansible_password and ansible_psrp_auth",
        TransportKind.TLS: "ansible_psrp_cert_validation and ansible_psrp_ca_cert",
        TransportKind.TIMEOUT: "ansible_psrp_read_timeout and ansible_psrp_operation_timeout",
        TransportKind.HTTP: "ansible_port, ansible_psrp_protocol and ansible_psrp_path",
        TransportKind.CONFIG: "ansible_psrp_auth, ansible_psrp_protocol and "
        "ansible_psrp_message_encryption",
    },
}


class TransportError(KmsError):
    """A WS-Man request could not be made, or its reply was not WS-Management.

    ``where`` is the endpoint URL (or the connection name before one is known), ``check`` the
    settings to look at. ``maybe_processed`` is True when the request may have reached the host
    (read timeout, dropped connection): a method may have run, so re-read state before resending.
    ``status`` is the HTTP status when there was one.
    """

    def __init__(
        self,
        kind: TransportKind,
        where: str,
        detail: str,
        check: str,
        *,
        maybe_processed: bool = False,
        status: int | None = None,
    ) -> None:
        self.kind = kind
        self.where = where
        self.detail = detail
        self.check = check
        self.maybe_processed = maybe_processed
        self.status = status
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.where}: {SUMMARY[self.kind]} ({self.detail}). Check {self.check}."

    def __str__(self) -> str:
        return self.message


def capture(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Exception | None]:
    """Run ``call`` and return (result, None) or (None, the exception).

    Callers raise their TransportError outside any ``except`` block, so it has no ``__context__``:
    library exceptions never travel along with ours (they may quote what they were given).
    """
    try:
        return call(*args, **kwargs), None
    except Exception as exc:
        return None, exc


def scrub(text: str, secret: str | None) -> str:
    """Remove a password from text we did not write ourselves (library messages)."""
    return text.replace(secret, "********") if secret else text


def fault_body(exc: BaseException) -> bytes | None:
    """The body of an HTTP error reply when it is a SOAP 1.2 fault, else None.

    pywinrm and pypsrp both raise ``WinRMTransportError(protocol, code, response_text)`` for a
    non-2xx reply other than 401 (wsman-wire.md §2.1, §2.2); WinRM sends its faults with HTTP 500.
    """
    status, text = getattr(exc, "code", None), getattr(exc, "response_text", None)
    if not isinstance(status, int) or status < 400 or status == 401 or not text:
        return None
    body = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    try:
        root = parse_xml(body, MAX_FAULT_BODY)
    except XmlRefused:
        return None
    return body if root.find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault") is not None else None


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (requests -> urllib3 -> socket), breadth first."""
    found: list[BaseException] = []
    queue = [exc]
    while queue and len(found) < 20:
        item = queue.pop(0)
        if any(item is seen for seen in found):
            continue
        found.append(item)
        nested = [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
        queue.extend(n for n in nested if isinstance(n, BaseException))
    return found


Verdict = tuple[TransportKind, str, bool]


def _from_reply(exc: BaseException, chain: list[BaseException]) -> Verdict | None:
    status = getattr(exc, "code", None)
    if type(exc).__name__ in ("AuthenticationError", "InvalidCredentialsError"):
        return TransportKind.AUTH, str(exc) or "HTTP 401", False
    if isinstance(status, int) and hasattr(exc, "response_text"):
        return TransportKind.HTTP, f"HTTP {status}: {excerpt(exc.response_text or '')}", False
    return None


def _from_tls(exc: BaseException, chain: list[BaseException]) -> Verdict | None:
    verify = next((c for c in chain if isinstance(c, ssl.SSLCertVerificationError)), None)
    if verify is not None:
        return TransportKind.TLS, f"certificate verification failed: {verify.verify_message}", False
    if any(isinstance(c, ssl.SSLError) for c in chain):
        return TransportKind.TLS, "the TLS handshake failed", False
    return None


def _from_timeout(exc: BaseException, chain: list[BaseException]) -> Verdict | None:
    # A connect timeout means nothing was sent; after a read timeout the host may have acted.
    if requests_errors is not None and isinstance(exc, requests_errors.ConnectTimeout):
        return TransportKind.UNREACHABLE, "timed out while connecting", False
    if requests_errors is not None and isinstance(exc, requests_errors.Timeout):
        return TransportKind.TIMEOUT, "the server did not answer in time", True
    return None


def _from_socket(exc: BaseException, chain: list[BaseException]) -> Verdict | None:
    # A connection dropped once established may have carried the request to the host.
    if any(isinstance(c, socket.gaierror) for c in chain):
        return TransportKind.UNREACHABLE, "the host name does not resolve", False
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return TransportKind.UNREACHABLE, "the connection was refused", False
    if any(isinstance(c, ConnectionError) for c in chain):
        return TransportKind.UNREACHABLE, "the connection was dropped", True
    if requests_errors is not None and isinstance(exc, requests_errors.ConnectionError):
        os_error = next((c for c in reversed(chain) if isinstance(c, OSError) and c.strerror), None)
        return TransportKind.UNREACHABLE, os_error.strerror if os_error else "cannot connect", False
    return None


def _from_library(exc: BaseException, chain: list[BaseException]) -> Verdict | None:
    if type(exc).__module__.split(".")[0] in ("spnego", "requests_ntlm", "requests_credssp"):
        return TransportKind.AUTH, f"{type(exc).__name__}: {exc}", False
    # Both libraries check settings with ValueError or a bare WinRMError (encryption vs auth,
    # timeouts, missing username): those are inventory problems.
    if isinstance(exc, (ValueError, TypeError)) or type(exc).__name__ == "WinRMError":
        return TransportKind.CONFIG, str(exc), False
    return None


def classify(exc: BaseException) -> Verdict:
    """(kind, short detail, maybe_processed) for an exception raised while sending."""
    chain = causes(exc)
    for rule in (_from_reply, _from_tls, _from_timeout, _from_socket, _from_library):
        verdict = rule(exc, chain)
        if verdict is not None:
            return verdict
    return TransportKind.OTHER, f"{type(exc).__name__}: {exc}", False
