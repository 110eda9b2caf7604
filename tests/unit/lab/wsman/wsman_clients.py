# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request builders the tests use with real pywinrm and pypsrp objects (wsman-wire §2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import xmltodict
from kmslab.wsman import WsmanService
from pypsrp.wsman import NAMESPACES, SelectorSet, WSMan
from winrm.protocol import Protocol

WMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi"
CIMV2 = f"{WMI}/root/cimv2"
SERVICE_URI = f"{CIMV2}/SoftwareLicensingService"
PRODUCT_URI = f"{CIMV2}/SoftwareLicensingProduct"
REGISTRY_URI = f"{WMI}/root/default/StdRegProv"
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
PULL = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
RELEASE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


# pywinrm: build_wsman_header + xmltodict (wsman-wire §2.1) ------------------------------------
def winrm_message(
    protocol: Protocol,
    action: str,
    resource_uri: str,
    body: dict[str, Any] | None = None,
    selectors: dict[str, str] | None = None,
    *,
    max_envelope: int | None = None,
) -> str:
    header = protocol.build_wsman_header(action=action, resource_uri=resource_uri)
    if selectors:
        header["env:Header"]["w:SelectorSet"] = {
            "w:Selector": [{"@Name": name, "#text": value} for name, value in selectors.items()]
        }
    if max_envelope is not None:
        header["env:Header"]["w:MaxEnvelopeSize"]["#text"] = str(max_envelope)
    header["env:Body"] = body or {}
    return xmltodict.unparse({"env:Envelope": header})


def winrm_wql(
    protocol: Protocol,
    query: str,
    *,
    max_elements: int = 32000,
    namespace_uri: str = f"{CIMV2}/*",
    max_envelope: int | None = None,
) -> str:
    # Body order of ruby wql_query.rb (wsman-wire §1.2): OptimizeEnumeration, MaxElements, Filter.
    body = {
        "n:Enumerate": {
            "w:OptimizeEnumeration": None,
            "w:MaxElements": str(max_elements),
            "w:Filter": {"@Dialect": WQL, "#text": query},
        }
    }
    return winrm_message(protocol, ENUMERATE, namespace_uri, body, max_envelope=max_envelope)


def winrm_pull(protocol: Protocol, context: str, max_elements: int = 32000) -> str:
    body = {"n:Pull": {"n:EnumerationContext": context, "n:MaxElements": str(max_elements)}}
    return winrm_message(protocol, PULL, f"{CIMV2}/*", body)


def winrm_invoke(
    protocol: Protocol,
    resource_uri: str,
    method: str,
    params: dict[str, Any] | None = None,
    selectors: dict[str, str] | None = None,
) -> str:
    # The _CimAction pattern of wsman-wire §2.1: redeclare p on the _INPUT element.
    inner: dict[str, Any] = {"@xmlns:p": resource_uri}
    for name, value in (params or {}).items():
        inner[f"p:{name}"] = value
    body = {f"p:{method}_INPUT": inner}
    return winrm_message(protocol, f"{resource_uri}/{method}", resource_uri, body, selectors)


def parse(xml: bytes | str) -> ET.Element:
    return ET.fromstring(xml)


# pypsrp: WSMan.enumerate / get / invoke (wsman-wire §2.2) -------------------------------------
def psrp_enumerate_element(query: str, max_elements: int = 32000) -> ET.Element:
    enumerate_el = ET.Element(f"{{{NAMESPACES['wsen']}}}Enumerate")
    ET.SubElement(enumerate_el, f"{{{NAMESPACES['wsman']}}}OptimizeEnumeration")
    ET.SubElement(enumerate_el, f"{{{NAMESPACES['wsman']}}}MaxElements").text = str(max_elements)
    filter_el = ET.SubElement(enumerate_el, f"{{{NAMESPACES['wsman']}}}Filter", Dialect=WQL)
    filter_el.text = query
    return enumerate_el


def psrp_input(resource_uri: str, method: str, params: dict[str, str | list[str]]) -> ET.Element:
    element = ET.Element(f"{{{resource_uri}}}{method}_INPUT")
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            ET.SubElement(element, f"{{{resource_uri}}}{name}").text = item
    return element


def selector_set(**selectors: str) -> SelectorSet:
    result = SelectorSet()
    for name, value in selectors.items():
        result.add_option(name, value)
    return result


def psrp_client(host: str, port: int, **kwargs: Any) -> WSMan:
    options: dict[str, Any] = {
        "username": "kmsadmin",
        "password": "S3cret!",
        "ssl": False,
        "auth": "basic",
        "encryption": "never",
        "no_proxy": True,
        "operation_timeout": 20,
        "read_timeout": 30,
    }
    options.update(kwargs)
    return WSMan(host, port=port, **options)


# Raw envelopes for calling a WsmanService directly (no sockets) ---------------------------------
def service_call(service: WsmanService, body: str) -> tuple[int, str]:
    status, data = service.handle(
        body.encode(), alias="localhost", endpoint="http://127.0.0.1:5985/wsman"
    )
    return status, data.decode()


def raw_request(
    action: str,
    resource_uri: str,
    body: str = "",
    selectors: dict[str, str] | None = None,
    *,
    max_envelope: int | None = 153600,
) -> str:
    """A pypsrp-style envelope (s/a/n/w prefixes) with only the headers the server reads."""
    selector_xml = ""
    if selectors:
        items = "".join(f'<w:Selector Name="{k}">{v}</w:Selector>' for k, v in selectors.items())
        selector_xml = f"<w:SelectorSet>{items}</w:SelectorSet>"
    size = "" if max_envelope is None else f"<w:MaxEnvelopeSize>{max_envelope}</w:MaxEnvelopeSize>"
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"'
        ' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">'
        "<s:Header><a:MessageID>uuid:0CB1C49A-5054-4C12-AF30-FC60BE995DD9</a:MessageID>"
        f"<a:Action>{action}</a:Action><w:ResourceURI>{resource_uri}</w:ResourceURI>"
        f"{size}{selector_xml}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )


def raw_wql(
    query: str,
    *,
    max_elements: int | str | None = 32000,
    optimize: bool = True,
    resource_uri: str = f"{CIMV2}/*",
    max_envelope: int | None = 153600,
    extra: str = "",
) -> str:
    options = "<w:OptimizeEnumeration/>" if optimize else ""
    if max_elements is not None:
        options += f"<w:MaxElements>{max_elements}</w:MaxElements>"
    body = (
        f'<n:Enumerate>{options}{extra}<w:Filter Dialect="{WQL}">{query}</w:Filter></n:Enumerate>'
    )
    return raw_request(ENUMERATE, resource_uri, body, max_envelope=max_envelope)


def raw_pull(context: str, max_elements: int | None = None) -> str:
    limit = "" if max_elements is None else f"<n:MaxElements>{max_elements}</n:MaxElements>"
    body = f"<n:Pull><n:EnumerationContext>{context}</n:EnumerationContext>{limit}</n:Pull>"
    return raw_request(PULL, f"{CIMV2}/*", body)


def raw_release(context: str) -> str:
    body = f"<n:Release><n:EnumerationContext>{context}</n:EnumerationContext></n:Release>"
    return raw_request(RELEASE, f"{CIMV2}/*", body)
