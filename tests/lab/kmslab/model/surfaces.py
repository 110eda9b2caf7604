"""Which SoftwareLicensingService / SoftwareLicensingProduct properties and methods each Windows
version has ("Older Windows is a different dialect": ARCHITECTURE.md).

Each set is the member list of Microsoft's class page for that version, as
older-windows-office-adba.md §1.1-§1.5 tabulates it:

* Windows Vista / Server 2008: SLWmi.mof (MS-VISTA: MicrosoftDocs/win32
  ``desktop-src/SLWmiProv/softwarelicensingservice-vista.md`` and
  ``softwarelicensingproduct-vista.md`` @66168cfa, their syntax blocks and method tables);
* Windows 7 / Server 2008 R2: SppWmi.mof (MS-SLS7, MS-SLP7: ``desktop-src/SppWmi/
  softwarelicensingservice.md`` and ``softwarelicensingproduct.md`` @66168cfa);
* Windows 8 and later: every member the lab serves (``views.*_SCHEMA``, ``cim_classes``), the
  newest surface (GO-WMI, Server 2019).

A machine serves the members of its version that the lab models: the intersection of this list
with the lab's schema. So on Windows 7 WQL naming ``ProductKeyChannel`` or
``KeyManagementServiceLookupDomain`` is refused as WMI refuses an unknown property, ``SELECT *``
does not carry them, and ``SetKeyManagementServiceLookupDomain`` is an unknown method. Both
classes keep their key qualifiers on every version: ``Version`` and ``ID`` are "Qualifiers: Key"
on the Vista pages too (§1.1's "—" in those rows means the table's source column, not a class
without keys).
"""

from __future__ import annotations

from dataclasses import dataclass

SLS = "SoftwareLicensingService"
SLP = "SoftwareLicensingProduct"

_COUNTERS = frozenset(
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
)
_TOKEN_PROPERTIES = frozenset(
    {
        "TokenActivationILID",
        "TokenActivationILVID",
        "TokenActivationGrantNumber",
        "TokenActivationCertificateThumbprint",
        "TokenActivationAdditionalInfo",
    }
)

