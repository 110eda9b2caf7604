"""The Windows and Office editions a lab machine can run, described by non-localized facts.

EditionID, OperatingSystemSKU, build and ProductType are what the collection may key on
(kms-facts §3.3); the caption is localized here on purpose so tests can prove it never does.
"""

from __future__ import annotations

from dataclasses import dataclass

from kmslab.model.catalog import PRODUCTS, Kind

# Caption words per language. Captions are localized (§3.3), so the lab can serve a machine in
# French or Spanish and prove that nothing in the collection keys on them.
_CAPTION_WORDS: dict[str, dict[str, str]] = {
    "fr-FR": {
        "Pro": "Professionnel",
        "Professional": "Professionnel",
        "Enterprise": "Entreprise",
        "Education": "Éducation",
        "Home": "Famille",
        "Evaluation": "Évaluation",
    },
    "es-ES": {
        "Enterprise": "Empresa",
        "Education": "Educación",
        "Home": "Hogar",
        "Evaluation": "Evaluación",
    },
}
LANGUAGE_IDS = {"en-US": 1033, "de-DE": 1031, "fr-FR": 1036, "es-ES": 3082}


@dataclass(frozen=True)
class OsImage:
    """One Windows edition the lab can run, described by non-localized facts (§3.3)."""

    handle: str
    token: str  # product token (PRODUCTS)
    family: str  # the GVLK table's product family, e.g. "Windows Server 2022"
    edition: str  # the GVLK table's edition, e.g. "Standard"; "Home"/"... Evaluation" have no GVLK
    edition_id: str  # HKLM\...\CurrentVersion\EditionID
    sku: int  # Win32_OperatingSystem.OperatingSystemSKU (GetProductInfo PRODUCT_*)
    build: int
    version: str  # "10.0"
    display_version: str
    caption_name: str  # the English caption without "Microsoft "
    volume: bool = True  # False: no GVLK and no MAK (Home, Evaluation)
    evaluation: bool = False
    can_host_kms: bool = True  # Azure Edition "can't be configured as a KMS host" (§3.3)
    # SoftwareLicensingService.Version; "" serves "<version>.<build>.1". Only its prefix is
    # sourced: "6.0" on Vista / 2008, "6.1" on 7 / 2008 R2 (older-windows-office-adba §1.1).
    spp_version: str = ""
    # WinRM's default MaxEnvelopeSizekb: MS-WSMV 2.2.4.10 "SHOULD be 500 but MAY be 150" (the
    # schema default is 150); 150 on the WinRM 2.0 of 2008 R2 per pypsrp (wsman-wire §5 item 1).
    winrm_max_envelope_kb: int = 500

    @property
    def service_version(self) -> str:
        return self.spp_version or f"{self.version}.{self.build}.1"

    @property
    def kind(self) -> Kind:
        return PRODUCTS[self.token][0]

    @property
    def generation(self) -> int:
        return PRODUCTS[self.token][1]

    @property
    def product_type(self) -> int:
        """Win32_OperatingSystem.ProductType: 1 workstation, 3 server."""
        return 1 if self.kind is Kind.CLIENT else 3

    def caption(self, language: str = "en-US") -> str:
        words = _CAPTION_WORDS.get(language, {})
        return "Microsoft " + " ".join(words.get(word, word) for word in self.caption_name.split())


def _server(token: str, year: str, edition: str, sku: int, build: int) -> OsImage:
    handle = f"ws{year.replace(' ', '').casefold()}-{edition.casefold()}"
    version = "6.3" if token == "WS2012R2" else "10.0"
    family = f"Windows Server {year}"
    return OsImage(
        handle, token, family, edition, "Server" + edition, sku, build, version, "",
        f"{family} {edition}",
    )  # fmt: skip


