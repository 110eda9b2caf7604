"""SOAP faults -> typed errors with the HRESULT explained; protocol errors."""

from __future__ import annotations

import copy
import pickle
from xml.sax.saxutils import escape as sax_escape
from xml.sax.saxutils import quoteattr

import pytest
from fixture_files import read_fixture
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.wsman import messages as wsman
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    SUBCODE_ADVICE,
    TIMED_OUT_CODE,
    OperationTimedOut,
    WsmanError,
    WsmanFault,
    WsmanProtocolError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.fault import (
    parse_code,
    select_hresult,
)


def escape(text: str) -> str:
    """Element content escaped, carriage returns kept (the test's own escaping)."""
    return sax_escape(text, {"\r": "&#13;"})


def capture(name: str) -> str:
    return read_fixture("wsman-captures", name)


def fault_of(body: str, **kwargs: object) -> WsmanFault:
    with pytest.raises(WsmanFault) as info:
        wsman.read_envelope(body, **kwargs)  # type: ignore[arg-type]
    return info.value


RELATES = "uuid:0CB1C49A-5054-4C12-AF30-FC60BE995DD9"


# ------------------------------------------------------------------ the captured faults


@pytest.mark.parametrize("name", ["winrb_soap_fault_v2.xml", "winrb_wsman_fault.xml"])
def test_capture_nested_provider_fault(name: str) -> None:
    """Fixture (f): WQL on an unknown class; nested ProviderFault and __ExtendedStatus."""
    fault = fault_of(capture(name), message_id=RELATES)
    assert fault.__class__ is WsmanFault
    assert fault.code == "s:Sender"
    assert fault.subcode == "n:CannotProcessFilter"
    assert fault.subcode_name == "CannotProcessFilter"
    assert fault.reason.startswith("The data source could not process the filter.")
    assert fault.reason.endswith("try the request again.")
    assert fault.message == "The specified class does not exist in the given namespace."
    assert fault.wsman_code == 2150858778
    assert fault.provider_code == 2150858778
    assert fault.hresult == 0x8033801A
    assert fault.machine == "vagrant-2008R2"
    assert fault.provider == "WMI Provider"
    assert fault.provider_path == "%systemroot%\\system32\\WsmWmiPl.dll"
    assert fault.action == "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"
    assert fault.wmi_error is None
    assert fault.extended_error == {
        "Description": None,
        "Operation": "ExecQuery",
        "ParameterInfo": 'Select * from Win32_Processa where name="sshd.exe"',
        "ProviderName": "WinMgmt",
        "StatusCode": None,
    }
    explained = hresult.explain(0x8033801A)
    assert str(fault) == (
        "WS-Management fault n:CannotProcessFilter: The specified class does not exist in the "
        f"given namespace. [HRESULT 0x8033801A ({explained.symbol}): {explained.meaning}] "
        f"What to do: {explained.action}"
    )


@pytest.mark.reliability("untrusted_responses")
def test_capture_fault_for_another_request_is_a_protocol_error() -> None:
    body = capture("winrb_soap_fault_v2.xml")
    with pytest.raises(WsmanProtocolError, match="not to our request"):
        wsman.read_envelope(body, message_id="uuid:0CB1C49A-5054-4C12-AF30-FC60BE995DD8")


def test_capture_msft_wmi_error() -> None:
    """Fixture (g): MSFT_WmiError detail, no RelatesTo at all (accepted for a fault)."""
    fault = fault_of(capture("winrb_wmi_error_v2.xml"), message_id=RELATES)
    assert fault.__class__ is WsmanFault
    assert fault.subcode == "w:QuotaLimit"
    assert fault.hresult == 0x803381A5
    assert fault.wsman_code is None
    assert fault.wmi_error is not None
    assert fault.wmi_error["CIMStatusCode"] == 27
    assert fault.wmi_error["error_Code"] == 2150859173
    assert fault.wmi_error["error_Type"] == "HRESULT"
    assert fault.wmi_error["MessageID"] == "HRESULT 0x803381a5"
    assert fault.wmi_error["OwningEntity"] is None
    assert fault.message.startswith("The WS-Management service cannot process the request. This")
    assert "maximum number of 30 concurrent shells" in str(fault)
    assert f"What to do: {hresult.explain(0x803381A5).action}" in str(fault)


# ------------------------------------------------------------------ constructed faults (§1.6)

ENVELOPE = (
    '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
    "<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>"
    "<a:MessageID>uuid:11111111-1111-1111-1111-111111111111</a:MessageID>"
    "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
    f"<a:RelatesTo>{RELATES}</a:RelatesTo></s:Header><s:Body><s:Fault>{{fault}}</s:Fault>"
    "</s:Body></s:Envelope>"
)
F = 'xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"'


