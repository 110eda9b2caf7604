# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Older Windows over WS-Man (issue 14): each version serves the SPP class members of its own
class page (kmslab/model/surfaces.py, older-windows-office-adba §1.2-§1.5), refuses WQL that
names another property as WMI refuses an unknown property, refuses another method as an unknown
method, and announces its WinRM 2.0 MaxEnvelopeSizekb (150, MS-WSMV 2.2.4.10)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from kmslab.model import Fleet, KeyKind, Machine
from kmslab.model.images import IMAGES
from kmslab.provider import ModelProvider
from kmslab.wsman import LabServer, WsmanService
from kmslab.wsman import names as ns
from kmslab.wsman.server import MachineSpec
from wsman_clients import (
    GET,
    NS,
    PRODUCT_URI,
    SERVICE_URI,
    raw_request,
    raw_wql,
    service_call,
)

WIN7 = ("win7-pro", "win7-enterprise", "ws2008r2-standard", "ws2008r2-enterprise")
VISTA = ("vista-business", "vista-enterprise", "ws2008-standard", "ws2008-enterprise")
P = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/%s}"


def machine(image: str) -> Machine:
    return Fleet().add("m1", image, initial_key=KeyKind.GVLK)


def service(target: Machine) -> WsmanService:
    return WsmanService(target.name.upper(), ModelProvider(target))


def answer(target: Machine, body: str) -> tuple[int, ET.Element]:
    status, text = service_call(service(target), body)
    return status, ET.fromstring(text)


def fault_of(root: ET.Element) -> tuple[str | None, int | None]:
    subcode = root.findtext("s:Body/s:Fault/s:Code/s:Subcode/s:Value", namespaces=NS)
    detail = root.find("s:Body/s:Fault/s:Detail/f:WSManFault", NS)
    return subcode, None if detail is None else int(detail.get("Code", "0"))


def items(root: ET.Element) -> list[ET.Element]:
    return root.findall("s:Body/n:EnumerateResponse/w:Items/*", NS)


def names(item: ET.Element) -> set[str]:
    return {child.tag.split("}")[1] for child in item}


def select_all(target: Machine, class_name: str) -> list[set[str]]:
    status, root = answer(target, raw_wql(f"SELECT * FROM {class_name}"))
    assert status == 200
    return [names(item) for item in items(root)]


UNKNOWN = ("n:CannotProcessFilter", 2150858778)  # how the lab answers an unknown property


@pytest.mark.parametrize(
    ("image", "query"),
    [
        *(
            (image, query)
            for image in WIN7 + VISTA
            for query in (
                # older-windows §1.4: ProductKeyChannel only in the newest surface.
                "SELECT ID, ProductKeyChannel FROM SoftwareLicensingProduct",
                "SELECT ID FROM SoftwareLicensingProduct WHERE ProductKeyChannel = 'Volume:GVLK'",
                # §1.2: KeyManagementServiceLookupDomain and the service's port are newer.
                "SELECT Version, KeyManagementServiceLookupDomain FROM SoftwareLicensingService",
                "SELECT KeyManagementServicePort FROM SoftwareLicensingService",
            )
        ),
        *(
            (image, query)
            for image in VISTA
            for query in (
                # §1.2 column Vista: none of these on SLWmi's service.
                "SELECT DiscoveredKeyManagementServiceMachineName FROM SoftwareLicensingService",
                "SELECT KeyManagementServiceListeningPort FROM SoftwareLicensingService",
                "SELECT KeyManagementServiceDnsPublishing FROM SoftwareLicensingService",
                "SELECT KeyManagementServiceHostCaching FROM SoftwareLicensingService",
                # §1.4 column Vista: the product has no KMS properties at all.
                "SELECT ID, KeyManagementServiceMachine FROM SoftwareLicensingProduct",
                "SELECT ID FROM SoftwareLicensingProduct WHERE IsKeyManagementServiceMachine = 1",
                "SELECT VLActivationInterval FROM SoftwareLicensingProduct",
            )
        ),
    ],
)
def test_wql_naming_a_property_the_version_lacks_is_refused_as_an_unknown_one(
    image: str, query: str
) -> None:
    target = machine(image)
    target.journal.clear()
    status, root = answer(target, raw_wql(query))
    assert status == 500
    assert fault_of(root) == UNKNOWN
    assert target.journal.total_calls == 0  # refused before any instance was read
    # The same fault as for a name no version has.
    _status, unknown = answer(target, raw_wql("SELECT NoSuchName FROM SoftwareLicensingProduct"))
    assert fault_of(unknown) == UNKNOWN


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ID, ProductKeyChannel FROM SoftwareLicensingProduct",
        "SELECT Version, KeyManagementServiceLookupDomain FROM SoftwareLicensingService",
        "SELECT KeyManagementServicePort FROM SoftwareLicensingService",
    ],
)
def test_the_same_queries_work_on_windows_8_1_and_later(query: str) -> None:
    for image in ("win81-pro", "ws2012r2-standard", "win11-pro"):
        status, root = answer(machine(image), raw_wql(query))
        assert status == 200
        assert items(root)


