# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each Windows version's Software Protection classes have, and the refusals built on it.

Older Windows is a different dialect (ARCHITECTURE.md): WMI refuses a WQL query that names a
property the class lacks, and a method the class lacks cannot be called. Each version's surface
below comes from that version's documentation (reference/older-windows-office-adba.md §1, whose
source keys are quoted):

* Windows Vista / Server 2008 (``SoftwareLicensingService.Version`` "6.0"): SLWmi.mof, the Vista
  class pages (MS-VISTA). No KMS host settings but the intervals, no client port, no host
  caching, no KMS properties on the product rows, no ``ProductKeyChannel``. ``Version`` and ``ID``
  are "Qualifiers: Key" there too (MS-VISTA @66168cfa; §1.1's "—" is the table's, not the
  page's), so methods are addressed alike on every version. The licensing service is ``slsvc``
  and the registry key ``…\\SL`` (Volume Activation 2.0 Operations Guide, Microsoft 2008:
  "Registry path: HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SL"; kms-facts.md
  §2.1; the Vista step-by-step guide restarts slsvc.exe).
  DnsDomainPublishList has no priority and weight ("Only Windows 7 and Windows Server 2008 R2
  provide the priority and weight parameters", ff793431, kms-facts.md §2.3).
* Windows 7 / Server 2008 R2 ("6.1"): SppWmi.mof, the sppwmi class pages (MS-SLS7, MS-SLP7,
  MS-7METH): the host settings and host caching arrive; the service has no
  ``KeyManagementServicePort`` property (its Set/Clear methods exist) and no lookup domain.
* Windows 8 / Server 2012 and later ("6.2" and up): the lookup domain (Office's tools page:
  ``/skms-domain`` "Windows 8 and later versions only", §1.4), ``ProductKeyChannel`` and the
  service's ``KeyManagementServicePort``. Microsoft's Windows 10 slmgr.vbs, which names all of
  them, refuses remote machines whose Version starts with "6.0" or "6.1" and no others (SLMGR10
  lines 3054-3065, §1.6): 6.2 and later is one surface for what this collection reads.
* ``MSFT_NetFirewallRule`` (root/StandardCimv2) exists from Windows 8 / Server 2012 (MS-NFR).

The version comes from ``SoftwareLicensingService.Version`` (read with ``SELECT *``, which names no
property, see windows/spp.py); nothing is ever sent that the version lacks, and an option the
version cannot honour is refused before the first write (:func:`require`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import SPP_KEY

SL_KEY = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\SL"

# SoftwareLicensingProduct, in the order the queries name them (the modern list is the query
# this collection has always sent).
_PRODUCT_COMMON = (
    "ID",
    "Name",
    "Description",
    "ApplicationID",
    "LicenseFamily",
    "PartialProductKey",
)
_PRODUCT_CORE = (
    "LicenseIsAddon",
    "LicenseStatus",
    "LicenseStatusReason",
    "GracePeriodRemaining",
)
# Windows 7 adds the KMS client and host properties to each product row (MS-SLP7, §1.4).
_PRODUCT_KMS = (
    "IsKeyManagementServiceMachine",
    "KeyManagementServiceCurrentCount",
    "RequiredClientCount",
    "KeyManagementServiceMachine",
    "KeyManagementServicePort",
    "DiscoveredKeyManagementServiceMachineName",
    "DiscoveredKeyManagementServiceMachinePort",
    "VLActivationInterval",
    "VLRenewalInterval",
)

_REQUESTS = tuple(
    f"KeyManagementService{name}Requests"
    for name in (
        "Total",
        "Failed",
        "Unlicensed",
        "Licensed",
        "OOBGrace",
        "OOTGrace",
        "NonGenuineGrace",
        "Notification",
    )
)
# Active Directory-Based Activation on each product row: the activation type in force and the
# last one used, the activation object's name and DN, its CSVLK's extended PID and SKU ID (§1.4:
# MS-WMI81, GO-WMI); Windows 8 / Server 2012 and later only (MS-SLP7 lists none of them).
ADBA_PRODUCT_PROPERTIES = (
    "VLActivationTypeEnabled",
    "VLActivationType",
    "ADActivationObjectName",
    "ADActivationObjectDN",
    "ADActivationCsvlkPid",
    "ADActivationCsvlkSkuId",
)

# SoftwareLicensingService properties this collection uses, per version (§1.2).
_SERVICE_VISTA = frozenset(
    {
        "Version",
        "ClientMachineID",
        "IsKeyManagementServiceMachine",
        "KeyManagementServiceCurrentCount",
        "RequiredClientCount",
        "KeyManagementServiceMachine",
        "VLActivationInterval",
        "VLRenewalInterval",
        *_REQUESTS,
    }
)
_SERVICE_WIN7 = _SERVICE_VISTA | {
    "KeyManagementServiceListeningPort",
    "KeyManagementServiceDnsPublishing",
    "KeyManagementServiceLowPriority",
    "KeyManagementServiceHostCaching",
    "DiscoveredKeyManagementServiceMachineName",
    "DiscoveredKeyManagementServiceMachinePort",
}
_SERVICE_MODERN = _SERVICE_WIN7 | {"KeyManagementServicePort", "KeyManagementServiceLookupDomain"}

# SoftwareLicensingService methods this collection calls, per version (§1.3).
_METHODS_VISTA = frozenset(
    {
        "InstallProductKey",
        "RefreshLicenseStatus",
        "ClearProductKeyFromRegistry",
        "SetKeyManagementServiceMachine",
        "ClearKeyManagementServiceMachine",
        "SetVLActivationInterval",
        "SetVLRenewalInterval",
        "InstallLicense",
    }
)
_METHODS_WIN7 = _METHODS_VISTA | {
    "SetKeyManagementServicePort",
    "ClearKeyManagementServicePort",
    "SetKeyManagementServiceListeningPort",
    "ClearKeyManagementServiceListeningPort",
    "DisableKeyManagementServiceDnsPublishing",
    "EnableKeyManagementServiceLowPriority",
    "DisableKeyManagementServiceHostCaching",
}
_METHODS_MODERN = _METHODS_WIN7 | {
    "SetKeyManagementServiceLookupDomain",
    "ClearKeyManagementServiceLookupDomain",
    # Active Directory-Based Activation, Windows 8 / Server 2012 and later (slmgr
    # /ad-activation-online; older-windows-office-adba.md §4.1, §4.3; MS-WMI81).
    "DoActiveDirectoryOnlineActivation",
    # the machine-wide activation type (slmgr /act-type without an activation ID), cleared by
    # client/activation_type.py when it changes the product's (§1.3, §1.6; MS-WMI81)
    "ClearVLActivationTypeEnabled",
    # ... and by phone: slmgr /ad-activation-get-iid, /ad-activation-apply-cid (§1.3 GO-WMI).
    "GenerateActiveDirectoryOfflineActivationId",
    "DepositActiveDirectoryOfflineActivationConfirmation",
}
# SoftwareLicensingProduct methods this collection calls: on every version (§1.5).
PRODUCT_METHODS = frozenset({"Activate", "UninstallProductKey"})


@dataclass(frozen=True)
class Surface:
    """One Windows version's Software Protection surface, as far as this collection uses it."""

    rank: int  # older < newer
    name: str  # "Windows 7 / Windows Server 2008 R2"
    since: str  # how a refusal names it as the first version with something
    product_properties: tuple[str, ...]
    service_properties: frozenset[str]
    service_methods: frozenset[str]
    firewall_rule: bool  # MSFT_NetFirewallRule exists
    registry_key: str  # where the KMS registry values live
    spp_service: str  # the licensing service's name for Win32_Service
    service_label: str  # how messages name that service
    publish_priority_weight: bool  # DnsDomainPublishList entries take priority and weight
    adba_properties: tuple[str, ...] = ()  # the product's ADBA properties: none before Windows 8

    def __str__(self) -> str:
        return self.name


VISTA = Surface(
    rank=60,
    name="Windows Vista / Windows Server 2008",
    since="Windows Vista / Windows Server 2008 (SoftwareLicensingService 6.0)",
    product_properties=(*_PRODUCT_COMMON, *_PRODUCT_CORE),
    service_properties=_SERVICE_VISTA,
    service_methods=_METHODS_VISTA,
    firewall_rule=False,
    registry_key=SL_KEY,
    spp_service="slsvc",
    service_label="Software Licensing service (slsvc)",
    publish_priority_weight=False,
)
WIN7 = Surface(
    rank=61,
    name="Windows 7 / Windows Server 2008 R2",
    since="Windows 7 / Windows Server 2008 R2 (SoftwareLicensingService 6.1, build 7600)",
    product_properties=(*_PRODUCT_COMMON, *_PRODUCT_CORE, *_PRODUCT_KMS),
    service_properties=_SERVICE_WIN7,
    service_methods=_METHODS_WIN7,
    firewall_rule=False,
    registry_key=SPP_KEY,
    spp_service="sppsvc",
    service_label="Software Protection service (sppsvc)",
    publish_priority_weight=True,
)
MODERN = Surface(
    rank=62,
    name="Windows 8 / Windows Server 2012 or later",
    since="Windows 8 / Windows Server 2012 (SoftwareLicensingService 6.2, build 9200)",
    # ProductKeyChannel after PartialProductKey: the query sent since the first release.
    product_properties=(*_PRODUCT_COMMON, "ProductKeyChannel", *_PRODUCT_CORE, *_PRODUCT_KMS),
    service_properties=_SERVICE_MODERN,
    service_methods=_METHODS_MODERN,
    firewall_rule=True,
    registry_key=SPP_KEY,
    spp_service="sppsvc",
    service_label="Software Protection service (sppsvc)",
    publish_priority_weight=True,
    adba_properties=ADBA_PRODUCT_PROPERTIES,
)
SURFACES = (VISTA, WIN7, MODERN)


def surface_for(version: object) -> Surface:
    """The surface of a ``SoftwareLicensingService.Version`` (``6.1.7601.17514`` -> Windows 7),
    by its prefix as slmgr.vbs tells versions apart (§1.1, §1.6). Anything else, an empty or
    unreadable version too, is the newest surface: what this collection always assumed."""
    text = version.strip() if isinstance(version, str) else ""
    if text == "6.0" or text.startswith("6.0."):
        return VISTA
    if text == "6.1" or text.startswith("6.1."):
        return WIN7
    return MODERN


class UnsupportedOption(KmsError):
    """An option the machine's Windows version cannot honour; raised before anything is
    written."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(message)


@dataclass(frozen=True)
class Requirement:
    """What an option needs, the first version that has it, and what to do on older ones."""

    what: str
    since: Surface
    advice: str

    def met_by(self, surface: Surface) -> bool:
        return surface.rank >= self.since.rank


def refusal(option: str, version: str, requirement: Requirement) -> str:
    """``<option>: this machine runs <name> (SoftwareLicensingService <version>), which has no
    <what>; the first version that has it is <since>. <advice>``"""
    surface = surface_for(version)
    shown = version.strip() if isinstance(version, str) and version.strip() else "unknown"
    return (
        f"{option}: this machine runs {surface.name} (SoftwareLicensingService {shown}), which "
        f"has no {requirement.what}; the first version that has it is {requirement.since.since}. "
        f"{requirement.advice}"
    )


def require(options: Iterable[tuple[str, Requirement]], version: str) -> None:
    """Raise :class:`UnsupportedOption` for the first option the version cannot honour."""
    surface = surface_for(version)
    for option, requirement in options:
        if not requirement.met_by(surface):
            raise UnsupportedOption(option, refusal(option, version, requirement))


_SL_VALUES = (
    "the Volume Activation 2.0 Operations Guide documents it as a registry value under "
    f"HKLM\\{SL_KEY}"
)

# kms_client_setup_key ---------------------------------------------------------------------------
CLIENT_PORT = Requirement(
    "client-side KMS port (SetKeyManagementServicePort)",
    WIN7,
    "Leave kms_port out: the client then uses port 1688 (the default), or the port of the SRV "
    "record it finds in DNS.",
)
LOOKUP_DOMAIN = Requirement(
    "KMS lookup domain (SetKeyManagementServiceLookupDomain, slmgr /skms-domain)",
    MODERN,
    "Leave lookup_domain out for this machine: it looks for _vlmcs._tcp records in its own DNS "
    "domain and its suffix search list, so publish the KMS hosts there "
    "(volact.kms.kms_publish_list) or pin a host with kms_host.",
)
ACTIVATION_TYPE = Requirement(
    "activation type (SetVLActivationTypeEnabled, slmgr /act-type)",
    MODERN,
    "Leave activation_type out for this machine (or give all): it has no Active Directory-Based "
    "Activation and activates by KMS.",
)
HOST_CACHING = Requirement(
    "KMS host caching setting (DisableKeyManagementServiceHostCaching, slmgr /skhc)",
    WIN7,
    "Leave host_caching out for this machine.",
)

# kms_host_key -----------------------------------------------------------------------------------
LISTENING_PORT = Requirement(
    "KMS listening port method (SetKeyManagementServiceListeningPort, slmgr /sprt)",
    WIN7,
    "Leave listening_port out: the host listens on TCP 1688. To change it anyway, "
    f"{_SL_VALUES} (KeyManagementServiceListeningPort, REG_SZ), read when slsvc starts.",
)
DNS_PUBLISHING = Requirement(
    "DNS publishing method (DisableKeyManagementServiceDnsPublishing, slmgr /cdns)",
    WIN7,
    "Leave dns_publishing out, and use volact.kms.kms_publish_list with disable_publishing, "
    f"which writes the DisableDnsPublishing registry value ({_SL_VALUES}).",
)
LOW_PRIORITY = Requirement(
    "KMS priority method (EnableKeyManagementServiceLowPriority, slmgr /cpri)",
    WIN7,
    f"Leave low_priority out; {_SL_VALUES} (EnableKmsLowPriority, REG_DWORD).",
)
FIREWALL = Requirement(
    "MSFT_NetFirewallRule (the firewall classes of root/StandardCimv2, which this module uses "
    "to enable the built-in KMS rule)",
    MODERN,
    "Leave firewall out for this host and open TCP 1688 (or the host's listening port) "
    "yourself: enable the Key Management Service exception of Windows Firewall, as Microsoft's "
    "'Deploying KMS Activation' (Windows 7 / Server 2008 R2) says, for example with a Group "
    'Policy firewall rule or netsh advfirewall firewall add rule name="KMS (TCP 1688)" dir=in '
    "action=allow protocol=TCP localport=1688.",
)

# kms_publish_list -------------------------------------------------------------------------------
PRIORITY_WEIGHT = Requirement(
    "priority and weight in DnsDomainPublishList (Microsoft: 'Only Windows 7 and Windows "
    "Server 2008 R2 provide the priority and weight parameters')",
    WIN7,
    "Give this host's domains without priority and weight (its records get 0 and 0).",
)