_GA = "Windows 11/10 (GA channel)"
_LTSC = "Windows 11 LTSC 2024 / Windows 10 LTSC 2021 / LTSC 2019"
# handle, token, GVLK family, edition, EditionID, SKU, build, display version, English caption
_CLIENTS = (
    ("win11-pro", "W11", _GA, "Pro", "Professional", 48, 22631, "23H2", "Windows 11 Pro"),
    ("win11-enterprise", "W11", _GA, "Enterprise", "Enterprise", 4, 22631, "23H2",
     "Windows 11 Enterprise"),
    ("win11-education", "W11", _GA, "Education", "Education", 121, 22631, "23H2",
     "Windows 11 Education"),
    ("win11-ltsc2024", "W11-LTSC2024", _LTSC, "Enterprise LTSC", "EnterpriseS", 125, 26100,
     "24H2", "Windows 11 Enterprise LTSC"),
    ("win10-pro", "W10", _GA, "Pro", "Professional", 48, 19045, "22H2", "Windows 10 Pro"),
    ("win10-enterprise", "W10", _GA, "Enterprise", "Enterprise", 4, 19045, "22H2",
     "Windows 10 Enterprise"),
    ("win10-ltsc2021", "W10-LTSC2021", _LTSC, "Enterprise LTSC", "EnterpriseS", 125, 19044,
     "21H2", "Windows 10 Enterprise LTSC"),
    ("win10-ltsb2016", "W10-LTSB2016", "Windows 10 LTSB 2016", "Enterprise LTSB", "EnterpriseS",
     125, 14393, "1607", "Windows 10 Enterprise LTSB"),
    ("win81-pro", "W8.1", "Windows 8.1", "Pro", "Professional", 48, 9600, "", "Windows 8.1 Pro"),
)  # fmt: skip

_SPECIAL = (
    # EditionID and SKU of Azure Edition are not in the reference: "ServerTurbine" is the
    # collection's UNCONFIRMED EditionID (editions.AZURE_PREFIX), 407 the SDK's
    # PRODUCT_DATACENTER_SERVER_AZURE_EDITION; both aligned with
    # plugins/module_utils/licensing/editions.py.
    OsImage("ws2022-datacenter-azure", "WS2022", "Windows Server 2022", "Datacenter: Azure Edition",
            "ServerTurbine", 407, 20348, "10.0", "",
            "Windows Server 2022 Datacenter: Azure Edition", can_host_kms=False),
    OsImage("ws2022-standard-eval", "WS2022", "Windows Server 2022", "Standard Evaluation",
            "ServerStandardEval", 79, 20348, "10.0", "", "Windows Server 2022 Standard Evaluation",
            volume=False, evaluation=True),
    # PRODUCT_CORE (101) is not in the reference's SKU list: lab value.
    OsImage("win11-home", "W11", _GA, "Home", "Core", 101, 22631, "10.0", "23H2",
            "Windows 11 Home", volume=False),
)  # fmt: skip
_SERVERS = (
    _server(token, year, edition, sku, build)
    for token, year, build in (
        ("WS2025", "2025", 26100),
        ("WS2022", "2022", 20348),
        ("WS2019", "2019", 17763),
        ("WS2016", "2016", 14393),
        ("WS2012R2", "2012 R2", 9600),
    )
    for edition, sku in (("Standard", 7), ("Datacenter", 8))
)

