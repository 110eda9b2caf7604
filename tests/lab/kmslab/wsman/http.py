# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP/1.1 for the WS-Man listeners: keep-alive, ``POST /wsman``, 401 challenges, encryption.

What a client sees matches spike-notes §2 and wsman-wire §2: ``Content-Type:
application/soap+xml;charset=UTF-8``, HTTP 200 for answers and 500 for SOAP faults, 401 with
``WWW-Authenticate: Negotiate`` and ``Basic realm="WSMAN"``, NTLM bound to the TCP connection, and
an empty POST answered 200 once authenticated (the request pywinrm and pypsrp send to set up
message encryption before the first envelope).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Protocol

from .auth import (
    CHALLENGE_HEADERS,
    ENCRYPTED_CONTENT_TYPE,
    AuthError,
    CredentialStore,
    NtlmAcceptor,
)
from .counters import Counters, FaultPlan

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
MAX_BODY = 16 * 1024 * 1024
RESET_WAIT = 2.0  # seconds a reset-mode listener waits for the request it will reset
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


class Host(Protocol):
    """What a listener needs from the machine it serves (implemented by ``server.Machine``)."""

    name: str
    address: str
    counters: Counters
    plan: FaultPlan
    credentials: CredentialStore
    connections: set[asyncio.StreamWriter]

    def port(self, scheme: str) -> int: ...

    def tls_context(self) -> ssl.SSLContext: ...

    def run_soap(self, body: bytes, alias: str, endpoint: str) -> Awaitable[tuple[int, bytes]]: ...


class HttpError(Exception):
    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(status)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    size: int  # bytes on the wire (head + body)

    @property
    def keep_alive(self) -> bool:
        return "close" not in self.headers.get("connection", "").lower()


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection between requests
    except asyncio.LimitOverrunError:
        raise HttpError(400) from None
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(400)
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            raise HttpError(400)
        if int(length_text) > MAX_BODY:
            raise HttpError(413)
        body = await reader.readexactly(int(length_text))
    return HttpRequest(parts[0], parts[1], headers, body, len(head) + len(body))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpError(400) from None
        if size == 0:
            await reader.readuntil(b"\r\n")
            return body
        body += await reader.readexactly(size)
        if len(body) > MAX_BODY:
            raise HttpError(413)
        await reader.readexactly(2)


def render_response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}"]
    # Windows answers through HTTP.sys (Server: Microsoft-HTTPAPI/2.0, seen in winrm4j#144).
    lines += ["Server: Microsoft-HTTPAPI/2.0", f"Date: {formatdate(usegmt=True)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1") + body


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0): the client sees "connection reset by peer"."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


Reply = tuple[int, list[tuple[str, str]], bytes]


def _challenge(host: Host) -> Reply:
    host.counters.auth_failure()
    return 401, list(CHALLENGE_HEADERS), b""


def authenticate(
    request: HttpRequest, host: Host, ntlm: NtlmAcceptor
) -> Reply | list[tuple[str, str]]:
    """A 401 reply, or the headers to add to the real answer (the final Negotiate token)."""
    if host.plan.reject_auth:
        return _challenge(host)
    scheme_word, _space, token = request.headers.get("authorization", "").partition(" ")
    kind = scheme_word.lower()
    if kind == "basic":
        return [] if host.credentials.check_basic(token) else _challenge(host)
    if kind in ("negotiate", "ntlm"):
        try:
            out = ntlm.step(base64.b64decode(token.strip(), validate=True))
        except (AuthError, binascii.Error):
            return _challenge(host)
        reply = (
            [("WWW-Authenticate", f"{scheme_word} {base64.b64encode(out).decode()}")] if out else []
        )
        return reply if ntlm.complete else (401, reply, b"")
    # No Authorization header: fine on a connection NTLM already authenticated.
    return [] if ntlm.complete else _challenge(host)


def _route(request: HttpRequest) -> Reply | None:
    # WinRM's listener URL is /wsman (URLPrefix "wsman" in capture pypsrp_get.txt).
    if request.target.split("?", 1)[0].rstrip("/").lower() != "/wsman":
        return 404, [], b""
    if request.method != "POST":
        return 405, [("Allow", "POST")], b""
    return None


async def respond(request: HttpRequest, host: Host, ntlm: NtlmAcceptor, scheme: str) -> Reply:
    refused = _route(request)
    if refused is not None:
        return refused
    outcome = authenticate(request, host, ntlm)
    if isinstance(outcome, tuple):
        return outcome
    headers = outcome
    body = request.body
    content_type = request.headers.get("content-type", "")
    encrypted = content_type.lower().startswith(
        ("multipart/encrypted", "multipart/x-multi-encrypted")
    )
    if encrypted:
        try:
            body = ntlm.unwrap(body, content_type)
        except AuthError:
            return 400, headers, b""
        host.counters.encrypted()
    if not body:
        return 200, headers, b""
    address = host.address
    alias = request.headers.get("host", address).rsplit(":", 1)[0].strip("[]") or address
    endpoint = f"{scheme}://{address}:{host.port(scheme)}/wsman"
    status, xml = await host.run_soap(body, alias, endpoint)
    if encrypted:
        return status, [*headers, ("Content-Type", ENCRYPTED_CONTENT_TYPE)], ntlm.wrap(xml)
    return status, [*headers, ("Content-Type", SOAP_CONTENT_TYPE)], xml


def connection_handler(
    host: Host, scheme: str
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host.counters.connection()
        if host.plan.unreachable == "reset":
            # Take the whole request, then reset: the client sees the reset while it waits for
            # the answer. Resetting earlier races with its send, and urllib3 swallows a reset
            # during send and reports "Remote end closed connection" instead.
            # Over HTTPS the ClientHello is that request (one send; the client then waits).
            first = reader.read(1) if scheme == "https" else read_request(reader)
            with contextlib.suppress(TimeoutError, ConnectionError, HttpError, EOFError):
                await asyncio.wait_for(first, RESET_WAIT)
            reset_connection(writer)
            return
        host.connections.add(writer)
        try:
            if scheme == "https":
                await writer.start_tls(host.tls_context())
            ntlm = NtlmAcceptor(host.credentials)
            while True:
                try:
                    request = await read_request(reader)
                except HttpError as error:
                    writer.write(render_response(error.status, [("Connection", "close")], b""))
                    await writer.drain()
                    break
                if request is None:
                    break
                if host.plan.latency:
                    await asyncio.sleep(host.plan.latency)
                status, headers, body = await respond(request, host, ntlm, scheme)
                if not request.keep_alive:
                    headers.append(("Connection", "close"))
                data = render_response(status, headers, body)
                # Counted before sending: a client that reads counters after its reply sees it.
                host.counters.http(request.size, len(data))
                writer.write(data)
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass  # the client went away or failed the TLS handshake (e.g. it does not trust the CA)
        finally:
            host.connections.discard(writer)
            writer.close()

    return serve
