# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activation objects of Active Directory-Based Activation (ADBA), and the task's request.

An activation object is an ``msSPP-ActivationObject`` in
``CN=Activation Objects,CN=Microsoft SPP,CN=Services,<configuration naming context>``
(older-windows-office-adba.md §4.2, from the Windows Server 2012 schema). Its mandatory
attributes are the CSVLK's SKU ID (``msSPP-CSVLKSkuId``, 16 bytes, shown by slmgr as a GUID: the
"activation ID"), the KMS IDs it enables (``msSPP-KMSIds``), the extended PID
(``msSPP-CSVLKPid``) and the key's last 5 characters (``msSPP-CSVLKPartialProductKey``);
``displayName`` holds the name ``slmgr /ao-list`` shows (§4.3).

Which RDN Windows gives the object is not known for certain (the lab's variant
``adba_object_rdn``), so objects are always found by class under the container, named by their
``displayName`` (or their RDN when it has none), and removed by the DN the directory returned.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host.plan import parse_key
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey

CONTAINER_RDN = "CN=Activation Objects,CN=Microsoft SPP,CN=Services"
OBJECT_CLASS = "msSPP-ActivationObject"
ATTRIBUTES = (
    "displayName",
    "cn",
    "msSPP-CSVLKSkuId",
    "msSPP-CSVLKPartialProductKey",
    "msSPP-CSVLKPid",
    "msSPP-KMSIds",
    "whenCreated",
)
# "must not exceed 40 Unicode characters" (slmgr /ad-activation-online, MS-SLMGRDOC, §4.4).
MAX_NAME = 40
# Characters that need escaping in an RDN, and control characters: refused as public tools do
# (slmgr-ps New-WindowsADActivationObject, §4.4), so the name is the same in displayName and RDN.
_FORBIDDEN = re.compile(r'[,=+<>#;"\\\x00-\x1f\x7f]')


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise KmsInputError(
            "name", "is empty.", "Give the activation object's name, 1 to 40 characters."
        )
    if name != name.strip():
        raise KmsInputError(
            "name",
            f"{name!r} starts or ends with blanks, which the directory would not keep.",
            "Remove them.",
        )
    if len(name) > MAX_NAME:
        raise KmsInputError(
            "name",
            f"is {len(name)} characters long; an activation object name must not exceed "
            f"{MAX_NAME} characters (slmgr /ad-activation-online).",
            f"Shorten it to {MAX_NAME} characters or fewer.",
        )
    bad = _FORBIDDEN.search(name)
    if bad is not None:
        shown = repr(bad.group(0)) if bad.group(0).isprintable() else f"U+{ord(bad.group(0)):04X}"
        raise KmsInputError(
            "name",
            f"contains {shown}, which an Active Directory name cannot hold unescaped.",
            'Use letters, digits, blanks and - _ . ( ) only (no , = + < > # ; " \\ or controls).',
        )
    return name


ONLINE, OFFLINE = "online", "offline"
_CID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")


@dataclass(frozen=True)
class AdbaRequest:
    name: str
    state: str
    key: ProductKey | None  # only with state=present
    activation: str = ONLINE
    confirmation_id: str | None = None  # digits only; offline only


def check_confirmation_id(raw: object) -> str:
    """The confirmation ID as Microsoft reads it out (groups of digits): only its digits are
    sent, as slmgr /ad-activation-apply-cid takes one argument without blanks."""
    digits = _CID_SEPARATORS.sub("", str(raw))
    if not digits or not digits.isascii() or not digits.isdigit():
        raise KmsInputError(
            "confirmation_id",
            "must hold digits only (in groups, separated by blanks or dashes or not).",
            "Give the confirmation ID Microsoft's activation centre gave for the installation ID.",
        )
    return digits


