# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog of published KMS client setup keys (GVLKs) for Windows and Office.

The rows come from the generated ``gvlk_table`` (reference/gvlk.csv, kms-facts.md §3.1 and §3.2).
GVLKs are public, so unlike other product keys they may appear in messages in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing.gvlk_table import GVLK_TABLE
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import normalize_key

WINDOWS = "windows"
OFFICE = "office"


@dataclass(frozen=True)
class Gvlk:
    """One published KMS client setup key."""

    product: str  # "windows" or "office"
    family: str  # e.g. "Windows Server 2022", "Office LTSC 2021"
    edition: str  # the edition name as Microsoft's table writes it, e.g. "Datacenter"
    key: str
    confirmed: bool  # False: taken from copies of retired Microsoft pages (§3.2, Office 2010/2013)

    @property
    def partial(self) -> str:
        """The last group, as SoftwareLicensingProduct.PartialProductKey shows it."""
        return self.key[-5:]

    @property
    def label(self) -> str:
        return f"{self.family} {self.edition}"


CATALOG: tuple[Gvlk, ...] = tuple(
    Gvlk(product, family, edition, key, confirmed)
    for product, families in GVLK_TABLE.items()
    for family, rows in families.items()
    for edition, key, confirmed in rows
)

_BY_KEY = {entry.key: entry for entry in CATALOG}
_BY_NAME = {(entry.family, entry.edition): entry for entry in CATALOG}


def _fold(text: str) -> str:
    """Case- and blank-insensitive form of a family or edition name."""
    return " ".join(text.split()).casefold()


_BY_FOLDED_NAME = {(_fold(e.family), _fold(e.edition)): e for e in CATALOG}
_FAMILY_BY_FOLDED = {_fold(e.family): e.family for e in CATALOG}


def _editions_by_family() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for entry in CATALOG:
        found.setdefault(entry.family, []).append(entry.edition)
    return {family: tuple(names) for family, names in found.items()}


# Built once at import: every task runs in a fresh fork of ansible-playbook, where walking the
# whole catalog costs page copies, not just comparisons (docs/performance.md).
_EDITIONS = _editions_by_family()


def find_by_key(text: object) -> Gvlk | None:
    """The catalog entry for a key in any accepted spelling; None when unknown or malformed."""
    try:
        key = normalize_key(text)
    except KmsInputError:
        return None
    return _BY_KEY.get(key)


def is_published_gvlk(text: object) -> bool:
    return find_by_key(text) is not None


def families(product: str | None = None) -> tuple[str, ...]:
    """Family names in catalog order, optionally only those of ``product``."""
    names = (e.family for e in CATALOG if product is None or e.product == product)
    return tuple(dict.fromkeys(names))


def editions(family: str) -> tuple[str, ...]:
    """Edition names of ``family`` (exact spelling) in catalog order; empty when unknown."""
    return _EDITIONS.get(family, ())


def lookup(family: str, edition: str, field: str = "edition") -> Gvlk:
    """The GVLK of ``edition`` in ``family``; names match regardless of case and extra blanks."""
    if not isinstance(family, str) or not isinstance(edition, str):
        raise KmsInputError(field, "family and edition must be strings.")
    found = _BY_NAME.get((family, edition)) or _BY_FOLDED_NAME.get((_fold(family), _fold(edition)))
    if found:
        return found
    canonical = _FAMILY_BY_FOLDED.get(_fold(family))
    if canonical is None:
        raise KmsInputError(
            field,
            f"'{family}' is not a product family with published GVLKs.",
            f"Valid families: {', '.join(families())}.",
        )
    raise KmsInputError(
        field,
        f"{canonical} has no published GVLK for edition '{edition}'.",
        f"Valid editions of {canonical}: {', '.join(editions(canonical))}.",
    )


def windows_products() -> tuple[Gvlk, ...]:
    return tuple(e for e in CATALOG if e.product == WINDOWS)


def office_products() -> tuple[Gvlk, ...]:
    return tuple(e for e in CATALOG if e.product == OFFICE)
