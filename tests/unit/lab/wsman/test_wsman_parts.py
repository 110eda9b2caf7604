# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the server's parts: CIM values, input parameters, durations, addresses, the lab CA,
Basic credentials, the MS-WSMV encryption framing, and raw HTTP behaviour."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import socket
import struct

import pytest
import spnego
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st
from kmslab.wsman import Machine, cim
from kmslab.wsman.auth import Account, CredentialStore, unwrap_message, wrap_message
from kmslab.wsman.provider import CimError, InputParams, ParamValue
from kmslab.wsman.server import check_address, loopback_address
from kmslab.wsman.soap import RequestError, parse_duration
from kmslab.wsman.tlsca import LabCA


def test_property_types_are_checked() -> None:
    assert cim.uint32("Port", 1688).text_value() == "1688"
    with pytest.raises(ValueError, match="outside uint32"):
        cim.uint32("Port", 2**32)
    with pytest.raises(ValueError, match="not a uint32"):
        cim.uint32("Port", True)  # bool is not an integer here
    with pytest.raises(ValueError, match="not a boolean"):
        cim.boolean("Flag", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NULL items"):
        cim.Property("List", cim.CimType.STRING, ("a", None), is_array=True)  # type: ignore[arg-type]


def test_values_serialise_as_wsman_wire_1_5() -> None:
    assert cim.element_xml("p", cim.boolean("B", True)) == "<p:B>true</p:B>"
    assert cim.element_xml("p", cim.string("S", None)) == '<p:S xsi:nil="true"/>'
    assert cim.element_xml("p", cim.strings("A", ("x", "y<"))) == "<p:A>x</p:A><p:A>y&lt;</p:A>"
    # A NULL or empty array: one nil element (MS-WSMAN 3.1.4.1.26, variant null_array=nil, the
    # default), or none at all (null_array=omit).
    assert cim.element_xml("p", cim.strings("A", ())) == '<p:A xsi:nil="true"/>'
    assert cim.element_xml("p", cim.strings("A", None)) == '<p:A xsi:nil="true"/>'
    assert cim.element_xml("p", cim.strings("A", ()), cim.NULL_ARRAY_OMIT) == ""
    assert cim.element_xml("p", cim.strings("A", None), cim.NULL_ARRAY_OMIT) == ""
    assert (
        cim.element_xml("p", cim.string("S", None), cim.NULL_ARRAY_OMIT) == '<p:S xsi:nil="true"/>'
    )
    stamp = dt.datetime(2013, 4, 29, 11, 43, 11, 203125, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    assert (
        cim.element_xml("p", cim.datetime("D", stamp))
        == "<p:D><cim:Datetime>2013-04-29T11:43:11.203125-07:00</cim:Datetime></p:D>"
    )


def test_input_params_convert_and_reject() -> None:
    params = InputParams(
        {
            "PortNumber": [ParamValue("1688")],
            "Flag": [ParamValue("1")],
            "sValue": [ParamValue("a"), ParamValue("b")],
            "Gone": [ParamValue(None)],
            "Bad": [ParamValue("12x")],
        }
    )
    assert params.uint32("portnumber") == 1688
    assert params.boolean("Flag") is True
    assert params.strings("sValue") == ["a", "b"]
    assert params.string("Gone") is None
    assert params.string("Missing") is None
    assert "sVALUE" in params
    with pytest.raises(CimError) as caught:
        params.uint32("Bad")
    assert caught.value.hresult == 0x8004102F
    with pytest.raises(CimError):
        params.string("sValue")  # an array where one value was expected


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT20S", 20), ("PT60.500S", 60.5), ("P0DT0H0M9S", 9), ("P1DT1H", 90000)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["20", "PT", "P", "PTS", "PT1X"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(RequestError):
        parse_duration(text)


def test_addresses_are_loopback_hosts_only() -> None:
    check_address("127.20.0.1")
    for bad in ("0.0.0.0", "10.0.0.1", "::1", "127.0.0.0", "127.255.255.255", "localhost"):
        with pytest.raises(ValueError, match="not"):
            check_address(bad)
    assert loopback_address(0) == "127.20.0.1"
    assert loopback_address(300) == "127.20.1.45"
    with pytest.raises(ValueError, match=r"not inside 127\.0\.0\.0/8"):
        loopback_address(0, "10.0.0.0/8")


def test_lab_ca_issues_certificates_with_name_and_ip(tmp_path) -> None:
    ca = LabCA(tmp_path)
    pem = ca.server_cert_path("win-0001.lab.test", "127.20.0.1").read_bytes()
    cert = x509.load_pem_x509_certificates(pem)[0]
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["win-0001.lab.test"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.20.0.1")]
    assert cert.issuer == x509.load_pem_x509_certificate(ca.ca_path.read_bytes()).subject
    assert LabCA(tmp_path).ca_path.read_bytes() == ca.ca_path.read_bytes()  # reused, not remade
    assert oct(ca.leaf_key_path.stat().st_mode & 0o777) == "0o600"


def test_basic_credentials(tmp_path) -> None:
    store = CredentialStore((Account("kmsadmin", "S3cret!"),), tmp_path)
    token = base64.b64encode(b"KMSADMIN:S3cret!").decode()
    assert store.check_basic(token)
    assert store.check_basic(base64.b64encode(b".\\kmsadmin:S3cret!").decode())
    assert not store.check_basic(base64.b64encode(b"kmsadmin:wrong").decode())
    assert not store.check_basic("not base64!")
    assert not store.check_basic(base64.b64encode(b"no-colon").decode())


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=4000))
def test_encryption_framing_round_trips_with_a_real_ntlm_pair(
    tmp_path_factory, body: bytes
) -> None:
    directory = tmp_path_factory.mktemp("ntlm")
    store = CredentialStore((Account("kmsadmin", "S3cret!"),), directory)
    store.write()
    os.environ["NTLM_USER_FILE"] = str(store.path)
    client = spnego.client(
        "kmsadmin", "S3cret!", protocol="ntlm", options=spnego.NegotiateOptions.use_ntlm
    )
    server = spnego.server(protocol="negotiate")
    token = client.step()
    while not client.complete or not server.complete:
        token = server.step(token)
        if token is not None and not client.complete:
            token = client.step(token)
    content_type = (
        'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";'
        'boundary="Encrypted Boundary"'
    )
    # Server to client, read back with the client context (what pywinrm does with a response).
    framed = wrap_message(server, body)
    assert framed.endswith(b"--Encrypted Boundary--\r\n")
    assert f"Length={len(body)}\r\n".encode() in framed
    assert unwrap_message(client, framed, content_type) == body
    # Client to server, framed the way pywinrm frames a request.
    wrapped = client.wrap_winrm(body)
    request = (
        b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(body)).encode()
        + b"\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n"
        + struct.pack("<i", len(wrapped.header))
        + wrapped.header
        + wrapped.data
        + b"--Encrypted Boundary--\r\n"
    )
    assert unwrap_message(server, request, content_type) == body


def raw_http(machine: Machine, data: bytes) -> bytes:
    with socket.create_connection((machine.address, machine.port("http")), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_http_routes_and_challenges(machine: Machine) -> None:
    assert raw_http(machine, b"GET /wsman HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 405")
    assert raw_http(machine, b"POST /other HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404")
    assert raw_http(machine, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    challenge = raw_http(machine, b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert challenge.startswith(b"HTTP/1.1 401")
    assert b"WWW-Authenticate: Negotiate\r\n" in challenge
    assert b'WWW-Authenticate: Basic realm="WSMAN"\r\n' in challenge


def test_http_keep_alive_and_chunked_bodies(machine: Machine) -> None:
    auth = b"Authorization: Basic " + base64.b64encode(b"kmsadmin:S3cret!") + b"\r\n"
    empty = b"POST /wsman HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: 0\r\n\r\n"
    chunked = (
        b"POST /wsman HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n5\r\n<x/>\n\r\n0\r\n\r\n"
    )
    reply = raw_http(machine, empty + chunked)
    assert reply.count(b"HTTP/1.1 ") == 2
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert b"HTTP/1.1 500" in reply  # "<x/>" is no SOAP envelope: a schema validation fault
    assert b"w:SchemaValidationError" in reply
