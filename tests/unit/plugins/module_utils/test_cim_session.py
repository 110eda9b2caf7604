"""CimSession against a small in-test WS-Man server that answers in the captured/spec shapes.

The fake server below is the *server*: it reads requests with ElementTree, echoes RelatesTo and
answers like WinRM (wsman-wire.md §6). The code under test is CimSession and the real codec.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    OperationTimedOut,
    WsmanFault,
    WsmanProtocolError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import MethodResult
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

S = "http://www.w3.org/2003/05/soap-envelope"
A = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
W = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
N = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
WMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi"
ENUM = f"{N}/Enumerate"
PULL = f"{N}/Pull"
RELEASE = f"{N}/Release"
GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
PRODUCT_ID = "ddfa9f7c-f09e-40b9-8c1a-be877a9a7f4b"


@dataclass
class Seen:
    action: str
    uri: str
    timeout: str
    selectors: dict[str, str]
    body: ET.Element


@dataclass
class FakeWinRM:
    """Rows per class for WQL; one page = ``page`` rows (or the client's MaxElements)."""

    rows: list[str] = field(default_factory=list)
    page: int = 1000
    instances: dict[tuple[str, str], str] = field(default_factory=dict)
    methods: dict[str, Callable[[Seen], str]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    contexts: dict[str, int] = field(default_factory=dict)
    fail_on: Callable[[Seen], str | None] = lambda seen: None
    relates_to: Callable[[str], str] = lambda mid: mid
    counter: itertools.count = field(default_factory=itertools.count)
    read_timeouts: list[float | None] = field(default_factory=list)

    def __call__(self, xml: str, operation_timeout: float | None = None) -> str:
        self.read_timeouts.append(operation_timeout)
        root = ET.fromstring(xml)
        assert root.tag == f"{{{S}}}Envelope"
        header = root.find(f"{{{S}}}Header")
        assert header is not None
        mid = header.findtext(f"{{{A}}}MessageID") or ""
        assert re.fullmatch(r"uuid:[0-9A-F-]{36}", mid)
        body = root.find(f"{{{S}}}Body")
        assert body is not None
        seen = Seen(
            action=header.findtext(f"{{{A}}}Action") or "",
            uri=header.findtext(f"{{{W}}}ResourceURI") or "",
            timeout=header.findtext(f"{{{W}}}OperationTimeout") or "",
            selectors={
                s.get("Name", ""): s.text or "" for s in header.iterfind(f".//{{{W}}}Selector")
            },
            body=body,
        )
        self.seen.append(seen)
        failure = self.fail_on(seen)
        if failure is not None:
            return self.envelope(mid, f"{W}/fault", f"<s:Fault>{failure}</s:Fault>")
        handlers = {ENUM: self.enumerate, PULL: self.pull, RELEASE: self.release, GET: self.get}
        return handlers.get(seen.action, self.invoke)(mid, seen)

    def enumerate(self, mid: str, seen: Seen) -> str:
        assert seen.uri.endswith("/*")
        limit = int(seen.body.findtext(f".//{{{W}}}MaxElements") or 0)
        return self.page_reply(mid, 0, limit, first=True)

    def pull(self, mid: str, seen: Seen) -> str:
        context = seen.body.findtext(f".//{{{N}}}EnumerationContext") or ""
        if context not in self.contexts:
            return self.envelope(mid, f"{N}/fault", invalid_context())
        limit = int(seen.body.findtext(f"{{{N}}}Pull/{{{N}}}MaxElements") or 0)
        return self.page_reply(mid, self.contexts.pop(context), limit, first=False)

    def release(self, mid: str, seen: Seen) -> str:
        self.contexts.pop(seen.body.findtext(f".//{{{N}}}EnumerationContext") or "", None)
        return self.envelope(mid, f"{N}/ReleaseResponse", "")

    def get(self, mid: str, seen: Seen) -> str:
        key = (seen.uri, ",".join(f"{k}={v}" for k, v in sorted(seen.selectors.items())))
        if key not in self.instances:
            return self.envelope(mid, f"{W}/fault", invalid_selectors())
        return self.envelope(mid, f"{GET}Response", self.instances[key])

    def invoke(self, mid: str, seen: Seen) -> str:
        method = seen.action.rpartition("/")[2]
        assert seen.action == f"{seen.uri}/{method}"
        inputs = list(seen.body)
        assert len(inputs) == 1
        assert inputs[0].tag == f"{{{seen.uri}}}{method}_INPUT"
        return self.envelope(mid, f"{seen.action}Response", self.methods[method](seen))

    def page_reply(self, mid: str, start: int, limit: int, *, first: bool) -> str:
        size = min(limit, self.page)
        chunk = self.rows[start : start + size]
        rest = start + size < len(self.rows)
        items_ns = "w" if first else "n"
        items = f"<{items_ns}:Items>{''.join(chunk)}</{items_ns}:Items>" if chunk else ""
        if rest:
            context = f"uuid:{next(self.counter):08X}-0000-4000-8000-000000000000"
            self.contexts[context] = start + size
            tail = f"<n:EnumerationContext>{context}</n:EnumerationContext>"
        elif first:
            tail = "<n:EnumerationContext></n:EnumerationContext><w:EndOfSequence/>"
        else:
            tail = "<n:EndOfSequence/>"
        name = "EnumerateResponse" if first else "PullResponse"
        body = f"<n:{name}>{tail if first else ''}{items}{'' if first else tail}</n:{name}>"
        return self.envelope(mid, f"{N}/{name}", body)

    def envelope(self, mid: str, action: str, body: str) -> str:
        return (
            f'<s:Envelope xml:lang="en-US" xmlns:s="{S}" xmlns:a="{A}" xmlns:n="{N}" '
            f'xmlns:w="{W}" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
            f"<s:Header><a:Action>{action}</a:Action>"
            f"<a:MessageID>uuid:{next(self.counter):08X}-1111-4111-8111-111111111111</a:MessageID>"
            "<p:ActivityId>28E1345C-036D-0001-873B-E1286D03D401</p:ActivityId>"
            f"<a:To>{A}/role/anonymous</a:To><a:RelatesTo>{self.relates_to(mid)}</a:RelatesTo>"
            f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
        )


def fault(subcode: str, code: int, text: str) -> str:
    return (
        f"<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode>"
        f'</s:Code><s:Reason><s:Text xml:lang="en-US">{text}</s:Text></s:Reason><s:Detail>'
        '<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f'Code="{code}" Machine="host"><f:Message>{text}</f:Message></f:WSManFault></s:Detail>'
    )


def invalid_context() -> str:
    return "<s:Fault>" + fault("n:InvalidEnumerationContext", 2150858779, "gone") + "</s:Fault>"


def invalid_selectors() -> str:
    return "<s:Fault>" + fault("w:InvalidSelectors", 2150858813, "bad keys") + "</s:Fault>"


def product(index: int, *, channel: bool = True) -> str:
    ns = f"{WMI}/root/cimv2/SoftwareLicensingProduct"
    channel_xml = "<p:ProductKeyChannel>Volume:GVLK</p:ProductKeyChannel>" if channel else ""
    return (
        f'<p:SoftwareLicensingProduct xmlns:p="{ns}" '
        'xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:type="p:SoftwareLicensingProduct_Type">'
        f"<p:GracePeriodRemaining>{index * 10}</p:GracePeriodRemaining>"
        f"<p:ID>{index:08x}-0000-4000-8000-000000000000</p:ID>"
        "<p:LicenseIsAddon>false</p:LicenseIsAddon>"
        f"<p:LicenseStatus>{index % 7}</p:LicenseStatus>"
        f"<p:Name>Windows(R), Edition {index}</p:Name>"
        '<p:PartialProductKey xsi:nil="true"/>'
        f"{channel_xml}</p:SoftwareLicensingProduct>"
    )


TYPES = {"GracePeriodRemaining": "uint32", "LicenseStatus": "uint32", "LicenseIsAddon": "boolean"}
WQL = "SELECT * FROM SoftwareLicensingProduct"


def expected_row(index: int) -> dict[str, object]:
    return {
        "GracePeriodRemaining": index * 10,
        "ID": f"{index:08x}-0000-4000-8000-000000000000",
        "LicenseIsAddon": False,
        "LicenseStatus": index % 7,
        "Name": f"Windows(R), Edition {index}",
        "PartialProductKey": None,
        "ProductKeyChannel": "Volume:GVLK",
    }


# ------------------------------------------------------------------ query


def test_small_query_costs_one_request() -> None:
    server = FakeWinRM(rows=[product(1), product(2, channel=False)])
    session = CimSession(server)
    rows = session.query(WQL, types=TYPES)
    older = expected_row(2)
    del older["ProductKeyChannel"]  # absent on older Windows: tolerated
    assert rows == [expected_row(1), older]
    assert session.requests == 1
    assert [s.action for s in server.seen] == [ENUM]
    assert server.seen[0].uri == f"{WMI}/root/cimv2/*"
    assert server.seen[0].body.find(f".//{{{W}}}OptimizeEnumeration") is not None
    assert server.seen[0].body.findtext(f".//{{{W}}}MaxElements") == "100"
    assert session.bytes_sent > 0
    assert session.bytes_received > 0


def test_empty_result() -> None:
    server = FakeWinRM()
    session = CimSession(server)
    assert session.query(WQL) == []
    assert session.requests == 1


def test_large_query_pulls_until_the_end() -> None:
    server = FakeWinRM(rows=[product(i) for i in range(7)], page=3)
    session = CimSession(server, max_elements=50)
    rows = session.query(WQL, types=TYPES)
    assert rows == [expected_row(i) for i in range(7)]
    assert [s.action for s in server.seen] == [ENUM, PULL, PULL]
    assert all(s.uri == f"{WMI}/root/cimv2/*" for s in server.seen)
    assert server.seen[1].body.findtext(f"{{{N}}}Pull/{{{N}}}MaxElements") == "50"
    assert server.contexts == {}
    assert session.requests == 3


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(1, 10), st.integers(1, 10))
def test_any_page_layout_returns_every_row_once(count: int, page: int, max_elements: int) -> None:
    server = FakeWinRM(rows=[product(i) for i in range(count)], page=page)
    session = CimSession(server, max_elements=max_elements)
    rows = session.query(WQL, types=TYPES)
    assert [r["ID"] for r in rows] == [f"{i:08x}-0000-4000-8000-000000000000" for i in range(count)]
    per_page = min(page, max_elements)
    assert session.requests == max(1, math.ceil(count / per_page))
    assert server.contexts == {}


def test_fault_during_pull_releases_the_enumeration() -> None:
    def timeout_on_second_pull(seen: Seen) -> str | None:
        pulls = [s for s in server.seen if s.action == PULL]
        if seen.action == PULL and len(pulls) == 2:
            return fault("w:TimedOut", 2150858793, "slow")
        return None

    server = FakeWinRM(rows=[product(i) for i in range(10)], page=3, fail_on=timeout_on_second_pull)
    session = CimSession(server)
    with pytest.raises(OperationTimedOut):
        session.query(WQL)
    assert [s.action for s in server.seen] == [ENUM, PULL, PULL, RELEASE]
    sent = server.seen[2].body.findtext(f".//{{{N}}}EnumerationContext")
    released = server.seen[3].body.findtext(f".//{{{N}}}EnumerationContext")
    assert released == sent
    assert server.contexts == {}
    assert session.requests == 4


def test_bad_value_on_first_page_releases_and_reports() -> None:
    bad = product(1).replace(
        "<p:LicenseStatus>1</p:LicenseStatus>", "<p:LicenseStatus>x</p:LicenseStatus>"
    )
    server = FakeWinRM(rows=[bad, product(2), product(3)], page=1)
    session = CimSession(server)
    with pytest.raises(WsmanProtocolError, match="property LicenseStatus: 'x' is not a uint32"):
        session.query(WQL, types=TYPES)
    assert [s.action for s in server.seen] == [ENUM, RELEASE]
    assert server.contexts == {}


def test_transport_failure_is_not_masked_by_a_failing_release() -> None:
    server = FakeWinRM(rows=[product(i) for i in range(4)], page=2)
    calls = []

    def flaky(xml: str) -> str:
        calls.append(xml)
        if len(calls) >= 2:
            raise ConnectionError("connection reset")
        return server(xml)

    session = CimSession(flaky)
    with pytest.raises(ConnectionError, match="connection reset") as info:
        session.query(WQL)
    assert len(calls) == 3  # Enumerate, Pull (fails), Release (fails too)
    assert "Release" in calls[2]
    assert info.value.__notes__ == ["Releasing the enumeration also failed: connection reset"]


def test_never_ending_enumeration_is_cut_off() -> None:
    server = FakeWinRM(rows=[product(i) for i in range(50)], page=1)
    session = CimSession(server, max_pulls=3)
    with pytest.raises(WsmanProtocolError, match="did not end after 3 pulls"):
        session.query(WQL)
    assert [s.action for s in server.seen] == [ENUM, PULL, PULL, PULL, RELEASE]
    assert server.contexts == {}


def test_expired_context_fault() -> None:
    server = FakeWinRM(rows=[product(i) for i in range(4)], page=2)
    real = server.page_reply

    def forget(mid: str, start: int, limit: int, *, first: bool) -> str:
        text = real(mid, start, limit, first=first)
        server.contexts.clear()  # the host dropped it (EnumerationTimeoutms)
        return text

    server.page_reply = forget  # type: ignore[method-assign]
    with pytest.raises(WsmanFault) as info:
        CimSession(server).query(WQL)
    assert info.value.subcode == "n:InvalidEnumerationContext"
    assert info.value.hresult == 0x8033801B


def test_query_namespace_override_and_timeout() -> None:
    server = FakeWinRM(rows=[])
    CimSession(server, namespace="root\\cimv2").query(
        "SELECT * FROM MSFT_NetFirewallRule WHERE InstanceID='SPPSVC-In-TCP'",
        namespace="root/StandardCimv2",
        timeout=45,
    )
    assert server.seen[0].uri == f"{WMI}/root/StandardCimv2/*"
    assert server.seen[0].timeout == "PT45S"


@pytest.mark.reliability("untrusted_responses")
def test_reply_for_another_request_is_refused() -> None:
    server = FakeWinRM(rows=[product(1)])
    server.relates_to = lambda mid: "uuid:00000000-0000-4000-8000-000000000000"
    with pytest.raises(WsmanProtocolError, match="not to our request"):
        CimSession(server).query(WQL)


def test_transport_returning_nonsense() -> None:
    session = CimSession(lambda xml: None)  # type: ignore[arg-type, return-value]
    with pytest.raises(WsmanProtocolError, match="returned a NoneType, not a body"):
        session.query(WQL)
    session = CimSession(lambda xml: b"<html>Service Unavailable</html>")
    with pytest.raises(WsmanProtocolError, match="not a SOAP envelope"):
        session.get("SoftwareLicensingService", {"Version": "1"})
    assert session.requests == 1


# ------------------------------------------------------------------ get


SERVICE_URI = f"{WMI}/root/cimv2/SoftwareLicensingService"
SERVICE = (
    f'<p:SoftwareLicensingService xmlns:p="{SERVICE_URI}" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:type="p:SoftwareLicensingService_Type">'
    "<p:KeyManagementServiceCurrentCount>4294967295</p:KeyManagementServiceCurrentCount>"
    "<p:KeyManagementServiceDnsPublishing>true</p:KeyManagementServiceDnsPublishing>"
    '<p:KeyManagementServiceMachine xsi:nil="true"/>'
    "<p:KeyManagementServicePort>0</p:KeyManagementServicePort>"
    "<p:Version>10.0.20348.1</p:Version>"
    "<p:VLActivationInterval>120</p:VLActivationInterval>"
    "</p:SoftwareLicensingService>"
)


def test_get_by_selectors() -> None:
    server = FakeWinRM(instances={(SERVICE_URI, "Version=10.0.20348.1"): SERVICE})
    session = CimSession(server)
    got = session.get(
        "SoftwareLicensingService",
        {"Version": "10.0.20348.1"},
        types={
            "KeyManagementServiceCurrentCount": "uint32",
            "KeyManagementServiceDnsPublishing": "boolean",
            "KeyManagementServicePort": "uint32",
            "VLActivationInterval": "uint32",
        },
    )
    assert got == {
        "KeyManagementServiceCurrentCount": 4294967295,
        "KeyManagementServiceDnsPublishing": True,
        "KeyManagementServiceMachine": None,
        "KeyManagementServicePort": 0,
        "Version": "10.0.20348.1",
        "VLActivationInterval": 120,
    }
    assert server.seen[0].action == GET
    assert server.seen[0].selectors == {"Version": "10.0.20348.1"}
    assert session.requests == 1


def test_get_with_wrong_selectors_is_a_fault_with_advice() -> None:
    server = FakeWinRM()
    with pytest.raises(WsmanFault) as info:
        CimSession(server).get("SoftwareLicensingService", {"Version": "9.9"})
    assert info.value.hresult == 0x8033803D
    assert "Enumerate first" in str(info.value)


# ------------------------------------------------------------------ invoke


def output(method: str, uri: str, inner: str) -> str:
    return f'<p:{method}_OUTPUT xmlns:p="{uri}">{inner}</p:{method}_OUTPUT>'


def test_instance_method_with_parameters() -> None:
    def set_port(seen: Seen) -> str:
        port = seen.body.findtext(f".//{{{SERVICE_URI}}}PortNumber")
        assert port == "1688"
        return output("SetKeyManagementServicePort", seen.uri, "<p:ReturnValue>0</p:ReturnValue>")

    server = FakeWinRM(methods={"SetKeyManagementServicePort": set_port})
    result = CimSession(server).invoke(
        "SoftwareLicensingService",
        "SetKeyManagementServicePort",
        {"PortNumber": 1688},
        {"Version": "10.0.20348.1"},
        param_types={"PortNumber": "uint32"},
    )
    assert result == MethodResult(0, {})
    assert server.seen[0].selectors == {"Version": "10.0.20348.1"}
    assert server.seen[0].timeout == "PT20S"


def test_static_method_with_out_parameters_and_array() -> None:
    uri = f"{WMI}/root/default/StdRegProv"

    def get_multi(seen: Seen) -> str:
        assert seen.selectors == {}
        return output(
            "GetMultiStringValue",
            uri,
            "<p:sValue>corp.example.com,0,0</p:sValue><p:ReturnValue>0</p:ReturnValue>",
        )

    server = FakeWinRM(methods={"GetMultiStringValue": get_multi})
    session = CimSession(server)
    result = session.invoke(
        "StdRegProv",
        "GetMultiStringValue",
        {"hDefKey": 2147483650, "sSubKeyName": "SOFTWARE\\x", "sValueName": "DnsDomainPublishList"},
        namespace="root/default",
        types={"sValue": "string[]"},
    )
    assert result.return_value == 0
    assert result.out == {"sValue": ["corp.example.com,0,0"]}
    assert server.seen[0].uri == uri


def test_activate_timeout_parameter_and_timed_out_outcome() -> None:
    def slow(seen: Seen) -> str | None:
        if seen.action.endswith("/Activate"):
            return fault("w:TimedOut", 2150858793, "The operation timed out.")
        return None

    server = FakeWinRM(fail_on=slow)
    session = CimSession(server, operation_timeout=20)
    with pytest.raises(OperationTimedOut) as info:
        session.invoke(
            "SoftwareLicensingProduct", "Activate", selectors={"ID": PRODUCT_ID}, timeout=120
        )
    assert server.seen[0].timeout == "PT120S"
    # The transport is told too, so its HTTP read timeout outlasts the longer operation.
    assert server.read_timeouts == [120]
    assert server.seen[0].selectors == {"ID": PRODUCT_ID}
    assert "outcome is unknown" in str(info.value)
    assert "re-read the state" in str(info.value)


@pytest.mark.reliability("secrets")
def test_spp_fault_from_install_product_key_never_echoes_the_key() -> None:
    key = "ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ"
    text = "The WMI service or the WMI provider returned an unknown error: HRESULT 0xc004f050"

    def refuse(seen: Seen) -> str | None:
        return fault("w:InternalError", 3221549136, escape(text))

    server = FakeWinRM(fail_on=refuse)
    with pytest.raises(WsmanFault) as info:
        CimSession(server).invoke(
            "SoftwareLicensingService", "InstallProductKey", {"ProductKey": key}, {"Version": "1"}
        )
    assert info.value.hresult == 0xC004F050
    assert key not in str(info.value)
    assert key not in repr(info.value.args)


# ------------------------------------------------------------------ construction


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_elements": 0}, "max_elements: must be a whole number"),
        ({"max_pulls": -1}, "max_pulls: must be a whole number"),
        ({"operation_timeout": 0}, "operation_timeout: must be from 0.001 to 86400"),
        ({"namespace": "root cimv2"}, "namespace: is not a WMI namespace path"),
        ({"max_envelope_size": 10}, "max_envelope_size: must be a whole number"),
        ({"max_response_bytes": 0}, "max_response_bytes: must be a whole number"),
        ({"max_response_bytes": "1"}, "max_response_bytes: must be a whole number"),
    ],
)
def test_bad_session_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(KmsInputError, match=message):
        CimSession(FakeWinRM(), **kwargs)  # type: ignore[arg-type]


def test_bad_type_hints_fail_before_sending() -> None:
    server = FakeWinRM()
    session = CimSession(server)
    for call in (
        lambda: session.query(WQL, types={"X": "int"}),
        lambda: session.get("Win32_Service", {"Name": "sppsvc"}, types={"X": "int"}),
        lambda: session.invoke("Win32_Service", "StartService", types={"X": "int"}),
        lambda: session.invoke("Win32_Service", "StartService", param_types={"X": "int"}),
    ):
        with pytest.raises(KmsInputError, match="types: 'int' is not a CIM type"):
            call()
    assert session.requests == 0
    assert server.seen == []


def test_send_must_be_callable() -> None:
    with pytest.raises(KmsInputError, match="send: must be a callable"):
        CimSession("http://host")  # type: ignore[arg-type]


def test_response_size_limit_follows_the_envelope_size() -> None:
    server = FakeWinRM(rows=[product(i) for i in range(300)])
    session = CimSession(server, max_envelope_size=8192, max_elements=1000)
    with pytest.raises(WsmanProtocolError, match="over the limit of 16384"):
        session.query(WQL)
