# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Office Software Protection Platform (OSPP) over WMI: Office 2010, and Office 2013 / 2016 on
Windows 7 / Server 2008 R2 and older.

Which Office licenses where (reference/older-windows-office-adba.md §2.1; Microsoft KB 2870357,
"Service required": Office 2010 on Windows 8, 7, Vista, XP: Office Software Protection Platform;
Office 2013 on Windows 7, Vista, XP: the same; Office 2013 on Windows 8: Software Protection).
Microsoft's ospp.vbs (Office 2013) picks the OSPP classes when ``Win32_OperatingSystem.Version`` is
6.1 and the SPP classes otherwise; Office 2016's cleanup script does the same (§2.1).

There is no Microsoft class page for OSPP (§2.2: the surface is derived from ospp.vbs, the full MOF
UNCONFIRMED). So this module sends only what Microsoft's ospp.vbs itself sends on Windows 7:

* ``OfficeSoftwareProtectionService``: ``InstallProductKey(ProductKey)`` (/inpkey),
  ``InstallLicense(License)`` (/inslic), ``DisableKeyManagementServiceHostCaching(DisableCaching)``
  (/cachst); properties ``ClientMachineID`` (/dcmid) and ``KeyManagementServiceHostCaching``.
  It is read with ``SELECT *`` (it names no property, so it is valid whatever the class carries,
  and one instance is small) and cut to those properties plus ``Version``.
* ``OfficeSoftwareProtectionProduct``: the /dstatus select list of the Windows 7 branch (ID,
  ApplicationId, Name, Description, PartialProductKey, LicenseStatus, LicenseStatusReason,
  GracePeriodRemaining, KeyManagementServiceMachine and Port, DiscoveredKeyManagementService-
  MachineName and Port, VLActivationInterval, VLRenewalInterval); methods ``Activate`` (/act),
  ``SetKeyManagementServiceMachine(MachineName)``, ``SetKeyManagementServicePort(PortNumber)``,
  ``ClearKeyManagementServiceMachine``, ``ClearKeyManagementServicePort`` (/sethst, /setprt,
  /remhst: on the product, never on the service).

Rows are read case-insensitively (ospp.vbs writes ``ApplicationId``, SPP's pages
``ApplicationID``; the MOF's spelling is not known), and instances are addressed by the endpoint
reference their enumeration returned: the service's key is UNCONFIRMED (public scripts address it
by ``Version``), so ``Version`` / ``ID`` selectors are only the fallback when a host sends none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    ACTIVATE_TIMEOUT,
    Product,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import MethodFailed
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import quote_wql
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import EndpointReference
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

SERVICE_CLASS = "OfficeSoftwareProtectionService"
PRODUCT_CLASS = "OfficeSoftwareProtectionProduct"
SERVICE_NAME = "osppsvc"  # ospp.vbs: Win32_Service.Name = "osppsvc"

# Office 2010 (Office 14) and Office 2013 and later (kms-facts.md §2.8; UNCONFIRMED by a Microsoft
# page, the same in every tool and in the OSPP event of a public Office 2010 transcript).
OFFICE_2010_APP_ID = "59a52881-a989-479d-af46-f275c6370663"
OFFICE_APP_ID = "0ff1ce15-a989-479d-af46-f275c6370663"
APPLICATION_IDS = (OFFICE_2010_APP_ID, OFFICE_APP_ID)

PRODUCT_TYPES: Mapping[str, str] = {
    "ID": "string",
    "Name": "string",
    "Description": "string",
    "ApplicationID": "string",
    "PartialProductKey": "string",
    "LicenseStatus": "uint32",
    "LicenseStatusReason": "uint32",
    "GracePeriodRemaining": "uint32",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "VLActivationInterval": "uint32",
    "VLRenewalInterval": "uint32",
}
SERVICE_TYPES: Mapping[str, str] = {
    "Version": "string",
    "ClientMachineID": "string",
    "KeyManagementServiceHostCaching": "boolean",
}

# The fault a WQL query on a class the namespace lacks draws (capture winrb_soap_fault_v2.xml,
# wsman-wire.md): WSManFault subcode CannotProcessFilter, or WBEM_E_INVALID_CLASS where a host
# gives the HRESULT. ``SELECT *`` names no property, so on the service it means the class is
# missing: OSPP (Office 2010, or Office 2013/2016 on Windows 7) is not installed.
WBEM_E_INVALID_CLASS = 0x80041010
_NO_CLASS_SUBCODES = ("CannotProcessFilter",)


def office_only_in_ospp(version: str) -> bool:
    """Windows 7 / Server 2008 R2 and older (``SoftwareLicensingService.Version`` 6.1 or lower):
    the Windows store holds no Office there, every volume Office is in OSPP (ospp.vbs 2013
    isWin7OS: Version 6.1; KB 2870357 for Vista and XP)."""
    parts = version.strip().split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return False
    return (major, minor) <= (6, 1)


class OsppProduct(Product):
    """One ``OfficeSoftwareProtectionProduct`` row with a key: a :class:`Product` read from OSPP
    (it has no ``LicenseFamily``, ``ProductKeyChannel`` or KMS host counts; the channel comes from
    ``Description``, the Office version from ``Name`` and the application ID)."""

    stack = "ospp"


def is_ospp(product: Product | None) -> bool:
    return isinstance(product, OsppProduct)


@dataclass(frozen=True)
class OsppService:
    """``OfficeSoftwareProtectionService`` as read, with the identity Windows gave it."""

    version: str
    client_machine_id: str | None
    host_caching: bool | None
    selectors: tuple[tuple[str, str], ...] = ()

    def address(self) -> dict[str, str]:
        return dict(self.selectors) if self.selectors else {"Version": self.version}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "client_machine_id": self.client_machine_id,
            "host_caching": self.host_caching,
        }


