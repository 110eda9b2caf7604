"""Active Directory-Based Activation by phone: the offline path of issue 16.

``SoftwareLicensingService.GenerateActiveDirectoryOfflineActivationId(ProductKey, out
InstallationID)`` (slmgr /ad-activation-get-iid) and
``DepositActiveDirectoryOfflineActivationConfirmation(ProductKey, ConfirmationID,
ActivationObjectName)`` (slmgr /ad-activation-apply-cid); Windows 8 / 2012 and later
(older-windows-office-adba.md §1.3 GO-WMI, MS-WMI81; §4.3 SLMGR10 ADGetIID, ADActivatePhone).

Lab rules (what Windows computes is not public):

- The installation ID is derived from the key and the machine: the same key on the same machine
  always gives the same one (63 digits in 9 groups of 7, the Windows 8 form slmgr /dti shows).
  Generating it changes nothing.
- Microsoft's activation centre (``ActivationAuthority.confirm``, what the administrator phones)
  counts the activation against the CSVLK and gives the confirmation ID of that installation ID
  (48 digits in 8 groups of 6); the lab derives it from the installation ID.
- Depositing checks the confirmation ID against the installation ID of that key on this machine:
  any other is SL_E_CIDIID_INVALID_CHECK_DIGITS 0xC004F04D, "The Installation ID (IID) or the
  Confirmation ID (CID) is not valid" (SLDepositOfflineConfirmationIdEx's documented return
  codes). Blanks and dashes between the groups are ignored (lab choice). Then the same rules as
  the online activation (adba.forest_entry), and the object is written with the phone license,
  the installation ID and the confirmation ID (msSPP-PhoneLicense, msSPP-InstallationId,
  msSPP-ConfirmationId: the schema's optional attributes, §4.2).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

from kmslab.model.adba import forest_entry
from kmslab.model.errors import HResult, SppFault
from kmslab.model.keys import KeyKind, is_well_formed

if TYPE_CHECKING:
    from kmslab.model.spp import SoftwareProtection

SL_E_CIDIID_INVALID_CHECK_DIGITS = 0xC004F04D


def _digits(seed: str, count: int) -> str:
    number = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(number).zfill(count)[:count]


def _groups(digits: str, size: int) -> str:
    return "-".join(digits[i : i + size] for i in range(0, len(digits), size))


def installation_id(key_text: str, machine_fqdn: str) -> str:
    return _groups(_digits(f"iid:{key_text}:{machine_fqdn.casefold()}", 63), 7)


def confirmation_for(iid: str) -> str:
    """The confirmation ID Microsoft's (the lab's) activation centre gives for ``iid``."""
    return _groups(_digits(f"cid:{iid.replace('-', '')}", 48), 6)


def generate_installation_id(spp: SoftwareProtection, text: str) -> dict[str, object]:
    machine = spp.machine
    key = machine.keys.lookup(text) if is_well_formed(text) else None
    if key is None or key.kind is not KeyKind.CSVLK:
        raise SppFault(HResult.SL_E_INVALID_PRODUCT_KEY, "ADBA takes a CSVLK (KMS host key)")
    return {"ReturnValue": 0, "InstallationID": installation_id(key.key, machine.fqdn)}


def deposit_confirmation(spp: SoftwareProtection, text: str, cid: str, name: str) -> int:
    machine = spp.machine
    key, directory, entry = forest_entry(spp, text, name)
    iid = installation_id(key.key, machine.fqdn)
    given = "".join(ch for ch in cid if ch not in " -")
    if given != confirmation_for(iid).replace("-", ""):
        raise SppFault(SL_E_CIDIID_INVALID_CHECK_DIGITS, "the confirmation ID does not match")
    phoned = replace(entry, license=b"", phone=(iid, confirmation_for(iid)))
    directory.add(machine.fqdn, phoned)
    return 0
