# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which published Office GVLK belongs to an installed Office product.

Office 2013 and later license through the Windows SPP store (ApplicationID ``0ff1ce15-…``, Office
2010 ``59a52881-…``; kms-facts.md §2.8, UNCONFIRMED by Microsoft). The product is read from the
``SoftwareLicensingProduct`` row's ``LicenseFamily`` (and the version in ``Name``), never from
localized text. Two spellings are understood, both UNCONFIRMED against a Microsoft document:

* Click-to-Run product IDs, as the lab names its rows: ``ProPlus2021Volume``,
  ``VisioStd2019Volume``, ``ProPlusVolume`` (no year: Office 2016);
* SPP license names as tools print them: ``Office16ProPlusVL_MAK``,
  ``Office21ProPlus2021VL_KMS_Client_AE``, ``OfficeProPlusVL_MAK`` with ``Name`` "Office 15, …".

The application part (``ProPlus``, ``VisioStd``, ``SkypeForBusiness``…) maps to the words of
Microsoft's edition names once "Office", "LTSC" and the year are taken out ("Office LTSC
Professional Plus 2024" → "professional plus"), and the version picks the family (kms-facts §3.2).
"""

from __future__ import annotations

import re

from ansible_collections.volact.kms.plugins.module_utils import gvlk
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

# Application token (case-folded) -> the words of its edition name in Microsoft's GVLK table.
APPLICATIONS: dict[str, str] = {
    "proplus": "professional plus",
    "professionalplus": "professional plus",
    "standard": "standard",
    "projectpro": "project professional",
    "projectprofessional": "project professional",
    "projectstd": "project standard",
    "projectstandard": "project standard",
    "visiopro": "visio professional",
    "visioprofessional": "visio professional",
    "visiostd": "visio standard",
    "visiostandard": "visio standard",
    "visiopremium": "visio premium",
    "access": "access",
    "excel": "excel",
    "outlook": "outlook",
    "powerpoint": "powerpoint",
    "publisher": "publisher",
    "word": "word",
    "onenote": "onenote",
    "infopath": "infopath",
    "skypeforbusiness": "skype for business",
    "lync": "lync",
    "groove": "sharepoint workspace",  # SharePoint Workspace 2010 was Groove
}

# Version (the NN of "Office NN" and of "OfficeNN…" license names, or a release year) -> family.
FAMILIES: dict[str, str] = {
    "14": "Office 2010",
    "15": "Office 2013",
    "16": "Office 2016",
    "19": "Office 2019",
    "21": "Office LTSC 2021",
    "24": "Office LTSC 2024",
    "2010": "Office 2010",
    "2013": "Office 2013",
    "2016": "Office 2016",
    "2019": "Office 2019",
    "2021": "Office LTSC 2021",
    "2024": "Office LTSC 2024",
}

_C2R = re.compile(r"(?P<app>[A-Za-z]+?)(?P<year>20\d\d)?Volume", re.ASCII)
_SPP = re.compile(r"Office(?P<ver>\d\d)?(?P<app>[A-Za-z]+?)(?P<year>20\d\d)?VL(?:_\w*)?", re.ASCII)
_NAME_VERSION = re.compile(r"Office\s+(?P<ver>\d\d)\b", re.ASCII)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def edition_words(edition: str) -> str:
    """Microsoft's edition name without "Office", "LTSC" and the year, in lower case."""
    words = [w for w in _YEAR.sub(" ", edition).split() if w.casefold() not in ("office", "ltsc")]
    return " ".join(words).casefold()


def _parse(license_family: str, name: str) -> tuple[str, str | None] | None:
    """(application words, family) from a license family, or None when it is not understood."""
    text = license_family.strip()
    match = _C2R.fullmatch(text)
    version: str | None = None
    if match is not None:
        # A Click-to-Run ID without a year is an Office 2016 product (ProPlusVolume).
        version = match.group("year") or "2016"
    else:
        match = _SPP.fullmatch(text)
        if match is None:
            return None
        found = _NAME_VERSION.search(name)
        named = found.group("ver") if found else None
        version = match.group("year") or match.group("ver") or named
    words = APPLICATIONS.get(match.group("app").casefold())
    if words is None:
        return None
    return words, FAMILIES.get(version or "")


def office_gvlk(license_family: str | None, name: str = "", field: str = "product") -> gvlk.Gvlk:
    """The published GVLK of the Office product described by ``license_family`` and ``name``."""
    shown = f"{name or 'an Office product'} (LicenseFamily {license_family!r})"
    fix = (
        "Give its GVLK with product: office and key (Microsoft's Office GVLK table: "
        "https://learn.microsoft.com/office/volume-license-activation/gvlks)."
    )
    parsed = _parse(license_family, name) if license_family else None
    if parsed is None:
        raise KmsInputError(field, f"{shown} is not an Office product this module recognises.", fix)
    words, family = parsed
    if family is None:
        raise KmsInputError(
            field, f"the Office version of {shown} has no published GVLKs in the catalog.", fix
        )
    for edition in gvlk.editions(family):
        if edition_words(edition) == words:
            return gvlk.lookup(family, edition)
    raise KmsInputError(
        field,
        f"{family} has no published GVLK for {shown}.",
        f"Editions with a GVLK in {family}: {', '.join(gvlk.editions(family))}. {fix}",
    )