def test_windows_7_serves_the_properties_of_its_class_page() -> None:
    target = machine("win7-enterprise")
    (sls,) = select_all(target, "SoftwareLicensingService")
    assert "KeyManagementServiceListeningPort" in sls
    assert "DiscoveredKeyManagementServiceMachineName" in sls
    assert "KeyManagementServiceHostCaching" in sls
    absent = {
        "KeyManagementServicePort",  # §1.2: absent from the Win7 service page
        "KeyManagementServiceLookupDomain",
        "OA3xOriginalProductKey",
        "OA3xOriginalProductKeyDescription",
    }
    assert not sls & absent
    products = select_all(target, "SoftwareLicensingProduct")
    assert products
    for row in products:
        assert "ProductKeyChannel" not in row
        assert {"KeyManagementServicePort", "KeyManagementServiceMachine", "TrustedTime"} <= row


def test_vista_serves_only_the_slwmi_members() -> None:
    target = machine("ws2008-standard")
    (sls,) = select_all(target, "SoftwareLicensingService")
    assert sls == {
        "ClientMachineID",
        "IsKeyManagementServiceMachine",
        "KeyManagementServiceCurrentCount",
        "KeyManagementServiceMachine",
        "KeyManagementServiceProductKeyID",
        "PolicyCacheRefreshRequired",
        "RequiredClientCount",
        "Version",
        "VLActivationInterval",
        "VLRenewalInterval",
        *(
            f"KeyManagementService{state}Requests"
            for state in (
                "Unlicensed",
                "Licensed",
                "OOBGrace",
                "OOTGrace",
                "NonGenuineGrace",
                "Total",
                "Failed",
                "Notification",
            )
        ),
    }
    for row in select_all(target, "SoftwareLicensingProduct"):
        assert row == {
            "ApplicationID",
            "Description",
            "EvaluationEndDate",
            "GracePeriodRemaining",
            "ID",
            "LicenseFamily",
            "LicenseIsAddon",
            "LicenseStatus",
            "LicenseStatusReason",
            "Name",
            "PartialProductKey",
            "ProductKeyID",
        }  # the lab's share of the 18 SLWmi properties (no URLs, no OfflineInstallationId)


def test_get_serves_the_version_surface_too() -> None:
    target = machine("win7-pro")
    version = "6.1.7601.17514"
    status, root = answer(target, raw_request(GET, SERVICE_URI, selectors={"Version": version}))
    assert status == 200
    instance = root.find("s:Body/*", NS)
    assert instance is not None
    assert instance.findtext(P % "SoftwareLicensingService" + "Version") == version
    assert "KeyManagementServiceLookupDomain" not in names(instance)


def invoke(target: Machine, uri: str, method: str, selectors: dict[str, str], params: str = ""):
    body = f'<p:{method}_INPUT xmlns:p="{uri}">{params}</p:{method}_INPUT>'
    return answer(target, raw_request(f"{uri}/{method}", uri, body, selectors))


_LOOKUP = "<p:LookupDomain>corp.lab.test</p:LookupDomain>"
_PORT = "<p:PortNumber>1690</p:PortNumber>"
# §1.3 column Vista: no port or host-setting methods on SLWmi's service.
_NOT_ON_VISTA = (
    ("SetKeyManagementServicePort", _PORT),
    ("ClearKeyManagementServicePort", ""),
    ("SetKeyManagementServiceListeningPort", _PORT),
    ("DisableKeyManagementServiceDnsPublishing", "<p:DisablePublishing>true</p:DisablePublishing>"),
    ("DisableKeyManagementServiceHostCaching", "<p:DisableCaching>true</p:DisableCaching>"),
    ("EnableKeyManagementServiceLowPriority", "<p:EnableLowPriority>true</p:EnableLowPriority>"),
)