def code(value: str, subcode: str | None = None) -> str:
    sub = f"<s:Subcode><s:Value>{subcode}</s:Value></s:Subcode>" if subcode else ""
    return f"<s:Code><s:Value>{value}</s:Value>{sub}</s:Code>"


def reason(text: str) -> str:
    return f'<s:Reason><s:Text xml:lang="en-US">{text}</s:Text></s:Reason>'


def wsman_fault(code_attr: str, message: str) -> str:
    return (
        f'<s:Detail><f:WSManFault {F} Code="{code_attr}" Machine="host">'
        f"<f:Message>{message}</f:Message></f:WSManFault></s:Detail>"
    )


def wmi_error(error_code: str, message: str = "m") -> str:
    return (
        "<s:Detail><p:MSFT_WmiError b:IsCIM_Error='true' "
        "xmlns:b='http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd' "
        "xmlns:cim='http://schemas.dmtf.org/wbem/wscim/1/common' "
        "xmlns:p='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError' "
        "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:type='p:MSFT_WmiError_Type'>"
        f"<p:Message xsi:type='cim:cimString'>{message}</p:Message>"
        f"<p:error_Code xsi:type='cim:cimUnsignedInt'>{error_code}</p:error_Code>"
        "<p:error_Type xsi:type='cim:cimString'>HRESULT</p:error_Type>"
        "</p:MSFT_WmiError></s:Detail>"
    )


SPP_TEXT = (
    "The WS-Management service cannot process the request. The WMI service or the WMI provider "
    "returned an unknown error: HRESULT 0xc004f050 "
)


def test_spp_hresult_fault_template() -> None:
    """The §1.6 simulator template for InstallProductKey with an invalid key."""
    body = ENVELOPE.format(
        fault=code("s:Receiver", "w:InternalError")
        + reason(SPP_TEXT)
        + wsman_fault("3221549136", SPP_TEXT)
    )
    fault = fault_of(body, message_id=RELATES, http_status=500)
    assert fault.hresult == 0xC004F050
    assert fault.wsman_code == 3221549136
    assert fault.provider_code is None
    assert fault.http_status == 500
    explained = hresult.explain(0xC004F050)
    assert fault.explanation == explained
    assert f"0xC004F050 ({explained.symbol})" in str(fault)
    assert str(fault).endswith(f"What to do: {explained.action}")


def test_spp_hresult_in_msft_wmi_error() -> None:
    body = ENVELOPE.format(
        fault=code("s:Receiver", "w:InternalError") + reason("x") + wmi_error("3221549172")
    )
    fault = fault_of(body)
    assert fault.hresult == 0xC004F074
    assert fault.message == "m"


def test_provider_hresult_in_text_beats_a_generic_winrm_code() -> None:
    text = "The WMI service or the WMI provider returned an unknown error: HRESULT 0x8004106c"
    body = ENVELOPE.format(
        fault=code("s:Receiver", "w:InternalError") + reason(text) + wsman_fault("2150858752", text)
    )
    fault = fault_of(body)
    assert fault.wsman_code == 0x80338000
    assert fault.hresult == 0x8004106C
    assert "WBEM_E_QUOTA_VIOLATION" in str(fault)


def test_hresult_from_text_only_and_none_at_all() -> None:
    only_text = ENVELOPE.format(fault=code("s:Receiver") + reason("failed: HRESULT 0x80070005"))
    assert fault_of(only_text).hresult == 0x80070005
    nothing = ENVELOPE.format(fault=code("s:Sender", "w:EncodingLimit") + reason("too big"))
    fault = fault_of(nothing)
    assert fault.hresult is None
    assert fault.explanation is None
    advice = SUBCODE_ADVICE["EncodingLimit"]
    assert str(fault) == f"WS-Management fault w:EncodingLimit: too big What to do: {advice}"


def test_timed_out_fault_is_operation_timed_out() -> None:
    """pywinrm (h): w:TimedOut with WSManFault Code 2150858793."""
    body = ENVELOPE.format(
        fault=code("s:Receiver", "w:TimedOut")
        + reason(
            "The WS-Management service cannot complete the operation within the time specified "
            "in OperationTimeout."
        )
        + wsman_fault(
            str(TIMED_OUT_CODE), "The WS-Management service cannot complete the operation."
        )
    )
    fault = fault_of(body)
    assert isinstance(fault, OperationTimedOut)
    assert fault.hresult == hresult.ERROR_WSMAN_OPERATION_TIMEDOUT
    assert str(fault).endswith(f"What to do: {SUBCODE_ADVICE['TimedOut']}")
    assert "outcome is unknown" in str(fault)


