# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real pywinrm ``winrm.protocol.Protocol`` against the lab: basic/HTTP, HTTPS with the lab CA,
NTLM with message encryption, shells, and faults raised as pywinrm's own exception types."""

from __future__ import annotations

import pytest
import requests
from kmslab.wsman import LabServer, Machine
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WSManFaultError
from winrm.protocol import Protocol
from wsman_clients import (
    GET,
    NS,
    PRODUCT_URI,
    REGISTRY_URI,
    SERVICE_URI,
    parse,
    winrm_invoke,
    winrm_message,
    winrm_wql,
)
from wsman_fakes import ADDON_ID, HKLM, SERVER_ID, SPP_KEY, VERSION, WINDOWS_APP, FakeSpp

USER, PASSWORD = "kmsadmin", "S3cret!"
PRODUCT_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingProduct}"
SERVICE_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingService}"


def basic(machine: Machine) -> Protocol:
    return Protocol(machine.endpoint("http"), transport="basic", username=USER, password=PASSWORD)


def test_wql_enumeration_over_basic_http(machine: Machine) -> None:
    protocol = basic(machine)
    query = (
        f"SELECT * FROM SoftwareLicensingProduct WHERE ApplicationID = '{WINDOWS_APP}' "
        "AND PartialProductKey <> NULL"
    )
    root = parse(protocol.send_message(winrm_wql(protocol, query)))
    response = root.find("s:Body/n:EnumerateResponse", NS)
    assert response is not None
    items = response.findall("w:Items/*", NS)
    assert [item.findtext(f"{PRODUCT_NS}ID") for item in items] == [SERVER_ID]
    assert items[0].findtext(f"{PRODUCT_NS}PartialProductKey") == "4F3Q9"
    assert items[0].findtext(f"{PRODUCT_NS}LicenseIsAddon") == "false"
    assert response.find("w:EndOfSequence", NS) is not None
    assert response.findtext("n:EnumerationContext", namespaces=NS) == ""


def test_nil_and_datetime_values(machine: Machine) -> None:
    protocol = basic(machine)
    root = parse(
        protocol.send_message(
            winrm_wql(protocol, f"SELECT * FROM SoftwareLicensingProduct WHERE ID = '{ADDON_ID}'")
        )
    )
    item = root.find("s:Body/n:EnumerateResponse/w:Items/*", NS)
    assert item is not None
    nil = item.find(f"{PRODUCT_NS}PartialProductKey")
    assert nil is not None
    assert nil.get(f"{{{NS['xsi']}}}nil") == "true"
    stamp = item.find(
        f"{PRODUCT_NS}EvaluationEndDate/{{http://schemas.dmtf.org/wbem/wscim/1/common}}Datetime"
    )
    assert stamp is not None
    assert stamp.text == "2026-04-29T11:43:11.203125-07:00"


def test_get_with_selector(machine: Machine) -> None:
    protocol = basic(machine)
    message = winrm_message(protocol, GET, SERVICE_URI, selectors={"Version": VERSION})
    root = parse(protocol.send_message(message))
    assert root.findtext("s:Header/a:Action", namespaces=NS).endswith("/transfer/GetResponse")
    instance = root.find(f"s:Body/{SERVICE_NS}SoftwareLicensingService", NS)
    assert instance is not None
    assert instance.findtext(f"{SERVICE_NS}KeyManagementServicePort") == "0"
    assert (
        instance.find(f"{SERVICE_NS}KeyManagementServiceMachine").get(f"{{{NS['xsi']}}}nil")
        == "true"
    )


