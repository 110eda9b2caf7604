"""The Office Software Protection Platform (OSPP): Office 2010, and Office 2013 / 2016 on
Windows 7 and older, license through their own service and WMI classes, not through SPP.

Which stack (older-windows-office-adba §2.1; Microsoft KB 2870357's table "Service required":
Office 2010 on Windows 8, 7, Vista, XP -> Office Software Protection Platform; Office 2013 on
Windows 7, Vista, XP -> Office Software Protection Platform; Office 2013 on Windows 8 -> Software
Protection): Office 2010 always, Office 2013 and 2016 on Windows 6.1 and older (ospp.vbs 2013
``isWin7OS``/``setWmiClasses``: Version 6.1 -> the OSPP classes; OLicenseCleanup: ``GetVersionNT >
601`` -> SoftwareLicensingProduct, else OfficeSoftwareProtectionProduct). Office 2019 and later do
not run on Windows 7 (lab rule, UNCONFIRMED: the system requirements page was not read).

The surface (§2.2, "derived from ospp.vbs usage; full MOF UNCONFIRMED"): the service
``OfficeSoftwareProtectionService`` (InstallProductKey, InstallLicense,
DisableKeyManagementServiceHostCaching; ClientMachineID, KeyManagementServiceHostCaching), keyed
by ``Version`` as public activation scripts address it (``wmic path
OfficeSoftwareProtectionService where version='…' call ClearKeyManagementServiceMachine``,
third-party, UNCONFIRMED by Microsoft); the product ``OfficeSoftwareProtectionProduct`` keyed by
``ID`` (Activate, UninstallProductKey(ProductKeyID), Set/ClearKeyManagementServiceMachine,
Set/ClearKeyManagementServicePort: ospp.vbs /act, /unpkey, /sethst, /setprt, /remhst); the service
``osppsvc`` ("Office Software Protection Platform", KB 2870357). Which properties the classes carry
beyond ospp.vbs's select lists is the variant ``ospp_surface``; where a product's KMS host setting
lands is the variant ``ospp_kms_host_scope`` (kmslab/variants.py).

KMS activation is the SPP client's (kms_client.py), with OSPP's own client machine ID (ospp.vbs
/dcmid reads ``OfficeSoftwareProtectionService.ClientMachineID``) and its own registry root
``HKLM\\SOFTWARE\\Microsoft\\OfficeSoftwareProtectionPlatform`` (§2.2; OFF-TOOLS: /sethst and
/setprt write KeyManagementServiceName and KeyManagementServicePort there, REG_SZ).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kmslab.model import kms_client
from kmslab.model.catalog import OFFICE_APP_ID
from kmslab.model.clock import FILETIME_EPOCH
from kmslab.model.errors import HResult, SppFault
from kmslab.model.images import OfficeSuite, OsImage
from kmslab.model.keys import KeyKind, LabKey, is_well_formed
from kmslab.model.kms import COUNTER_NAMES, threshold_for
from kmslab.model.licenses import KeyState, LicenseSku, LicenseStatus, sku_id
from kmslab.model.office_licenses import CLIENT_LICENSES
from kmslab.model.registry import RegValue, reg_sz
from kmslab.model.settings import (
    DEFAULT_ACTIVATION_INTERVAL,
    DEFAULT_RENEWAL_INTERVAL,
    KMS_NAME,
    KMS_PORT,
    PORT_RANGE,
    ClientSettings,
    read_client_settings,
)
from kmslab.model.views import product_key_id

if TYPE_CHECKING:
    from kmslab.model.machine import Machine

OSPS = "OfficeSoftwareProtectionService"
OSPP = "OfficeSoftwareProtectionProduct"
OSPP_KEY = r"SOFTWARE\Microsoft\OfficeSoftwareProtectionPlatform"  # §2.2, OFF-TOOLS
# Office 2010's application ID (kms-facts §2.8; the OSPP event "Application Id=59a52881-…" of a
# public Office 2010 transcript, office_licenses.py [dandylife]); UNCONFIRMED by a Microsoft page.
OFFICE_2010_APP_ID = "59a52881-a989-479d-af46-f275c6370663"
OFFICE_2010 = "Office 2010"
OSPPSVC = (
    "osppsvc",
    "Office Software Protection Platform",  # KB 2870357's table
    r"C:\Program Files\Common Files\Microsoft Shared\OfficeSoftwareProtectionPlatform"
    r"\OSPPSVC.EXE",  # the folder: a public Office 2010 transcript ([dandylife]); the file: lab
)
# The service's Version: lab value (Office 2010's OSPP is version 14), UNCONFIRMED.
OSPP_VERSION = "14.0.7015.1000"
_WIN7_AND_OLDER = ("6.0", "6.1")
_NOT_ON_WIN7 = ("Office2019", "Office2021", "Office2024")
_ID_NAMESPACE = uuid.UUID("3b1f0a6e-55d4-4c8e-9a2f-7d0c4e6b1a58")


def office_app_id(family: str) -> str:
    """Office 2010 has its own application ID; Office 2013 and later share 0ff1ce15-… (§2.8)."""
    return OFFICE_2010_APP_ID if family == OFFICE_2010 else OFFICE_APP_ID


def license_service(suite: OfficeSuite, target: OsImage) -> str:
    """Where ``suite`` keeps its licenses on ``target``, "ospp" or "spp" (module docstring)."""
    if suite.family == OFFICE_2010 or target.version in _WIN7_AND_OLDER:
        if suite.token in _NOT_ON_WIN7 and target.version in _WIN7_AND_OLDER:
            raise ValueError(f"{suite.handle} does not run on {target.handle} (lab rule)")
        return "ospp"
    return "spp"


def ospp_skus(suite: OfficeSuite) -> list[LicenseSku]:
    """The suite's MAK and KMS client rows in OSPP, named as office_licenses.py sources them."""
    app_id = office_app_id(suite.family)
    rows = []
    for kind in (KeyKind.MAK, KeyKind.GVLK):
        names = CLIENT_LICENSES[suite.handle, kind]
        rows.append(
            LicenseSku(
                sku_id("ospp", suite.family, suite.edition, kind.value),
                app_id,
                names.name,
                names.description,
                names.license_family,
                kind,
                suite.family,
                suite.edition,
                None,
                f"ospp:{suite.handle}",
                suite.token,
            )
        )
    return rows