@pytest.mark.parametrize(
    ("image", "method", "params"),
    [
        *((image, "SetKeyManagementServiceLookupDomain", _LOOKUP) for image in WIN7 + VISTA),
        *((image, "ClearKeyManagementServiceLookupDomain", "") for image in WIN7 + VISTA),
        *((image, method, params) for image in VISTA for method, params in _NOT_ON_VISTA),
    ],
)
def test_a_service_method_the_version_lacks_is_an_unknown_action(
    image: str, method: str, params: str
) -> None:
    target = machine(image)
    version = IMAGES[image].service_version
    status, root = invoke(target, SERVICE_URI, method, {"Version": version}, params)
    assert status == 500
    assert fault_of(root)[0] == "a:ActionNotSupported"  # WBEM_E_INVALID_METHOD, as any unknown
    assert target.journal.writes == []  # nothing ran


def test_a_product_method_the_version_lacks_is_an_unknown_action() -> None:
    vista = machine("vista-enterprise")
    product = next(row for row in vista.cim.instances("SoftwareLicensingProduct"))
    params = "<p:MachineName>kms1.lab.test</p:MachineName>"
    status, root = invoke(
        vista, PRODUCT_URI, "SetKeyManagementServiceMachine", {"ID": str(product["ID"])}, params
    )
    assert status == 500
    assert fault_of(root)[0] == "a:ActionNotSupported"  # §1.5: not on Vista's product
    win7 = machine("win7-enterprise")
    product = next(row for row in win7.cim.instances("SoftwareLicensingProduct"))
    status, root = invoke(
        win7, PRODUCT_URI, "SetKeyManagementServiceMachine", {"ID": str(product["ID"])}, params
    )
    assert status == 200  # §1.5: there from Windows 7 on


def test_the_methods_both_versions_have_still_run() -> None:
    for image in WIN7 + VISTA:
        target = machine(image)
        version = IMAGES[image].service_version
        params = "<p:MachineName>kms1.lab.test</p:MachineName>"
        status, _root = invoke(
            target, SERVICE_URI, "SetKeyManagementServiceMachine", {"Version": version}, params
        )
        assert status == 200
        assert target.cim.instances("SoftwareLicensingService")[0][
            "KeyManagementServiceMachine"
        ] == ("kms1.lab.test")


def test_describe_gives_the_version_property_names() -> None:
    provider = ModelProvider(machine("win7-pro"))
    info = provider.describe("root/cimv2", "SoftwareLicensingProduct")
    assert info.keys == ("ID",)  # Key qualifiers on every version (MS-VISTA, MS-SLP7)
    assert info.properties is not None
    assert "ProductKeyChannel" not in info.properties
    assert "PartialProductKey" in info.properties
    vista = ModelProvider(machine("vista-business")).describe(
        "root/cimv2", "SoftwareLicensingService"
    )
    assert vista.keys == ("Version",)


def test_winrm_2_machines_announce_and_apply_150_kb() -> None:
    assert {IMAGES[image].winrm_max_envelope_kb for image in WIN7 + VISTA} == {150}
    assert IMAGES["ws2022-standard"].winrm_max_envelope_kb == 500
    with LabServer() as server:
        win7, win11 = ModelProvider(machine("win7-pro")), ModelProvider(machine("win11-pro"))
        old, new = server.add_machines(
            [
                MachineSpec("old.lab.test", win7, "127.31.0.1", 0, 0, max_envelope_kb=150),
                MachineSpec("new.lab.test", win11, "127.31.0.2", 0, 0),
            ]
        )
        assert old.service.config.max_envelope_kb == 150
        assert new.service.config.max_envelope_kb == 500
        _status, text = service_call(old.service, raw_request(GET, ns.CONFIG_URI))
        assert "<cfg:MaxEnvelopeSizekb>150</cfg:MaxEnvelopeSizekb>" in text
        assert "<cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms>" in text
        # A client asking for more than 150 KB gets 150 KB (MS-WSMV 3.1.4.1.7).
        status, _text = service_call(
            old.service, raw_wql("SELECT * FROM SoftwareLicensingProduct", max_envelope=512000)
        )
        assert status == 200
