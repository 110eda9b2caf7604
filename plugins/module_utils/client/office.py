# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Office product a ``SoftwareLicensingProduct`` row is, and which published GVLK it takes.

Office 2013 and later license through the Windows SPP store (ApplicationID ``0ff1ce15-…``, Office
2010 through OSPP as ``59a52881-…``; kms-facts.md §2.8, UNCONFIRMED by Microsoft). The product is
read from the row's ``LicenseFamily``, the version also from ``Name`` and the ApplicationID, never
from ``Description`` or other text a reader could localize. What real SPP reports (public sources
in tests/lab/kmslab/model/office_licenses.py):

==========================================  ====================================================
``LicenseFamily``                           ``Name``
==========================================  ====================================================
``OfficeProPlus-KMS_Client`` (2010)         Office 14, OfficeProPlus-KMS_Client edition
``OfficeProPlusVL_KMS_Client`` (2013)       Office 15, OfficeProPlusVL_KMS_Client edition
``Office16ProPlusVL_KMS_Client``            Office 16, Office16ProPlusVL_KMS_Client edition
``Office19ProPlus2019VL_KMS_Client_AE``     Office 19, Office19ProPlus2019VL_KMS_Client_AE edition
``Office21ProPlus2021VL_MAK_AE1``           Office 21, Office21ProPlus2021VL_MAK_AE1 edition
``Office24ProPlus2024VL_KMS_Client_AE``     Office 24, Office24ProPlus2024VL_KMS_Client_AE edition
``OfficeKMSHostVL_KMS_Host`` (2016 host)    Office 16, OfficeKMSHostVL_KMS_Host edition
==========================================  ====================================================

Read tolerantly: any case; with or without the version after "Office" (then ``Name``'s "Office NN"
or the Office 2010 ApplicationID gives it) and an underscore after it (``Office24_KMSHost…``, as
Microsoft's key configuration writes it); with or without the year in the SKU ("ProPlus2019" or
"ProPlus"); with or without an ``_AE`` suffix, numbered or not; "VL", none or "-" before the
channel (Office 2010). When ``LicenseFamily`` is empty, the same text in ``Name`` is used.

The application part (``ProPlus``, ``VisioStd``, ``SkypeforBusiness``…) maps to the words of
Microsoft's edition names once "Office", "LTSC" and the year are taken out ("Office LTSC
Professional Plus 2024" → "professional plus"), and the version picks the family (kms-facts §3.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import OFFICE_APP_IDS

OFFICE_2010_APP_ID = "59a52881-a989-479d-af46-f275c6370663"  # OSPP's Office 14 (§2.8)

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
    "visioprem": "visio premium",  # Office 2010: OfficeVisioPrem-MAK
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

_LICENSE = re.compile(
    r"office(?P<ver>\d\d)?_?(?P<app>[a-z]+?)(?P<year>20\d\d)?(?P<preview>preview)?"
    r"(?P<kind>vl|r)?[_-](?P<channel>[a-z0-9_]+?)(?P<ae>_ae\d*)?",
    re.ASCII | re.IGNORECASE,
)
_NAME = re.compile(
    r"\s*office\s*(?P<ver>\d\d)?\s*,\s*(?P<family>\S+)\s+edition\s*", re.ASCII | re.IGNORECASE
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass(frozen=True)
class OfficeLicense:
    """What an Office license's non-localized names say about it."""

    version: str | None  # "14", "15", "16", "19", "21", "24", or a year; None when nothing says
    application: str  # the SKU's application part as written: "ProPlus", "VisioStd", "KMSHost"
    channel: str  # the license channel part, upper case: "KMS_CLIENT", "MAK", "KMS_HOST", "RETAIL"
    volume: bool  # a volume (VL) license, not a retail ("R") one
    preview: bool

    @property
    def family(self) -> str | None:
        """The GVLK table's family, e.g. "Office LTSC 2021"; None for an unknown version."""
        return FAMILIES.get(self.version or "")

    @property
    def is_kms_host(self) -> bool:
        return self.application.casefold() == "kmshost" or self.channel == "KMS_HOST"

    @property
    def words(self) -> str | None:
        """The words of the edition name in Microsoft's GVLK table; None when not an edition."""
        return APPLICATIONS.get(self.application.casefold())


def edition_words(edition: str) -> str:
    """Microsoft's edition name without "Office", "LTSC" and the year, in lower case."""
    words = [w for w in _YEAR.sub(" ", edition).split() if w.casefold() not in ("office", "ltsc")]
    return " ".join(words).casefold()


def recognise(
    license_family: str | None, name: str = "", application_id: str | None = None
) -> OfficeLicense | None:
    """The Office license a row describes, or None when it is not one this module reads.

    ``application_id`` (when given) must be an Office one; Office 2010's also gives the version.
    """
    app_id = (application_id or "").strip().casefold()
    if app_id and app_id not in OFFICE_APP_IDS:
        return None
    named = _NAME.fullmatch(name or "")
    text = (license_family or "").strip() or (named.group("family") if named else "")
    match = _LICENSE.fullmatch(text)
    if match is None:
        return None
    version = match.group("ver") or match.group("year")
    if version is None and named is not None:
        version = named.group("ver")
    if version is None and app_id == OFFICE_2010_APP_ID:
        version = "14"
    kind = (match.group("kind") or "").casefold()
    channel = match.group("channel").upper()
    return OfficeLicense(
        version=version,
        application=match.group("app"),
        channel=channel,
        volume=kind != "r" and channel != "RETAIL",
        preview=match.group("preview") is not None,
    )


def office_gvlk(
    license_family: str | None,
    name: str = "",
    field: str = "product",
    application_id: str | None = None,
) -> gvlk.Gvlk:
    """The published GVLK of the Office product described by ``license_family`` and ``name``."""
    shown = f"{name or 'an Office product'} (LicenseFamily {license_family!r})"
    fix = (
        "Give its GVLK with product: office and key (Microsoft's Office GVLK table: "
        "https://learn.microsoft.com/office/volume-license-activation/gvlks)."
    )
    found = recognise(license_family, name, application_id)
    if found is None:
        raise KmsInputError(field, f"{shown} is not an Office product this module recognises.", fix)
    if found.is_kms_host:
        raise KmsInputError(
            field,
            f"{shown} is an Office KMS host license (CSVLK); it has no KMS client key.",
            "Leave the KMS host's Office license alone, or retire the host first.",
        )
    if not found.volume:
        raise KmsInputError(
            field,
            f"{shown} is a retail Office license; only volume-licensed (VL) Office can be a KMS "
            "client.",
            "Install a volume edition of Office.",
        )
    family = found.family
    if family is None:
        raise KmsInputError(
            field, f"the Office version of {shown} has no published GVLKs in the catalog.", fix
        )
    if not found.preview:  # previews have no published GVLK
        for edition in gvlk.editions(family):
            if edition_words(edition) == found.words:
                return gvlk.lookup(family, edition)
    raise KmsInputError(
        field,
        f"{family} has no published GVLK for {shown}.",
        f"Editions with a GVLK in {family}: {', '.join(gvlk.editions(family))}. {fix}",
    )
