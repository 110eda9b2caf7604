"""kms_srv_record against a hostile or broken DNS server: a clear error, never anything else.

A tiny server on 127.0.0.1 (UDP and TCP on one port) answers the module's reads with what a test
chooses: garbage, a truncated or oversized answer, the answer to another query (wrong ID), a
truncated-flag answer that sends the client to TCP, an answer that is not authoritative, a server
that closes the connection, or a correct answer as the control. The module's real code runs
(``srv_request`` then ``srv_apply.run``) and must return a result only for a correct answer;
everything else must be a ``DnsUpdateError`` whose message names the server. Examples are
derandomized: the same replies every run.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.dns.errors import DnsUpdateError
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_apply import run
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import (
    build_auth,
    build_connection,
    build_request,
)

pytestmark = pytest.mark.reliability("untrusted_responses")

ZONE = "corp.example."
OWNER = "_vlmcs._tcp.fleet.corp.example."
SERVED = ((0, 10, 1688, "kms1.corp.example."), (10, 0, 1688, "kms2.corp.example."))

# Given the query's wire bytes and "udp" or "tcp", the bytes to send back (for TCP including the
# two-byte length prefix, so a prefix can lie), or None to send nothing and close.
Answer = Callable[[bytes, str], bytes | None]


def frame(wire: bytes) -> bytes:
    return struct.pack("!H", len(wire)) + wire


def correct(query_wire: bytes, records: tuple[tuple[int, int, int, str], ...] = SERVED) -> bytes:
    """What an authoritative server answers: SOA for the zone, the SRV set for the owner."""
    query = dns.message.from_wire(query_wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    question = query.question[0]
    if question.rdtype == dns.rdatatype.SOA:
        soa = f"ns1.{ZONE} hostmaster.{ZONE} 1 3600 600 86400 300"
        response.answer.append(dns.rrset.from_text(ZONE, 3600, "IN", "SOA", soa))
    elif records and question.name.to_text().lower() == OWNER:
        texts = [f"{p} {w} {port} {target}" for p, w, port, target in records]
        response.answer.append(dns.rrset.from_text(OWNER, 3600, "IN", "SRV", *texts))
    return response.to_wire(max_size=65535)


class HostileServer:
    """UDP and TCP on one loopback port, answering every message with ``self.answer``."""

    def __init__(self) -> None:
        self.answer: Answer = lambda wire, _how: frame(correct(wire))
        self.udp, self.tcp = self._bind_pair()
        self.port = self.udp.getsockname()[1]
        self.tcp.listen(16)
        self.messages = 0
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True).start()

    @staticmethod
    def _bind_pair(attempts: int = 50) -> tuple[socket.socket, socket.socket]:
        """A UDP and a TCP socket on the same free loopback port. The port the kernel gives the
        UDP socket may be taken for TCP (another test's server, a client's ephemeral port on a
        busy machine): then try another."""
        for _attempt in range(attempts):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind(("127.0.0.1", udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            return udp, tcp
        raise OSError(f"no loopback port free for both UDP and TCP in {attempts} attempts")

    def _reply(self, wire: bytes, how: str) -> bytes | None:
        self.messages += 1
        try:
            return self.answer(wire, how)
        except Exception:  # a reply the test could not build: send nothing (a silent server)
            return None

    def _serve_udp(self) -> None:
        while True:
            try:
                wire, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            reply = self._reply(wire, "udp")
            if reply is not None:
                self.udp.sendto(reply[:65507], peer)

    def _serve_tcp(self) -> None:
        while True:
            try:
                client, _peer = self.tcp.accept()
            except OSError:
                return
            with client:
                client.settimeout(2)
                try:
                    (length,) = struct.unpack("!H", client.recv(2, socket.MSG_WAITALL))
                    wire = client.recv(length, socket.MSG_WAITALL)
                except (OSError, struct.error):
                    continue
                reply = self._reply(wire, "tcp")
                if reply is not None:
                    try:
                        client.sendall(reply)
                    except OSError:
                        continue

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    running = HostileServer()
    yield running
    running.close()


def read(server: HostileServer, protocol: str, zone: bool = True) -> dict[str, object]:
    """kms_srv_record in check mode: find the zone (unless given), read the set, plan."""
    params: dict[str, object] = {
        "domain": "fleet.corp.example",
        "target": "kms1.corp.example",
        "weight": 10,
        "server": "127.0.0.1",
        "server_port": server.port,
        "protocol": protocol,
        "timeout": 1,
    }
    if zone:
        params["zone"] = ZONE
    return run(
        build_request(params),
        build_connection(params),
        build_auth(params),
        check_mode=True,
        want_diff=True,
    )


# --- hostile replies ---------------------------------------------------------------------------


def with_id(wire: bytes, other: bytes) -> bytes:
    return other[:2] + wire[2:]


@dataclass(frozen=True)
class Reply:
    """A named way to answer; ``usable`` says whether the module may accept the result."""

    name: str
    answer: Answer
    usable: bool = False


@st.composite
def replies(draw: st.DrawFn) -> Reply:
    garbage = draw(st.binary(min_size=0, max_size=600))
    cut = draw(st.integers(0, 200))
    flip_at, flip_to = draw(st.integers(0, 400)), draw(st.integers(0, 255))
    many = draw(st.integers(30, 900))
    choices = {
        "garbage": Reply("garbage", lambda _w, how: frame(garbage) if how == "tcp" else garbage),
        "truncated": Reply(
            "truncated",
            lambda w, how: frame(correct(w))[: cut + 2] if how == "tcp" else correct(w)[:cut],
        ),
        "length prefix lies": Reply(
            "length prefix lies",
            # TCP: the prefix promises more than is sent; UDP: junk after the message.
            lambda w, how: (
                struct.pack("!H", 65535) + correct(w) if how == "tcp" else correct(w) + b"junk"
            ),
        ),
        "wrong id": Reply(
            "wrong id",
            lambda w, how: (
                frame(correct(with_id(w, b"\x00\x00" if w[:2] != b"\x00\x00" else b"\x00\x01")))
                if how == "tcp"
                else correct(with_id(w, b"\x00\x00" if w[:2] != b"\x00\x00" else b"\x00\x01"))
            ),
        ),
        "flipped byte": Reply("flipped byte", lambda w, how: flipped(w, how, flip_at, flip_to)),
        "not authoritative": Reply("not authoritative", unauthoritative),
        "server failure": Reply("server failure", failure),
        "closed": Reply("closed", lambda _w, _how: b""),
        "oversized": Reply(
            "oversized",
            lambda w, how: frame(big(w, many)) if how == "tcp" else big(w, many),
            usable=True,
        ),
        "control": Reply(
            "control", lambda w, how: frame(correct(w)) if how == "tcp" else correct(w), True
        ),
    }
    return choices[draw(st.sampled_from(sorted(choices)))]


def flipped(wire: bytes, how: str, at: int, value: int) -> bytes:
    answer = bytearray(correct(wire))
    answer[at % len(answer)] = value
    return frame(bytes(answer)) if how == "tcp" else bytes(answer)


def unauthoritative(wire: bytes, how: str) -> bytes:
    message = dns.message.from_wire(correct(wire))
    message.flags &= ~dns.flags.AA
    out = message.to_wire()
    return frame(out) if how == "tcp" else out


def failure(wire: bytes, how: str) -> bytes:
    response = dns.message.make_response(dns.message.from_wire(wire))
    response.set_rcode(dns.rcode.SERVFAIL)
    out = response.to_wire()
    return frame(out) if how == "tcp" else out


def big(wire: bytes, count: int) -> bytes:
    """A correct answer with ``count`` records: over UDP far above the EDNS size the client
    offered (1232), so a real server would set TC; here it is sent whole, as a broken one would."""
    records = tuple((i % 7, i % 5, 1688, f"kms{i}.corp.example.") for i in range(count))
    return correct(wire, records)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(reply=replies(), protocol=st.sampled_from(["tcp", "udp"]), zone=st.booleans())
def test_any_reply_gives_a_result_or_a_dns_error(
    server: HostileServer, reply: Reply, protocol: str, zone: bool
) -> None:
    event(f"{reply.name} over {protocol}")
    server.answer = reply.answer
    result, error = attempt(server, protocol, zone)
    if error is not None:
        assert "127.0.0.1" in str(error), str(error)  # the message names the server
        assert reply.name != "control", str(error)
        return
    # Accepted: only answers that are correct for the question (a flipped byte can still be one).
    assert reply.usable or reply.name in ("flipped byte", "garbage", "truncated"), reply.name
    records = result["records"]
    assert isinstance(records, list)
    if reply.name == "control":
        assert {r["target"] for r in records} == {"kms1.corp.example", "kms2.corp.example"}


def attempt(
    server: HostileServer, protocol: str, zone: bool
) -> tuple[dict[str, object], DnsUpdateError | None]:
    """The result, or the DnsUpdateError; any other exception fails the test."""
    try:
        return read(server, protocol, zone), None
    except DnsUpdateError as error:
        return {}, error


# --- each case on its own, with the error it must give -----------------------------------------


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_the_control_answer_is_read(server: HostileServer, protocol: str) -> None:
    server.answer = lambda w, how: frame(correct(w)) if how == "tcp" else correct(w)
    result = read(server, protocol, zone=False)
    assert result["zone"] == ZONE
    assert result["changed"] is False  # kms1 is there with weight 10, priority 0, port 1688
    assert [r["target"] for r in result["records"]] == ["kms1.corp.example", "kms2.corp.example"]


def expect_error(server: HostileServer, answer: Answer, protocol: str) -> DnsUpdateError:
    server.answer = answer
    with pytest.raises(DnsUpdateError) as caught:
        read(server, protocol)
    return caught.value


def test_a_tcp_server_that_closes_without_answering() -> None:
    # dnspython raises the built-in EOFError here; it must become a DNS error, not a traceback.
    listener = HostileServer()
    try:
        error = expect_error(listener, lambda _w, _h: b"", "tcp")
    finally:
        listener.close()
    assert error.code == "BAD_RESPONSE"
    assert "cannot be used (EOFError)" in str(error)


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_the_answer_to_another_query_is_refused(server: HostileServer, protocol: str) -> None:
    def answer(wire: bytes, how: str) -> bytes:
        other = correct(with_id(wire, bytes([wire[0] ^ 0xFF, wire[1]])))
        return frame(other) if how == "tcp" else other

    error = expect_error(server, answer, protocol)
    assert error.code == "BAD_RESPONSE"


def test_a_truncated_udp_answer_is_fetched_again_over_tcp(server: HostileServer) -> None:
    seen: list[str] = []

    def answer(wire: bytes, how: str) -> bytes:
        seen.append(how)
        if how == "udp":
            message = dns.message.make_response(dns.message.from_wire(wire))
            message.flags |= dns.flags.TC | dns.flags.AA
            return message.to_wire()
        return frame(correct(wire))

    server.answer = answer
    result = read(server, "udp")
    assert seen == ["udp", "tcp"]
    assert len(result["records"]) == 2


def test_an_answer_that_is_not_authoritative_is_not_trusted(server: HostileServer) -> None:
    error = expect_error(server, unauthoritative, "tcp")
    assert "without authority" in str(error)


def test_a_server_failure_is_named(server: HostileServer) -> None:
    error = expect_error(server, failure, "udp")
    assert error.code == "SERVFAIL"


def test_a_silent_server_times_out_with_the_fix(server: HostileServer) -> None:
    error = expect_error(server, lambda _w, _h: None, "udp")
    assert error.code == "TIMEOUT"
    assert "within 1 s" in str(error)


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_a_large_answer_is_read_whole(server: HostileServer, protocol: str) -> None:
    server.answer = lambda w, how: frame(big(w, 600)) if how == "tcp" else big(w, 600)
    result = read(server, protocol)
    assert len(result["records"]) == 600