# Windows Vista / 7 and Server 2008 / 2008 R2, at their last service pack: build 7601 (SP1) and
# 6002 (SP2). EditionIDs and SKUs as the collection's editions.py reads them (§3.3 list, SDK
# PRODUCT_* values: Business 6, Enterprise 4, Professional 48, ServerStandard 7,
# ServerEnterprise 10, ServerDatacenter 8); tokens carry the 2009 product key group (catalog.py).
# SPP Version strings: the prefix is sourced (older-windows-office-adba §1.1), the revision after
# the build (the SP1 / SP2 RTM file revisions 17514 and 18005) is a lab value. WinRM: 2.0 on
# every one (on Vista / 2008 through the Windows Management Framework update, a lab choice: their
# own WinRM 1.1 listens on 80/443), whose MaxEnvelopeSizekb default is 150.
_OLD = (
    # handle, token, GVLK family, edition, EditionID, SKU, build, version, SPP Version, caption
    ("win7-pro", "W7", "Windows 7", "Professional", "Professional", 48, 7601, "6.1",
     "6.1.7601.17514", "Windows 7 Professional"),
    ("win7-enterprise", "W7", "Windows 7", "Enterprise", "Enterprise", 4, 7601, "6.1",
     "6.1.7601.17514", "Windows 7 Enterprise"),
    ("ws2008r2-standard", "WS2008R2-B", "Windows Server 2008 R2", "Standard", "ServerStandard", 7,
     7601, "6.1", "6.1.7601.17514", "Windows Server 2008 R2 Standard"),
    ("ws2008r2-enterprise", "WS2008R2-B", "Windows Server 2008 R2", "Enterprise",
     "ServerEnterprise", 10, 7601, "6.1", "6.1.7601.17514", "Windows Server 2008 R2 Enterprise"),
    ("ws2008r2-datacenter", "WS2008R2-C", "Windows Server 2008 R2", "Datacenter",
     "ServerDatacenter", 8, 7601, "6.1", "6.1.7601.17514", "Windows Server 2008 R2 Datacenter"),
    ("vista-business", "Vista", "Windows Vista", "Business", "Business", 6, 6002, "6.0",
     "6.0.6002.18005", "Windows Vista Business"),
    ("vista-enterprise", "Vista", "Windows Vista", "Enterprise", "Enterprise", 4, 6002, "6.0",
     "6.0.6002.18005", "Windows Vista Enterprise"),
    ("ws2008-standard", "WS2008-B", "Windows Server 2008", "Standard", "ServerStandard", 7, 6002,
     "6.0", "6.0.6002.18005", "Windows Server 2008 Standard"),
    ("ws2008-enterprise", "WS2008-B", "Windows Server 2008", "Enterprise", "ServerEnterprise", 10,
     6002, "6.0", "6.0.6002.18005", "Windows Server 2008 Enterprise"),
)  # fmt: skip
WINRM2_MAX_ENVELOPE_KB = 150

# Builds and EditionIDs are the reference's "well-known" values (§3.3, marked UNCONFIRMED there).
IMAGES: dict[str, OsImage] = {
    image.handle: image
    for image in (
        *_SERVERS,
        *(OsImage(*row[:7], "6.3" if row[1] == "W8.1" else "10.0", *row[7:]) for row in _CLIENTS),
        *_SPECIAL,
        *(
            OsImage(
                *row[:8],
                "",
                row[9],
                spp_version=row[8],
                winrm_max_envelope_kb=WINRM2_MAX_ENVELOPE_KB,
            )
            for row in _OLD
        ),
    )
}


@dataclass(frozen=True)
class OfficeSuite:
    """A volume Office product that can be installed on a lab machine (§3.2, §4.3). The names SPP
    gives its license rows (Name, Description, LicenseFamily) are in office_licenses.py."""

    handle: str
    token: str
    family: str  # the GVLK table's family, e.g. "Office LTSC 2021"
    edition: str  # the GVLK table's edition, e.g. "Office LTSC Professional Plus 2021"


OFFICE_SUITES: dict[str, OfficeSuite] = {
    suite.handle: suite
    for suite in (
        OfficeSuite(
            "office2024-proplus",
            "Office2024",
            "Office LTSC 2024",
            "Office LTSC Professional Plus 2024",
        ),
        OfficeSuite(
            "office2021-proplus",
            "Office2021",
            "Office LTSC 2021",
            "Office LTSC Professional Plus 2021",
        ),
        OfficeSuite(
            "office2019-proplus", "Office2019", "Office 2019", "Office Professional Plus 2019"
        ),
        OfficeSuite(
            "office2016-proplus", "Office2016", "Office 2016", "Office Professional Plus 2016"
        ),
        # Office 2013 and 2010 (their GVLK families and editions as kms-facts §3.2 lists them).
        # Office 2010 licenses through OSPP everywhere, Office 2013 and 2016 on Windows 7 and
        # older (ospp.py).
        OfficeSuite(
            "office2013-proplus", "Office2013", "Office 2013", "Office 2013 Professional Plus"
        ),
        OfficeSuite(
            "office2010-proplus", "Office2010", "Office 2010", "Office Professional Plus 2010"
        ),
        OfficeSuite("office2010-standard", "Office2010", "Office 2010", "Office Standard 2010"),
    )
}


def image(handle: str) -> OsImage:
    """The image named ``handle``, with the known handles listed when it is unknown."""
    try:
        return IMAGES[handle]
    except KeyError:
        raise KeyError(f"unknown lab image {handle!r}; known: {', '.join(IMAGES)}") from None
