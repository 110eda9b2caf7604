# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small in-test provider: SoftwareLicensingService, two SoftwareLicensingProduct rows and
StdRegProv.

Shaped as wsman-wire §4 describes (keys Version and ID; nil PartialProductKey when no key is
installed; boolean and uint32 properties; methods failing with SPP HRESULTs, §1.6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from kmslab.wsman import cim
from kmslab.wsman.provider import (
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_METHOD,
    WBEM_E_INVALID_NAMESPACE,
    WBEM_E_NOT_FOUND,
    CimError,
    ClassInfo,
    InputParams,
    Instance,
    MethodResult,
    OperationTimedOut,
    find_by_selectors,
)

WINDOWS_APP = "55c92734-d682-4d71-983e-d6ec3f16059f"
VERSION = "10.0.20348.1"
SERVER_ID = "c52ed0b3-1a5f-4b8e-9e2b-6c9c1e1a8b10"  # made-up SKU IDs for the test
ADDON_ID = "0f4b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
SL_E_INVALID_PRODUCT_KEY = 0xC004F050  # wsman-wire §1.6
SL_E_VL_BINDING_SERVICE_UNAVAILABLE = 0xC004F074
HKLM = 2147483650
SPP_KEY = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform"

SERVICE_PROPS = (
    "ClientMachineID",
    "IsKeyManagementServiceMachine",
    "KeyManagementServiceDnsPublishing",
    "KeyManagementServiceMachine",
    "KeyManagementServicePort",
    "VLActivationInterval",
    "VLRenewalInterval",
    "Version",
)
PRODUCT_PROPS = (
    "ApplicationID",
    "Description",
    "EvaluationEndDate",
    "GracePeriodRemaining",
    "ID",
    "LicenseIsAddon",
    "LicenseStatus",
    "Name",
    "PartialProductKey",
    "ProductKeyChannel",
)


class FakeSpp:
    """Mutable state behind the provider interface; ``calls`` records every invocation."""

    def __init__(self, *, extra_products: int = 0, description_size: int = 0) -> None:
        self.kms_port = 0
        self.kms_machine: str | None = None
        self.products = [
            {
                "ID": SERVER_ID,
                "Name": "Windows(R), ServerStandard edition",
                "Description": "Windows(R) Operating System, VOLUME_KMSCLIENT channel",
                "PartialProductKey": "4F3Q9",
                "LicenseIsAddon": False,
                "LicenseStatus": 5,
                "ProductKeyChannel": "Volume:GVLK",
            },
            {
                "ID": ADDON_ID,
                "Name": "Windows(R), ServerStandard add-on",
                "Description": "Windows(R) Operating System, RETAIL channel"
                + "x" * description_size,
                "PartialProductKey": None,
                "LicenseIsAddon": True,
                "LicenseStatus": 0,
                "ProductKeyChannel": None,
            },
        ]
        for index in range(extra_products):
            self.products.append(
                {
                    "ID": f"00000000-0000-4000-8000-{index:012d}",
                    "Name": f"Extra SKU {index}",
                    "Description": "Windows(R) Operating System, RETAIL channel",
                    "PartialProductKey": None,
                    "LicenseIsAddon": False,
                    "LicenseStatus": 0,
                    "ProductKeyChannel": None,
                }
            )
        self.publish_list = ["corp.example.com,0,0"]
        self.calls: list[tuple[str, str, dict[str, str] | None]] = []

    # Provider interface ---------------------------------------------------------------------
    def describe(self, namespace: str, class_name: str) -> ClassInfo:
        folded = class_name.casefold()
        if namespace == "root/cimv2":
            if folded == "softwarelicensingservice":
                return ClassInfo("SoftwareLicensingService", ("Version",), SERVICE_PROPS)
            if folded == "softwarelicensingproduct":
                return ClassInfo("SoftwareLicensingProduct", ("ID",), PRODUCT_PROPS)
        elif namespace == "root/default":
            if folded == "stdregprov":
                return ClassInfo("StdRegProv", (), ())
        else:
            raise CimError(WBEM_E_INVALID_NAMESPACE, namespace)
        raise CimError(WBEM_E_INVALID_CLASS, class_name)

    def instances(self, namespace: str, class_name: str) -> Sequence[Instance]:
        name = self.describe(namespace, class_name).name
        if name == "SoftwareLicensingService":
            return [self._service()]
        if name == "SoftwareLicensingProduct":
            return [self._product(row) for row in self.products]
        return []

    def get(self, namespace: str, class_name: str, selectors: Mapping[str, str]) -> Instance:
        found = find_by_selectors(self.instances(namespace, class_name), selectors)
        if found is None:
            raise CimError(WBEM_E_NOT_FOUND, "no such instance")
        return found

    def invoke(
        self,
        namespace: str,
        class_name: str,
        method: str,
        selectors: Mapping[str, str] | None,
        params: InputParams,
    ) -> MethodResult:
        self.calls.append((class_name, method, None if selectors is None else dict(selectors)))
        handler = getattr(self, f"_{class_name}_{method}", None)
        if handler is None:
            raise CimError(WBEM_E_INVALID_METHOD, method)
        if class_name != "StdRegProv":
            if selectors is None:
                raise CimError.invalid_selectors("instance method called without its keys")
            self.get(namespace, class_name, selectors)
        return handler(selectors, params)

    # Instances ------------------------------------------------------------------------------
    def _service(self) -> Instance:
        return Instance(
            "SoftwareLicensingService",
            (
                cim.string("Version", VERSION),
                cim.string("ClientMachineID", "2e1f7c3a-0000-4000-8000-000000000001"),
                cim.uint32("IsKeyManagementServiceMachine", 0),
                cim.boolean("KeyManagementServiceDnsPublishing", True),
                cim.string("KeyManagementServiceMachine", self.kms_machine),
                cim.uint32("KeyManagementServicePort", self.kms_port),
                cim.uint32("VLActivationInterval", 120),
                cim.uint32("VLRenewalInterval", 10080),
            ),
            keys=("Version",),
        )

    @staticmethod
    def _product(row: dict) -> Instance:
        return Instance(
            "SoftwareLicensingProduct",
            (
                cim.string("ID", row["ID"]),
                cim.string("ApplicationID", WINDOWS_APP),
                cim.string("Name", row["Name"]),
                cim.string("Description", row["Description"]),
                cim.string("PartialProductKey", row["PartialProductKey"]),
                cim.boolean("LicenseIsAddon", row["LicenseIsAddon"]),
                cim.uint32("LicenseStatus", row["LicenseStatus"]),
                cim.uint32("GracePeriodRemaining", 259200),
                cim.datetime(
                    "EvaluationEndDate",
                    dt.datetime(
                        2026, 4, 29, 11, 43, 11, 203125, tzinfo=dt.timezone(-dt.timedelta(hours=7))
                    ),
                ),
                cim.string("ProductKeyChannel", row["ProductKeyChannel"]),
            ),
            keys=("ID",),
        )

    # Methods --------------------------------------------------------------------------------
    def _SoftwareLicensingService_SetKeyManagementServicePort(self, selectors, params):
        self.kms_port = params.uint32("PortNumber") or 0
        return MethodResult(0)

    def _SoftwareLicensingService_SetKeyManagementServiceMachine(self, selectors, params):
        self.kms_machine = params.string("MachineName")
        return MethodResult(0)

    def _SoftwareLicensingService_InstallProductKey(self, selectors, params):
        key = params.string("ProductKey") or ""
        if len(key) != 29:
            raise CimError(SL_E_INVALID_PRODUCT_KEY, "invalid product key")
        self.products[0]["PartialProductKey"] = key[-5:]
        return MethodResult(0)

    def _SoftwareLicensingService_RefreshLicenseStatus(self, selectors, params):
        raise OperationTimedOut

    def _SoftwareLicensingProduct_Activate(self, selectors, params):
        row = next(
            row for row in self.products if row["ID"].casefold() == selectors["ID"].casefold()
        )
        if row["PartialProductKey"] is None:
            raise CimError(SL_E_VL_BINDING_SERVICE_UNAVAILABLE, "no KMS", form="wmierror")
        row["LicenseStatus"] = 1
        return MethodResult(0)

    def _StdRegProv_EnumKey(self, selectors, params):
        return MethodResult(0, (cim.strings("sNames", ("AddressBook", "Branding", "Fontcore")),))

    def _StdRegProv_GetMultiStringValue(self, selectors, params):
        if params.string("sValueName") != "DnsDomainPublishList":
            return MethodResult(2, (cim.strings("sValue", None),))
        return MethodResult(0, (cim.strings("sValue", tuple(self.publish_list)),))

    def _StdRegProv_SetMultiStringValue(self, selectors, params):
        if params.integer("hDefKey") != HKLM or params.string("sSubKeyName") != SPP_KEY:
            return MethodResult(5)
        self.publish_list = params.strings("sValue") or []
        return MethodResult(0)