@pytest.mark.parametrize(
    "fault",
    [
        code("s:Receiver", "wsman:TimedOut") + reason("slow"),  # another prefix, no detail
        code("s:Receiver", "w:InternalError") + reason("slow") + wsman_fault("2150858793", "x"),
        code("s:Receiver") + reason("slow") + wmi_error("2150858793"),
    ],
)
def test_timeout_detected_by_subcode_or_code(fault: str) -> None:
    assert isinstance(fault_of(ENVELOPE.format(fault=fault)), OperationTimedOut)


def test_pywinrm_fault_shapes() -> None:
    """The other four bodies of pywinrm's test_exceptions.py (summarised in §1.6 (h))."""
    must = fault_of(
        ENVELOPE.format(fault=code("s:MustUnderstand") + reason("header not understood"))
    )
    assert must.code == "s:MustUnderstand"
    assert must.subcode == ""
    assert str(must) == "WS-Management fault s:MustUnderstand: header not understood"
    unknown = fault_of(ENVELOPE.format(fault=code("s:Receiver", "w:Unknown")))
    assert unknown.reason == ""
    assert str(unknown) == "WS-Management fault w:Unknown: no message from the server"
    schema = fault_of(
        ENVELOPE.format(
            fault=code("s:Sender", "w:SchemaValidationError")
            + reason("The SOAP XML in the message does not match the corresponding XML schema")
            + wsman_fault("2150858817", "The Windows Remote Shell cannot process the request.")
        )
    )
    assert schema.hresult == 0x80338041
    assert f"What to do: {hresult.explain(0x80338041).action}" in str(schema)
    quota = fault_of(
        ENVELOPE.format(
            fault=code("s:Receiver", "w:InternalError") + reason("quota") + wmi_error("2150859174")
        )
    )
    assert quota.hresult == 0x803381A6
    assert not isinstance(quota, OperationTimedOut)


def test_invalid_selectors_fault_advice() -> None:
    body = ENVELOPE.format(
        fault=code("s:Sender", "w:InvalidSelectors")
        + reason("The selectors for the resource are not valid.")
        + wsman_fault("2150858813", "The WS-Management service cannot process the request.")
    )
    fault = fault_of(body)
    assert fault.hresult == 0x8033803D
    assert fault.what_to_do == hresult.explain(0x8033803D).action


def test_unknown_hresult_prefers_subcode_advice_over_generic_text() -> None:
    body = ENVELOPE.format(
        fault=code("s:Sender", "w:AccessDenied") + reason("denied") + wsman_fault("2147942487", "x")
    )
    fault = fault_of(body)
    assert fault.hresult == 0x80070057
    assert fault.what_to_do == hresult.explain(0x80070057).action  # catalogued: E_INVALIDARG
    body = ENVELOPE.format(
        fault=code("s:Sender", "w:AccessDenied") + reason("denied") + wsman_fault("2147942501", "x")
    )
    fault = fault_of(body)
    assert fault.hresult == 0x80070065
    assert fault.what_to_do == SUBCODE_ADVICE["AccessDenied"]
    body = ENVELOPE.format(
        fault=code("s:Sender", "w:Weird") + reason("?") + wsman_fault("2147942501", "x")
    )
    assert fault_of(body).what_to_do == hresult.explain(0x80070065).action


@pytest.mark.reliability("untrusted_responses")
def test_badly_typed_wmi_error_still_gives_the_fault() -> None:
    body = ENVELOPE.format(fault=code("s:Receiver") + reason("r") + wmi_error("not-a-number"))
    fault = fault_of(body)
    assert fault.wmi_error is not None
    assert fault.wmi_error["error_Code"] == "not-a-number"
    assert fault.hresult is None


def test_extended_status_code_is_a_candidate() -> None:
    detail = (
        f'<s:Detail><f:WSManFault {F} Code="2150858752"><f:Message><f:ProviderFault provider="WMI">'
        f'<f:WSManFault {F} Code="2150858752"><f:Message>inner</f:Message></f:WSManFault>'
        '<f:ExtendedError><p:__ExtendedStatus xmlns:p="urn:x"><p:StatusCode>2147749904'
        "</p:StatusCode></p:__ExtendedStatus></f:ExtendedError></f:ProviderFault></f:Message>"
        "</f:WSManFault></s:Detail>"
    )
    fault = fault_of(ENVELOPE.format(fault=code("s:Receiver") + reason("r") + detail))
    assert fault.hresult == 0x80041010
    assert fault.message == "inner"
    assert fault.provider == "WMI"


def test_provider_fault_with_plain_text() -> None:
    detail = (
        f'<s:Detail><f:WSManFault {F} Code="2150858752"><f:Message><f:ProviderFault '
        'provider="WMI Provider" path="p">Provider says no</f:ProviderFault></f:Message>'
        "</f:WSManFault></s:Detail>"
    )
    fault = fault_of(ENVELOPE.format(fault=code("s:Receiver") + detail))
    assert fault.message == "Provider says no"
    assert fault.provider_path == "p"


