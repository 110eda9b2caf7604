"""What an administrator's tool does to a lab machine, through the CIM surface only.

These helpers do what slmgr.vbs does (wsman-wire §4.3): select the Windows product the way
``TkaGetProduct`` does (ApplicationID = Windows, PartialProductKey not null, LicenseIsAddon false,
kms-facts §1.1), call SPP methods on the instance named by its key, restart sppsvc by stopping,
polling State and starting. Tests and the demo use them; every call shows in the machine's
counters and write log exactly as a real client's would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kmslab.model.catalog import WINDOWS_APP_ID
from kmslab.model.cim_classes import FIREWALL, REGISTRY, SERVICE, SLP, SLS, STANDARD_CIMV2
from kmslab.model.errors import SppFault
from kmslab.model.firewall import KEYS as FIREWALL_KEYS
from kmslab.model.firewall import KMS_RULE
from kmslab.model.keys import KeyKind
from kmslab.model.license_packs import fake_files
from kmslab.model.ospp import OSPP, OSPS, license_service
from kmslab.model.registry import HKEY_LOCAL_MACHINE
from kmslab.model.settings import DNS_DOMAIN_PUBLISH_LIST

if TYPE_CHECKING:
    from kmslab.model.machine import Machine

_POLLS = 20


def service(machine: Machine) -> dict[str, Any]:
    """The SoftwareLicensingService instance."""
    return machine.cim.instances(SLS)[0]


def windows_product(machine: Machine) -> dict[str, Any] | None:
    """The Windows product with a key, selected as slmgr.vbs selects it."""
    rows = [
        row
        for row in machine.cim.instances(SLP)
        if row["ApplicationID"] == WINDOWS_APP_ID
        and row["PartialProductKey"] is not None
        and not row["LicenseIsAddon"]
    ]
    if len(rows) > 1:
        raise RuntimeError(f"{machine}: {len(rows)} Windows products carry a key")
    return rows[0] if rows else None


def call_service(machine: Machine, method: str, **params: object) -> dict[str, Any]:
    version = str(service(machine)["Version"])
    return machine.cim.invoke(SLS, method, {"Version": version}, params)


def install_key(machine: Machine, key: str) -> None:
    call_service(machine, "InstallProductKey", ProductKey=key)


def install_license_pack(machine: Machine, pack: str) -> None:
    """slmgr /ilc of each file of an Office volume license pack (its fake files,
    license_packs.py): SoftwareLicensingService.InstallLicense with the file's text."""
    for text in fake_files(pack).values():
        call_service(machine, "InstallLicense", License=text)


def office_service(machine: Machine) -> dict[str, Any]:
    """The OfficeSoftwareProtectionService instance (ospp.vbs reads it with InstancesOf)."""
    return machine.cim.instances(OSPS)[0]


def install_office_key(machine: Machine, key: str) -> None:
    """ospp.vbs /inpkey: OfficeSoftwareProtectionService.InstallProductKey where the key's Office
    licenses through OSPP on this machine, else SoftwareLicensingService.InstallProductKey
    (Office 2013 and later on Windows 8+, also beside Office 2010 in OSPP)."""
    known = machine.keys.lookup(key)
    stacks = {suite.family: license_service(suite, machine.image) for suite in machine.office}
    if machine.ospp is None or (known is not None and stacks.get(known.family) == "spp"):
        install_key(machine, key)
        return
    version = str(office_service(machine)["Version"])
    machine.cim.invoke(OSPS, "InstallProductKey", {"Version": version}, {"ProductKey": key})


def install_office_keys(machine: Machine, kind: KeyKind) -> None:
    """The lab's key of ``kind`` (a MAK, say) for each Office suite of the machine, each into the
    stack its suite uses (install_office_key)."""
    for suite in machine.office:
        install_office_key(machine, machine.keys.lab_key(kind, suite.family, suite.edition).key)


def office_products(machine: Machine) -> list[dict[str, Any]]:
    """The Office rows with a key, from OSPP (ospp.vbs /act's selection) and SPP."""
    rows = (
        [r for r in machine.cim.instances(OSPP) if r["PartialProductKey"]] if machine.ospp else []
    )
    return rows + [
        r
        for r in machine.cim.instances(SLP)
        if r["ApplicationID"] != WINDOWS_APP_ID and r["PartialProductKey"] is not None
    ]


