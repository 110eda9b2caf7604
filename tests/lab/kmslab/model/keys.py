"""The lab's knowledge of which product keys exist (its "pkeyconfig").

Two sources: Microsoft's published GVLKs, read from the collection's generated ``gvlk_table``
(kms-facts §3.1/§3.2), and the lab's own fake keys for everything that is secret in real life
(MAK, retail, OEM, evaluation, CSVLK). Lab keys are well formed but derived from a hash of their
purpose, so they cannot collide with a real key by design, and the same name gives the same key on
every run. A well-formed key the table does not know is an invalid key (0xC004F050), exactly as
Windows treats a key its pkeyconfig cannot decode.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from ansible_collections.volact.kms.plugins.module_utils.licensing.gvlk_table import GVLK_TABLE
from kmslab.model.catalog import HOST_KEY_GROUPS, OFFICE_2010_APP_ID, OFFICE_APP_ID, WINDOWS_APP_ID
from kmslab.model.images import IMAGES, OFFICE_SUITES

# Product keys use 24 characters; Windows 8+ keys may also carry one "N" (every published GVLK
# in gvlk.csv uses only these 25 characters).
KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
_KEY_CHARS = KEY_ALPHABET + "N"
_KEY_RE = re.compile(rf"[{_KEY_CHARS}]{{5}}(?:-[{_KEY_CHARS}]{{5}}){{4}}")
_KEY_ANYWHERE_RE = re.compile(rf"(?<![{_KEY_CHARS}-]){_KEY_RE.pattern}(?![{_KEY_CHARS}-])")


def is_well_formed(text: object) -> bool:
    """Five dash-separated groups of five key characters, upper case, nothing else.

    The lab is strict on purpose: the collection is expected to normalise user input before it
    calls InstallProductKey.
    """
    return isinstance(text, str) and _KEY_RE.fullmatch(text) is not None


def mask_key(text: str) -> str:
    """``XXXXX-XXXXX-XXXXX-XXXXX-T83GX``: only the part Windows itself shows (PartialProductKey)."""
    tail = re.sub(r"[^0-9A-Za-z]", "", text)[-5:].rjust(5, "X")
    return "XXXXX-XXXXX-XXXXX-XXXXX-" + tail


def mask_keys_in(text: str) -> str:
    """Mask every product key that appears anywhere in ``text``."""
    return _KEY_ANYWHERE_RE.sub(lambda match: mask_key(match.group(0)), text)


def fake_key(seed: str) -> str:
    """A deterministic, well-formed key for ``seed``, never one of Microsoft's."""
    digest = int.from_bytes(hashlib.sha256(f"volact-kms-lab:{seed}".encode()).digest(), "big")
    chars = []
    for _position in range(25):
        digest, index = divmod(digest, len(KEY_ALPHABET))
        chars.append(KEY_ALPHABET[index])
    text = "".join(chars)
    return "-".join(text[i : i + 5] for i in range(0, 25, 5))


class KeyKind(StrEnum):
    GVLK = "gvlk"
    MAK = "mak"
    RETAIL = "retail"
    OEM = "oem"
    EVAL = "eval"
    CSVLK = "csvlk"


# SoftwareLicensingProduct.ProductKeyChannel (§2.8). The evaluation channel string is
# UNCONFIRMED; the others are "seen in practice" in the reference.
CHANNELS: dict[KeyKind, str] = {
    KeyKind.GVLK: "Volume:GVLK",
    KeyKind.MAK: "Volume:MAK",
    KeyKind.RETAIL: "Retail",
    KeyKind.OEM: "OEM:DM",
    KeyKind.EVAL: "Retail:TB:Eval",
    KeyKind.CSVLK: "Volume:CSVLK",
}
# The "<tag> channel" part of SoftwareLicensingProduct.Description (§2.8); CSVLK rows use their
# group's tag instead. TIMEBASED_EVAL is UNCONFIRMED in the reference.
DESCRIPTION_TAGS: dict[KeyKind, str] = {
    KeyKind.GVLK: "VOLUME_KMSCLIENT",
    KeyKind.MAK: "VOLUME_MAK",
    KeyKind.RETAIL: "RETAIL",
    KeyKind.OEM: "OEM_DM",
    KeyKind.EVAL: "TIMEBASED_EVAL",
}


