# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wire form of each lab variant the WS-Man server serves (``kmslab/variants.py``, issue 13):

* ``null_array``: a NULL or empty array property or out parameter is one ``xsi:nil`` element
  (MS-WSMAN 3.1.4.1.26) or no element at all;
* ``spp_method_failure``: an SPP method's HRESULT as the §1.6 WSManFault, as an MSFT_WmiError
  detail (shape of capture winrb_wmi_error_v2.xml) or as the method's ReturnValue;
* ``projection_items``: the items of ``SELECT a, b`` carry those properties or every one;
* ``operation_timeout_cap``: a method that takes simulated time outlives the request's
  OperationTimeout, capped at MaxTimeoutms (60 s) by default (MS-WSMV 3.1.4.1.6) or not at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from kmslab.model import Fleet
from kmslab.model.registry import HKEY_LOCAL_MACHINE
from kmslab.provider import ModelProvider
from kmslab.variants import Variants
from kmslab.wsman import WsmanService, cim
from kmslab.wsman.invoke import effective_timeout
from kmslab.wsman.provider import Instance
from kmslab.wsman.service import ServiceConfig
from kmslab.wsman.soap import parse_request
from wsman_clients import (
    GET,
    NS,
    REGISTRY_URI,
    SERVICE_URI,
    raw_request,
    raw_wql,
    service_call,
)
from wsman_fakes import SERVER_ID, VERSION, FakeSpp

SERVICE_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingService}"
PRODUCT_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingProduct}"
REGISTRY_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/StdRegProv}"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
SL_E_INVALID_PRODUCT_KEY = 0xC004F050
TIMED_OUT = 2150858793  # w:TimedOut, wsman-wire §1.6
BAD_KEY = "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB"  # well formed, unknown to the lab: 0xC004F050


class ArraySpp(FakeSpp):
    """FakeSpp whose service instance also has three array properties: NULL, empty, one item."""

    def _service(self) -> Instance:
        base = super()._service()
        arrays = (
            cim.strings("NullArray", None),
            cim.strings("EmptyArray", ()),
            cim.strings("OneItem", ("only",)),
        )
        return Instance(base.class_name, base.properties + arrays, base.keys)


def service(provider: object, **chosen: str) -> WsmanService:
    config = ServiceConfig(variants=Variants(chosen))
    return WsmanService("WIN-0001", provider, config=config)  # type: ignore[arg-type]


def answer(svc: WsmanService, body: str, status: int = 200) -> ET.Element:
    got, text = service_call(svc, body)
    assert got == status, text
    return ET.fromstring(text)


def with_timeout(body: str, timeout: str) -> str:
    """The envelope with a w:OperationTimeout header (xs:duration, wsman-wire §1.1)."""
    header = f"<w:OperationTimeout>{timeout}</w:OperationTimeout><w:ResourceURI>"
    return body.replace("<w:ResourceURI>", header, 1)


def invoke_body(uri: str, method: str, params: str = "") -> str:
    return f'<p:{method}_INPUT xmlns:p="{uri}">{params}</p:{method}_INPUT>'


def set_port(port: int = 1688) -> str:
    body = invoke_body(
        SERVICE_URI, "SetKeyManagementServicePort", f"<p:PortNumber>{port}</p:PortNumber>"
    )
    return raw_request(
        f"{SERVICE_URI}/SetKeyManagementServicePort", SERVICE_URI, body, {"Version": VERSION}
    )


def registry_call(method: str, key: str, value: str = "") -> str:
    params = f"<p:hDefKey>{HKEY_LOCAL_MACHINE}</p:hDefKey><p:sSubKeyName>{key}</p:sSubKeyName>"
    if value:
        params += f"<p:sValueName>{value}</p:sValueName>"
    return raw_request(
        f"{REGISTRY_URI}/{method}", REGISTRY_URI, invoke_body(REGISTRY_URI, method, params)
    )


def model_machine(**chosen: str):
    fleet = Fleet(zones=["corp.lab.test"], variants=Variants(chosen))
    return fleet.add("pc01", "win11-enterprise", domain="corp.lab.test")


# null_array ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["nil", "omit"])
def test_null_and_empty_array_properties_of_an_instance(form: str) -> None:
    svc = service(ArraySpp(), null_array=form)
    get = answer(svc, raw_request(GET, SERVICE_URI, "", {"Version": VERSION}))
    instance = get.find(f"s:Body/{SERVICE_NS}SoftwareLicensingService", NS)
    enumerated = answer(svc, raw_wql("SELECT * FROM SoftwareLicensingService"))
    item = enumerated.find(
        f"s:Body/n:EnumerateResponse/w:Items/{SERVICE_NS}SoftwareLicensingService", NS
    )
    for element in (instance, item):
        assert [e.text for e in element.findall(f"{SERVICE_NS}OneItem")] == ["only"]
        for name in ("NullArray", "EmptyArray"):
            found = element.findall(f"{SERVICE_NS}{name}")
            if form == "nil":  # MS-WSMAN 3.1.4.1.26: once, with xsi:nil="true"
                assert len(found) == 1
                assert found[0].get(XSI_NIL) == "true"
                assert not found[0].text
            else:
                assert found == []
        # A NULL scalar is xsi:nil under both values.
        nil = element.find(f"{SERVICE_NS}KeyManagementServiceMachine")
        assert nil is not None
        assert nil.get(XSI_NIL) == "true"


