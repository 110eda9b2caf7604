# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Software Protection Platform over WMI: read licensing state, install keys, activate.

``SoftwareLicensingService`` (one instance, key ``Version``) holds the machine-wide settings and
the KMS host statistics; ``SoftwareLicensingProduct`` (key ``ID``) one row per installed license
(reference/wsman-wire.md §4.1, §4.2; the slmgr map in kms-facts.md §2.6).

Each Windows version has its own surface (windows/versions.py), and WMI refuses a query that names
a property the class lacks. The service is therefore read first, with ``SELECT *``: one instance
of a few KB (3 KB from the lab's images, about 4 KB estimated for the ~40 properties of Server
2019), far inside MaxEnvelopeSize (150 KB on WinRM 2.0, §5.1), and the only query that names no
property, so it is valid on every version; its ``Version`` then picks the product query's
property list. The request count stays what it was (docs/windows-versions.md has the figures). The
alternatives cost a request more on every machine (a version probe before a projected query) or
send names an old version lacks (try the modern list, fall back on the fault). ``SELECT *`` also
brings properties this collection never uses, among them ``OA3xOriginalProductKey`` on Windows 8
and later (the full key in the firmware of an OEM machine): rows are cut to ``SERVICE_TYPES`` at
once, so no full key is kept, returned or logged (the wire log masks keys to their last group).
The product query stays projected: ``SELECT *`` on SoftwareLicensingProduct can exceed
MaxEnvelopeSize (§5.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import (
    LicenseChannel,
    license_status_name,
    parse_channel,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import (
    MODERN,
    Surface,
    surface_for,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import quote_wql
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

SERVICE_CLASS = "SoftwareLicensingService"
PRODUCT_CLASS = "SoftwareLicensingProduct"

# slmgr.vbs's WindowsAppId; Office on the Windows SPP store (2013+) and Office 2010 (§2.8, the
# Office IDs are UNCONFIRMED by a Microsoft document but agree across tools).
WINDOWS_APP_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"
OFFICE_APP_IDS = ("0ff1ce15-a989-479d-af46-f275c6370663", "59a52881-a989-479d-af46-f275c6370663")

# The longest OperationTimeout WinRM honours: MS-WSMV 3.1.4.1.6 caps a requested timeout at the
# MaxTimeoutms setting, 60000 ms by default (cfg:MaxTimeoutms in wsman-wire.md §1.3's capture).
WINRM_MAX_TIMEOUT = 60.0
# Activate contacts a KMS host or Microsoft; 20 s (pywinrm's default) is too short (§5.2). Asking
# for more than the cap buys nothing: an Activate still running at 60 s answers w:TimedOut, and
# the caller reads the product again to learn what happened.
ACTIVATE_TIMEOUT = WINRM_MAX_TIMEOUT

PRODUCT_TYPES: Mapping[str, str] = {
    "ID": "string",
    "Name": "string",
    "Description": "string",
    "ApplicationID": "string",
    "LicenseFamily": "string",
    "PartialProductKey": "string",
    "ProductKeyChannel": "string",
    "LicenseIsAddon": "boolean",
    "LicenseStatus": "uint32",
    "LicenseStatusReason": "uint32",
    "GracePeriodRemaining": "uint32",
    "IsKeyManagementServiceMachine": "uint32",
    "KeyManagementServiceCurrentCount": "uint32",
    "RequiredClientCount": "uint32",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "VLActivationInterval": "uint32",
    "VLRenewalInterval": "uint32",
    # Windows 8 / 2012 and later (versions.ADBA_PRODUCT_PROPERTIES; MS-WMI81)
    "VLActivationTypeEnabled": "uint32",
    "VLActivationType": "uint32",
    "ADActivationObjectName": "string",
    "ADActivationObjectDN": "string",
    "ADActivationCsvlkPid": "string",
    "ADActivationCsvlkSkuId": "string",
}

SERVICE_TYPES: Mapping[str, str] = {
    "Version": "string",
    "ClientMachineID": "string",
    "IsKeyManagementServiceMachine": "uint32",
    "KeyManagementServiceCurrentCount": "uint32",
    "RequiredClientCount": "uint32",
    "KeyManagementServiceListeningPort": "uint32",
    "KeyManagementServiceDnsPublishing": "boolean",
    "KeyManagementServiceLowPriority": "boolean",
    "KeyManagementServiceHostCaching": "boolean",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "KeyManagementServiceLookupDomain": "string",
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "VLActivationInterval": "uint32",
    "VLRenewalInterval": "uint32",
    "KeyManagementServiceTotalRequests": "uint32",
    "KeyManagementServiceFailedRequests": "uint32",
    "KeyManagementServiceUnlicensedRequests": "uint32",
    "KeyManagementServiceLicensedRequests": "uint32",
    "KeyManagementServiceOOBGraceRequests": "uint32",
    "KeyManagementServiceOOTGraceRequests": "uint32",
    "KeyManagementServiceNonGenuineGraceRequests": "uint32",
    "KeyManagementServiceNotificationRequests": "uint32",
}


class ProductSelectionError(KmsError):
    """The machine's licensing state does not name one primary product."""


@dataclass(frozen=True)
class Product:
    """One ``SoftwareLicensingProduct`` row with a key installed."""

    id: str
    name: str
    description: str
    application_id: str
    license_family: str | None
    partial_key: str | None
    channel: LicenseChannel
    is_addon: bool
    license_status: int
    license_status_reason: int | None
    grace_minutes: int | None
    is_kms_host: bool
    kms_machine: str | None
    kms_port: int | None
    discovered_machine: str | None
    discovered_port: int | None
    current_count: int | None
    required_count: int | None
    # The ADBA properties as read (versions.ADBA_PRODUCT_PROPERTIES), when the read asked for
    # them; None otherwise, and always on Windows 7 / 2008 R2 and older, which lack them.
    adba: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def status_name(self) -> str:
        return license_status_name(self.license_status)

    @property
    def licensed(self) -> bool:
        return self.license_status == 1

    @property
    def is_windows(self) -> bool:
        return self.application_id.lower() == WINDOWS_APP_ID

    @property
    def is_office(self) -> bool:
        return self.application_id.lower() in OFFICE_APP_IDS

    def holds(self, key: ProductKey) -> bool:
        """Whether this product's installed key could be ``key`` (Windows shows the last group)."""
        return (self.partial_key or "").upper() == key.partial

    @classmethod
    def from_row(cls, row: Mapping[str, Any], adba: Iterable[str] = ()) -> Product:
        """``adba``: the ADBA properties the query named (empty: not asked)."""
        names = tuple(adba)

        def text(name: str) -> str | None:
            value = row.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            id=row.get("ID") or "",
            name=row.get("Name") or "",
            description=row.get("Description") or "",
            application_id=(row.get("ApplicationID") or "").lower(),
            license_family=text("LicenseFamily"),
            partial_key=text("PartialProductKey"),
            channel=parse_channel(row.get("ProductKeyChannel"), row.get("Description")),
            is_addon=bool(row.get("LicenseIsAddon")),
            license_status=int(row.get("LicenseStatus") or 0),
            license_status_reason=row.get("LicenseStatusReason"),
            grace_minutes=row.get("GracePeriodRemaining"),
            is_kms_host=bool(row.get("IsKeyManagementServiceMachine")),
            kms_machine=text("KeyManagementServiceMachine"),
            # 0 means "never set" (§5.7): treat it like an absent value.
            kms_port=row.get("KeyManagementServicePort") or None,
            discovered_machine=text("DiscoveredKeyManagementServiceMachineName"),
            discovered_port=row.get("DiscoveredKeyManagementServiceMachinePort") or None,
            current_count=_count(row.get("KeyManagementServiceCurrentCount")),
            required_count=_count(row.get("RequiredClientCount")),
            adba={name: row.get(name) for name in names} if names else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The product as task results show it (the partial key is all Windows keeps)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "application_id": self.application_id,
            "license_family": self.license_family,
            "partial_product_key": self.partial_key,
            "channel": self.channel.raw or self.channel.kind.value,
            "channel_kind": self.channel.kind.value,
            "license_status": self.license_status,
            "license_status_name": self.status_name,
            "license_status_reason": self.license_status_reason,
            "grace_minutes": self.grace_minutes,
            "is_kms_host": self.is_kms_host,
            "kms_machine": self.kms_machine,
            "kms_port": self.kms_port,
            "discovered_kms_machine": self.discovered_machine,
            "discovered_kms_port": self.discovered_port,
            "current_count": self.current_count,
            "required_count": self.required_count,
        }


def _count(value: Any) -> int | None:
    # KMS counters read 4294967295 ("-1") on machines that are not hosts (§1.5 note, §7).
    if value is None or value == 0xFFFFFFFF:
        return None
    return int(value)


def products_wql(
    application_ids: Iterable[str] = (WINDOWS_APP_ID,),
    surface: Surface = MODERN,
    *,
    adba: bool = False,
) -> str:
    """The products with a key installed, as slmgr.vbs selects them (``PartialProductKey <>
    null``), for the given applications, naming only the properties ``surface`` has; with
    ``adba`` also its ADBA properties (none before Windows 8: the query stays the same there)."""
    ids = " OR ".join(f"ApplicationID = {quote_wql(app)}" for app in application_ids)
    names = (*surface.product_properties, *(surface.adba_properties if adba else ()))
    return (
        f"SELECT {', '.join(names)} FROM {PRODUCT_CLASS} "
        f"WHERE PartialProductKey IS NOT NULL AND ({ids})"
    )


def service_wql() -> str:
    """``SELECT *``: the one query valid on every version (module docstring)."""
    return f"SELECT * FROM {SERVICE_CLASS}"


def read_products(
    session: CimSession,
    application_ids: Iterable[str] = (WINDOWS_APP_ID,),
    surface: Surface = MODERN,
    *,
    adba: bool = False,
) -> list[Product]:
    """The keyed products (one request), with the properties ``surface`` has; ``adba``: with
    the ADBA properties too, in the same request (kms_activation_info)."""
    wql = products_wql(application_ids, surface, adba=adba)
    extra = surface.adba_properties if adba else ()
    types = {name: PRODUCT_TYPES[name] for name in (*surface.product_properties, *extra)}
    return [Product.from_row(row, extra) for row in session.query(wql, types=types)]


def primary_windows_product(products: Sequence[Product]) -> Product | None:
    """The machine's Windows product exactly as slmgr.vbs picks it: Windows ApplicationID, a key
    installed, not an add-on (kms-facts.md §1.1 lesson, §2.6). None when no key is installed.

    Several candidates happen after edition upgrades; the licensed one is the one in use.
    """
    candidates = [p for p in products if p.is_windows and p.partial_key and not p.is_addon]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    licensed = [p for p in candidates if p.licensed]
    if len(licensed) == 1:
        return licensed[0]
    names = ", ".join(f"{p.name} ({p.status_name})" for p in candidates)
    raise ProductSelectionError(
        f"{len(candidates)} Windows products have a key installed and "
        f"{len(licensed)} of them are licensed: {names}. slmgr.vbs would not know which one "
        "to use either; uninstall the stale key (slmgr /upk <activation ID>) and run again."
    )


def office_products(products: Iterable[Product]) -> list[Product]:
    return [p for p in products if p.is_office and p.partial_key and not p.is_addon]


@dataclass(frozen=True)
class Service:
    """``SoftwareLicensingService``: machine-wide KMS client settings and KMS host state."""

    version: str
    client_machine_id: str | None
    is_kms_host: bool
    current_count: int | None
    required_count: int | None
    listening_port: int | None
    dns_publishing: bool | None
    low_priority: bool | None
    host_caching: bool | None
    kms_machine: str | None
    kms_port: int | None
    lookup_domain: str | None
    discovered_machine: str | None
    discovered_port: int | None
    activation_interval: int | None
    renewal_interval: int | None
    requests: Mapping[str, int | None]
    # The properties the host returned (of SERVICE_TYPES): what this version's class has.
    properties: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def surface(self) -> Surface:
        """What this machine's Software Protection classes have (windows/versions.py)."""
        return surface_for(self.version)

    def has(self, prop: str) -> bool:
        """Whether the host returned ``prop`` (``SELECT *`` brings every property it has)."""
        return prop in self.properties

    @property
    def build(self) -> int | None:
        """The OS build from the service version (``10.0.20348.1`` → 20348)."""
        parts = self.version.split(".")
        return int(parts[2]) if len(parts) >= 3 and parts[2].isdigit() else None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Service:
        def text(name: str) -> str | None:
            value = row.get(name)
            return value if isinstance(value, str) and value else None

        prefix = "KeyManagementService"
        counters = ("Total", "Failed", "Unlicensed", "Licensed", "OOBGrace", "OOTGrace")
        counters += ("NonGenuineGrace", "Notification")
        return cls(
            version=row.get("Version") or "",
            client_machine_id=text("ClientMachineID"),
            is_kms_host=bool(row.get("IsKeyManagementServiceMachine")),
            current_count=_count(row.get(f"{prefix}CurrentCount")),
            required_count=_count(row.get("RequiredClientCount")),
            listening_port=row.get(f"{prefix}ListeningPort") or None,
            dns_publishing=row.get(f"{prefix}DnsPublishing"),
            low_priority=row.get(f"{prefix}LowPriority"),
            host_caching=row.get(f"{prefix}HostCaching"),
            kms_machine=text(f"{prefix}Machine"),
            kms_port=row.get(f"{prefix}Port") or None,
            lookup_domain=text(f"{prefix}LookupDomain"),
            discovered_machine=text(f"Discovered{prefix}MachineName"),
            discovered_port=row.get(f"Discovered{prefix}MachinePort") or None,
            activation_interval=row.get("VLActivationInterval"),
            renewal_interval=row.get("VLRenewalInterval"),
            requests={c.lower(): _count(row.get(f"{prefix}{c}Requests")) for c in counters},
            properties=frozenset(name for name in SERVICE_TYPES if name in row),
        )


def known_properties(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's ``SERVICE_TYPES`` properties under their MOF names (WMI names are not case
    sensitive)."""
    names = {name.casefold(): name for name in SERVICE_TYPES}
    return {names[key.casefold()]: value for key, value in row.items() if key.casefold() in names}


def read_service(session: CimSession) -> Service:
    """The one ``SoftwareLicensingService`` instance (one request, ``SELECT *``). Only the
    ``SERVICE_TYPES`` properties are decoded: what ``SELECT *`` brings beyond them (the OEM
    firmware key among them) is skipped unread."""
    rows = session.query(service_wql(), types=SERVICE_TYPES, keep=SERVICE_TYPES)
    rows = [known_properties(row) for row in rows]
    if len(rows) != 1:
        raise ProductSelectionError(
            f"expected one {SERVICE_CLASS} instance, the host returned {len(rows)}; is the "
            "Software Protection service (sppsvc) installed?"
        )
    return Service.from_row(rows[0])
