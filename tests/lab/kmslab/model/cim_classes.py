"""The classes the lab serves over CIM: namespaces, keys, property types, methods and their
parameters (wsman-wire §4.1-§4.6), and the coercion of wire text into parameter values."""

from __future__ import annotations

from dataclasses import dataclass

from kmslab.model.firewall import KEYS as FIREWALL_KEYS
from kmslab.model.ntdomain import NTDOMAIN, NTDOMAIN_SCHEMA
from kmslab.model.ospp import OSPP, OSPS, PRODUCT_SCHEMAS, SERVICE_SCHEMAS
from kmslab.model.registry import StdRegProv
from kmslab.model.views import (
    COMPUTER_SYSTEM_SCHEMA,
    FIREWALL_SCHEMA,
    NTLOG_EVENT_SCHEMA,
    OS_SCHEMA,
    SERVICE_SCHEMA,
    SLP_SCHEMA,
    SLS_SCHEMA,
)

CIMV2 = "root/cimv2"
STANDARD_CIMV2 = "root/standardcimv2"
DEFAULT = "root/default"
SLS = "SoftwareLicensingService"
SLP = "SoftwareLicensingProduct"
SERVICE = "Win32_Service"
OS = "Win32_OperatingSystem"
COMPUTER_SYSTEM = "Win32_ComputerSystem"
FIREWALL = "MSFT_NetFirewallRule"
REGISTRY = "StdRegProv"
EVENT_LOG = "Win32_NTLogEvent"


@dataclass(frozen=True)
class MethodSpec:
    params: tuple[tuple[str, str], ...] = ()  # (name, CIM type)
    writes: bool = True
    optional: bool = False  # every parameter may be omitted (StdRegProv has defaults)


@dataclass(frozen=True)
class ClassSpec:
    name: str
    namespaces: tuple[str, ...]
    keys: tuple[str, ...]  # selector names; () for a class with static methods only
    schema: dict[str, str]
    methods: dict[str, MethodSpec]
    spp: bool = False  # served by sppsvc
    ospp: bool = False  # served by osppsvc, on machines with OSPP only (ospp.py)


_NONE = MethodSpec()
_MACHINE = MethodSpec((("MachineName", "string"),))
_PORT = MethodSpec((("PortNumber", "uint32"),))
_CLIENT_METHODS = {
    "SetKeyManagementServiceMachine": _MACHINE,
    "ClearKeyManagementServiceMachine": _NONE,
    "SetKeyManagementServicePort": _PORT,
    "ClearKeyManagementServicePort": _NONE,
    # slmgr /act-type, on the service or one product (older-windows-office-adba §1.3, §4.4;
    # MS-WMI81); Windows 8 / 2012 and later (surfaces.py)
    "SetVLActivationTypeEnabled": MethodSpec((("ActivationType", "uint32"),)),
    "ClearVLActivationTypeEnabled": _NONE,
}
_REGISTRY_DATA = {
    "SetStringValue": ("sValue", "string"),
    "SetExpandedStringValue": ("sValue", "string"),
    "SetDWORDValue": ("uValue", "uint32"),
    "SetQWORDValue": ("uValue", "uint64"),
    "SetMultiStringValue": ("sValue", "string[]"),
    "SetBinaryValue": ("uValue", "uint8[]"),
}
_REGISTRY_PATH = (("hDefKey", "uint32"), ("sSubKeyName", "string"), ("sValueName", "string"))

