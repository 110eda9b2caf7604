# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each response shape the lab emits, held to its real capture in tests/fixtures/wsman-captures/.

"Same shape" = the same element tree (namespace URI + local name, in order), the same attribute
names, and the same namespace declarations (prefix → URI) on the Envelope. Values differ (IDs,
classes, counts of repeated items), so WMI class namespaces and repeated siblings are normalised.
The service is called directly (no sockets): shapes do not depend on the transport.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from fixture_files import read_fixture
from kmslab.wsman import WsmanService
from wsman_clients import GET, REGISTRY_URI, SERVICE_URI
from wsman_clients import raw_request as request
from wsman_clients import raw_wql as wql
from wsman_clients import service_call as call
from wsman_fakes import VERSION, FakeSpp

WMI_CLASS = re.compile(r"^http://schemas\.microsoft\.com/wbem/wsman/1/wmi/[^}]+$")
SOAP = "http://www.w3.org/2003/05/soap-envelope"


def capture(name: str) -> str:
    return read_fixture("wsman-captures", name)


def _tag(tag: str) -> str:
    uri, _brace, local = tag[1:].partition("}")
    if WMI_CLASS.match(uri):
        uri = "WMI-CLASS"
        local = re.sub(r"^\w+_(INPUT|OUTPUT)$", r"*_\1", local)
    return f"{{{uri}}}{local}"


def skeleton(element: ET.Element, depth: int = 0, stop_at: str | None = None) -> list[tuple]:
    """Element tree as (depth, tag, attribute names); repeated equal siblings count once."""
    rows = [
        (
            depth,
            _tag(element.tag),
            tuple(sorted(_tag(a) if a.startswith("{") else a for a in element.attrib)),
        )
    ]
    if stop_at is not None and element.tag.endswith(stop_at):
        return rows
    previous = None
    for child in element:
        child_rows = skeleton(child, depth + 1, stop_at)
        if child_rows != previous:
            rows.extend(child_rows)
        previous = child_rows
    return rows


def declarations(xml: str) -> set[tuple[str, str]]:
    """Namespace declarations made on the root element."""
    found = set()
    for event, value in ET.iterparse(io.BytesIO(xml.encode()), events=("start-ns", "start")):
        if event == "start":
            break
        found.add(value)
    return found


def root(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode())


def texts(element: ET.Element) -> list[str | None]:
    """Text of every element but MessageID; pretty-printing whitespace counts as no text."""
    return [
        el.text if el.text and el.text.strip() else None
        for el in element.iter()
        if not el.tag.endswith("MessageID")
    ]


def attributes(element: ET.Element) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(el.tag, sorted(el.attrib.items())) for el in element.iter()]


def envelopes(text: str) -> list[str]:
    return re.findall(r"<s:Envelope.*?</s:Envelope>", text, flags=re.DOTALL)


def header_order(xml: str) -> list[str]:
    return [_tag(child.tag) for child in root(xml).find(f"{{{SOAP}}}Header")]


@pytest.fixture
def service() -> WsmanService:
    return WsmanService("vagrant-2008R2", FakeSpp())


def test_enumerate_response_matches_pypsrp_capture(service: WsmanService) -> None:
    expected = envelopes(capture("pypsrp_enum_pretty.xml"))[1]  # all items fit, EndOfSequence
    status, ours = call(service, wql("SELECT * FROM SoftwareLicensingProduct"))
    assert status == 200
    assert declarations(ours) == declarations(expected)
    assert header_order(ours) == header_order(expected)
    # Down to w:Items the trees agree; the items themselves are WMI instances, not shells.
    assert skeleton(root(ours), stop_at="}Items") == skeleton(root(expected), stop_at="}Items")


def test_empty_enumerate_response_matches_capture(service: WsmanService) -> None:
    expected = envelopes(capture("pypsrp_enum_pretty.xml"))[3]  # no results: no w:Items
    status, ours = call(service, wql("SELECT * FROM SoftwareLicensingProduct WHERE Name = 'none'"))
    assert status == 200
    assert skeleton(root(ours)) == skeleton(root(expected))
    assert declarations(ours) == declarations(expected)