class OfficeProtection:
    """OSPP's state and methods; the attributes kms_client.py reads are those of
    spp.SoftwareProtection (client settings, host caching, the host found, the intervals)."""

    def __init__(self, machine: Machine, suites: list[OfficeSuite]) -> None:
        self.machine = machine
        self.suites = suites
        self.skus = [row for suite in suites for row in ospp_skus(suite)]
        self.keys: dict[str, KeyState] = {}
        self.client = ClientSettings()
        self.product_clients: dict[str, ClientSettings] = {}
        self.host_caching = True
        self.discovered: tuple[str, int] | None = None
        self.client_intervals = (DEFAULT_ACTIVATION_INTERVAL, DEFAULT_RENEWAL_INTERVAL)
        self.cmid = str(uuid.uuid5(_ID_NAMESPACE, f"ospp-cmid:{machine.fqdn}"))
        # Where a product's Set/ClearKeyManagementServiceMachine/Port lands (variant
        # ``ospp_kms_host_scope``): "machine" -> the OSPP root, seen by every product (OFF-TOOLS
        # and [dandylife]: /sethst writes ...\OfficeSoftwareProtectionPlatform\
        # KeyManagementServiceName although ospp.vbs calls the product's method); "product" ->
        # under <AppID>\<SKUID>, as SPP's product-level method does (kms-facts §2.1).
        self.machine_wide_pins = machine.variants["ospp_kms_host_scope"] == "machine"

    # Queries -----------------------------------------------------------------------------------
    def sku(self, wanted: str) -> LicenseSku:
        for sku in self.skus:
            if sku.id.casefold() == wanted.casefold():
                return sku
        raise KeyError(wanted)

    def keyed(self) -> list[tuple[LicenseSku, KeyState]]:
        return [(sku, self.keys[sku.id]) for sku in self.skus if sku.id in self.keys]

    def status(self, sku: LicenseSku) -> LicenseStatus:
        state = self.keys.get(sku.id)
        return state.status(self.machine.clock.now()) if state else LicenseStatus.UNLICENSED

    # Keys (ospp.vbs /inpkey, /unpkey) ------------------------------------------------------------
    def install_product_key(self, text: str) -> int:
        """OfficeSoftwareProtectionService.InstallProductKey: the same rules as SPP's (spp.py):
        an unknown key 0xC004F050, a key of another Office edition 0xC004F069, of another
        product 0xC004E016."""
        key = self.machine.keys.lookup(text) if is_well_formed(text) else None
        if key is None:
            raise SppFault(HResult.SL_E_INVALID_PRODUCT_KEY, "malformed key, or unknown to the lab")
        sku = next((sku for sku in self.skus if sku.accepts(key)), None)
        if sku is None:
            raise SppFault(self._misfit(key), f"{key!r} fits no OSPP license here")
        self.put_key(sku, key)
        return 0

    def _misfit(self, key: LabKey) -> int:
        if any(
            s.family == key.family and s.application_id == key.application_id for s in self.skus
        ):
            return HResult.SL_E_MISMATCHED_PRODUCT_SKU
        return HResult.SL_E_PKEY_INVALID_CONFIG

    def put_key(self, sku: LicenseSku, key: LabKey) -> KeyState:
        """One key per suite: the new key replaces the suite's other row's key (spp.put_key)."""
        for other in self.skus:
            if other.slot == sku.slot:
                self.keys.pop(other.id, None)
        state = self.keys[sku.id] = KeyState.installed(key, self.machine.clock.now())
        return state

    def uninstall_product_key(self, wanted: str) -> int:
        """UninstallProductKey (ospp.vbs passes the row's ProductKeyID; the key goes either way)."""
        sku = self.sku(wanted)
        if self.keys.pop(sku.id, None) is None:
            raise SppFault(HResult.SL_E_PKEY_NOT_INSTALLED, f"{sku.name} has no product key")
        return 0

    def install_license(self, text: str) -> int:
        """OfficeSoftwareProtectionService.InstallLicense (ospp.vbs /inslic): the lab holds no
        OSPP license files, so any text is refused (E_INVALIDARG, lab choice)."""
        raise SppFault(HResult.E_INVALIDARG, f"not a license the lab knows ({len(text)} chars)")

    # Activate (ospp.vbs /act) -------------------------------------------------------------------
    def activate(self, wanted: str) -> int:
        """KMS for a GVLK (the SPP client, with OSPP's CMID); online activation otherwise."""
        sku = self.sku(wanted)
        state = self.keys.get(sku.id)
        if state is None:
            raise SppFault(HResult.SL_E_PKEY_NOT_INSTALLED, f"{sku.name} has no product key")
        now = self.machine.clock.now()
        state.last_attempt = now
        if state.key.kind is KeyKind.GVLK:
            kms_client.activate(self, sku, state, cmid=self.cmid)
            return 0
        if state.status(now) is LicenseStatus.LICENSED:
            return 0
        network = self.machine.network
        authority = network.authority if network else self.machine.authority
        code = authority.activate(state.key, self.machine.hardware_id)
        if code:
            state.last_hresult = code
            raise SppFault(code, f"online activation of {state.key!r} refused")
        state.grant(now, None)
        return 0

    def background_tick(self) -> None:
        """Automatic attempts, as spp.background_tick (the 2-hour / 7-day intervals, §2.9)."""
        now = self.machine.clock.now()
        activation, renewal = self.client_intervals
        for sku, state in self.keyed():
            if state.key.kind is not KeyKind.GVLK:
                continue
            licensed = state.status(now) is LicenseStatus.LICENSED
            wait = timedelta(minutes=renewal if licensed else activation)
            if state.last_attempt is None or now - state.last_attempt >= wait:
                with contextlib.suppress(SppFault):
                    self.activate(sku.id)

    # Client settings (ospp.vbs /sethst /setprt /remhst /cachst) --------------------------------
    def _path(self, wanted: str | None) -> str:
        if wanted is None or self.machine_wide_pins:
            return OSPP_KEY
        sku = self.sku(wanted)
        return f"{OSPP_KEY}\\{sku.application_id}\\{sku.id}"

    def _update(self, wanted: str | None, name: str, value: RegValue | None, **change: Any) -> None:
        path = self._path(wanted)
        registry = self.machine.registry
        if value is None:
            registry.drop(path, name)
        else:
            registry.put(path, name, value)
        if wanted is None or self.machine_wide_pins:
            self.client = replace(self.client, **change)
        else:
            sku = self.sku(wanted)
            current = self.product_clients.get(sku.id, ClientSettings())
            self.product_clients[sku.id] = replace(current, **change)

    def set_kms_machine(self, name: str, wanted: str | None = None) -> int:
        if not name.strip():
            raise SppFault(HResult.E_INVALIDARG, "MachineName is empty")
        self._update(wanted, KMS_NAME, reg_sz(name), kms_machine=name)
        return 0

    def clear_kms_machine(self, wanted: str | None = None) -> int:
        self._update(wanted, KMS_NAME, None, kms_machine=None)
        return 0

    def set_kms_port(self, port: int, wanted: str | None = None) -> int:
        if port not in PORT_RANGE:
            raise SppFault(HResult.E_INVALIDARG, f"port {port} is outside 1..65535")
        self._update(wanted, KMS_PORT, reg_sz(str(port)), kms_port=port)  # REG_SZ (OFF-TOOLS)
        return 0

    def clear_kms_port(self, wanted: str | None = None) -> int:
        self._update(wanted, KMS_PORT, None, kms_port=None)
        return 0

    def disable_host_caching(self, disable: bool) -> int:
        self.host_caching = not disable
        if disable:
            self.discovered = None
        return 0

    def pins(self, sku: LicenseSku) -> ClientSettings:
        """The KMS host and port a product reports (its own, else the OSPP root's)."""
        own = self.product_clients.get(sku.id, ClientSettings())
        return ClientSettings(
            own.kms_machine or self.client.kms_machine,
            own.kms_port or self.client.kms_port,
        )

    # osppsvc start / stop ----------------------------------------------------------------------
    def on_start(self) -> None:
        """osppsvc started: reload the client settings from the OSPP registry root."""
        registry = self.machine.registry
        self.client = read_client_settings(registry, OSPP_KEY)
        self.product_clients = {
            sku.id: read_client_settings(registry, f"{OSPP_KEY}\\{sku.application_id}\\{sku.id}")
            for sku in self.skus
        }

    def on_stop(self) -> None:
        return None


