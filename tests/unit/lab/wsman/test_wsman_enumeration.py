# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Enumeration semantics (wsman-wire §1.2, §5): paging by MaxElements and MaxEnvelopeSize,
w:/n: EndOfSequence, empty context when done, Release, bad contexts, filters and modes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from kmslab.wsman import WsmanService
from wsman_clients import (
    CIMV2,
    ENUMERATE,
    NS,
    PRODUCT_URI,
    SERVICE_URI,
    raw_pull,
    raw_release,
    raw_request,
    raw_wql,
    service_call,
)
from wsman_fakes import ADDON_ID, SERVER_ID, VERSION, FakeSpp

PRODUCT_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingProduct}"


def service(**kwargs: int) -> WsmanService:
    return WsmanService("WIN-0001", FakeSpp(**kwargs))


def ok(svc: WsmanService, body: str) -> ET.Element:
    status, text = service_call(svc, body)
    assert status == 200, text
    return ET.fromstring(text)


def fault(svc: WsmanService, body: str) -> tuple[str, int | None, str]:
    status, text = service_call(svc, body)
    assert status == 500
    root = ET.fromstring(text)
    subcode = root.findtext("s:Body/s:Fault/s:Code/s:Subcode/s:Value", namespaces=NS)
    detail = root.find("s:Body/s:Fault/s:Detail/f:WSManFault", NS)
    code = None if detail is None else int(detail.get("Code"))
    return subcode, code, root.findtext("s:Body/s:Fault/s:Reason/s:Text", namespaces=NS)


def ids(items: list[ET.Element]) -> list[str]:
    return [item.findtext(f"{PRODUCT_NS}ID") for item in items]


def test_paging_by_max_elements_then_pull_to_the_end() -> None:
    svc = service(extra_products=5)  # 7 products
    first = ok(svc, raw_wql("SELECT ID FROM SoftwareLicensingProduct", max_elements=3))
    response = first.find("s:Body/n:EnumerateResponse", NS)
    assert len(response.findall("w:Items/*", NS)) == 3
    assert response.find("w:EndOfSequence", NS) is None
    context = response.findtext("n:EnumerationContext", namespaces=NS)
    seen = ids(response.findall("w:Items/*", NS))
    page = ok(svc, raw_pull(context, 3)).find("s:Body/n:PullResponse", NS)
    assert page.findtext("n:EnumerationContext", namespaces=NS) == context
    assert page.find("n:EndOfSequence", NS) is None
    seen += ids(page.findall("n:Items/*", NS))
    last = ok(svc, raw_pull(context, 3)).find("s:Body/n:PullResponse", NS)
    assert last.find("n:EnumerationContext", NS) is None
    assert last.find("n:EndOfSequence", NS) is not None
    seen += ids(last.findall("n:Items/*", NS))
    assert len(seen) == 7
    assert len(set(seen)) == 7
    assert len(svc.contexts) == 0  # a finished enumeration frees its context


def test_pull_default_max_elements_is_one() -> None:
    svc = service(extra_products=2)
    context = ok(svc, raw_wql("SELECT ID FROM SoftwareLicensingProduct", optimize=False))
    value = context.findtext("s:Body/n:EnumerateResponse/n:EnumerationContext", namespaces=NS)
    assert context.find("s:Body/n:EnumerateResponse/w:Items", NS) is None  # not optimized
    page = ok(svc, raw_pull(value)).find("s:Body/n:PullResponse", NS)
    assert len(page.findall("n:Items/*", NS)) == 1


def test_release_frees_the_context_and_a_second_release_faults() -> None:
    svc = service(extra_products=3)
    first = ok(svc, raw_wql("SELECT ID FROM SoftwareLicensingProduct", max_elements=1))
    context = first.findtext("s:Body/n:EnumerateResponse/n:EnumerationContext", namespaces=NS)
    released = ok(svc, raw_release(context))
    assert released.findtext("s:Header/a:Action", namespaces=NS).endswith(
        "/enumeration/ReleaseResponse"
    )
    assert len(released.find("s:Body", NS)) == 0
    assert fault(svc, raw_release(context))[:2] == ("n:InvalidEnumerationContext", 2150858779)
    assert fault(svc, raw_pull(context))[0] == "n:InvalidEnumerationContext"


def test_envelope_size_limits_the_batch() -> None:
    svc = service(extra_products=40)
    status, text = service_call(
        svc, raw_wql("SELECT * FROM SoftwareLicensingProduct", max_envelope=8192)
    )
    assert status == 200
    assert len(text.encode()) <= 8192
    items = ET.fromstring(text).findall("s:Body/n:EnumerateResponse/w:Items/*", NS)
    assert 1 <= len(items) < 42


def test_single_item_over_the_envelope_is_encoding_limit() -> None:
    svc = service(description_size=20000)
    subcode, code, reason = fault(
        svc,
        raw_wql(
            f"SELECT * FROM SoftwareLicensingProduct WHERE ID = '{ADDON_ID}'", max_envelope=8192
        ),
    )
    assert (subcode, code) == ("w:EncodingLimit", 2150858805)
    assert "exceeds the maximum envelope size that is allowed (8192)" in reason


