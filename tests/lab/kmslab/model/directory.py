"""The forest's Active Directory as the lab's Windows machines reach it: activation objects
written into the lab's real Samba AD DC over LDAP.

``SoftwareLicensingService.DoActiveDirectoryOnlineActivation(ProductKey, ActivationObjectName)``
(slmgr /ad-activation-online; older-windows-office-adba.md §4.3) activates the forest with a CSVLK
and stores the result as an ``msSPP-ActivationObject`` under
``CN=Activation Objects,CN=Microsoft SPP,CN=Services,<configuration naming context>`` (§4.2). The
lab writes it with ldap3, over LDAPS, as the account the WS-Man caller is in the domain.

Sources of what is written (§4.2, the Windows Server 2012 R2 schema Samba ships in
``setup/ad-schema``): the class's four mandatory attributes msSPP-CSVLKSkuId (16 bytes),
msSPP-KMSIds (16 bytes each, several), msSPP-CSVLKPid (the extended PID), and
msSPP-CSVLKPartialProductKey (the key's last 5 characters), plus displayName (the name
/ao-list shows, SLMGR10 ``ADListActivationObjects``) and msSPP-OnlineLicense (the license of an
online activation). The values are lab-made: SKU IDs are the lab's SKU IDs, KMS IDs are derived
from the products the key's group activates, the PID and license are stable fakes.

How failures reach the caller: as HRESULTs, through ADSI's mapping of LDAP results ("Win32 Error
Codes for ADSI", learn.microsoft.com/windows/win32/adsi/win32-error-codes): LDAP_ALREADY_EXISTS
0x80071392, LDAP_INSUFFICIENT_RIGHTS 0x80070005, a missing container 0x80072030 (the code
slmgr.vbs /ao-list reads as "not supported in the current Active Directory schema", §4.3). That
SPP passes ADSI's codes through unchanged is UNCONFIRMED (no capture of the method failing).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import ldap3
from ldap3.core import exceptions as ldap_errors

from kmslab.model.errors import SppFault

CONTAINER_RDN = "CN=Activation Objects,CN=Microsoft SPP,CN=Services"
GUID_ATTRIBUTES = ("msSPP-CSVLKSkuId", "msSPP-KMSIds")  # 16-byte octet strings
OBJECT_CLASS = "msSPP-ActivationObject"
MAX_NAME = 40  # "must not exceed 40 Unicode characters" (MS-SLMGRDOC, §4.4)

E_ACCESSDENIED = 0x80070005
E_INVALIDARG = 0x80070057
ERROR_NO_SUCH_DOMAIN = 0x8007054B  # lab choice: a machine not joined to the lab's forest
ERROR_OBJECT_ALREADY_EXISTS = 0x80071392
ERROR_DS_OPERATIONS_ERROR = 0x80072020
ERROR_DS_NO_SUCH_OBJECT = 0x80072030

_KMS_ID_NAMESPACE = uuid.UUID("0b5f7f55-3c0e-4d3f-9d6c-2f4a8e1c7a10")  # the lab's, stable


class Caller(StrEnum):
    """Who the WS-Man caller is in the domain (set per machine through ``Lab.call``)."""

    ENTERPRISE_ADMIN = "enterprise_admin"  # Administrator: Enterprise Admins, Domain Admins
    DOMAIN_USER = "domain_user"  # an ordinary account: may read the container, not write it


@dataclass(frozen=True)
class ActivationObject:
    """What DoActiveDirectoryOnlineActivation stores; bytes as the schema's octet strings."""

    name: str
    sku_id: str
    kms_ids: tuple[str, ...]
    pid: str
    partial_key: str
    license: bytes
    # By phone (adba_offline.py): the installation ID and confirmation ID, instead of the online
    # license; the phone license is lab-made like the online one.
    phone: tuple[str, str] | None = None

    def attributes(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "displayName": self.name,
            "msSPP-CSVLKSkuId": uuid.UUID(self.sku_id).bytes_le,
            "msSPP-KMSIds": [uuid.UUID(kms_id).bytes_le for kms_id in self.kms_ids],
            "msSPP-CSVLKPid": self.pid,
            "msSPP-CSVLKPartialProductKey": self.partial_key,
        }
        if self.phone is None:
            return found | {"msSPP-OnlineLicense": self.license}
        iid, cid = self.phone
        return found | {
            "msSPP-PhoneLicense": f"lab phone license ({self.partial_key})".encode(),
            "msSPP-InstallationId": iid,
            "msSPP-ConfirmationId": cid,
        }