def test_instance_method_changes_state(machine: Machine, spp: FakeSpp) -> None:
    protocol = basic(machine)
    message = winrm_invoke(
        protocol,
        SERVICE_URI,
        "SetKeyManagementServicePort",
        {"PortNumber": "1688"},
        {"Version": VERSION},
    )
    root = parse(protocol.send_message(message))
    assert (
        root.findtext("s:Header/a:Action", namespaces=NS)
        == f"{SERVICE_URI}/SetKeyManagementServicePortResponse"
    )
    output = root.find(f"s:Body/{SERVICE_NS}SetKeyManagementServicePort_OUTPUT", NS)
    assert output is not None
    assert output.findtext(f"{SERVICE_NS}ReturnValue") == "0"
    assert spp.kms_port == 1688
    assert spp.calls == [
        ("SoftwareLicensingService", "SetKeyManagementServicePort", {"Version": VERSION})
    ]


def test_static_method_with_array_in_and_out(machine: Machine, spp: FakeSpp) -> None:
    protocol = basic(machine)
    values = ["corp.example.com,0,0", "branch.example.com,10,50"]
    message = winrm_invoke(
        protocol,
        REGISTRY_URI,
        "SetMultiStringValue",
        {
            "hDefKey": str(HKLM),
            "sSubKeyName": SPP_KEY,
            "sValueName": "DnsDomainPublishList",
            "sValue": values,
        },
    )
    protocol.send_message(message)
    assert spp.publish_list == values
    assert spp.calls[-1] == ("StdRegProv", "SetMultiStringValue", None)
    read = winrm_invoke(
        protocol,
        REGISTRY_URI,
        "GetMultiStringValue",
        {"hDefKey": str(HKLM), "sSubKeyName": SPP_KEY, "sValueName": "DnsDomainPublishList"},
    )
    root = parse(protocol.send_message(read))
    ns = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/StdRegProv}"
    output = root.find(f"s:Body/{ns}GetMultiStringValue_OUTPUT", NS)
    assert [element.text for element in output.findall(f"{ns}sValue")] == values
    assert [child.tag.split("}")[1] for child in output][-1] == "ReturnValue"


def test_provider_hresult_is_wsman_fault_error(machine: Machine) -> None:
    protocol = basic(machine)
    message = winrm_invoke(
        protocol,
        SERVICE_URI,
        "InstallProductKey",
        {"ProductKey": "NOT-A-KEY"},
        {"Version": VERSION},
    )
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(message)
    assert caught.value.code == 500
    assert caught.value.fault_code == "s:Receiver"
    assert caught.value.fault_subcode == "w:InternalError"
    assert caught.value.wsman_fault_code == 0xC004F050
    assert "HRESULT 0xc004f050" in caught.value.reason


def test_provider_hresult_in_wmi_error_form(machine: Machine) -> None:
    protocol = basic(machine)
    message = winrm_invoke(protocol, PRODUCT_URI, "Activate", selectors={"ID": ADDON_ID})
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(message)
    assert caught.value.wmierror_code == 0xC004F074
    assert caught.value.wsman_fault_code is None


def test_timed_out_is_operation_timeout_error(machine: Machine) -> None:
    protocol = basic(machine)
    message = winrm_invoke(
        protocol, SERVICE_URI, "RefreshLicenseStatus", selectors={"Version": VERSION}
    )
    with pytest.raises(WinRMOperationTimeoutError):
        protocol.send_message(message)


def test_bad_selectors_and_unknown_class(machine: Machine) -> None:
    protocol = basic(machine)
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(winrm_message(protocol, GET, SERVICE_URI, selectors={"Name": "x"}))
    # The captured fault (pywinrm winrm_responses/shells.py): ERROR_WSMAN_UNEXPECTED_SELECTORS
    # with the UnexpectedSelectors fault detail.
    assert caught.value.fault_subcode == "w:InvalidSelectors"
    assert caught.value.wsman_fault_code == 2150858843
    assert "faultDetail/UnexpectedSelectors</w:FaultDetail>" in caught.value.response
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(winrm_message(protocol, GET, SERVICE_URI))
    # A Get without keys of a class that is not a singleton: Microsoft's Session.Error page.
    assert caught.value.wsman_fault_code == 2150859002
    assert "keys must be provided" in caught.value.response
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(winrm_wql(protocol, "SELECT * FROM Win32_Processa"))
    assert caught.value.fault_subcode == "n:CannotProcessFilter"
    assert caught.value.wsman_fault_code == 2150858778


