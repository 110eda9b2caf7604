# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real pypsrp ``WSMan`` against the lab (wsman-wire §2.2): enumerate, pull, get, invoke, faults,
basic over HTTP and HTTPS, NTLM and Negotiate with message encryption."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from kmslab.wsman import LabServer, Machine
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from wsman_clients import (
    NS,
    PRODUCT_URI,
    PULL,
    SERVICE_URI,
    psrp_client,
    psrp_enumerate_element,
    psrp_input,
    selector_set,
)
from wsman_fakes import SERVER_ID, VERSION, FakeSpp

PRODUCT_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingProduct}"
SERVICE_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingService}"
CIMV2_ALL = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*"


def test_enumerate_and_pull(machine: Machine) -> None:
    wsman = psrp_client(machine.address, machine.port("http"))
    body = wsman.enumerate(
        CIMV2_ALL, psrp_enumerate_element("SELECT ID FROM SoftwareLicensingProduct", 1)
    )
    first = body.findall("n:EnumerateResponse/w:Items/*", NS)
    context = body.findtext("n:EnumerateResponse/n:EnumerationContext", namespaces=NS)
    assert len(first) == 1
    assert context.startswith("uuid:")
    assert body.find("n:EnumerateResponse/w:EndOfSequence", NS) is None
    pull = ET.Element(f"{{{NS['n']}}}Pull")
    ET.SubElement(pull, f"{{{NS['n']}}}EnumerationContext").text = context
    ET.SubElement(pull, f"{{{NS['n']}}}MaxElements").text = "10"
    page = wsman.pull(CIMV2_ALL, pull)
    rest = page.findall("n:PullResponse/n:Items/*", NS)
    assert len(rest) == 1
    assert page.find("n:PullResponse/n:EndOfSequence", NS) is not None
    assert page.find("n:PullResponse/n:EnumerationContext", NS) is None
    ids = {item.findtext(f"{PRODUCT_NS}ID") for item in first + rest}
    assert SERVER_ID in ids
    assert machine.counters.snapshot().actions[PULL] == 1


def test_get_returns_the_instance(machine: Machine) -> None:
    wsman = psrp_client(machine.address, machine.port("http"))
    body = wsman.get(PRODUCT_URI, selector_set=selector_set(ID=SERVER_ID.upper()))
    instance = body.find(f"{PRODUCT_NS}SoftwareLicensingProduct")
    assert instance is not None
    assert instance.findtext(f"{PRODUCT_NS}ID") == SERVER_ID  # key values match case-insensitively


def test_invoke_checks_relates_to_and_returns_output(machine: Machine, spp: FakeSpp) -> None:
    wsman = psrp_client(machine.address, machine.port("http"))
    method = "SetKeyManagementServiceMachine"
    envelope = wsman.invoke(
        f"{SERVICE_URI}/{method}",
        SERVICE_URI,
        psrp_input(SERVICE_URI, method, {"MachineName": "kms.example.com"}),
        selector_set=selector_set(Version=VERSION),
    )
    assert (
        envelope.findtext(
            f"s:Body/{SERVICE_NS}{method}_OUTPUT/{SERVICE_NS}ReturnValue", namespaces=NS
        )
        == "0"
    )
    assert spp.kms_machine == "kms.example.com"


def test_faults_are_pypsrp_wsman_fault_errors(machine: Machine) -> None:
    wsman = psrp_client(machine.address, machine.port("http"))
    with pytest.raises(WSManFaultError) as caught:
        wsman.invoke(
            f"{SERVICE_URI}/InstallProductKey",
            SERVICE_URI,
            psrp_input(SERVICE_URI, "InstallProductKey", {"ProductKey": "bad"}),
            selector_set=selector_set(Version=VERSION),
        )
    assert caught.value.code == 0xC004F050
    assert caught.value.machine == machine.address
    assert "HRESULT 0xc004f050" in caught.value.reason
    with pytest.raises(WSManFaultError) as caught:
        wsman.enumerate(CIMV2_ALL, psrp_enumerate_element("SELECT * FROM Nope"))
    assert caught.value.code == 2150858778
    assert caught.value.provider == "WMI Provider"
    assert caught.value.provider_path == r"%systemroot%\system32\WsmWmiPl.dll"


def test_config_get_for_max_payload(machine: Machine) -> None:
    wsman = psrp_client(machine.address, machine.port("http"))
    wsman.update_max_payload_size()
    assert wsman.max_envelope_size == 500 * 1024


def test_https_with_ca_path(lab: LabServer, machine: Machine) -> None:
    wsman = psrp_client(
        machine.address, machine.port("https"), ssl=True, cert_validation=str(lab.ca_path)
    )
    body = wsman.get(SERVICE_URI, selector_set=selector_set(Version=VERSION))
    assert body.find(f"{SERVICE_NS}SoftwareLicensingService") is not None


def test_https_without_the_lab_ca_fails(machine: Machine) -> None:
    wsman = psrp_client(
        machine.address, machine.port("https"), ssl=True, cert_validation=requests.certs.where()
    )
    with pytest.raises(requests.exceptions.SSLError):
        wsman.get(SERVICE_URI, selector_set=selector_set(Version=VERSION))


@pytest.mark.parametrize("auth", ["ntlm", "negotiate"])
def test_message_encryption(machine: Machine, auth: str) -> None:
    wsman = psrp_client(machine.address, machine.port("http"), auth=auth, encryption="always")
    body = wsman.enumerate(
        CIMV2_ALL, psrp_enumerate_element("SELECT * FROM SoftwareLicensingService")
    )
    assert body.find("n:EnumerateResponse/w:Items", NS) is not None
    wsman.get(SERVICE_URI, selector_set=selector_set(Version=VERSION))
    assert machine.counters.snapshot().encrypted_messages == 2


def test_negotiate_wrong_password(machine: Machine) -> None:
    wsman = psrp_client(
        machine.address, machine.port("http"), auth="ntlm", encryption="always", password="bad"
    )
    with pytest.raises(AuthenticationError):
        wsman.get(SERVICE_URI, selector_set=selector_set(Version=VERSION))