def test_get_response_envelope_matches_capture(service: WsmanService) -> None:
    expected = re.search(
        r"response: (<s:Envelope.*</s:Envelope>)", capture("pypsrp_get.txt")
    ).group(1)
    status, ours = call(service, request(GET, SERVICE_URI, selectors={"Version": VERSION}))
    assert status == 200
    assert declarations(ours) == declarations(expected)
    assert header_order(ours) == header_order(expected)
    ours_body = root(ours).find(f"{{{SOAP}}}Body")
    assert len(ours_body) == 1  # exactly one instance element (wsman-wire §1.3)


def test_instance_method_response_matches_capture(service: WsmanService) -> None:
    expected = capture("winrb_invoke_1.xml")
    method = "SetKeyManagementServicePort"  # no [out] parameters, like CIM_DataFile.Delete
    body = (
        f'<p:{method}_INPUT xmlns:p="{SERVICE_URI}">'
        f"<p:PortNumber>1688</p:PortNumber></p:{method}_INPUT>"
    )
    status, ours = call(
        service, request(f"{SERVICE_URI}/{method}", SERVICE_URI, body, {"Version": VERSION})
    )
    assert status == 200
    assert skeleton(root(ours)) == skeleton(root(expected))
    assert declarations(ours) == declarations(expected)
    output = root(ours).find(f"{{{SOAP}}}Body")[0]
    assert output.tag == f"{{{SERVICE_URI}}}{method}_OUTPUT"


def test_static_method_with_array_matches_enumkey_capture(service: WsmanService) -> None:
    expected = capture("openwsman_EnumKey.xml")
    body = (
        f'<r:EnumKey_INPUT xmlns:r="{REGISTRY_URI}"><r:hDefKey>2147483650</r:hDefKey>'
        r"<r:sSubKeyName>Software\Microsoft\Windows\CurrentVersion\Uninstall</r:sSubKeyName>"
        "</r:EnumKey_INPUT>"
    )
    status, ours = call(service, request(f"{REGISTRY_URI}/EnumKey", REGISTRY_URI, body))
    assert status == 200
    assert skeleton(root(ours)) == skeleton(root(expected))
    ours_root, expected_root = root(ours), root(expected)
    action = ours_root.findtext(
        f"{{{SOAP}}}Header/{{http://schemas.xmlsoap.org/ws/2004/08/addressing}}Action"
    )
    assert action == expected_root.findtext(
        f"{{{SOAP}}}Header/{{http://schemas.xmlsoap.org/ws/2004/08/addressing}}Action"
    )


def test_unknown_class_fault_matches_capture_exactly(service: WsmanService) -> None:
    expected = capture("winrb_soap_fault_v2.xml")
    query = 'Select * from Win32_Processa where name="sshd.exe"'
    status, ours = call(service, wql(query.replace('"', "&quot;")))
    assert status == 500
    assert skeleton(root(ours)) == skeleton(root(expected))
    assert declarations(ours) == declarations(expected)
    # Every text node but the MessageID is the capture's, including the trailing spaces, and so
    # is every attribute value (Code, both Machine names, ProviderFault path and provider).
    assert texts(root(ours)) == texts(root(expected))
    assert attributes(root(ours)) == attributes(root(expected))
    assert (
        capture("winrb_wsman_fault.xml").strip()
        == expected.replace('<?xml version="1.0"?>\n', "").strip()
    )


def test_quota_fault_matches_wmi_error_capture(service: WsmanService) -> None:
    expected = capture("winrb_wmi_error_v2.xml")
    create = request(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
        '<rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"/>',
    )
    for _shell in range(30):
        assert call(service, create)[0] == 200
    status, ours = call(service, create)
    assert status == 500
    ours_root, expected_root = root(ours), root(expected)
    # The capture has no RelatesTo (it was a reply to a message without one); ours echoes it.
    ours_header = ours_root.find(f"{{{SOAP}}}Header")
    ours_header.remove(ours_header[-1])
    assert skeleton(ours_root) == skeleton(expected_root)
    assert declarations(ours) == declarations(expected)
    assert texts(ours_root) == texts(expected_root)
