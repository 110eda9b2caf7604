# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to one DNS server with dnspython: read the SRV RRset, find the zone, send one UPDATE.

The current record set is read with a plain query to the chosen server, never with
prerequisite-only UPDATEs: servers disagree on what those mean (Samba matches subsets, §2.6) and
they would need update rights in check mode (§1.2). Every failure becomes a ``DnsUpdateError`` that
says what happened in plain words (``dns_errors``).
"""

from __future__ import annotations

import socket
import struct
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ansible_collections.volact.kms.plugins.module_utils.dns.errors import (
    DnsUpdateError,
    Where,
    network_error,
    no_zone_error,
    not_authoritative_error,
    query_rcode_error,
    tsig_error,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import Plan, RrSet, make_rr
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import Connection
from ansible_collections.volact.kms.plugins.module_utils.dns.tsig import TsigKey

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.tsig
    import dns.update
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None

# EDNS lets a UDP answer carry a full set of KMS hosts; 1232 is the DNS flag day 2020 size.
EDNS_PAYLOAD = 1232
_TSIG_FAILURES = (
    "PeerBadSignature",
    "PeerBadKey",
    "PeerBadTime",
    "PeerBadTruncation",
    "BadSignature",
    "BadTime",
    "UnknownTSIGKey",
)


class Signer(Protocol):
    """Signs messages with TSIG; ``sign_queries`` says whether plain queries are signed too."""

    sign_queries: bool

    def apply(self, message: Any) -> None: ...


class HmacSigner:
    """TSIG with a shared secret (RFC 8945); the secret lives only inside dnspython's key."""

    sign_queries = True

    def __init__(self, key: TsigKey) -> None:
        self.name = dns.name.from_text(key.name)
        self.algorithm = dns.name.from_text(key.wire_algorithm)
        self._key = dns.tsig.Key(self.name, key.secret, self.algorithm)

    def __repr__(self) -> str:
        return f"HmacSigner({self.name}, {self.algorithm})"

    def apply(self, message: Any) -> None:
        message.use_tsig(self._key)


@dataclass(frozen=True)
class Reply:
    """An UPDATE's answer: its rcode, and whether its signature was verified."""

    rcode: str
    verified: bool = True


def resolve_server(connection: Connection, where: Where) -> str:
    """The server's address (a name is looked up with the system resolver, first address wins)."""
    try:
        infos = socket.getaddrinfo(connection.server, connection.port, type=socket.SOCK_STREAM)
    except OSError as error:
        detail = f"cannot resolve {connection.server} ({error})"
        raise network_error("unreachable", where, detail) from None
    return str(infos[0][4][0])