@dataclass(frozen=True)
class LabKey:
    """One key the lab accepts. ``family``/``edition`` say which SKU it belongs to; a CSVLK has
    a ``group`` instead of an edition."""

    key: str = field(repr=False)
    kind: KeyKind
    application_id: str
    family: str
    edition: str | None = None
    group: str | None = None
    published: bool = False  # one of Microsoft's GVLKs (public, may be shown in full)
    confirmed: bool = True  # False: a GVLK the reference took from copies of retired pages

    @property
    def partial(self) -> str:
        return self.key[-5:]

    @property
    def masked(self) -> str:
        return mask_key(self.key)

    def __repr__(self) -> str:
        where = self.group or f"{self.family} / {self.edition}"
        return f"LabKey({self.masked}, {self.kind.value}, {where})"


def published_gvlks() -> list[LabKey]:
    """Microsoft's GVLKs from the collection's generated table (product -> family -> rows)."""
    return [
        LabKey(key, KeyKind.GVLK, application_id(product, family), family, edition, None, True,
               confirmed)
        for product, families in GVLK_TABLE.items()
        for family, rows in families.items()
        for edition, key, confirmed in rows
    ]  # fmt: skip


def application_id(product: str, family: str) -> str:
    """The application a key belongs to: Windows, Office 2010 (its own ID, §2.8) or Office."""
    if product == "windows":
        return WINDOWS_APP_ID
    return OFFICE_2010_APP_ID if family == "Office 2010" else OFFICE_APP_ID


class KeyTable:
    """Every key the lab accepts, looked up by the exact key text."""

    def __init__(self, keys: Iterable[LabKey] = ()) -> None:
        self._by_key: dict[str, LabKey] = {}
        for entry in keys:
            self.add(entry)

    def add(self, entry: LabKey) -> LabKey:
        if not is_well_formed(entry.key):
            raise ValueError(f"{entry!r} is not a well-formed product key")
        known = self._by_key.setdefault(entry.key, entry)
        if known != entry:
            raise ValueError(f"{entry!r} clashes with {known!r}")
        return entry

    def lookup(self, key: object) -> LabKey | None:
        return self._by_key.get(key) if isinstance(key, str) else None

    def __iter__(self) -> Iterator[LabKey]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def find(
        self, kind: KeyKind, family: str | None = None, edition: str | None = None
    ) -> list[LabKey]:
        return [
            entry
            for entry in self
            if entry.kind is kind
            and (family is None or entry.family == family)
            and (edition is None or entry.edition == edition)
        ]

    def gvlk(self, family: str, edition: str) -> LabKey:
        return self._one(KeyKind.GVLK, family, edition)

    def lab_key(self, kind: KeyKind, family: str, edition: str) -> LabKey:
        """The lab's MAK / retail / OEM / evaluation key for one edition."""
        return self._one(kind, family, edition)

    def for_image(self, kind: KeyKind, handle: str) -> LabKey:
        """The ``kind`` key for the lab image ``handle`` (GVLKs included)."""
        target = IMAGES[handle]
        return self._one(kind, target.family, target.edition)

    def csvlk(self, group: str, serial: int = 0) -> LabKey:
        """The lab's host key number ``serial`` for a host-key group; made on first use.

        Several keys per group let tests exercise the per-key activation limit (0xC004C008).
        """
        spec = HOST_KEY_GROUPS[group]
        key = fake_key(f"csvlk:{group}:{serial}")
        return self.lookup(key) or self.add(
            LabKey(key, KeyKind.CSVLK, spec.application_id, spec.name, None, group)
        )

    def _one(self, kind: KeyKind, family: str, edition: str) -> LabKey:
        found = self.find(kind, family, edition)
        if not found:
            raise KeyError(f"the lab has no {kind.value} key for {family} / {edition}")
        return found[0]


def default_key_table() -> KeyTable:
    """Published GVLKs, plus lab MAK/retail/OEM keys for every volume image, retail/OEM keys for
    the others, an evaluation key for evaluation images, and host key 0 of every group."""
    table = KeyTable(published_gvlks())
    editions = {(image.family, image.edition): image for image in IMAGES.values()}
    for (family, edition), target in editions.items():
        kinds = [KeyKind.RETAIL, KeyKind.OEM]
        if target.volume:
            kinds.append(KeyKind.MAK)
        if target.evaluation:
            kinds = [KeyKind.EVAL]
        for kind in kinds:
            table.add(
                LabKey(
                    fake_key(f"{kind.value}:{family}:{edition}"),
                    kind,
                    WINDOWS_APP_ID,
                    family,
                    edition,
                )
            )
    for suite in OFFICE_SUITES.values():
        table.add(
            LabKey(
                fake_key(f"mak:{suite.family}:{suite.edition}"),
                KeyKind.MAK,
                application_id("office", suite.family),
                suite.family,
                suite.edition,
            )
        )
    for group in HOST_KEY_GROUPS:
        table.csvlk(group)
    return table
