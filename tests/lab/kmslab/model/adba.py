"""SoftwareLicensingService.DoActiveDirectoryOnlineActivation: a forest activated with a CSVLK.

Rules, in the order the lab applies them (older-windows-office-adba.md §4; directory.py for the
LDAP side):

1. The method exists from Windows 8 / Server 2012 on: Windows 7, Vista and their servers lack it
   on their class pages (surfaces.py), so the lab answers WBEM_E_INVALID_METHOD there (§4.1:
   ADBA needs Windows 8 / 2012 or later).
2. The key must be a CSVLK the lab knows (ADBA "with a CSVLK (KMS host key)", MS-DEPLOYADBA);
   anything else is 0xC004F050 (lab rule: the invalid-key code, as InstallProductKey answers).
3. The name: 1 to 40 characters (MS-SLMGRDOC "must not exceed 40 Unicode characters"); longer or
   empty is E_INVALIDARG (lab choice, UNCONFIRMED code).
4. The key must fit a license on the machine (an Office CSVLK needs its volume license pack,
   OFF-ADBA; a Windows one a license the OS has): the same refusal InstallProductKey gives.
5. The machine must be joined to the lab's forest (lab choice ERROR_NO_SUCH_DOMAIN otherwise), and
   its WS-Man logon must reach the domain controller (the second hop: variant adba_second_hop).
6. The container must exist (0x80072030 otherwise: a schema or forest not prepared for ADBA).
7. Microsoft's activation service counts the activation against the CSVLK like a KMS host's
   (authority.py), with the forest as the "host" (lab rule, UNCONFIRMED).
8. The object is written; one already there with the same RDN fails with 0x80071392.

And the client side (``activate_from_directory``), when a domain member activates a KMS client
key (GVLK): Windows 8 / 2012 and later whose activation type allows AD (VLActivationTypeEnabled
0 or 1) read the forest's activation objects and activate for 180 days from one whose KMS IDs
include the product's (MS-ADBACLIENT: "activated state for up to 180 days", the object compared
with the local edition); without one they fall back to KMS, unless the type is AD only. They read
as their own computer account (forest.py makes one per member machine), which the container and
the objects grant read as an Authenticated User (older-windows-office-adba.md §4.2, §4.4): an ACL
that denies the computer hides the objects, and the machine falls back as if there were none
(MS-ADBACLIENT: "if the AD object cannot be retrieved", KMS).
VLActivationType then says which one activated the product (1 AD, 2 KMS; MS-WMI81).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from kmslab.model.catalog import HOST_KEY_GROUPS
from kmslab.model.directory import (
    E_INVALIDARG,
    ERROR_NO_SUCH_DOMAIN,
    MAX_NAME,
    ActivationObject,
    kms_id,
)
from kmslab.model.errors import HResult, SppFault
from kmslab.model.keys import KeyKind, is_well_formed

if TYPE_CHECKING:
    from kmslab.model.directory import Directory
    from kmslab.model.keys import LabKey
    from kmslab.model.licenses import KeyState, LicenseSku
    from kmslab.model.spp import SoftwareProtection

AD, KMS, TOKEN = 1, 2, 3  # VLActivationTypeEnabled / VLActivationType values (§4.4)
SLP = "SoftwareLicensingProduct"


ADBA_VALIDITY = timedelta(days=180)  # MS-ADBACLIENT


def extended_pid(key: LabKey) -> str:
    """A stable, lab-made extended PID in the documented shape (the real one comes from
    Microsoft's pkeyconfig; slmgr shows it as "AO extended PID")."""
    digits = str(int(hashlib.sha256(f"pid:{key.key}".encode()).hexdigest(), 16))
    return f"{digits[:5]}-{digits[5:10]}-{digits[10:13]}-{digits[13:19]}-03-1033-9600.0000-0012026"


def forest_entry(
    spp: SoftwareProtection, text: str, name: str
) -> tuple[LabKey, Directory, ActivationObject]:
    """Rules 1-6 (both online and offline activation apply them): the key, the name, the
    machine's license and forest, the second hop and the container; the object to write."""
    machine = spp.machine
    key = machine.keys.lookup(text) if is_well_formed(text) else None
    if key is None or key.kind is not KeyKind.CSVLK:
        raise SppFault(HResult.SL_E_INVALID_PRODUCT_KEY, "ADBA takes a CSVLK (KMS host key)")
    if not name or len(name) > MAX_NAME:
        raise SppFault(E_INVALIDARG, f"activation object name of {len(name)} characters")
    missing = spp._pack_missing(key)
    if missing is not None:
        raise SppFault(missing, f"{key!r}: its Office volume license pack is not installed")
    sku = next((sku for sku in spp.skus if sku.accepts(key)), None)
    if sku is None:
        raise SppFault(spp._misfit(key), f"{key!r} does not fit {machine.image.handle}")
    network = machine.network
    directory = getattr(network, "directory", None)
    if network is None or directory is None or not directory.joined(machine.domain):
        raise SppFault(ERROR_NO_SUCH_DOMAIN, f"{machine.fqdn} is not in the lab's forest")
    directory.preflight(machine.fqdn)
    group = HOST_KEY_GROUPS[key.group or ""]
    entry = ActivationObject(
        name=name,
        sku_id=sku.id,
        kms_ids=tuple(kms_id(product) for product in sorted(group.activates)),
        pid=extended_pid(key),
        partial_key=key.partial,
        license=f"lab online license for {group.name} ({key.masked})".encode(),
    )
    return key, directory, entry


def online_activation(spp: SoftwareProtection, text: str, name: str) -> int:
    machine = spp.machine
    key, directory, entry = forest_entry(spp, text, name)
    code = machine.network.authority.activate(key, f"forest:{directory.domain}")
    if code:
        raise SppFault(code, f"online activation of {key!r} for the forest refused")
    directory.add(machine.fqdn, entry)
    return 0


def _settings(spp: SoftwareProtection, sku: LicenseSku) -> tuple[int, int]:
    """(the product's own VLActivationTypeEnabled, the machine-wide one); 0 where none is set."""
    product = spp.product_clients.get(sku.id)
    own = product.activation_type if product else None
    return own or 0, spp.client.activation_type or 0


def activation_type(spp: SoftwareProtection, sku: LicenseSku) -> int:
    """The activation type in force for a product (0 any). Which of the product's own setting
    and the machine-wide one wins is settled by no source: the variant act_type_precedence."""
    own, machine_wide = _settings(spp, sku)
    if spp.machine.variants["act_type_precedence"] == "machine":
        return machine_wide or own
    return own or machine_wide


def shown_activation_type(spp: SoftwareProtection, sku: LicenseSku) -> int:
    """What the product's VLActivationTypeEnabled says (MS-WMI81 "1 AD, 2 KMS, 3 Token; blank/0
    all"): the type in force, or under act_type_precedence=product_own the product's own only."""
    if spp.machine.variants["act_type_precedence"] == "product_own":
        return _settings(spp, sku)[0]
    return activation_type(spp, sku)


def activate_from_directory(spp: SoftwareProtection, sku: LicenseSku, state: KeyState) -> bool:
    """Activate ``sku`` from an activation object; False when none applies (then KMS)."""
    machine = spp.machine
    directory = getattr(machine.network, "directory", None)
    wanted = activation_type(spp, sku)
    usable = (
        wanted in (0, AD)
        and sku.token is not None
        and machine.surface.has_property(SLP, "VLActivationType")  # Windows 8 / 2012 and later
        and directory is not None
        and directory.joined(machine.domain)
    )
    if not usable:
        return False
    wanted_id = uuid.UUID(kms_id(sku.token or "")).bytes_le
    for entry in directory.objects_seen_by(machine.fqdn):
        if wanted_id in entry.get("msSPP-KMSIds", []):
            state.grant(machine.clock.now(), ADBA_VALIDITY)
            state.activation_type = AD
            state.ad_object = {
                "name": _first(entry.get("displayName")) or "",
                "dn": entry["dn"],
                "pid": _first(entry.get("msSPP-CSVLKPid")) or "",
                "sku_id": str(uuid.UUID(bytes_le=_first(entry.get("msSPP-CSVLKSkuId")))),
            }
            return True
    return False


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value