@pytest.mark.parametrize("form", ["nil", "omit"])
def test_null_array_out_parameters_of_stdregprov(form: str) -> None:
    machine = model_machine(null_array=form)
    empty = r"SOFTWARE\KmsLab\Empty"
    machine.registry.create_key(HKEY_LOCAL_MACHINE, empty)
    svc = service(ModelProvider(machine), null_array=form)
    cases = {
        # EnumValues of an empty key: sNames and Types are empty (ReturnValue 0).
        ("EnumValues", empty, ""): ("0", ("sNames", "Types")),
        # EnumValues of a missing key: NULL arrays (ReturnValue 2).
        ("EnumValues", r"SOFTWARE\KmsLab\Missing", ""): ("2", ("sNames", "Types")),
        # GetMultiStringValue of a missing value: sValue is a NULL string[].
        ("GetMultiStringValue", empty, "Nothing"): (
            machine.variants["registry_missing_value"],
            ("sValue",),
        ),
    }
    for (method, key, value), (code, arrays) in cases.items():
        root = answer(svc, registry_call(method, key, value))
        output = root.find(f"s:Body/{REGISTRY_NS}{method}_OUTPUT", NS)
        assert output.findtext(f"{REGISTRY_NS}ReturnValue") == code
        assert list(output)[-1].tag == f"{REGISTRY_NS}ReturnValue"
        for name in arrays:
            found = output.findall(f"{REGISTRY_NS}{name}")
            if form == "nil":
                assert [e.get(XSI_NIL) for e in found] == ["true"], (method, name)
            else:
                assert found == [], (method, name)


# spp_method_failure -------------------------------------------------------------------------------
def install_bad_key() -> str:
    body = invoke_body(SERVICE_URI, "InstallProductKey", f"<p:ProductKey>{BAD_KEY}</p:ProductKey>")
    return raw_request(
        f"{SERVICE_URI}/InstallProductKey", SERVICE_URI, body, {"Version": "{version}"}
    )


def spp_machine_and_service(form: str):
    machine = model_machine(spp_method_failure=form)
    svc = service(ModelProvider(machine), spp_method_failure=form)
    version = machine.cim.instances("SoftwareLicensingService")[0]["Version"]
    return machine, svc, install_bad_key().replace("{version}", version)


def test_spp_failure_as_the_wsman_fault_template_by_default() -> None:
    machine, svc, request = spp_machine_and_service("wsmanfault")
    root = answer(svc, request, status=500)
    fault = root.find("s:Body/s:Fault", NS)
    assert fault.findtext("s:Code/s:Subcode/s:Value", namespaces=NS) == "w:InternalError"
    detail = fault.find("s:Detail/f:WSManFault", NS)
    assert int(detail.get("Code")) == SL_E_INVALID_PRODUCT_KEY  # wsman-wire §1.6 template
    assert "HRESULT 0xc004f050" in fault.findtext("s:Reason/s:Text", namespaces=NS)
    assert [w.method for w in machine.journal.writes] == ["InstallProductKey"]


def test_spp_failure_as_an_msft_wmierror_detail() -> None:
    machine, svc, request = spp_machine_and_service("wmierror")
    root = answer(svc, request, status=500)
    fault = root.find("s:Body/s:Fault", NS)
    assert fault.findtext("s:Code/s:Subcode/s:Value", namespaces=NS) == "w:InternalError"
    error = next(e for e in fault.iter() if e.tag.endswith("}MSFT_WmiError"))
    code = next(e for e in error if e.tag.endswith("}error_Code"))
    assert int(code.text) == SL_E_INVALID_PRODUCT_KEY  # shape of winrb_wmi_error_v2.xml
    assert fault.find("s:Detail/f:WSManFault", NS) is None
    assert [w.method for w in machine.journal.writes] == ["InstallProductKey"]


def test_spp_failure_as_a_return_value() -> None:
    machine, svc, request = spp_machine_and_service("returnvalue")
    root = answer(svc, request, status=200)
    output = root.find(f"s:Body/{SERVICE_NS}InstallProductKey_OUTPUT", NS)
    assert [e.tag for e in output] == [f"{SERVICE_NS}ReturnValue"]
    assert int(output.findtext(f"{SERVICE_NS}ReturnValue")) == SL_E_INVALID_PRODUCT_KEY
    assert root.findtext("s:Header/a:Action", namespaces=NS).endswith("InstallProductKeyResponse")
    # The model refused the key all the same: nothing installed, the write logged as failed.
    assert [w.method for w in machine.journal.writes] == ["InstallProductKey"]
    assert "0xC004F050" in machine.journal.writes[0].outcome