def activate_office(machine: Machine, product_id: str) -> int:
    """ospp.vbs /act on one product (OSPP, else SPP); the HRESULT, 0 on success."""
    if machine.ospp is not None and any(sku.id == product_id for sku in machine.ospp.skus):
        try:
            machine.cim.invoke(OSPP, "Activate", {"ID": product_id})
        except SppFault as fault:
            return fault.hresult
        return 0
    return activate_product(machine, product_id)


def activate_windows(machine: Machine) -> int:
    """Activate the Windows product; the HRESULT (0 on success) instead of an exception."""
    product = windows_product(machine)
    if product is None:
        raise RuntimeError(f"{machine}: no Windows product key installed")
    return activate_product(machine, str(product["ID"]))


def activate_product(machine: Machine, product_id: str) -> int:
    """SoftwareLicensingProduct.Activate on one row; the HRESULT, 0 on success."""
    try:
        machine.cim.invoke(SLP, "Activate", {"ID": product_id})
    except SppFault as fault:
        return fault.hresult
    return 0


def restart_sppsvc(machine: Machine) -> None:
    """Stop, wait for Stopped, start: the handler the collection's roles run (§5 item 8). The
    service is sppsvc, or slsvc on Vista / Server 2008 (kms-facts §2.5)."""
    selector = {"Name": machine.sppsvc.name}
    stopped = machine.cim.invoke(SERVICE, "StopService", selector)["ReturnValue"]
    if stopped != 0:
        raise RuntimeError(f"{machine}: StopService returned {stopped}")
    for _poll in range(_POLLS):
        if machine.cim.get(SERVICE, selector)["State"] == "Stopped":
            break
    else:
        raise RuntimeError(f"{machine}: sppsvc did not stop")
    started = machine.cim.invoke(SERVICE, "StartService", selector)["ReturnValue"]
    if started != 0:
        raise RuntimeError(f"{machine}: StartService returned {started}")


def set_publish_list(machine: Machine, entries: list[str]) -> int:
    """DnsDomainPublishList has no WMI method: the registry, REG_MULTI_SZ (§2.2, §2.6)."""
    result = machine.cim.invoke(
        REGISTRY,
        "SetMultiStringValue",
        params={
            "hDefKey": HKEY_LOCAL_MACHINE,
            "sSubKeyName": machine.spp_key,
            "sValueName": DNS_DOMAIN_PUBLISH_LIST,
            "sValue": entries,
        },
    )
    return int(result["ReturnValue"])


def set_firewall_rule(machine: Machine, enabled: bool, rule: str = KMS_RULE) -> int:
    """MSFT_NetFirewallRule Enable()/Disable() on the built-in KMS rule (§4.6)."""
    method = "Enable" if enabled else "Disable"
    # Addressed as Windows names it: the four keys of the instance read (§7.2), not InstanceID.
    rows = machine.cim.instances(FIREWALL, STANDARD_CIMV2)
    row = next(r for r in rows if str(r["InstanceID"]).casefold() == rule.casefold())
    keys = {key: str(row[key]) for key in FIREWALL_KEYS}
    result = machine.cim.invoke(FIREWALL, method, keys, namespace=STANDARD_CIMV2)
    return int(result["ReturnValue"])


def setup_kms_host(machine: Machine, host_key: str, publish_list: list[str] | None = None) -> int:
    """Install and activate a host key, set the publish list, open the firewall rule, restart
    sppsvc so the host serves and publishes; the activation HRESULT (0 on success).

    Sound under both values of ``kms_flag_after_install``: nothing here needs the KMS host role
    before the restart (online activation does not; the publish list is a registry value), and
    the restart that ends it is the one Microsoft's /ipk note asks for (kms-facts §2.6). Host
    settings made through SoftwareLicensingService methods (slmgr /sprt, /sai, ...) belong after
    it, as the service refuses them (0xC004F016) until the host role starts."""
    install_key(machine, host_key)
    result = activate_windows(machine)
    if publish_list is not None:
        set_publish_list(machine, publish_list)
    set_firewall_rule(machine, enabled=True)
    restart_sppsvc(machine)
    return result