def test_envelope_size_under_8192_is_rejected() -> None:
    subcode, _code, _reason = fault(
        service(), raw_wql("SELECT * FROM SoftwareLicensingService", max_envelope=4096)
    )
    assert subcode == "w:EncodingLimit"


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_max_elements_must_be_positive(value: str) -> None:
    subcode, code, _reason = fault(
        service(), raw_wql("SELECT * FROM SoftwareLicensingService", max_elements=value)
    )
    assert (subcode, code) == ("w:SchemaValidationError", 2150858817)


def test_max_elements_above_max_batch_items_is_clamped() -> None:
    root = ok(service(), raw_wql("SELECT * FROM SoftwareLicensingService", max_elements=10**9))
    assert len(root.findall("s:Body/n:EnumerateResponse/w:Items/*", NS)) == 1


def test_projection_keeps_only_the_selected_properties() -> None:
    root = ok(
        service(),
        raw_wql(f"SELECT LicenseStatus, ID FROM SoftwareLicensingProduct WHERE ID = '{SERVER_ID}'"),
    )
    item = root.find("s:Body/n:EnumerateResponse/w:Items/*", NS)
    assert [child.tag.split("}")[1] for child in item] == ["ID", "LicenseStatus"]  # ordinal order


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM SoftwareLicensingProduct WHERE",
        "SELECT Nonexistent FROM SoftwareLicensingProduct",
        "SELECT * FROM SoftwareLicensingProduct WHERE Missing = 1",
        "ASSOCIATORS OF {Win32_Service.Name='sppsvc'}",
    ],
)
def test_invalid_queries_fault_as_cannot_process_filter(query: str) -> None:
    subcode, code, _reason = fault(service(), raw_wql(query))
    assert (subcode, code) == ("n:CannotProcessFilter", 2150858778)


def test_wql_needs_the_namespace_uri() -> None:
    body = raw_wql("SELECT * FROM SoftwareLicensingProduct", resource_uri=PRODUCT_URI)
    assert fault(service(), body)[0] == "n:CannotProcessFilter"


def test_plain_enumeration_of_a_class_uri() -> None:
    body = "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements></n:Enumerate>"
    root = ok(service(), raw_request(ENUMERATE, PRODUCT_URI, body))
    assert sorted(ids(root.findall("s:Body/n:EnumerateResponse/w:Items/*", NS))) == sorted(
        [SERVER_ID, ADDON_ID]
    )


def test_selector_filter() -> None:
    body = (
        "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>"
        '<w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter">'
        f'<w:SelectorSet><w:Selector Name="id">{ADDON_ID}</w:Selector></w:SelectorSet>'
        "</w:Filter></n:Enumerate>"
    )
    root = ok(service(), raw_request(ENUMERATE, PRODUCT_URI, body))
    assert ids(root.findall("s:Body/n:EnumerateResponse/w:Items/*", NS)) == [ADDON_ID]


def test_unknown_dialect() -> None:
    body = (
        '<n:Enumerate><w:Filter Dialect="http://example.invalid/xpath">x</w:Filter></n:Enumerate>'
    )
    assert fault(service(), raw_request(ENUMERATE, PRODUCT_URI, body))[:2] == (
        "n:FilterDialectRequestedUnavailable",
        2150858777,
    )


def test_object_and_epr_mode() -> None:
    extra = "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>"
    root = ok(service(), raw_wql("SELECT * FROM SoftwareLicensingService", extra=extra))
    item = root.find("s:Body/n:EnumerateResponse/w:Items/w:Item", NS)
    assert item[0].tag.endswith("}SoftwareLicensingService")
    selector = item.find("a:EndpointReference/a:ReferenceParameters/w:SelectorSet/w:Selector", NS)
    assert (selector.get("Name"), selector.text) == ("Version", VERSION)
    assert (
        item.findtext("a:EndpointReference/a:ReferenceParameters/w:ResourceURI", namespaces=NS)
        == SERVICE_URI
    )


def test_cim_namespace_selector_must_agree() -> None:
    body = raw_request(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        SERVICE_URI,
        selectors={"Version": VERSION, "__cimnamespace": "root/default"},
    )
    assert fault(service(), body)[1] == 2150859067
    body = raw_request(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        SERVICE_URI,
        selectors={"Version": VERSION, "__cimnamespace": "root/cimv2"},
    )
    ok(service(), body)


def test_relates_to_echoes_message_id_verbatim() -> None:
    root = ok(service(), raw_wql("SELECT * FROM SoftwareLicensingService"))
    assert (
        root.findtext("s:Header/a:RelatesTo", namespaces=NS)
        == "uuid:0CB1C49A-5054-4C12-AF30-FC60BE995DD9"
    )
    assert root.findtext("s:Header/a:To", namespaces=NS).endswith("/role/anonymous")


def test_unknown_resource_uri_and_action() -> None:
    assert (
        fault(service(), raw_request(ENUMERATE, "http://example.invalid/resource"))[0]
        == "a:DestinationUnreachable"
    )
    subcode, code, _reason = fault(
        service(), raw_request("http://example.invalid/Action", f"{CIMV2}/Win32_Service")
    )
    assert (subcode, code) == ("a:ActionNotSupported", 2150858771)


def test_malformed_envelope_is_schema_validation_error() -> None:
    status, text = service_call(service(), "<not-soap/>")
    assert status == 500
    assert "w:SchemaValidationError" in text