def parse_request(args: Mapping[str, Any]) -> AdbaRequest:
    state = str(args.get("state") or "present")
    name = check_name(args.get("name"))
    raw = args.get("product_key")
    if state == "present" and raw is None:
        raise KmsInputError("product_key", "is required with state=present.", "Give the CSVLK.")
    key = None if raw is None or state == "absent" else parse_key(raw, "product_key")
    activation = str(args.get("activation") or ONLINE)
    cid = args.get("confirmation_id")
    if cid is not None and activation != OFFLINE:
        raise KmsInputError(
            "confirmation_id",
            "is used only with activation=offline (the phone path).",
            "Set activation: offline, or leave confirmation_id out.",
        )
    confirmation_id = None if cid is None or state == "absent" else check_confirmation_id(cid)
    return AdbaRequest(name, state, key, activation, confirmation_id)


# Octet-string attributes holding GUIDs: read from ldap3's raw_attributes (the bytes on the wire).
# Without the schema (get_info=NONE) ldap3's decoded "attributes" may hold such a value as bytes
# or as a str it decoded, so only the raw bytes are trusted.
GUID_ATTRIBUTES = ("msSPP-CSVLKSkuId", "msSPP-KMSIds")


def decode_guid(value: object) -> str | None:
    """16 bytes as Active Directory stores a GUID (the first three fields little-endian, as
    slmgr /ao-list shows msSPP-CSVLKSkuId), in the usual 8-4-4-4-12 form; None for anything
    else (a value that is not 16 bytes is not a GUID, and is not guessed at)."""
    if isinstance(value, bytes | bytearray | memoryview) and len(value) == 16:
        return str(uuid.UUID(bytes_le=bytes(value)))
    return None


def _guids(raw: Mapping[str, Any], attributes: Mapping[str, Any], name: str) -> list[str]:
    values = raw.get(name)
    if values is None:  # no raw copy (not from ldap3): the decoded value, if it is bytes
        values = attributes.get(name)
    if values is None:
        return []
    items = values if isinstance(values, list | tuple) else [values]
    return [guid for guid in (decode_guid(item) for item in items) if guid is not None]


def _one(attributes: Mapping[str, Any], name: str) -> Any:
    value = attributes.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


@dataclass(frozen=True)
class ActivationObject:
    dn: str
    name: str  # displayName, else the RDN's value
    rdn: str
    sku_id: str | None  # the "activation ID" slmgr /ao-list shows
    partial_product_key: str | None
    extended_pid: str | None
    kms_ids: tuple[str, ...]
    created: str | None

    @classmethod
    def from_entry(
        cls, dn: str, attributes: Mapping[str, Any], raw: Mapping[str, Any] | None = None
    ) -> ActivationObject:
        raw = raw or {}
        rdn = str(_one(attributes, "cn") or dn.split(",", 1)[0].partition("=")[2])
        sku_ids = _guids(raw, attributes, "msSPP-CSVLKSkuId")
        created = _one(attributes, "whenCreated")
        return cls(
            dn=dn,
            name=str(_one(attributes, "displayName") or rdn),
            rdn=rdn,
            sku_id=sku_ids[0] if sku_ids else None,
            partial_product_key=_one(attributes, "msSPP-CSVLKPartialProductKey"),
            extended_pid=_one(attributes, "msSPP-CSVLKPid"),
            kms_ids=tuple(_guids(raw, attributes, "msSPP-KMSIds")),
            created=None if created is None else str(created),
        )

    def named(self, name: str) -> bool:
        """Active Directory compares names without regard to case."""
        wanted = name.casefold()
        return self.name.casefold() == wanted or self.rdn.casefold() == wanted

    def holds(self, key: ProductKey) -> bool:
        return (self.partial_product_key or "").upper() == key.partial

    def result(self) -> dict[str, Any]:
        """As the module returns it: the key only by its last group, as Windows keeps it."""
        return {
            "name": self.name,
            "dn": self.dn,
            "activation_id": self.sku_id,
            "partial_product_key": self.partial_product_key,
            "extended_pid": self.extended_pid,
            "kms_ids": list(self.kms_ids),
            "created": self.created,
        }

    def diff_view(self) -> dict[str, Any]:
        return {"name": self.name, "partial_product_key": self.partial_product_key}