# SoftwareLicensingService, Vista / 2008 (§1.2 column "Vista"; MS-VISTA syntax block).
_SLS_VISTA = _COUNTERS | {
    "Version",
    "KeyManagementServiceMachine",
    "IsKeyManagementServiceMachine",
    "VLActivationInterval",
    "VLRenewalInterval",
    "KeyManagementServiceCurrentCount",
    "RequiredClientCount",
    "KeyManagementServiceProductKeyID",
    "PolicyCacheRefreshRequired",
    "ClientMachineID",
}
# §1.3 column "Vista"; MS-VISTA methods table.
_SLS_VISTA_METHODS = frozenset(
    {
        "AcquireGenuineTicket",
        "ClearKeyManagementServiceMachine",
        "ClearProductKeyFromRegistry",
        "InstallLicense",
        "InstallLicensePackage",
        "InstallProductKey",
        "ReArmWindows",
        "RefreshLicenseStatus",
        "SetKeyManagementServiceMachine",
        "SetVLActivationInterval",
        "SetVLRenewalInterval",
    }
)
# SoftwareLicensingService, Windows 7 / 2008 R2 (§1.2 column "Win7 doc"; MS-SLS7 syntax block).
# No KeyManagementServicePort on the service (the Win7 slmgr.vbs reads it from the product).
_SLS_WIN7 = (
    _SLS_VISTA
    | _TOKEN_PROPERTIES
    | {
        "DiscoveredKeyManagementServiceMachineName",
        "DiscoveredKeyManagementServiceMachinePort",
        "RemainingWindowsReArmCount",
        "KeyManagementServiceListeningPort",
        "KeyManagementServiceDnsPublishing",
        "KeyManagementServiceLowPriority",
        "KeyManagementServiceHostCaching",
        "KeyManagementServiceActivationDisabled",
    }
)
# §1.3 column "Win7"; MS-SLS7 methods table.
_SLS_WIN7_METHODS = _SLS_VISTA_METHODS | {
    "ClearKeyManagementServiceListeningPort",
    "ClearKeyManagementServicePort",
    "DisableKeyManagementServiceActivation",
    "DisableKeyManagementServiceDnsPublishing",
    "DisableKeyManagementServiceHostCaching",
    "EnableKeyManagementServiceLowPriority",
    "SetKeyManagementServiceListeningPort",
    "SetKeyManagementServicePort",
}
# SoftwareLicensingProduct, Vista / 2008 (§1.4 first row; MS-VISTA syntax block).
_SLP_VISTA = frozenset(
    {
        "ID",
        "Name",
        "Description",
        "ApplicationID",
        "ProcessorURL",
        "MachineURL",
        "ProductKeyURL",
        "UseLicenseURL",
        "LicenseStatus",
        "LicenseStatusReason",
        "GracePeriodRemaining",
        "EvaluationEndDate",
        "OfflineInstallationId",
        "PartialProductKey",
        "ProductKeyID",
        "LicenseFamily",
        "LicenseDependsOn",
        "LicenseIsAddon",
    }
)
# §1.5 column "Vista"; MS-VISTA methods table.
_SLP_VISTA_METHODS = frozenset({"Activate", "DepositOfflineConfirmationId", "UninstallProductKey"})
# SoftwareLicensingProduct, Windows 7 / 2008 R2 (§1.4 rows 2-3; MS-SLP7 syntax block). No
# ProductKeyChannel, no KeyManagementServiceLookupDomain, no VLActivationType*, no AD*.
_SLP_WIN7 = (
    _SLP_VISTA
    | _COUNTERS
    | _TOKEN_PROPERTIES
    | {
        "VLActivationInterval",
        "VLRenewalInterval",
        "KeyManagementServiceProductKeyID",
        "KeyManagementServiceMachine",
        "KeyManagementServicePort",
        "DiscoveredKeyManagementServiceMachineName",
        "DiscoveredKeyManagementServiceMachinePort",
        "IsKeyManagementServiceMachine",
        "KeyManagementServiceCurrentCount",
        "RequiredClientCount",
        "GenuineStatus",
        "ExtendedGrace",
        "TrustedTime",
    }
)
# §1.5 column "Win7"; MS-SLP7 methods table.
_SLP_WIN7_METHODS = _SLP_VISTA_METHODS | {
    "ClearKeyManagementServiceMachine",
    "ClearKeyManagementServicePort",
    "DepositTokenActivationResponse",
    "GenerateTokenActivationChallenge",
    "GetPolicyInformationDWord",
    "GetPolicyInformationString",
    "GetTokenActivationGrants",
    "SetKeyManagementServiceMachine",
    "SetKeyManagementServicePort",
}


@dataclass(frozen=True)
class Surface:
    """One version's members of the two SPP classes; a class not listed is unrestricted."""

    name: str
    provider: str  # the MOF / DLL (older-windows-office-adba §1.1)
    properties: dict[str, frozenset[str]]
    methods: dict[str, frozenset[str]]

    def has_property(self, class_name: str, name: str) -> bool:
        names = self.properties.get(class_name)
        return names is None or name in names

    def has_method(self, class_name: str, name: str) -> bool:
        names = self.methods.get(class_name)
        return names is None or name in names


VISTA = Surface(
    "Windows Vista / Server 2008",
    "SLWmi",
    {SLS: _SLS_VISTA, SLP: _SLP_VISTA},
    {SLS: _SLS_VISTA_METHODS, SLP: _SLP_VISTA_METHODS},
)
WINDOWS_7 = Surface(
    "Windows 7 / Server 2008 R2",
    "SppWmi",
    {SLS: _SLS_WIN7, SLP: _SLP_WIN7},
    {SLS: _SLS_WIN7_METHODS, SLP: _SLP_WIN7_METHODS},
)
CURRENT = Surface("Windows 8 and later", "sppwmi", {}, {})

# Win32_OperatingSystem.Version's first two numbers -> surface.
BY_VERSION = {"6.0": VISTA, "6.1": WINDOWS_7}


def surface_for(version: str) -> Surface:
    """The SPP class surface of a Windows ``version`` ("6.0", "6.1", "6.3", "10.0")."""
    return BY_VERSION.get(version, CURRENT)