def test_error_from_body_for_transports_that_raise_on_500() -> None:
    body = ENVELOPE.format(fault=code("s:Receiver", "w:TimedOut") + reason("slow"))
    error = wsman.error_from_body(body, http_status=500, message_id=RELATES)
    assert isinstance(error, OperationTimedOut)
    assert error.http_status == 500
    error = wsman.error_from_body(b"\x00\x01", http_status=500)
    assert isinstance(error, WsmanProtocolError)
    assert error.http_status == 500


def test_hierarchy_and_protocol_error_text() -> None:
    assert issubclass(OperationTimedOut, WsmanFault)
    assert issubclass(WsmanFault, WsmanError)
    assert issubclass(WsmanProtocolError, WsmanError)
    assert issubclass(WsmanError, KmsError)
    error = WsmanProtocolError("the reply is odd", detail="Retry.", http_status=500)
    assert str(error) == "WS-Management protocol error: the reply is odd (HTTP 500). Retry."
    assert error.args == (str(error),)
    assert str(WsmanProtocolError("x")) == "WS-Management protocol error: x"


@pytest.mark.parametrize("name", ["winrb_soap_fault_v2.xml", "winrb_wmi_error_v2.xml"])
def test_errors_survive_pickling_and_copying(name: str) -> None:
    """Worker processes and copy.copy need errors that rebuild from their attributes."""
    fault = fault_of(capture(name))
    fault.add_note("a note")
    for clone in (pickle.loads(pickle.dumps(fault)), copy.copy(fault)):
        assert type(clone) is type(fault)
        assert str(clone) == str(fault)
        assert clone.args == fault.args
        assert clone.hresult == fault.hresult
        assert clone.wmi_error == fault.wmi_error
        assert clone.__notes__ == ["a note"]
    timeout = fault_of(ENVELOPE.format(fault=code("s:Receiver", "w:TimedOut") + reason("slow")))
    assert isinstance(pickle.loads(pickle.dumps(timeout)), OperationTimedOut)
    protocol = WsmanProtocolError("odd", detail="d", http_status=502)
    clone = pickle.loads(pickle.dumps(protocol))
    assert (clone.problem, clone.detail, clone.http_status) == ("odd", "d", 502)
    assert str(clone) == str(protocol)


# ------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2150858778", 0x8033801A),
        (" 0x8033801a ", 0x8033801A),
        ("-2144108518", 0x8033801A),
        (2150858778, 0x8033801A),
        (-1, 0xFFFFFFFF),
        ("4294967296", None),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        (1.5, None),
    ],
)
def test_parse_code(value: object, expected: int | None) -> None:
    assert parse_code(value) == expected


def test_select_hresult_order() -> None:
    assert select_hresult({"error_Code": 5}, [0x8033801A], ["HRESULT 0xc004f050"]) == 5
    assert select_hresult(None, [0x80338000, 0xC004F050], []) == 0xC004F050
    assert select_hresult(None, [0x8033801A], ["HRESULT 0x8033801b"]) == 0x8033801A
    assert select_hresult(None, [0x8033801A], ["HRESULT 0x80041010"]) == 0x80041010
    assert select_hresult(None, [0xC004F050], ["HRESULT 0x80041010"]) == 0xC004F050
    assert select_hresult(None, [], ["no code", "HRESULT 0x8033801b"]) == 0x8033801B
    assert select_hresult(None, [], []) is None
    assert select_hresult({"error_Code": None}, [], [], extended_status=0x80041002) == 0x80041002


# ------------------------------------------------------------------ fuzzing: always a fault

ANY_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13))
        + "\ufffe\uffff",
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT), st.booleans())
@pytest.mark.reliability("untrusted_responses")
def test_any_fault_content_gives_a_fault(texts: tuple[str, ...], use_wmi: bool) -> None:
    subcode, text, code_attr, message, error_code = texts
    detail = (
        wmi_error(escape(error_code), escape(message))
        if use_wmi
        else (
            f"<s:Detail><f:WSManFault {F} Code={quoteattr(code_attr)} Machine={quoteattr(text)}>"
            f"<f:Message>{escape(message)}</f:Message></f:WSManFault></s:Detail>"
        )
    )
    body = ENVELOPE.format(
        fault=code("s:Receiver", escape(subcode) or None) + reason(escape(text)) + detail
    )
    fault = fault_of(body)
    rendered = str(fault)
    assert rendered.startswith("WS-Management fault ")
    assert fault.subcode == subcode.strip()
    if fault.hresult is not None:
        assert hresult.explain(fault.hresult).hex in rendered