class DnsClient:
    """One server, one signer; every method raises ``DnsUpdateError`` on failure."""

    def __init__(
        self,
        connection: Connection,
        address: str,
        where: Where,
        signer: Signer | None = None,
        negotiate: Callable[[DnsClient], Signer] | None = None,
    ) -> None:
        self.connection = connection
        self.address = address
        self.where = where
        self.signer = signer
        # GSS-TSIG negotiates a context (TKEY) only when there is something to update, so check
        # mode and unchanged runs send the server nothing but queries.
        self._negotiate = negotiate

    # -- plumbing ------------------------------------------------------------------------------

    def _fail(self, error: BaseException) -> DnsUpdateError:
        name = type(error).__name__
        if name in _TSIG_FAILURES:
            return tsig_error(name, self.where)
        if isinstance(error, dns.exception.Timeout):
            return network_error("timeout", self.where)
        if isinstance(error, ConnectionRefusedError):
            return network_error("refused", self.where)
        if isinstance(error, OSError):
            return network_error("unreachable", self.where, error.strerror or str(error))
        return DnsUpdateError(
            "BAD_RESPONSE",
            f"{self.where.server} sent an answer that cannot be used ({name}).",
            "Check that server is a DNS server and server_port its DNS port.",
        )

    def exchange(self, message: Any, tcp: bool) -> Any:
        timeout = self.connection.timeout
        try:
            if tcp:
                return dns.query.tcp(message, self.address, timeout, self.connection.port)
            # The second item says whether a truncated answer was fetched again over TCP.
            response = dns.query.udp_with_fallback(
                message, self.address, timeout, self.connection.port
            )[0]
        # dnspython raises the built-in EOFError when a TCP server closes before a whole answer.
        except (dns.exception.DNSException, OSError, EOFError) as error:
            raise self._fail(error) from None
        return response

    def exchange_unverified(self, message: Any) -> tuple[Any, bool]:
        """Send over TCP; on a reply whose signature fails, parse it unverified (§2.5)."""
        wire = message.to_wire()
        try:
            with socket.create_connection(
                (self.address, self.connection.port), timeout=self.connection.timeout
            ) as sock:
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                (length,) = struct.unpack("!H", _read(sock, 2))
                answer = _read(sock, length)
        except TimeoutError:
            raise network_error("timeout", self.where) from None
        except OSError as error:
            raise self._fail(error) from None
        try:
            reply = dns.message.from_wire(answer, keyring=message.keyring, request_mac=message.mac)
            verified = True
        except dns.tsig.BadSignature:
            reply = dns.message.from_wire(answer, keyring=False)
            verified = False
        except dns.exception.DNSException as error:
            raise self._fail(error) from None
        if not message.is_response(reply):
            raise DnsUpdateError(
                "BAD_RESPONSE",
                f"{self.where.server} answered with a message that is not the reply to the update.",
                "Check that server and server_port point at the DNS server itself.",
            )
        return reply, verified

    def query(self, name: str, rdtype: str) -> Any:
        message = dns.message.make_query(name, rdtype, use_edns=0, payload=EDNS_PAYLOAD)
        # An authoritative server needs no recursion; asking for none keeps resolvers honest.
        message.flags &= ~dns.flags.RD
        if self.signer is not None and self.signer.sign_queries:
            self.signer.apply(message)
        return self.exchange(message, self.connection.protocol == "tcp")

    # -- reading -------------------------------------------------------------------------------

    def read(self, owner: str) -> RrSet:
        """The SRV RRset at ``owner`` as the server holds it (empty when there is none)."""
        response = self.query(owner, "SRV")
        rcode = dns.rcode.to_text(response.rcode())
        if rcode not in ("NOERROR", "NXDOMAIN"):
            raise query_rcode_error(rcode, owner, self.where)
        if not response.flags & dns.flags.AA:
            raise not_authoritative_error(owner, self.where)
        rrset = response.get_rrset(
            response.answer, dns.name.from_text(owner), dns.rdataclass.IN, dns.rdatatype.SRV
        )
        if rrset is None:
            return RrSet()
        records = [make_rr(rr.priority, rr.weight, rr.port, rr.target.to_text()) for rr in rrset]
        return RrSet.of(records, rrset.ttl)

    def find_zone(self, owner: str) -> str:
        """The zone holding ``owner``, from the SOA the server names in its answers (§2.4)."""
        name = dns.name.from_text(owner)
        while True:
            response = self.query(name.to_text(), "SOA")
            rcode = dns.rcode.to_text(response.rcode())
            if rcode not in ("NOERROR", "NXDOMAIN"):
                raise query_rcode_error(rcode, name.to_text(), self.where)
            for section in (response.answer, response.authority):
                for rrset in section:
                    if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
                        return rrset.name.to_text().lower()
            if name == dns.name.root or len(name.labels) <= 2:
                raise no_zone_error(owner, self.where)
            name = name.parent()

    # -- updating ------------------------------------------------------------------------------

    def update(self, zone: str, owner: str, plan: Plan, accept_unverified: bool = False) -> Reply:
        """Send ``plan`` as one UPDATE, guarded by what was read (compare-and-swap, §6.3)."""
        message = dns.update.UpdateMessage(zone)
        if plan.before.records:
            # Value-dependent "RRset exists": BIND demands exactly this set (Samba takes a subset,
            # which is why the result is read back and compared afterwards, §2.6).
            message.present(owner, "SRV", *(rr.text for rr in plan.before.sorted()))
        else:
            message.absent(owner, "SRV")
        for rr in plan.delete:
            message.delete(owner, "SRV", rr.text)
        if plan.add:
            message.add(owner, plan.after.ttl, "SRV", *(rr.text for rr in plan.add))
        if self.signer is None and self._negotiate is not None:
            self.signer = self._negotiate(self)
        if self.signer is not None:
            self.signer.apply(message)
        if accept_unverified:
            reply, verified = self.exchange_unverified(message)
        else:
            reply, verified = self.exchange(message, self.connection.protocol == "tcp"), True
        return Reply(dns.rcode.to_text(reply.rcode()), verified)


def _read(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        data += chunk
    return data