CLASSES: dict[str, ClassSpec] = {
    spec.name.casefold(): spec
    for spec in (
        ClassSpec(
            SLS,
            (CIMV2,),
            ("Version",),
            SLS_SCHEMA,
            {
                **_CLIENT_METHODS,
                "InstallProductKey": MethodSpec((("ProductKey", "string"),)),
                # slmgr /ilc: the license file's text (older-windows-office-adba §1.3, §3).
                "InstallLicense": MethodSpec((("License", "string"),)),
                "RefreshLicenseStatus": _NONE,
                "ClearProductKeyFromRegistry": _NONE,
                "SetKeyManagementServiceListeningPort": _PORT,
                "ClearKeyManagementServiceListeningPort": _NONE,
                "SetVLActivationInterval": MethodSpec((("ActivationInterval", "uint32"),)),
                "SetVLRenewalInterval": MethodSpec((("RenewalInterval", "uint32"),)),
                "DisableKeyManagementServiceDnsPublishing": MethodSpec(
                    (("DisablePublishing", "boolean"),)
                ),
                "EnableKeyManagementServiceLowPriority": MethodSpec(
                    (("EnableLowPriority", "boolean"),)
                ),
                "DisableKeyManagementServiceHostCaching": MethodSpec(
                    (("DisableCaching", "boolean"),)
                ),
                # Method and parameter names UNCONFIRMED (kms-facts §2.6, §6).
                "SetKeyManagementServiceLookupDomain": MethodSpec((("LookupDomain", "string"),)),
                "ClearKeyManagementServiceLookupDomain": _NONE,
                # slmgr /ad-activation-online (older-windows-office-adba §4.3, SLMGR10
                # ADActivateOnline); Windows 8 / 2012 and later only (surfaces.py)
                "DoActiveDirectoryOnlineActivation": MethodSpec(
                    (("ProductKey", "string"), ("ActivationObjectName", "string"))
                ),
                # slmgr /ad-activation-get-iid and /ad-activation-apply-cid (§1.3 GO-WMI,
                # MS-WMI81; §4.3 SLMGR10 ADGetIID, ADActivatePhone): adba_offline.py.
                "GenerateActiveDirectoryOfflineActivationId": MethodSpec(
                    (("ProductKey", "string"),), writes=False
                ),
                "DepositActiveDirectoryOfflineActivationConfirmation": MethodSpec(
                    (
                        ("ProductKey", "string"),
                        ("ConfirmationID", "string"),
                        ("ActivationObjectName", "string"),
                    )
                ),
            },
            spp=True,
        ),
        ClassSpec(
            SLP,
            (CIMV2,),
            ("ID",),
            SLP_SCHEMA,
            {
                **_CLIENT_METHODS,
                "Activate": _NONE,
                "UninstallProductKey": _NONE,
            },
            spp=True,
        ),
        # OSPP (ospp.py, older-windows-office-adba §2.2): the methods ospp.vbs calls on Windows 7;
        # the service's Set/ClearKeyManagementServiceMachine/Port as public scripts call them
        # (third-party); the schema is the widest form, narrowed per the variant ospp_surface.
        ClassSpec(
            OSPS,
            (CIMV2,),
            ("Version",),
            SERVICE_SCHEMAS["spp7"],
            {
                **_CLIENT_METHODS,
                "InstallProductKey": MethodSpec((("ProductKey", "string"),)),
                "InstallLicense": MethodSpec((("License", "string"),)),
                "DisableKeyManagementServiceHostCaching": MethodSpec(
                    (("DisableCaching", "boolean"),)
                ),
            },
            ospp=True,
        ),
        ClassSpec(
            OSPP,
            (CIMV2,),
            ("ID",),
            PRODUCT_SCHEMAS["spp7"] | PRODUCT_SCHEMAS["ospp_vbs"],
            {
                **_CLIENT_METHODS,
                "Activate": _NONE,
                # ospp.vbs /unpkey passes the row's ProductKeyID (§1.5); optional here.
                "UninstallProductKey": MethodSpec((("ProductKeyID", "string"),), optional=True),
            },
            ospp=True,
        ),
        ClassSpec(
            SERVICE,
            (CIMV2,),
            ("Name",),
            SERVICE_SCHEMA,
            {"StartService": _NONE, "StopService": _NONE},
        ),
        ClassSpec(OS, (CIMV2,), ("Name",), OS_SCHEMA, {}),
        # Read-only; keyed by Logfile and RecordNumber (Microsoft's Win32_NTLogEvent page).
        ClassSpec(EVENT_LOG, (CIMV2,), ("Logfile", "RecordNumber"), NTLOG_EVENT_SCHEMA, {}),
        ClassSpec(COMPUTER_SYSTEM, (CIMV2,), ("Name",), COMPUTER_SYSTEM_SCHEMA, {}),
        # The DC the machine's locator names (ntdomain.py); key Name (CIM_System's).
        ClassSpec(NTDOMAIN, (CIMV2,), ("Name",), NTDOMAIN_SCHEMA, {}),
        # Keyed by CIM_PolicyRule's four keys, not InstanceID (older-windows-office-adba §7.2;
        # MS-NFR lists them among the class's properties).
        ClassSpec(
            FIREWALL,
            (STANDARD_CIMV2,),
            FIREWALL_KEYS,
            FIREWALL_SCHEMA,
            {"Enable": _NONE, "Disable": _NONE},
        ),
        ClassSpec(
            REGISTRY,
            (DEFAULT, CIMV2),
            (),
            {},
            {
                method: MethodSpec(
                    _REGISTRY_PATH
                    + ((_REGISTRY_DATA[method],) if method in _REGISTRY_DATA else ()),
                    writes=method in StdRegProv.WRITES,
                    optional=True,
                )
                for method in sorted(StdRegProv.METHODS)
            },
        ),
    )
}

_UINT_MAX = {"uint8": 0xFF, "uint16": 0xFFFF, "uint32": 0xFFFFFFFF, "uint64": 0xFFFFFFFFFFFFFFFF}


def coerce(cim_type: str, value: object) -> object:
    """A parameter as the method expects it; text is accepted as it arrives off the wire."""
    if cim_type.endswith("[]"):
        items = [value] if isinstance(value, str) or not isinstance(value, list | tuple) else value
        return [coerce(cim_type[:-2], item) for item in items]
    if cim_type == "string" and isinstance(value, str):
        return value
    if cim_type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in {"true", "1", "false", "0"}:  # send true/false, parse both (§1.5)
            return text in {"true", "1"}
    if cim_type in _UINT_MAX and not isinstance(value, bool):
        text = str(value).strip()
        number = value if isinstance(value, int) else int(text) if text.isdigit() else -1
        if 0 <= number <= _UINT_MAX[cim_type]:
            return number
    raise ValueError(f"{value!r} is not a valid {cim_type}")