def kms_id(product: str) -> str:
    """The lab's stable KMS ID for a product token ("W11", "WS2022", ...)."""
    return str(uuid.uuid5(_KMS_ID_NAMESPACE, product))


class Directory:
    """The lab forest: its DNS name, and LDAP connections bound as each kind of caller."""

    # A connection bound as a member machine's own computer account (forest.py), given its
    # FQDN: what the machine's SPP reads activation objects with (model/adba.py).
    computer_connect: Callable[[str], ldap3.Connection] | None = None

    def __init__(
        self,
        domain: str,
        configuration_dn: str,
        connect: Callable[[Caller], ldap3.Connection],
        *,
        rdn_form: str = "name",
        second_hop_hresult: int = ERROR_DS_OPERATIONS_ERROR,
        dc_name_form: str = "dns",
        default_acl: Callable[[str], None] | None = None,
    ) -> None:
        self.domain = domain.casefold()
        self.configuration_dn = configuration_dn
        self._connect = connect
        self.rdn_form = rdn_form  # the variant adba_object_rdn
        self.second_hop_hresult = second_hop_hresult  # the variant adba_second_hop
        self.dc_name_form = dc_name_form  # the variant ntdomain_dc_name
        # The real DC (Samba, forest.py names it dc1.<domain>): the controller reads this one.
        self.dc_fqdn = f"dc1.{self.domain}"
        # Replication pending: per machine, another DC of the forest its locator moved to and
        # Windows writes on. The lab runs one real DC, so that DC's objects wait in ``pending``
        # (unreachable from the controller, as a DC in another site may be) until replicate().
        self.write_elsewhere: dict[str, str] = {}
        self.locator: dict[str, str] = {}
        self.pending: list[tuple[str, dict[str, Any]]] = []
        # Gives a new object the class's default ACEs where the DC does not (forest.py)
        self._default_acl = default_acl
        # Per machine (fqdn): who the caller is, and whether its logon reaches the DC.
        self.callers: dict[str, Caller] = {}
        self.no_second_hop: set[str] = set()

    @property
    def container_dn(self) -> str:
        return f"{CONTAINER_RDN},{self.configuration_dn}"

    def joined(self, machine_domain: str) -> bool:
        domain = machine_domain.casefold()
        return domain == self.domain or domain.endswith(f".{self.domain}")

    def preflight(self, machine: str) -> None:
        """What is checked before Microsoft is asked: the logon reaches the DC (second hop), and
        the container exists (the forest is prepared for ADBA)."""
        if machine in self.no_second_hop:
            raise SppFault(self.second_hop_hresult, "the WS-Man logon has no credentials for LDAP")
        connection = self._connect(self.callers.get(machine, Caller.ENTERPRISE_ADMIN))
        try:
            connection.search(self.container_dn, "(objectClass=*)", search_scope=ldap3.BASE)
        except ldap_errors.LDAPNoSuchObjectResult:
            raise SppFault(ERROR_DS_NO_SUCH_OBJECT, f"no {self.container_dn}") from None
        finally:
            connection.unbind()

    def dc_for(self, machine: str) -> str:
        """The DC ``machine``'s locator names (Win32_NTDomain, ntdomain.py)."""
        return self.locator.get(machine, self.dc_fqdn)

    def replicate(self) -> None:
        """Replication reaches the real DC: the objects written elsewhere appear in Samba."""
        pending, self.pending = self.pending, []
        connection = self._connect(Caller.ENTERPRISE_ADMIN)
        try:
            for dn, attributes in pending:
                connection.add(dn, ["top", OBJECT_CLASS], attributes)
        finally:
            connection.unbind()
        for dn, _attributes in pending:
            if self._default_acl is not None:
                self._default_acl(dn)

    def add(self, machine: str, entry: ActivationObject) -> str:
        """Write ``entry`` as ``machine``'s caller; its DN, or an SppFault with the HRESULT."""
        rdn = entry.name if self.rdn_form == "name" else entry.sku_id
        dn = f"CN={ldap3.utils.dn.escape_rdn(rdn)},{self.container_dn}"
        elsewhere = self.write_elsewhere.get(machine)
        if elsewhere is not None:
            # The locator moved to that DC (lab rule: it is the one Windows found writable).
            self.locator[machine] = elsewhere
            if any(dn.casefold() == held.casefold() for held, _attributes in self.pending):
                raise SppFault(ERROR_OBJECT_ALREADY_EXISTS, dn)
            self.pending.append((dn, entry.attributes()))
            return dn
        caller = self.callers.get(machine, Caller.ENTERPRISE_ADMIN)
        connection = self._connect(caller)
        try:
            connection.add(dn, ["top", OBJECT_CLASS], entry.attributes())
        except ldap_errors.LDAPEntryAlreadyExistsResult:
            raise SppFault(ERROR_OBJECT_ALREADY_EXISTS, dn) from None
        except ldap_errors.LDAPInsufficientAccessRightsResult:
            raise SppFault(E_ACCESSDENIED, f"{caller.value} may not write {dn}") from None
        except ldap_errors.LDAPNoSuchObjectResult:
            raise SppFault(ERROR_DS_NO_SUCH_OBJECT, f"no {self.container_dn}") from None
        finally:
            connection.unbind()
        if self._default_acl is not None:
            self._default_acl(dn)
        return dn

    def objects(self) -> list[dict[str, Any]]:
        """Every activation object (for tests): DN and attributes as ldap3 reads them."""
        connection = self._connect(Caller.ENTERPRISE_ADMIN)
        try:
            connection.search(
                self.container_dn,
                f"(objectClass={OBJECT_CLASS})",
                search_scope=ldap3.LEVEL,
                attributes=ldap3.ALL_ATTRIBUTES,
            )
            # Without the schema ldap3 decodes an octet string that happens to be valid UTF-8 as
            # text; the GUID attributes are taken from the raw bytes instead, as Windows keeps them.
            return [
                {
                    "dn": entry.entry_dn,
                    **entry.entry_attributes_as_dict,
                    **{
                        name: list(entry.entry_raw_attributes[name])
                        for name in GUID_ATTRIBUTES
                        if name in entry.entry_raw_attributes
                    },
                }
                for entry in connection.entries
            ]
        finally:
            connection.unbind()

    def objects_seen_by(self, machine: str) -> list[dict[str, Any]]:
        """The activation objects ``machine`` (an FQDN) can read with its computer account, as
        a domain member's Software Protection service reads them: by the computer's own logon,
        whom the container and the objects grant read as an Authenticated User
        (older-windows-office-adba.md §4.2, §4.4). An ACL that denies it hides them (an LDAP
        search returns only what the caller may see); a bind that fails reads nothing."""
        if self.computer_connect is None:
            raise RuntimeError("the lab forest gives no computer accounts (Lab._start_forest)")
        try:
            connection = self.computer_connect(machine)
        except ldap_errors.LDAPException:
            return []
        try:
            connection.search(
                self.container_dn,
                f"(objectClass={OBJECT_CLASS})",
                search_scope=ldap3.LEVEL,
                attributes=ldap3.ALL_ATTRIBUTES,
            )
            return [
                {"dn": entry.entry_dn, **entry.entry_attributes_as_dict}
                for entry in connection.entries
            ]
        except ldap_errors.LDAPException:
            return []
        finally:
            connection.unbind()
