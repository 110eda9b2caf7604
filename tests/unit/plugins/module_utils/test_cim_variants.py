# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client reads every form an unconfirmed Windows detail may take (issue 13, lab variants):

* a NULL or empty array as one ``xsi:nil`` element or as no element at all (``null_array``);
* items of ``SELECT a, b`` with only those properties or with every property of the class
  (``projection_items``): properties it did not ask for are ignored;
* an SPP method's HRESULT as a fault (WSManFault or MSFT_WmiError detail) or as the method's
  ReturnValue (``spp_method_failure``): the same typed error, the same message.

First the parsing on its own, then the protocol core against a lab machine under each value.
"""

from __future__ import annotations

import datetime as dt
import pickle
import xml.etree.ElementTree as ET

import pytest
from kmslab.model import Fleet, KeyKind, admin
from kmslab.model.registry import HKEY_LOCAL_MACHINE
from kmslab.provider import ModelProvider
from kmslab.variants import Variants
from kmslab.wsman.service import ServiceConfig, WsmanService

from ansible_collections.volact.kms.plugins.module_utils.activation import info as activation_info
from ansible_collections.volact.kms.plugins.module_utils.client.apply import StepFailed
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult, spp
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import Registry
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import (
    MethodFailed,
    Spp,
    failure_text,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import decode_properties
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import (
    parse_invoke_response,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import (
    CimSession,
    selected_names,
)

CORP = "corp.lab.test"
URI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/StdRegProv"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
BAD_KEY = "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB"  # well formed, unknown to the lab: 0xC004F050
SL_E_INVALID_PRODUCT_KEY = 0xC004F050
EMPTY_KEY = r"SOFTWARE\KmsLab\Empty"


def envelope(body: str) -> str:
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">'
        "<s:Header><a:Action>x</a:Action></s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def enum_values_output(arrays: str) -> str:
    return envelope(
        f'<p:EnumValues_OUTPUT xmlns:xsi="{XSI}" xmlns:p="{URI}">{arrays}'
        "<p:ReturnValue>0</p:ReturnValue></p:EnumValues_OUTPUT>"
    )


# Parsing ------------------------------------------------------------------------------------------
NIL_ARRAYS = '<p:sNames xsi:nil="true"/><p:Types xsi:nil="true"/>'


@pytest.mark.parametrize("arrays", [NIL_ARRAYS, ""], ids=["nil", "omit"])
def test_a_nil_array_and_a_missing_one_read_alike(arrays: str) -> None:
    types = {"sNames": "string[]", "Types": "sint32[]"}
    result = parse_invoke_response(enum_values_output(arrays), "EnumValues", types=types)
    assert result.return_value == 0
    assert result.out.get("sNames") is None
    assert result.out.get("Types") is None
    assert (result.out.get("sNames") or []) == []


def test_one_item_with_an_array_hint_is_still_a_list() -> None:
    one = enum_values_output("<p:sNames>A</p:sNames><p:Types>1</p:Types>")
    result = parse_invoke_response(
        one, "EnumValues", types={"sNames": "string[]", "Types": "sint32[]"}
    )
    assert result.out == {"sNames": ["A"], "Types": [1]}


def test_properties_not_asked_for_are_skipped_unread() -> None:
    item = ET.fromstring(
        f'<p:C xmlns:p="urn:c" xmlns:xsi="{XSI}" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">'
        "<p:ID>x</p:ID><p:LicenseStatus>1</p:LicenseStatus>"
        # Extra properties a full item may carry, one of them not even decodable as typed.
        "<p:EvaluationEndDate><cim:Datetime>not a date</cim:Datetime></p:EvaluationEndDate>"
        "<p:Tags>a</p:Tags><p:Tags>b</p:Tags><p:Nothing xsi:nil='true'/></p:C>"
    )
    types = {"ID": "string", "LicenseStatus": "uint32"}
    assert decode_properties(item, types, {"id", "licensestatus"}) == {
        "ID": "x",
        "LicenseStatus": 1,
    }


def test_the_select_list_names_the_properties_a_row_keeps() -> None:
    assert selected_names("SELECT ID, Name FROM SoftwareLicensingProduct") == {"id", "name"}
    assert selected_names("select  id,\n  LicenseStatus\nfrom C where ID = 'x'") == {
        "id",
        "licensestatus",
    }
    assert selected_names("SELECT * FROM SoftwareLicensingService") is None
    assert selected_names("SELECT COUNT(*) FROM C") is None  # not a list of names: keep all


def test_a_return_value_is_the_same_error_as_a_fault() -> None:
    failed = MethodFailed("InstallProductKey", SL_E_INVALID_PRODUCT_KEY)
    assert isinstance(failed, WsmanFault)
    assert failed.hresult == SL_E_INVALID_PRODUCT_KEY
    assert failed.explanation is not None
    assert failed.explanation.symbol == "SL_E_INVALID_PRODUCT_KEY"
    assert str(failed) == f"InstallProductKey failed: {hresult.describe(SL_E_INVALID_PRODUCT_KEY)}"
    fault = WsmanFault(subcode="w:InternalError", hresult_code=SL_E_INVALID_PRODUCT_KEY)
    assert failure_text(failed) == failure_text(fault)
    assert failure_text(failed).startswith("0xC004F050 (SL_E_INVALID_PRODUCT_KEY)")
    again = pickle.loads(pickle.dumps(failed))
    assert (type(again), again.hresult, str(again)) == (MethodFailed, failed.hresult, str(failed))
    # A ReturnValue read as signed (-1073418160) names the same HRESULT.
    assert MethodFailed("X", SL_E_INVALID_PRODUCT_KEY - 2**32).hresult == SL_E_INVALID_PRODUCT_KEY


# Against a lab machine under each variant value --------------------------------------------------
def lab_machine(**chosen: str):
    fleet = Fleet(zones=[CORP], variants=Variants(chosen))
    host = fleet.add("kms1", "ws2022-standard", domain=CORP)
    admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key, [f"{CORP}, 0, 100"])
    machine = fleet.add("pc1", "win11-pro", domain=CORP, initial_key=KeyKind.MAK)
    machine.registry.create_key(HKEY_LOCAL_MACHINE, EMPTY_KEY)
    return machine


def session_for(machine) -> CimSession:
    config = ServiceConfig(variants=machine.variants)
    service = WsmanService(machine.fqdn, ModelProvider(machine), config=config)

    def send(xml: str, **_: object) -> bytes:
        return service.handle(xml.encode(), alias=machine.fqdn, endpoint="http://lab/wsman")[1]

    return CimSession(send)


@pytest.mark.parametrize("form", ["nil", "omit"])
def test_registry_arrays_under_both_null_array_forms(form: str) -> None:
    session = session_for(lab_machine(null_array=form))
    assert Registry(session, EMPTY_KEY).enum_values() == {}
    assert Registry(session, r"SOFTWARE\KmsLab\Missing").enum_values() is None
    assert Registry(session, EMPTY_KEY).get("Nothing", "REG_MULTI_SZ") is None
    assert Registry(session).get("DnsDomainPublishList", "REG_MULTI_SZ") is None


def spp_failure(form: str) -> tuple[WsmanFault, WsmanFault]:
    """InstallProductKey of an unknown key and Activate with no KMS host to be found, under the
    ``spp_method_failure`` form ``form``."""
    machine = lab_machine(spp_method_failure=form)
    session = session_for(machine)
    methods = Spp(session, spp.read_service(session).version)
    with pytest.raises(WsmanFault) as install:
        methods.install_product_key(ProductKey.parse(BAD_KEY))
    admin.install_key(machine, machine.keys.for_image(KeyKind.GVLK, "win11-pro").key)
    admin.call_service(machine, "SetKeyManagementServiceMachine", MachineName=f"gone.{CORP}")
    product = spp.primary_windows_product(spp.read_products(session))
    assert product is not None
    with pytest.raises(WsmanFault) as activate:
        methods.activate(product.id)
    return install.value, activate.value


FORMS = ("wsmanfault", "wmierror", "returnvalue")


def test_spp_failures_are_the_same_error_under_every_form() -> None:
    seen = {form: spp_failure(form) for form in FORMS}
    for form, (install, activate) in seen.items():
        assert install.hresult == SL_E_INVALID_PRODUCT_KEY, form
        assert activate.hresult == 0xC004F074, form  # no KMS host could be contacted
        assert isinstance(install, MethodFailed) is (form == "returnvalue")
    texts = {
        form: (
            failure_text(install),
            failure_text(activate),
            str(StepFailed("InstallProductKey (Windows 11 Pro)", install, changed=False)),
        )
        for form, (install, activate) in seen.items()
    }
    assert texts["wmierror"] == texts["wsmanfault"]
    assert texts["returnvalue"] == texts["wsmanfault"]
    step = texts["wsmanfault"][2]
    assert step.startswith(
        "InstallProductKey (Windows 11 Pro) failed: 0xC004F050 (SL_E_INVALID_PRODUCT_KEY)"
    )
    assert "What to do:" in step


def test_projected_and_full_items_read_the_same() -> None:
    """``projection_items=full`` sends every property: rows and facts stay the same."""
    now = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    read: dict[str, tuple] = {}
    for form in ("projected", "full"):
        session = session_for(lab_machine(projection_items=form))
        rows = session.query(spp.products_wql(), types=spp.PRODUCT_TYPES)
        assert {name for row in rows for name in row} <= set(spp.PRODUCT_TYPES)
        facts = activation_info.gather(session, activation_info.Options.from_args({}), now)
        read[form] = (rows, spp.read_service(session), facts)
    assert read["full"] == read["projected"]
