"""SoftwareLicensingProduct rows: one per SKU license installed on the machine, and the state of
the key installed into a row.

A real machine carries one row per channel of its edition (retail, OEM, MAK, KMS client) plus the
KMS host rows its OS can carry; installing a key puts PartialProductKey on the matching row and
takes it off the other rows of the same slot (a machine has one Windows key at a time). This is
why "pick the row" matters (kms-facts §1.1: filter on ApplicationID, PartialProductKey IS NOT NULL
and LicenseIsAddon = FALSE).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from kmslab.model.catalog import (
    HOST_KEY_GROUPS,
    OFFICE_2010_APP_ID,
    OFFICE_APP_ID,
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    HostKeyGroup,
)
from kmslab.model.clock import minutes_until
from kmslab.model.images import OfficeSuite, OsImage
from kmslab.model.keys import DESCRIPTION_TAGS, KeyKind, LabKey
from kmslab.model.office_licenses import CLIENT_LICENSES, HOST_ACTIVATION_IDS, HOST_LICENSES

OOB_GRACE = timedelta(days=30)  # out-of-box grace (§2.9)
OOT_GRACE = timedelta(days=30)  # out-of-tolerance grace; §2.9 states 30 days for Office
KMS_VALIDITY = timedelta(days=180)  # a KMS activation is valid for 180 days (§2.9)
EVAL_PERIOD = timedelta(days=180)  # lab value for evaluation editions
_ID_NAMESPACE = uuid.UUID("5c4f3e0a-7d1b-4a4e-9a51-0b5d6c1e9f21")  # the lab's, for stable IDs


class LicenseStatus(IntEnum):
    """SoftwareLicensingProduct.LicenseStatus (§2.8)."""

    UNLICENSED = 0
    LICENSED = 1
    OOB_GRACE = 2
    OOT_GRACE = 3
    NON_GENUINE_GRACE = 4
    NOTIFICATION = 5
    EXTENDED_GRACE = 6


@dataclass(frozen=True)
class LicenseSku:
    """The fixed part of one SoftwareLicensingProduct instance."""

    id: str
    application_id: str
    name: str
    description: str
    license_family: str
    kind: KeyKind
    family: str
    edition: str | None
    group: str | None  # host-key group handle, for KMS host rows
    slot: str  # rows of one slot share one key at a time
    token: str | None  # the product a KMS host is asked to activate; None on host rows
    is_addon: bool = False

    def accepts(self, key: LabKey) -> bool:
        if key.kind is not self.kind or key.application_id != self.application_id:
            return False
        if key.kind is KeyKind.CSVLK:
            return key.group == self.group
        return (key.family, key.edition) == (self.family, self.edition)


@dataclass
class KeyState:
    """A key installed into a row, and where its activation stands."""

    key: LabKey
    installed_at: datetime
    grace_ends: datetime
    licensed_at: datetime | None = None
    licensed_until: datetime | None = None  # None with licensed_at set: permanent
    last_attempt: datetime | None = None
    last_hresult: int = 0
    activation_type: int | None = None  # VLActivationType: 1 AD, 2 KMS (last success)
    ad_object: dict[str, str] | None = None  # the activation object, when by AD

    @classmethod
    def installed(cls, key: LabKey, now: datetime) -> KeyState:
        # Lab rule: a new key starts a fresh 30-day grace period.
        return cls(key, now, now + OOB_GRACE)

    def grant(self, now: datetime, validity: timedelta | None) -> None:
        self.licensed_at = now
        self.licensed_until = None if validity is None else now + validity
        self.last_hresult = 0

    def status(self, now: datetime) -> LicenseStatus:
        if self.licensed_at is not None:
            if self.licensed_until is None or now < self.licensed_until:
                return LicenseStatus.LICENSED
            if self.key.kind is KeyKind.EVAL or now >= self.licensed_until + OOT_GRACE:
                return LicenseStatus.NOTIFICATION
            return LicenseStatus.OOT_GRACE
        return LicenseStatus.OOB_GRACE if now < self.grace_ends else LicenseStatus.NOTIFICATION

    def grace_remaining(self, now: datetime) -> int:
        """GracePeriodRemaining in minutes: time left in the current license or grace period."""
        status = self.status(now)
        if status is LicenseStatus.LICENSED:
            return 0 if self.licensed_until is None else minutes_until(now, self.licensed_until)
        if status is LicenseStatus.OOT_GRACE and self.licensed_until is not None:
            return minutes_until(now, self.licensed_until + OOT_GRACE)
        if status is LicenseStatus.OOB_GRACE:
            return minutes_until(now, self.grace_ends)
        return 0


def sku_id(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(parts)))


def windows_skus(target: OsImage, updates: frozenset[str] = frozenset()) -> list[LicenseSku]:
    """The Windows rows of ``target``; a host key group that needs an update the machine lacks
    (``updates``: KB numbers, catalog.HostUpdate) has no row, as its license is not installed."""
    kinds = [KeyKind.RETAIL, KeyKind.OEM]
    if target.volume:
        kinds += [KeyKind.MAK, KeyKind.GVLK]
    if target.evaluation:
        kinds = [KeyKind.EVAL]
    name = f"Windows(R), {target.edition_id} edition"
    rows = [
        LicenseSku(
            sku_id(target.family, target.edition, kind.value),
            WINDOWS_APP_ID,
            name,
            f"Windows(R) Operating System, {DESCRIPTION_TAGS[kind]} channel",
            target.edition_id,
            kind,
            target.family,
            target.edition,
            None,
            "windows",
            target.token,
        )
        for kind in kinds
    ]
    if not target.can_host_kms:
        return rows
    for group in HOST_KEY_GROUPS.values():
        if target.token not in group.hosts or group.needs_update(target.token, updates):
            continue
        if group.application_id == WINDOWS_APP_ID and group.host_kind is target.kind:
            description = f"Windows(R) Operating System, {group.channel_tag} channel"
            rows.append(
                LicenseSku(
                    sku_id(target.family, target.edition, "csvlk", group.handle),
                    WINDOWS_APP_ID,
                    name,
                    description,
                    target.edition_id,
                    KeyKind.CSVLK,
                    group.name,
                    None,
                    group.handle,
                    "windows",
                    None,
                )
            )
        elif group.application_id in OFFICE_APP_IDS:
            rows.append(office_host_sku(group))
    return rows


def office_host_sku(group: HostKeyGroup) -> LicenseSku:
    """The Office KMS host row of ``group`` in the host's Windows SPP: the version's activation
    ID as its ID (``slmgr /ato <ActID>``, office_licenses.HOST_ACTIVATION_IDS) and the sourced
    names (office_licenses.HOST_LICENSES)."""
    names = HOST_LICENSES[group.handle]
    return LicenseSku(
        HOST_ACTIVATION_IDS[group.handle],
        group.application_id,
        names.name,
        names.description,
        names.license_family,
        KeyKind.CSVLK,
        group.name,
        None,
        group.handle,
        f"office-kms:{group.handle}",
        None,
    )


def office_skus(suite: OfficeSuite) -> list[LicenseSku]:
    """The suite's MAK and KMS client rows: two SKUs with their own names (office_licenses.py)."""
    rows = []
    for kind in (KeyKind.MAK, KeyKind.GVLK):
        names = CLIENT_LICENSES[suite.handle, kind]
        rows.append(
            LicenseSku(
                sku_id(suite.family, suite.edition, kind.value),
                OFFICE_2010_APP_ID if suite.family == "Office 2010" else OFFICE_APP_ID,
                names.name,
                names.description,
                names.license_family,
                kind,
                suite.family,
                suite.edition,
                None,
                f"office:{suite.handle}",
                suite.token,
            )
        )
    return rows


def addon_sku(target: OsImage, key: LabKey) -> LicenseSku:
    """An add-on license with its own key (think Extended Security Updates); it must never be
    mistaken for the Windows product (LicenseIsAddon = TRUE)."""
    return LicenseSku(
        sku_id(target.family, target.edition, "addon"),
        WINDOWS_APP_ID,
        f"Windows(R), {target.edition_id}-ESU add-on for {target.edition_id}",
        "Windows(R) Operating System, VOLUME_MAK channel",
        f"{target.edition_id}-ESU",
        key.kind,
        key.family,
        key.edition,
        None,
        "addon",
        None,
        is_addon=True,
    )