def _folded(row: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The row under the names this module uses, whatever case the host spelled them in."""
    by_folded = {str(key).casefold(): value for key, value in row.items()}
    return {name: by_folded.get(name.casefold()) for name in names}


def _missing_class(error: WsmanFault) -> bool:
    return error.hresult == WBEM_E_INVALID_CLASS or error.subcode_name in _NO_CLASS_SUBCODES


def read_service(session: CimSession) -> OsppService | None:
    """The OSPP service, or None when the machine has no OSPP (the class does not exist)."""
    try:
        found = session.query_with_references(f"SELECT * FROM {SERVICE_CLASS}")
    except WsmanFault as error:
        if _missing_class(error):
            return None
        raise
    if not found:
        return None
    if len(found) != 1:
        raise KmsError(f"expected one {SERVICE_CLASS} instance, the host returned {len(found)}")
    raw, reference = found[0]
    row = _folded(raw, SERVICE_TYPES)
    caching = row["KeyManagementServiceHostCaching"]
    if isinstance(caching, str):
        caching = caching.strip().casefold() in ("true", "1")
    return OsppService(
        version=str(row["Version"] or ""),
        client_machine_id=row["ClientMachineID"] or None,
        host_caching=caching,
        selectors=reference.selectors if reference is not None else (),
    )


def products_wql(application_ids: Sequence[str] = APPLICATION_IDS) -> str:
    """The Office products with a key, as ospp.vbs /act selects them."""
    ids = " OR ".join(f"ApplicationID = {quote_wql(app)}" for app in application_ids)
    return (
        f"SELECT {', '.join(PRODUCT_TYPES)} FROM {PRODUCT_CLASS} "
        f"WHERE PartialProductKey IS NOT NULL AND ({ids})"
    )


def _product(raw: Mapping[str, Any], reference: EndpointReference | None) -> OsppProduct:
    row = _folded(raw, PRODUCT_TYPES)
    product = OsppProduct.from_row(row)
    selectors = reference.selectors if reference is not None else ()
    object.__setattr__(product, "_ospp_selectors", selectors)
    return product


def selectors_of(product: Product) -> dict[str, str]:
    """How to address an OSPP product: the endpoint reference Windows gave, else ``ID``."""
    found = getattr(product, "_ospp_selectors", ())
    return dict(found) if found else {"ID": product.id}


def read_products(session: CimSession) -> list[OsppProduct]:
    found = session.query_with_references(products_wql(), types=PRODUCT_TYPES)
    return [_product(raw, reference) for raw, reference in found]


@dataclass(frozen=True)
class OsppReading:
    """What a run read of OSPP: the service and the keyed Office products."""

    service: OsppService
    products: tuple[OsppProduct, ...]


def read(session: CimSession) -> OsppReading | None:
    """The OSPP service and keyed products (two requests), or None without OSPP (one)."""
    service = read_service(session)
    if service is None:
        return None
    return OsppReading(service, tuple(read_products(session)))


class Ospp:
    """The OSPP methods this collection calls, each one WS-Man request."""

    def __init__(self, session: CimSession, service: OsppService) -> None:
        self.session = session
        self.service = service

    @staticmethod
    def _check(method: str, code: int | None) -> None:
        if code:
            raise MethodFailed(method, code)

    def _on_service(
        self, method: str, params: Mapping[str, Any] | None = None, types: Any = None
    ) -> None:
        result = self.session.invoke(
            SERVICE_CLASS, method, params, self.service.address(), param_types=types
        )
        self._check(method, result.return_value)

    def _on_product(
        self,
        product: Product,
        method: str,
        params: Mapping[str, Any] | None = None,
        types: Any = None,
        timeout: float | None = None,
    ) -> None:
        result = self.session.invoke(
            PRODUCT_CLASS,
            method,
            params,
            selectors_of(product),
            param_types=types,
            timeout=timeout,
        )
        self._check(method, result.return_value)

    def install_product_key(self, key: ProductKey) -> None:
        self._on_service("InstallProductKey", {"ProductKey": key.value}, {"ProductKey": "string"})

    def disable_host_caching(self, disable: bool) -> None:
        self._on_service(
            "DisableKeyManagementServiceHostCaching",
            {"DisableCaching": disable},
            {"DisableCaching": "boolean"},
        )

    def activate(self, product: Product, timeout: float = ACTIVATE_TIMEOUT) -> None:
        """Activate one product; an OperationTimedOut means the outcome is unknown (re-read)."""
        self._on_product(product, "Activate", timeout=timeout)

    def set_kms_host(
        self,
        product: Product,
        host: str | None,
        port: int | None,
        *,
        host_differs: bool = True,
        port_differs: bool = True,
    ) -> None:
        """Pin ``host`` and ``port`` on one product (ospp.vbs /sethst, /setprt); None clears
        (/remhst clears both). Only the part that differs is sent."""
        if host_differs:
            if host is None:
                self._on_product(product, "ClearKeyManagementServiceMachine")
            else:
                self._on_product(
                    product,
                    "SetKeyManagementServiceMachine",
                    {"MachineName": host},
                    {"MachineName": "string"},
                )
        if port_differs:
            if port is None:
                self._on_product(product, "ClearKeyManagementServicePort")
            else:
                self._on_product(
                    product,
                    "SetKeyManagementServicePort",
                    {"PortNumber": port},
                    {"PortNumber": "uint32"},
                )