def test_wrong_password_is_invalid_credentials(machine: Machine) -> None:
    protocol = Protocol(machine.endpoint("http"), transport="basic", username=USER, password="nope")
    with pytest.raises(InvalidCredentialsError):
        protocol.send_message(winrm_wql(protocol, "SELECT * FROM SoftwareLicensingService"))
    assert machine.counters.snapshot().auth_failures == 1


def test_shell_open_and_close_like_the_winrm_connection(machine: Machine) -> None:
    protocol = basic(machine)
    shell_id = protocol.open_shell(codepage=65001)
    assert machine.service.shells.open == {shell_id}
    protocol.close_shell(shell_id)  # pywinrm asserts RelatesTo == MessageID here
    assert machine.service.shells.open == set()
    operations = machine.counters.snapshot().operations
    assert operations == {"Create": 1, "Delete": 1}


def test_shell_commands_the_provider_does_not_run_fail_with_exit_code_1(machine: Machine) -> None:
    # The fake provider runs no commands: the command runs, its stderr says so (shell_command.py).
    protocol = basic(machine)
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "ipconfig")
    stdout, stderr, exit_code = protocol.get_command_output(shell_id, command_id)
    protocol.cleanup_command(shell_id, command_id)
    assert (stdout, exit_code) == (b"", 1)
    assert stderr.startswith(b"'ipconfig' is not supported in this lab")
    protocol.close_shell(shell_id)


def test_https_with_the_lab_ca(lab: LabServer, machine: Machine) -> None:
    protocol = Protocol(
        machine.endpoint("https"),
        transport="basic",
        username=USER,
        password=PASSWORD,
        server_cert_validation="validate",
        ca_trust_path=str(lab.ca_path),
    )
    root = parse(
        protocol.send_message(winrm_wql(protocol, "SELECT Version FROM SoftwareLicensingService"))
    )
    item = root.find("s:Body/n:EnumerateResponse/w:Items/*", NS)
    assert [child.tag.split("}")[1] for child in item] == ["Version"]


def test_https_without_the_lab_ca_fails_validation(machine: Machine) -> None:
    # The public CA bundle requests ships: everything but the lab CA.
    protocol = Protocol(
        machine.endpoint("https"),
        transport="basic",
        username=USER,
        password=PASSWORD,
        server_cert_validation="validate",
        ca_trust_path=requests.certs.where(),
    )
    with pytest.raises(requests.exceptions.SSLError):
        protocol.send_message(winrm_wql(protocol, "SELECT * FROM SoftwareLicensingService"))


def test_ntlm_with_message_encryption(machine: Machine, spp: FakeSpp) -> None:
    protocol = Protocol(
        machine.endpoint("http"),
        transport="ntlm",
        username=USER,
        password=PASSWORD,
        message_encryption="always",
    )
    root = parse(
        protocol.send_message(winrm_wql(protocol, "SELECT * FROM SoftwareLicensingService"))
    )
    assert root.find("s:Body/n:EnumerateResponse/w:Items", NS) is not None
    # A fault travels encrypted too and still becomes pywinrm's WSManFaultError.
    message = winrm_invoke(
        protocol, SERVICE_URI, "InstallProductKey", {"ProductKey": "x"}, {"Version": VERSION}
    )
    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message(message)
    assert caught.value.wsman_fault_code == 0xC004F050
    snapshot = machine.counters.snapshot()
    assert snapshot.encrypted_messages == 2
    assert snapshot.operations == {"Enumerate": 1, "Invoke": 1}


def test_ntlm_wrong_password(machine: Machine) -> None:
    protocol = Protocol(machine.endpoint("http"), transport="ntlm", username=USER, password="bad")
    with pytest.raises(InvalidCredentialsError):
        protocol.send_message(winrm_wql(protocol, "SELECT * FROM SoftwareLicensingService"))