# The surface the lab serves (variant ``ospp_surface``) ---------------------------------------
# "ospp_vbs" (default): only the properties Microsoft's ospp.vbs (2013, OSPP15) names on the
# Windows 7 path (/dstatus's select list, /act, /unpkey, /dinstid, /tokact: LicenseIsAddon;
# the service's ClientMachineID and KeyManagementServiceHostCaching), plus ``Version`` and the
# product's ``KeyManagementServiceProductKeyID`` that public activation scripts read; spelled as
# ospp.vbs spells them (``ApplicationId``). "spp7": the Windows 7 SoftwareLicensingProduct /
# SoftwareLicensingService surface (MS-SLP7, MS-SLS7), as if osppwmi.mof mirrored sppwmi.mof,
# spelled as those pages do (``ApplicationID``).
_OSPP_COMMON = {
    "Description": "string",
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "EvaluationEndDate": "datetime",
    "GracePeriodRemaining": "uint32",
    "ID": "string",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "KeyManagementServiceProductKeyID": "string",
    "LicenseIsAddon": "boolean",
    "LicenseStatus": "uint32",
    "LicenseStatusReason": "uint32",
    "Name": "string",
    "PartialProductKey": "string",
    "ProductKeyID": "string",
    "VLActivationInterval": "uint32",
    "VLRenewalInterval": "uint32",
}
PRODUCT_SCHEMAS: dict[str, dict[str, str]] = {
    "ospp_vbs": {**_OSPP_COMMON, "ApplicationId": "string"},
    "spp7": {
        **_OSPP_COMMON,
        "ApplicationID": "string",
        "GenuineStatus": "uint32",
        "IsKeyManagementServiceMachine": "uint32",
        "KeyManagementServiceCurrentCount": "uint32",
        "LicenseFamily": "string",
        "RequiredClientCount": "uint32",
        "TrustedTime": "datetime",
        **dict.fromkeys(COUNTER_NAMES, "uint32"),
    },
}
SERVICE_SCHEMAS: dict[str, dict[str, str]] = {
    "ospp_vbs": {
        "ClientMachineID": "string",
        "KeyManagementServiceHostCaching": "boolean",
        "Version": "string",
    },
    "spp7": {
        "ClientMachineID": "string",
        "DiscoveredKeyManagementServiceMachineName": "string",
        "DiscoveredKeyManagementServiceMachinePort": "uint32",
        "IsKeyManagementServiceMachine": "uint32",
        "KeyManagementServiceCurrentCount": "uint32",
        "KeyManagementServiceHostCaching": "boolean",
        "KeyManagementServiceMachine": "string",
        "KeyManagementServicePort": "uint32",
        "PolicyCacheRefreshRequired": "uint32",
        "RequiredClientCount": "uint32",
        "Version": "string",
        "VLActivationInterval": "uint32",
        "VLRenewalInterval": "uint32",
    },
}


