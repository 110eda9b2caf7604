# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault codes as Windows sends them, read as what they are.

* ``w:InvalidSelectors`` with Code 2150858843 and the UnexpectedSelectors fault detail: a Windows
  reply kept by pywinrm (winrm/tests/winrm_responses/shells.py @f6913d41).
* Code 2150859002 for a Get without keys of a class that is not a singleton: Microsoft's
  Session.Error page (MicrosoftDocs/win32 desktop-src/WinRM/session-error.md).
* ``Code="87"`` with ``w:InvalidParameter``: a plain Win32 error code, ERROR_INVALID_PARAMETER
  (a Windows Server 2016 reply kept in pypsrp tests/adhoc.py @bfd566e6).

The bodies below keep those replies' shapes and texts.
"""

from __future__ import annotations

import pytest

from ansible_collections.volact.kms.plugins.module_utils.wsman import messages as wsman
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault

HEAD = (
    '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
    "<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>"
    "<a:MessageID>uuid:C0005351-7407-4B75-BE76-2A80BA45B7BF</a:MessageID>"
    "<a:RelatesTo>uuid:FE945306-D7CE-4126-B168-C704BAD7588C</a:RelatesTo>"
    "</s:Header><s:Body><s:Fault>"
)
TAIL = "</s:Fault></s:Body></s:Envelope>"
F = 'xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"'
DETAIL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"


def fault(subcode: str, reason: str, detail: str) -> WsmanFault:
    body = (
        f"{HEAD}<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>{subcode}</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        f"<s:Detail>{detail}</s:Detail>{TAIL}"
    )
    with pytest.raises(WsmanFault) as info:
        wsman.read_envelope(body, http_status=500)
    return info.value


def test_unexpected_selectors() -> None:
    reason = (
        "The WS-Management service cannot process the request because the request contained "
        "invalid selectors for the resource. "
    )
    got = fault(
        "w:InvalidSelectors",
        reason,
        f"<w:FaultDetail>{DETAIL}UnexpectedSelectors</w:FaultDetail>"
        f'<f:WSManFault {F} Code="2150858843" Machine="windows-host"><f:Message>The request '
        "for the Windows Remote Shell with ShellId B387C9DF-58ED-4E97-AE80-4117D8D12116 failed "
        "because the shell was not found on the server.</f:Message></f:WSManFault>",
    )
    assert got.hresult == 0x8033805B
    assert got.explanation is not None
    assert got.explanation.symbol == "ERROR_WSMAN_UNEXPECTED_SELECTORS"
    assert "endpoint reference" in got.what_to_do


def test_no_keys_on_a_class_that_is_not_a_singleton() -> None:
    message = (
        "The WinRM client cannot process the request. The resource URI is not valid: it does not "
        "contain keys, but the class selected is not a singleton. To access an instance which is "
        "not a singleton, keys must be provided. Use the following command to get more "
        'information in how to construct a resource URI: "winrm help uris". '
    )
    inner = (
        f'<f:WSManFault {F} Code="2150859002" Machine="" xml:lang="en-US">'
        f"<f:Message>{message}</f:Message></f:WSManFault>"
    )
    got = fault(
        "w:InvalidSelectors",
        message,
        f'<f:WSManFault {F} Code="2150859002" Machine="Server1" xml:lang="en-US"><f:Message>'
        '<f:ProviderFault provider="WMIv1 plugin for Windows Remote Management " '
        'path="%systemroot%\\system32\\WsmWmiPl.dll">'
        f"{inner}</f:ProviderFault></f:Message></f:WSManFault>",
    )
    assert got.hresult == 0x803380FA  # 2150859002
    assert got.explanation is not None
    assert got.explanation.symbol == "ERROR_WSMAN_INVALID_URI_WMI_SINGLETON"
    assert "Version for SoftwareLicensingService" in got.what_to_do


def test_a_win32_code_in_a_fault_is_read_as_a_win32_error() -> None:
    got = fault(
        "w:InvalidParameter",
        "The parameter is incorrect. ",
        f"<w:FaultDetail>{DETAIL}InvalidValue</w:FaultDetail>"
        f'<f:WSManFault {F} Code="87" Machine="SERVER2016.domain.local"><f:Message>'
        '<f:ProviderFault provider="Shell cmd plugin" '
        'path="%systemroot%\\system32\\winrscmd.dll">The parameter is incorrect. '
        "</f:ProviderFault></f:Message></f:WSManFault>",
    )
    assert got.wsman_code == 87  # as sent
    assert got.hresult == 0x80070057  # HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)
    assert got.explanation is not None
    assert got.explanation.category == "win32"
    text = str(got)
    assert "ERROR_INVALID_PARAMETER" in text
    assert "0x80070057 (E_INVALIDARG)" in text
    assert "not a failure" not in text
    assert "S_OK" not in text
