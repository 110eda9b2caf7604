"""Snapshots: every WMI property the front end serves, as plain Python values.

Types follow the MOF listings (wsman-wire §4.1, §4.2): the ``*_SCHEMA`` dicts give the CIM type of
each property so the front end can serialize (``None`` is ``xsi:nil``; datetimes are aware
``datetime`` objects; arrays are lists). Property names are those of the MOF, so a snapshot can be
compared with a WQL projection directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kmslab.model import adba
from kmslab.model.catalog import HOST_KEY_GROUPS, PRODUCTS, WINDOWS_APP_ID, HostKeyGroup, Kind
from kmslab.model.clock import FILETIME_EPOCH
from kmslab.model.events import SOURCE as EVENT_SOURCE
from kmslab.model.events import Event, event_message
from kmslab.model.keys import CHANNELS, KeyKind, LabKey
from kmslab.model.kms import COUNTER_NAMES, threshold_for
from kmslab.model.licenses import LicenseSku, LicenseStatus
from kmslab.model.settings import ClientSettings

if TYPE_CHECKING:
    from kmslab.model.machine import Machine

# "-1 indicates that the host is not enabled as a KMS" (Volume Activation tech ref), in a uint32
# property; rendering it as 4294967295 is the reference's presumption (wsman-wire §1.5).
NOT_A_HOST_COUNT = 0xFFFFFFFF

_KMS_COMMON = {
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "IsKeyManagementServiceMachine": "uint32",
    "KeyManagementServiceCurrentCount": "uint32",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "KeyManagementServiceProductKeyID": "string",
    "RequiredClientCount": "uint32",
    "VLActivationInterval": "uint32",
    "VLRenewalInterval": "uint32",
    **dict.fromkeys(COUNTER_NAMES, "uint32"),
}
# Every SoftwareLicensingService / SoftwareLicensingProduct property below is in the property lists
# of older-windows-office-adba.md §1.2 / §1.4 for the newest surface (GO-WMI, Server 2019; most
# also in the Windows 7 and 8.1 documents, wsman-wire §4.1 / §4.2). The lab serves that one
# surface on every image. KeyManagementServiceActivationDisabled is not served: the Windows 7 and
# 8.1 documents list it, but the Server 2019 class has it no more (§1.2) and its method went with
# slmgr /stao in 8.1 / 2012 R2 (§1.3).
SLS_SCHEMA: dict[str, str] = {
    **_KMS_COMMON,
    "ClientMachineID": "string",
    "KeyManagementServiceDnsPublishing": "boolean",
    "KeyManagementServiceHostCaching": "boolean",
    "KeyManagementServiceListeningPort": "uint32",
    "KeyManagementServiceLookupDomain": "string",
    "KeyManagementServiceLowPriority": "boolean",
    "OA3xOriginalProductKey": "string",
    "OA3xOriginalProductKeyDescription": "string",
    "PolicyCacheRefreshRequired": "uint32",
    "RemainingWindowsReArmCount": "uint32",
    "Version": "string",
}
SLP_SCHEMA: dict[str, str] = {
    **_KMS_COMMON,
    "ApplicationID": "string",
    "Description": "string",
    "EvaluationEndDate": "datetime",
    "GenuineStatus": "uint32",
    "GracePeriodRemaining": "uint32",
    "ID": "string",
    "LicenseFamily": "string",
    "LicenseIsAddon": "boolean",
    "LicenseStatus": "uint32",
    "LicenseStatusReason": "uint32",
    "Name": "string",
    "PartialProductKey": "string",
    "ProductKeyChannel": "string",
    "ProductKeyID": "string",
    "TrustedTime": "datetime",
    # Windows 8 / 2012 and later (older-windows-office-adba §1.4, MS-WMI81; surfaces.py)
    "VLActivationTypeEnabled": "uint32",
    "VLActivationType": "uint32",
    "ADActivationObjectName": "string",
    "ADActivationObjectDN": "string",
    "ADActivationCsvlkPid": "string",
    "ADActivationCsvlkSkuId": "string",
}
SERVICE_SCHEMA: dict[str, str] = {
    "AcceptPause": "boolean",
    "AcceptStop": "boolean",
    "DisplayName": "string",
    "ExitCode": "uint32",
    "Name": "string",
    "PathName": "string",
    "ProcessId": "uint32",
    "ServiceType": "string",
    "Started": "boolean",
    "StartMode": "string",
    "State": "string",
    "Status": "string",
}
OS_SCHEMA: dict[str, str] = {
    "BuildNumber": "string",
    "Caption": "string",
    "CSName": "string",
    "MUILanguages": "string[]",
    "Name": "string",
    "OperatingSystemSKU": "uint32",
    "OSArchitecture": "string",
    "OSLanguage": "uint32",
    "ProductType": "uint32",
    "Version": "string",
}
# Win32_ComputerSystem (key Name), the properties the lab serves. Names and types from Microsoft's
# class page (MicrosoftDocs/win32 desktop-src/CIMWin32Prov/win32-computersystem.md): DNSHostName is
# GetComputerNameEx(ComputerNameDnsHostname), the host label without its domain; Domain is the
# domain the computer belongs to, or its workgroup when PartOfDomain is false.
COMPUTER_SYSTEM_SCHEMA: dict[str, str] = {
    "DNSHostName": "string",
    "Domain": "string",
    "DomainRole": "uint16",
    "Name": "string",
    "PartOfDomain": "boolean",
    "Workgroup": "string",
}
# MSFT_NetFirewallRule (root/StandardCimv2): the properties the lab serves, each on Microsoft's
# class page (MicrosoftDocs/win32 desktop-src/FWP/wmi/wfascimprov/msft-netfirewallrule.md,
# older-windows-office-adba.md §7.1), with the four CIM_PolicyRule keys (§7.2). No Name: the
# class has none.
FIREWALL_SCHEMA: dict[str, str] = {
    "Action": "uint16",
    "CreationClassName": "string",
    "Description": "string",
    "Direction": "uint16",
    "DisplayGroup": "string",
    "DisplayName": "string",
    "ElementName": "string",
    "Enabled": "uint16",
    "InstanceID": "string",
    "PolicyRuleName": "string",
    "Profiles": "uint16",
    "SystemCreationClassName": "string",
    "SystemName": "string",
}


# Win32_NTLogEvent (root/cimv2, keys Logfile and RecordNumber): the properties of Microsoft's MOF
# listing ("Win32_NTLogEvent class", eventlogprov docs) that the lab serves; CategoryString, Data
# and User are left out. EventCode is the low 16 bits of EventIdentifier (same page).
NTLOG_EVENT_SCHEMA: dict[str, str] = {
    "Category": "uint16",
    "ComputerName": "string",
    "EventCode": "uint16",
    "EventIdentifier": "uint32",
    "EventType": "uint8",
    "InsertionStrings": "string[]",
    "Logfile": "string",
    "Message": "string",
    "RecordNumber": "uint32",
    "SourceName": "string",
    "TimeGenerated": "datetime",
    "TimeWritten": "datetime",
    "Type": "string",
}
# EventType and Type per level. Lab choice where the docs are vague: 1/"Error", 3/"Information".
_EVENT_TYPES = {"Error": 1, "Warning": 2, "Information": 3}


def product_key_id(key: LabKey) -> str:
    """A stable, lab-made ProductKeyID (the real one encodes the key's pkeyconfig data)."""
    digits = str(int(hashlib.sha256(key.key.encode()).hexdigest(), 16))
    return f"{digits[:5]}-{digits[5:10]}-{digits[10:15]}-AA{digits[15:18]}"


def _group_threshold(group: HostKeyGroup) -> int:
    """What one host key's products need (kms-facts.md §4.4): 25 for a Windows key that activates
    client OSes; 5 for a Server-only key and for Office, whose threshold is 5 (§4.3)."""
    if group.application_id == WINDOWS_APP_ID and any(
        PRODUCTS[token][0] is Kind.CLIENT for token in group.activates
    ):
        return 25
    return 5


def _required_count(machine: Machine) -> int:
    """The service's figure: the largest threshold among the machine's host keys."""
    return max((_group_threshold(group) for group, _licensed in machine.spp.host_keys()), default=5)


def sls_properties(machine: Machine) -> dict[str, object]:
    spp = machine.spp
    host = spp.is_kms_host
    conf = spp.configured
    keys = [state.key for sku, state in spp.keyed() if sku.group is not None]
    apps = [key.application_id for key in keys]
    counters = spp.host_state.counters
    count_app = WINDOWS_APP_ID if WINDOWS_APP_ID in apps or not apps else apps[0]
    intervals = (conf.activation_interval, conf.renewal_interval) if host else spp.client_intervals
    found = spp.discovered
    return {
        "ClientMachineID": machine.cmid,
        "DiscoveredKeyManagementServiceMachineName": found[0] if found else None,
        "DiscoveredKeyManagementServiceMachinePort": found[1] if found else 0,
        "IsKeyManagementServiceMachine": int(host),
        "KeyManagementServiceCurrentCount": spp.current_count(count_app)
        if host
        else NOT_A_HOST_COUNT,
        "KeyManagementServiceDnsPublishing": conf.dns_publishing,
        "KeyManagementServiceHostCaching": spp.host_caching,
        "KeyManagementServiceListeningPort": conf.listening_port if host else 0,
        "KeyManagementServiceLookupDomain": spp.client.lookup_domain,
        "KeyManagementServiceLowPriority": conf.low_priority,
        "KeyManagementServiceMachine": spp.client.kms_machine,
        "KeyManagementServicePort": spp.client.kms_port or 0,
        "KeyManagementServiceProductKeyID": product_key_id(keys[0]) if keys else None,
        **{name: counters[name] for name in COUNTER_NAMES},
        "OA3xOriginalProductKey": machine.firmware_key,
        "OA3xOriginalProductKeyDescription": (
            f"[lab] {machine.image.edition_id} OEM:DM" if machine.firmware_key else None
        ),
        "PolicyCacheRefreshRequired": 0,
        "RemainingWindowsReArmCount": 1000,
        "RequiredClientCount": _required_count(machine) if host else 0,
        "Version": machine.image.service_version,
        "VLActivationInterval": intervals[0],
        "VLRenewalInterval": intervals[1],
    }


def slp_properties(machine: Machine, sku: LicenseSku) -> dict[str, object]:
    spp = machine.spp
    now = machine.clock.now()
    state = spp.keys.get(sku.id)
    key = state.key if state else None
    host_row = key is not None and key.kind is KeyKind.CSVLK
    client_row = key is not None and key.kind is KeyKind.GVLK
    product = spp.product_clients.get(sku.id, ClientSettings())
    status = spp.status(sku)
    found = spp.discovered if client_row else None
    if host_row:
        intervals = (spp.configured.activation_interval, spp.configured.renewal_interval)
        # Each host row says what its own key's products need: an Office row 5 beside a Windows 25.
        required = _group_threshold(HOST_KEY_GROUPS[sku.group]) if sku.group else 5
    else:
        intervals = spp.client_intervals if client_row else (0, 0)
        required = threshold_for(sku.token) if client_row and sku.token else 0
    evaluation_end = state.licensed_until if state and key and key.kind is KeyKind.EVAL else None
    return {
        "ApplicationID": sku.application_id,
        "Description": sku.description,
        "DiscoveredKeyManagementServiceMachineName": found[0] if found else None,
        "DiscoveredKeyManagementServiceMachinePort": found[1] if found else 0,
        "EvaluationEndDate": evaluation_end or FILETIME_EPOCH,
        "GenuineStatus": 0,
        "GracePeriodRemaining": state.grace_remaining(now) if state else 0,
        "ID": sku.id,
        "IsKeyManagementServiceMachine": int(host_row and spp.is_kms_host),
        "KeyManagementServiceCurrentCount": (
            spp.current_count(sku.application_id) if host_row else NOT_A_HOST_COUNT
        ),
        **{name: spp.host_state.counters[name] if host_row else 0 for name in COUNTER_NAMES},
        "KeyManagementServiceMachine": product.kms_machine,
        "KeyManagementServicePort": product.kms_port or 0,
        "KeyManagementServiceProductKeyID": product_key_id(key) if host_row and key else None,
        "LicenseFamily": sku.license_family,
        "LicenseIsAddon": sku.is_addon,
        "LicenseStatus": int(status),
        "LicenseStatusReason": state.last_hresult if state else 0,
        "Name": sku.name,
        "PartialProductKey": key.partial if key else None,
        "ProductKeyChannel": CHANNELS[key.kind] if key else None,
        "ProductKeyID": product_key_id(key) if key else None,
        "RequiredClientCount": required,
        "TrustedTime": now if status is LicenseStatus.LICENSED else None,
        "VLActivationInterval": intervals[0],
        "VLRenewalInterval": intervals[1],
        "VLActivationTypeEnabled": adba.shown_activation_type(spp, sku),
        "VLActivationType": state.activation_type if state else None,
        **ad_properties(state.ad_object if state else None),
    }


def ad_properties(found: Mapping[str, str] | None) -> dict[str, object]:
    """The activation object a product activated from, as slmgr /dlv shows it (SLMGR10
    DisplayADClientInformation); nulls otherwise."""
    found = found or {}
    return {
        "ADActivationObjectName": found.get("name"),
        "ADActivationObjectDN": found.get("dn"),
        "ADActivationCsvlkPid": found.get("pid"),
        "ADActivationCsvlkSkuId": found.get("sku_id"),
    }


def served(machine: Machine, class_name: str, row: dict[str, object]) -> dict[str, object]:
    """``row`` without the properties the machine's Windows version does not have
    (``surfaces.py``: Windows 7 has no ProductKeyChannel, Vista no KMS properties on the
    product, ...)."""
    surface = machine.surface
    return {name: value for name, value in row.items() if surface.has_property(class_name, name)}


def snapshot(machine: Machine) -> dict[str, list[dict[str, object]]]:
    """Every instance of every class the lab serves, by class name (a read: not journaled), with
    the properties of the machine's Windows version."""
    from kmslab.model import ospp  # noqa: PLC0415 (ospp.py builds on this module)

    sls, slp = "SoftwareLicensingService", "SoftwareLicensingProduct"
    found = {
        sls: [served(machine, sls, sls_properties(machine))],
        slp: [served(machine, slp, slp_properties(machine, sku)) for sku in machine.spp.skus],
        "Win32_OperatingSystem": [machine.os_properties()],
        "Win32_ComputerSystem": [machine.computer_system_properties()],
        "Win32_Service": [service.to_dict() for service in machine.services],
        "MSFT_NetFirewallRule": [rule.to_dict() for rule in machine.firewall.rules.values()],
        "Win32_NTLogEvent": [ntlog_event_properties(machine, e) for e in machine.events.events],
    }
    if machine.ospp is not None:
        found[ospp.OSPS] = [ospp.service_properties(machine)]
        found[ospp.OSPP] = [ospp.product_properties(machine, sku) for sku in machine.ospp.skus]
    return found


def ntlog_event_properties(machine: Machine, event: Event) -> dict[str, object]:
    """One event of the machine's log as Win32_NTLogEvent shows it.

    InsertionStrings are the event's data values in the order the model wrote them; Message is a
    lab-made English sentence (on Windows it is localized, so clients must never parse it).
    """
    strings = [value for _name, value in event.data]
    return {
        "Category": 0,
        "ComputerName": machine.fqdn,
        "EventCode": event.event_id & 0xFFFF,
        "EventIdentifier": event.event_id,
        "EventType": _EVENT_TYPES.get(event.level, 3),
        "InsertionStrings": strings,
        "Logfile": event.log,
        "Message": event_message(event),
        "RecordNumber": event.record_id,
        "SourceName": EVENT_SOURCE,
        "TimeGenerated": event.time,
        "TimeWritten": event.time,
        "Type": event.level,
    }