@pytest.mark.parametrize("form", ["wsmanfault", "wmierror", "returnvalue"])
def test_a_successful_spp_method_answers_alike_under_every_form(form: str) -> None:
    machine = model_machine(spp_method_failure=form)
    svc = service(ModelProvider(machine), spp_method_failure=form)
    version = machine.cim.instances("SoftwareLicensingService")[0]["Version"]
    root = answer(svc, set_port().replace(VERSION, version))
    output = root.find(f"s:Body/{SERVICE_NS}SetKeyManagementServicePort_OUTPUT", NS)
    assert output.findtext(f"{SERVICE_NS}ReturnValue") == "0"


# projection_items ---------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["projected", "full"])
def test_projection_items(form: str) -> None:
    svc = service(FakeSpp(), projection_items=form)
    root = answer(svc, raw_wql("SELECT ID, LicenseStatus FROM SoftwareLicensingProduct"))
    items = root.findall(
        f"s:Body/n:EnumerateResponse/w:Items/{PRODUCT_NS}SoftwareLicensingProduct", NS
    )
    assert len(items) == 2
    names = {child.tag.removeprefix(PRODUCT_NS) for child in items[0]}
    if form == "projected":
        assert names == {"ID", "LicenseStatus"}
    else:  # as if SELECT *: every property of the class
        assert {"ID", "LicenseStatus", "Name", "Description", "EvaluationEndDate"} <= names
    # WHERE still filters under both.
    one = answer(
        svc, raw_wql(f"SELECT Name FROM SoftwareLicensingProduct WHERE ID = '{SERVER_ID}'")
    )
    assert len(one.findall("s:Body/n:EnumerateResponse/w:Items/*", NS)) == 1


# operation_timeout_cap ----------------------------------------------------------------------------
def test_effective_timeout_follows_ms_wsmv_3_1_4_1_6() -> None:
    def request(timeout: str | None):
        body = set_port()
        return parse_request((with_timeout(body, timeout) if timeout else body).encode())

    # MaxTimeoutms (60 s) when the request asks for more, or for nothing.
    assert effective_timeout(request("PT120S"), "60") == 60.0
    assert effective_timeout(request("PT20S"), "60") == 20.0
    assert effective_timeout(request(None), "60") == 60.0
    # No cap: what the request asks for; no limit when it asks for nothing.
    assert effective_timeout(request("PT120S"), "none") == 120.0
    assert effective_timeout(request(None), "none") is None


@pytest.mark.parametrize(
    ("cap", "timeout", "seconds", "timed_out"),
    [
        ("60", "PT120S", 90, True),  # capped at 60 s: the 90 s method outlives it
        ("60", "PT120S", 59, False),
        ("60", None, 61, True),  # no OperationTimeout: MaxTimeoutms applies
        ("60", "PT20S", 30, True),  # shorter than the cap: the request's own timeout
        ("none", "PT120S", 90, False),  # honoured as asked
        ("none", "PT60S", 90, True),
        ("none", None, 3600, False),
    ],
)
def test_a_slow_method_runs_and_times_out_past_the_effective_timeout(
    cap: str, timeout: str | None, seconds: float, timed_out: bool
) -> None:
    spp = FakeSpp()
    svc = service(spp, operation_timeout_cap=cap)
    svc.plan.slow("SetKeyManagementServicePort", seconds, class_name="SoftwareLicensingService")
    body = set_port(1700)
    root = answer(svc, with_timeout(body, timeout) if timeout else body, 500 if timed_out else 200)
    if timed_out:
        fault = root.find("s:Body/s:Fault", NS)
        assert fault.findtext("s:Code/s:Subcode/s:Value", namespaces=NS) == "w:TimedOut"
        assert int(fault.find("s:Detail/f:WSManFault", NS).get("Code")) == TIMED_OUT
    # Windows keeps running the method: it completed either way.
    assert spp.kms_port == 1700
    assert svc.counters.snapshot().methods == {
        "SoftwareLicensingService.SetKeyManagementServicePort": 1
    }


def test_a_slow_method_that_fails_still_answers_timed_out_past_the_limit() -> None:
    machine, svc, request = spp_machine_and_service("wsmanfault")
    svc.plan.slow("InstallProductKey", 90)
    root = answer(svc, with_timeout(request, "PT60S"), status=500)
    assert root.findtext("s:Body/s:Fault/s:Code/s:Subcode/s:Value", namespaces=NS) == "w:TimedOut"
    assert [w.method for w in machine.journal.writes] == ["InstallProductKey"]


def test_slow_is_counted_down_and_cleared() -> None:
    spp = FakeSpp()
    svc = service(spp)
    svc.plan.slow("SetKeyManagementServicePort", 90, times=1)
    answer(svc, with_timeout(set_port(), "PT60S"), status=500)
    answer(svc, with_timeout(set_port(), "PT60S"), status=200)  # used up
    svc.plan.slow("SetKeyManagementServicePort", 90)
    svc.plan.clear()
    answer(svc, with_timeout(set_port(), "PT60S"), status=200)
    with pytest.raises(ValueError, match="negative"):
        svc.plan.slow("Activate", -1)
