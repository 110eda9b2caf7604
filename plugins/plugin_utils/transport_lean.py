# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP exchanges of a pywinrm ``Transport``, made over urllib3 and pyspnego directly.

A task's worker lives for one task, so every task builds a requests ``Session`` and walks requests'
adapters, hooks, cookie jar and proxy lookups around each envelope (docs/performance.md measures
that cost). ``channel_for(transport)`` takes the ``winrm.transport.Transport`` that pywinrm's
``Protocol`` already built and validated from the winrm connection plugin's settings, and makes
the same exchanges with the same libraries underneath (urllib3 for HTTP and TLS, pyspnego for
NTLM, pywinrm's own ``Encryption`` for the message encryption framing), for the settings whose
handling it repeats exactly:

- authentication ``ntlm`` over http (requests-ntlm's handshake) or Basic (``basic``,
  ``plaintext``, ``ssl`` without a client certificate);
- message encryption as ``Transport.build_session`` decides it (``always``; ``auto`` over http);
- certificate validation as requests applies it: ``server_cert_validation`` ``validate`` with
  ``ca_trust_path`` (a file or a directory), or the environment's ``REQUESTS_CA_BUNDLE`` /
  ``CURL_CA_BUNDLE`` when the path is left at ``legacy_requests``, else certifi's bundle;
- no proxy: ``proxy`` is ``None``, or ``legacy_requests`` and the environment names no proxy
  for this endpoint.

NTLM over https stays with pywinrm: its channel binding needs the server's certificate, which
this file reads from the connection's socket, and Windows closes the connection on its first 401
(``Connection: close``), so the socket is gone and the binding would be silently left out
(requests-ntlm reads the certificate from the response's own stream). Anything else (Kerberos,
CredSSP, client certificates, a proxy) returns ``None`` and pywinrm
sends as before. Failures raise what pywinrm and requests raise for the same failure
(``InvalidCredentialsError``, ``WinRMTransportError``, ``requests.exceptions``), so
``transport_errors.classify`` reads them the same way.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

try:
    import requests.exceptions as rex
    import spnego
    import urllib3
    from requests.auth import _basic_auth_str
    from requests.utils import DEFAULT_ACCEPT_ENCODING, DEFAULT_CA_BUNDLE_PATH, get_environ_proxies
    from requests_ntlm.requests_ntlm import ShimSessionSecurity
    from urllib3.exceptions import (
        ConnectTimeoutError,
        DecodeError,
        HTTPError,
        MaxRetryError,
        NewConnectionError,
        ProtocolError,
        ReadTimeoutError,
    )
    from urllib3.exceptions import SSLError as Urllib3SSLError
    from urllib3.util.retry import Retry
    from winrm.encryption import Encryption
    from winrm.exceptions import InvalidCredentialsError, WinRMTransportError
except ImportError:  # pywinrm is optional (psrp connections); without it nothing is lean
    urllib3 = None

BASIC = ("basic", "plaintext", "ssl")
SWITCH = "VOLACT_KMS_LEAN_TRANSPORT"


@dataclass(frozen=True)
class Plan:
    """What ``channel_for`` resolved from the transport: how to reach and authenticate."""

    scheme: str
    host: str
    port: int
    path: str
    method: str  # "ntlm" or "basic"
    encrypt: bool
    tls: dict[str, Any]


def plan_for(transport: Any) -> Plan | None:
    """The lean plan for this pywinrm Transport, or None when pywinrm must send."""
    if urllib3 is None:
        return None
    method = transport.auth_method
    if method in BASIC and not (transport.cert_pem or transport.cert_key_pem):
        method = "basic"
    parts = urlsplit(transport.endpoint)
    scheme = parts.scheme.lower()
    covered = (method == "ntlm" and scheme == "http") or (
        method == "basic" and scheme in ("http", "https")
    )
    covered = covered and bool(parts.hostname)
    if not covered or _proxied(transport, transport.endpoint, scheme):
        return None
    # Transport.build_session: requests-ntlm offers encryption, Basic never does.
    encrypt = method == "ntlm" and (
        transport.message_encryption == "always"
        or (transport.message_encryption == "auto" and scheme == "http")
    )
    # Basic with encryption "always": pywinrm raises its own configuration error.
    tls = _tls(transport) if scheme == "https" else {}
    if tls is None or (method == "basic" and transport.message_encryption == "always"):
        return None
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    return Plan(scheme, parts.hostname, port, path, method, encrypt, tls)


def _proxied(transport: Any, endpoint: str, scheme: str) -> bool:
    if transport.proxy is None:
        return False  # pywinrm: no_proxy='*'
    if transport.proxy != "legacy_requests":
        return True
    found = get_environ_proxies(endpoint)
    return bool(found.get(scheme) or found.get("all"))


def _tls(transport: Any) -> dict[str, Any] | None:
    """urllib3 pool arguments for the certificate checks requests would make."""
    if transport.server_cert_validation != "validate":
        return {"cert_reqs": "CERT_NONE"}
    trust = transport.ca_trust_path
    if trust == "legacy_requests":
        # requests.Session.merge_environment_settings (trust_env), as pywinrm reads it.
        trust = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    trust = trust or DEFAULT_CA_BUNDLE_PATH
    if not os.path.exists(trust):
        return None  # requests raises its own OSError for a missing bundle; let it
    key = "ca_cert_dir" if os.path.isdir(trust) else "ca_certs"
    return {"cert_reqs": "CERT_REQUIRED", key: trust}


@dataclass
class _Reply:
    """The parts of a requests Response that pywinrm's Encryption and this file read."""

    url: str
    status: int
    headers: Any
    content: bytes

    @property
    def request(self) -> _Reply:
        return self  # Encryption reads response.request.url


class _Auth:
    """What pywinrm's Encryption reads from ``session.auth``."""

    def __init__(self, security: Any) -> None:
        self.session_security = security


class _Session:
    def __init__(self, security: Any) -> None:
        self.auth = _Auth(security)


class LeanChannel:
    """One keep-alive connection to one endpoint; ``send`` is ``Transport.send_message``."""

    def __init__(self, transport: Any, plan: Plan) -> None:
        self._transport = transport
        self._plan = plan
        self._url = transport.endpoint
        self._encryption: Any = None
        self._set_up = False
        self._authenticated = False  # NTLM authenticates the connection, once
        self._cookie: str | None = None
        pool_class = (
            urllib3.HTTPSConnectionPool if plan.scheme == "https" else urllib3.HTTPConnectionPool
        )
        # One connection, as requests-ntlm needs: NTLM authenticates the connection.
        self._pool = pool_class(plan.host, plan.port, maxsize=1, block=False, **plan.tls)
        # requests' default headers, then the session headers pywinrm sets.
        self._headers = {
            "User-Agent": "",
            "Accept-Encoding": DEFAULT_ACCEPT_ENCODING,
            "Accept": "*/*",
            "Connection": "keep-alive",
            **transport.default_headers,
        }
        if plan.method == "basic":
            user, password = transport.username or "", transport.password or ""
            self._headers["Authorization"] = _basic_auth_str(user, password)
        else:
            self._headers["Connection"] = "Keep-Alive"  # requests-ntlm's HttpNtlmAuth.__call__

    def close(self) -> None:
        self._pool.close()

    def send(self, message: bytes) -> bytes:
        if self._plan.encrypt and not self._set_up:
            # Transport.setup_encryption: an empty POST authenticates and sets up the context.
            self._check(self._exchange(b"", {}))
            self._set_up = True
            if self._encryption is None:  # the server never asked for NTLM: fails as pywinrm
                self._encryption = Encryption(_Session(None), "ntlm")  # type: ignore[arg-type]
        if self._encryption is not None:
            body, content_type = self._encrypt(message)
            reply = self._exchange(body, {"Content-Type": content_type})
        else:
            reply = self._exchange(message, {})
        return self._body(self._check(reply))

    def _exchange(self, body: bytes, extra: dict[str, str]) -> _Reply:
        if self._plan.method == "ntlm" and not self._authenticated:
            return self._ntlm(None, body, extra)
        reply = self._post(body, extra)
        if self._plan.method == "ntlm" and reply.status == 401:
            return self._ntlm(reply, body, extra)  # requests-ntlm's response hook
        return reply

    def _ntlm(self, first: _Reply | None, body: bytes, extra: dict[str, str]) -> _Reply:
        """requests-ntlm's retry_using_http_NTLM_auth: the same body with the negotiate token,
        then with the authenticate token, on the same connection.

        A new connection sends its negotiate token with its first request (``first`` is None),
        as the WinRM client for Ruby does (WinRb/WinRM, ``HttpNegotiate#init_auth``), instead of
        requests-ntlm's anonymous request first: WinRM offers Negotiate, and the anonymous
        request only fetched a 401 saying so. One HTTP exchange less per task.
        """
        offered = "negotiate" if first is None else first.headers.get("www-authenticate", "")
        offered = offered.lower()
        if "ntlm" in offered:
            kind = "NTLM"
        elif "negotiate" in offered:
            kind = "Negotiate"
        else:
            return first  # type: ignore[return-value]  # first is a reply here
        t = self._transport
        options = spnego.NegotiateOptions.none
        if t.username and t.password:
            options = spnego.NegotiateOptions.use_ntlm
        client = spnego.client(
            t.username,
            t.password,
            protocol="ntlm",
            hostname=self._plan.host,
            service="http",
            options=options,
        )
        token = base64.b64encode(client.step() or b"").decode()
        second = self._post(body, {**extra, "Authorization": f"{kind} {token}"})
        if second.headers.get("set-cookie"):
            # name=value only, as a cookie jar sends it back; never its attributes.
            self._cookie = second.headers["set-cookie"].split(";", 1)[0].strip()
        prefix = kind + " "
        offers = (v.lstrip() for v in second.headers.get("www-authenticate", "").split(","))
        value = next((v.strip() for v in offers if v.startswith(prefix)), None)
        if not value and first is None and second.status == 401:
            # Our unasked-for Negotiate met a server that offers neither NTLM nor Negotiate: what
            # requests-ntlm's anonymous request would have got, read the same way.
            offered = second.headers.get("www-authenticate", "").lower()
            if "ntlm" not in offered and "negotiate" not in offered:
                return second
        if not value:
            raise PermissionError("Access denied: Server did not respond with NTLM challenge token")
        token = base64.b64encode(
            client.step(base64.b64decode(value[len(prefix) :])) or b""
        ).decode()
        third = self._post(body, {**extra, "Authorization": f"{kind} {token}"})
        self._authenticated = True
        if self._plan.encrypt:
            self._encryption = Encryption(_Session(ShimSessionSecurity(client)), "ntlm")  # type: ignore[arg-type]
        return third

    def _encrypt(self, message: bytes) -> tuple[bytes, str]:
        enc = self._encryption
        body = enc._encrypt_message(message, self._plan.host) + enc.MIME_BOUNDARY + b"--\r\n"
        kind = enc.protocol_string.decode()
        return body, f'multipart/encrypted;protocol="{kind}";boundary="Encrypted Boundary"'

    def _body(self, reply: _Reply) -> bytes:
        if self._encryption is not None:
            return bytes(self._encryption.parse_encrypted_response(reply))
        return reply.content

    def _check(self, reply: _Reply) -> _Reply:
        """Transport._send_message_request: raise_for_status, then pywinrm's exceptions."""
        # Only 2xx is an answer: a redirect's body is no SOAP reply (pywinrm follows redirects and
        # fails on what it reaches; this file does not follow them and fails here).
        if 200 <= reply.status < 300:
            return reply
        if reply.status == 401:
            raise InvalidCredentialsError("the specified credentials were rejected by the server")
        text = self._body(reply) if reply.content else b""
        raise WinRMTransportError("http", reply.status, text.decode())

    def _post(self, body: bytes, extra: dict[str, str]) -> _Reply:
        headers = dict(self._headers)
        if self._cookie is not None:
            headers["Cookie"] = self._cookie
        headers |= extra
        headers["Content-Length"] = str(len(body))
        timeout = self._transport.read_timeout_sec
        try:
            # RequestMethods.request hands these keyword arguments on unchanged (as requests does).
            response = self._pool.request(
                "POST",
                self._plan.path,
                body=body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=Retry(0, read=False),
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
            )
        except Exception as exc:  # mapped as requests' HTTPAdapter.send maps it
            raise _as_requests_error(exc) from exc
        try:
            content = response.read(decode_content=True)
        except Exception as exc:  # as requests' Response.iter_content maps it
            raise _as_read_error(exc) from exc
        finally:
            response.release_conn()
        return _Reply(self._url, response.status, response.headers, content)


def _as_read_error(exc: BaseException) -> BaseException:
    """requests.models.Response.iter_content's translation, for an error reading the body."""
    for types, wrapper in (
        (ProtocolError, rex.ChunkedEncodingError),
        (DecodeError, rex.ContentDecodingError),
        (ReadTimeoutError, rex.ConnectionError),
        (Urllib3SSLError, rex.SSLError),
    ):
        if isinstance(exc, types):
            return wrapper(exc)
    return exc


def _as_requests_error(exc: BaseException) -> BaseException:
    """requests.adapters.HTTPAdapter.send's translation of urllib3's exceptions."""
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return rex.ConnectTimeout(exc)
        wrapper = rex.SSLError if isinstance(reason, Urllib3SSLError) else rex.ConnectionError
        return wrapper(exc)
    for types, wrapper in (
        ((ProtocolError, OSError), rex.ConnectionError),
        (Urllib3SSLError, rex.SSLError),
        (ReadTimeoutError, rex.ReadTimeout),
        (HTTPError, rex.ConnectionError),
    ):
        if isinstance(exc, types):
            return wrapper(exc)
    return exc


def channel_for(transport: Any) -> LeanChannel | None:
    """A lean channel for ``transport`` (a ``winrm.transport.Transport``), or None.

    ``VOLACT_KMS_LEAN_TRANSPORT=0`` in the controller's environment keeps pywinrm for every
    request: the benchmark measures both paths in one run with it, and it is the way back should
    an environment need what only requests does."""
    if os.environ.get(SWITCH, "1") == "0":
        return None
    plan = plan_for(transport)
    return None if plan is None else LeanChannel(transport, plan)