def surface(machine: Machine) -> str:
    return machine.variants["ospp_surface"]


def service_properties(machine: Machine) -> dict[str, object]:
    ospp = machine.ospp
    assert ospp is not None
    found = ospp.discovered
    every = {
        "ClientMachineID": ospp.cmid,
        "DiscoveredKeyManagementServiceMachineName": found[0] if found else None,
        "DiscoveredKeyManagementServiceMachinePort": found[1] if found else 0,
        "IsKeyManagementServiceMachine": 0,
        "KeyManagementServiceCurrentCount": 0xFFFFFFFF,  # not a host (views.NOT_A_HOST_COUNT)
        "KeyManagementServiceHostCaching": ospp.host_caching,
        "KeyManagementServiceMachine": ospp.client.kms_machine,
        "KeyManagementServicePort": ospp.client.kms_port or 0,
        "PolicyCacheRefreshRequired": 0,
        "RequiredClientCount": 0,
        "Version": OSPP_VERSION,
        "VLActivationInterval": ospp.client_intervals[0],
        "VLRenewalInterval": ospp.client_intervals[1],
    }
    return {name: every[name] for name in SERVICE_SCHEMAS[surface(machine)]}


def product_properties(machine: Machine, sku: LicenseSku) -> dict[str, object]:
    ospp = machine.ospp
    assert ospp is not None
    now = machine.clock.now()
    state = ospp.keys.get(sku.id)
    key = state.key if state else None
    client_row = key is not None and key.kind is KeyKind.GVLK
    pins = ospp.pins(sku)
    found = ospp.discovered if client_row else None
    status = ospp.status(sku)
    intervals = ospp.client_intervals if client_row else (0, 0)
    every: dict[str, object] = {
        "ApplicationId": sku.application_id,
        "ApplicationID": sku.application_id,
        "Description": sku.description,
        "DiscoveredKeyManagementServiceMachineName": found[0] if found else None,
        "DiscoveredKeyManagementServiceMachinePort": found[1] if found else 0,
        "EvaluationEndDate": FILETIME_EPOCH,
        "GenuineStatus": 0,
        "GracePeriodRemaining": state.grace_remaining(now) if state else 0,
        "ID": sku.id,
        "IsKeyManagementServiceMachine": 0,
        "KeyManagementServiceCurrentCount": 0xFFFFFFFF,
        **dict.fromkeys(COUNTER_NAMES, 0),
        "KeyManagementServiceMachine": pins.kms_machine,
        "KeyManagementServicePort": pins.kms_port or 0,
        "KeyManagementServiceProductKeyID": None,
        "LicenseFamily": sku.license_family,
        "LicenseIsAddon": False,
        "LicenseStatus": int(status),
        "LicenseStatusReason": state.last_hresult if state else 0,
        "Name": sku.name,
        "PartialProductKey": key.partial if key else None,
        "ProductKeyID": product_key_id(key) if key else None,
        "RequiredClientCount": threshold_for(sku.token) if client_row and sku.token else 0,
        "TrustedTime": now if status is LicenseStatus.LICENSED else None,
        "VLActivationInterval": intervals[0],
        "VLRenewalInterval": intervals[1],
    }
    return {name: every[name] for name in PRODUCT_SCHEMAS[surface(machine)]}
