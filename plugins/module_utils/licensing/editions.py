# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choose the GVLK for a Windows machine from non-localized facts.

Inputs are the registry EditionID, Win32_OperatingSystem.OperatingSystemSKU, BuildNumber and
ProductType. Win32_OperatingSystem.Caption is localized ("Professionnel"), so it is never used
(reference/kms-facts.md §3.3). Editions that cannot be KMS clients fail with a fix that says what to
do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk

# Product families exactly as reference/gvlk.csv names them (test_editions.py checks each exists).
WS2025 = "Windows Server 2025"
WS2022 = "Windows Server 2022"
WS2019 = "Windows Server 2019"
WS2016 = "Windows Server 2016"
SAC_LATE = "Windows Server SAC 20H2/2004/1909/1903/1809"
SAC_1803 = "Windows Server SAC 1803"
SAC_1709 = "Windows Server SAC 1709"
WS2012R2 = "Windows Server 2012 R2"
WS2012 = "Windows Server 2012"
WS2008R2 = "Windows Server 2008 R2"
WS2008 = "Windows Server 2008"
CLIENT_GA = "Windows 11/10 (GA channel)"
LTSC = "Windows 11 LTSC 2024 / Windows 10 LTSC 2021 / LTSC 2019"
IOT_LTSC = "Windows IoT LTSC 2024 / 2021"
LTSB_2016 = "Windows 10 LTSB 2016"
LTSB_2015 = "Windows 10 LTSB 2015"
WIN81 = "Windows 8.1"
WIN8 = "Windows 8"
WIN7 = "Windows 7"
VISTA = "Windows Vista"

# Build numbers per §3.3 (well-known builds, UNCONFIRMED there against a Microsoft source).
# 17763 is both Server 2019 and SAC 1809; SAC is told apart by its edition (Server*ACor or
# SKU 145/146).
_SAC_LATE_BUILDS = (17763, 18362, 18363, 19041, 19042)
SERVER_BUILDS = {
    6001: WS2008,
    6002: WS2008,
    6003: WS2008,  # UNCONFIRMED: 2008 SP2 reports 6003 after its 2019 servicing updates
    7600: WS2008R2,
    7601: WS2008R2,
    9200: WS2012,
    9600: WS2012R2,
    14393: WS2016,
    16299: SAC_1709,
    17134: SAC_1803,
    17763: WS2019,
    **dict.fromkeys(_SAC_LATE_BUILDS[1:], SAC_LATE),
    20348: WS2022,
    26100: WS2025,
}
SAC_BUILDS = {16299: SAC_1709, 17134: SAC_1803, **dict.fromkeys(_SAC_LATE_BUILDS, SAC_LATE)}
LTSC_BUILDS = {10240: LTSB_2015, 14393: LTSB_2016, 17763: LTSC, 19044: LTSC, 26100: LTSC}
IOT_LTSC_BUILDS = {19044: IOT_LTSC, 26100: IOT_LTSC}
FIRST_WINDOWS_10_BUILD = 10240


class Line(Enum):
    """How an edition's build number maps to a product family."""

    CLIENT = "client"  # Vista, 7, 8, 8.1, then the Windows 10/11 GA channel
    LTSC = "ltsc"  # EnterpriseS(N): LTSB 2015/2016, LTSC 2019/2021/2024
    IOT_LTSC = "iot_ltsc"  # IoTEnterpriseS
    SERVER = "server"
    SAC = "sac"  # Semi-Annual Channel Server Core


@dataclass(frozen=True)
class _Edition:
    line: Line
    names: tuple[str, ...]  # edition names in gvlk.csv; the first one the family has wins

    @property
    def is_server(self) -> bool:
        return self.line in (Line.SERVER, Line.SAC)


def _c(*names: str) -> _Edition:
    return _Edition(Line.CLIENT, names)


def _s(*names: str) -> _Edition:
    return _Edition(Line.SERVER, names)


# Keys are EditionID values, case-folded. The EditionID list in §3.3 is itself UNCONFIRMED; entries
# below that §3.3 does not list at all are marked UNCONFIRMED individually.
EDITIONS: dict[str, _Edition] = {
    "professional": _c("Pro", "Professional"),
    "professionaln": _c("Pro N", "Professional N"),
    "professionale": _c("Professional E"),  # UNCONFIRMED EditionID (Windows 7 E)
    "professionalworkstation": _c("Pro for Workstations"),
    "professionalworkstationn": _c("Pro for Workstations N"),  # UNCONFIRMED EditionID
    "professionaleducation": _c("Pro Education"),
    "professionaleducationn": _c("Pro Education N"),  # UNCONFIRMED EditionID
    "education": _c("Education"),
    "educationn": _c("Education N"),  # UNCONFIRMED EditionID
    "enterprise": _c("Enterprise"),
    "enterprisen": _c("Enterprise N"),
    "enterprisee": _c("Enterprise E"),  # UNCONFIRMED EditionID (Windows 7 E)
    "enterpriseg": _c("Enterprise G"),
    "enterprisegn": _c("Enterprise G N"),  # UNCONFIRMED EditionID
    "enterprises": _Edition(Line.LTSC, ("Enterprise LTSC", "Enterprise LTSB")),
    "enterprisesn": _Edition(Line.LTSC, ("Enterprise N LTSC", "Enterprise N LTSB")),
    "iotenterprises": _Edition(Line.IOT_LTSC, ("IoT Enterprise LTSC",)),
    "business": _c("Business"),  # UNCONFIRMED EditionID (Vista)
    "businessn": _c("Business N"),  # UNCONFIRMED EditionID (Vista)
    "serverstandard": _s("Standard"),
    "serverdatacenter": _s("Datacenter"),
    "serverstandardacor": _Edition(Line.SAC, ("Standard",)),  # UNCONFIRMED (§3.3)
    "serverdatacenteracor": _Edition(Line.SAC, ("Datacenter",)),  # UNCONFIRMED (§3.3)
    "serversolution": _s("Essentials"),
    "serverweb": _s("Web"),  # UNCONFIRMED EditionID (2008 era)
    "serverhpc": _s("HPC edition", "HPC"),  # UNCONFIRMED EditionID (2008 era)
    "serverenterprise": _s("Enterprise"),  # UNCONFIRMED EditionID (2008 era)
    "serverstandardv": _s("Standard without Hyper-V"),  # UNCONFIRMED EditionID
    "serverenterprisev": _s("Enterprise without Hyper-V"),  # UNCONFIRMED EditionID
    "serverdatacenterv": _s("Datacenter without Hyper-V"),  # UNCONFIRMED EditionID
    "servermultipointstandard": _s("MultiPoint Standard"),  # UNCONFIRMED EditionID
    "servermultipointpremium": _s("MultiPoint Premium"),  # UNCONFIRMED EditionID
}
_ITANIUM = _s("for Itanium-based Systems")  # any Server...IA64 EditionID; UNCONFIRMED

# Editions that cannot be KMS clients (§3.3). EditionIDs other than ServerStandardEval,
# ServerDatacenterEval and the Core family are UNCONFIRMED.
SERVER_EVAL = {"serverstandardeval": "ServerStandard", "serverdatacentereval": "ServerDatacenter"}
CLIENT_EVAL = frozenset(
    {"enterpriseeval", "enterpriseneval", "enterpriseseval", "enterprisesneval"}
    | {"iotenterpriseseval"}
)
HOME = frozenset(
    {"core", "coren", "coresinglelanguage", "corecountryspecific"}
    # Vista / 7 home editions (UNCONFIRMED EditionIDs): no GVLK either.
    | {"homebasic", "homebasicn", "homepremium", "homepremiumn", "starter", "startern"}
)
AZURE_PREFIX = "serverturbine"  # Datacenter: Azure Edition; UNCONFIRMED EditionID

# EditionID each OperatingSystemSKU stands for (GetProductInfo PRODUCT_* values: §3.3, checked
# against the Windows SDK constants). The *_SERVER_CORE SKUs only occur before Server 2012 (§3.3).
_SKUS_BY_EDITION_ID: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("HomeBasic", (2,)),
    ("HomeBasicN", (5,)),
    ("HomePremium", (3,)),
    ("HomePremiumN", (26,)),
    ("Starter", (11,)),
    ("StarterN", (47,)),
    ("Core", (101,)),
    ("CoreN", (98,)),
    ("CoreCountrySpecific", (99,)),
    ("CoreSingleLanguage", (100,)),
    ("Business", (6,)),
    ("BusinessN", (16,)),
    ("Professional", (48,)),
    ("ProfessionalN", (49,)),
    ("ProfessionalE", (69,)),
    ("ProfessionalWorkstation", (161,)),
    ("ProfessionalWorkstationN", (162,)),
    ("ProfessionalEducation", (164,)),  # UNCONFIRMED in §3.3; SDK value
    ("ProfessionalEducationN", (165,)),  # UNCONFIRMED in §3.3; SDK value
    ("Education", (121,)),
    ("EducationN", (122,)),
    ("Enterprise", (4,)),
    ("EnterpriseN", (27,)),
    ("EnterpriseE", (70,)),
    ("EnterpriseG", (171,)),
    ("EnterpriseGN", (172,)),
    ("EnterpriseS", (125,)),
    ("EnterpriseSN", (126,)),
    ("IoTEnterpriseS", (191,)),
    ("EnterpriseEval", (72,)),
    ("EnterpriseNEval", (84,)),
    ("EnterpriseSEval", (129,)),
    ("EnterpriseSNEval", (130,)),
    ("IoTEnterpriseSEval", (207,)),
    ("ServerStandard", (7, 13)),
    ("ServerDatacenter", (8, 12)),
    ("ServerEnterprise", (10, 14)),
    ("ServerEnterpriseIA64", (15,)),
    ("ServerWeb", (17, 29)),
    ("ServerHPC", (18,)),  # PRODUCT_CLUSTER_SERVER, "HPC Edition"
    ("ServerStandardV", (36, 40)),
    ("ServerDatacenterV", (37, 39)),
    ("ServerEnterpriseV", (38, 41)),
    ("ServerSolution", (50,)),  # PRODUCT_SB_SOLUTION_SERVER; UNCONFIRMED for Essentials 2012+
    ("ServerMultiPointStandard", (76,)),
    ("ServerMultiPointPremium", (77,)),
    ("ServerStandardEval", (79, 160)),
    ("ServerDatacenterEval", (80, 159)),
    ("ServerStandardACor", (146,)),
    ("ServerDatacenterACor", (145,)),
    ("ServerTurbine", (407, 408, 409)),  # PRODUCT_*_AZURE_EDITION (SDK values)
)
SKU_EDITION_IDS: dict[int, str] = {
    sku: edition_id for edition_id, skus in _SKUS_BY_EDITION_ID for sku in skus
}
SAC_SKUS = (145, 146)

_DOCS = "https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys"
_EXPLICIT = f"Pass the GVLK explicitly if Microsoft publishes one for it ({_DOCS})."


@dataclass(frozen=True)
class EditionFacts:
    """Non-localized facts about an installed Windows."""

    edition_id: str | None = None  # HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\EditionID
    sku: int | None = None  # Win32_OperatingSystem.OperatingSystemSKU
    build: int | None = None  # Win32_OperatingSystem.BuildNumber
    product_type: int | None = None  # 1 workstation, 2 domain controller, 3 server


def _int_fact(value: object, name: str, field: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise KmsInputError(field, f"{name} must be a non-negative integer, got {value!r}.")


def _identify(facts: EditionFacts, field: str) -> tuple[str, str]:
    """Case-folded EditionID to use and how to name its source in messages."""
    edition_id = facts.edition_id
    if edition_id is not None and not isinstance(edition_id, str):
        raise KmsInputError(field, f"EditionID must be a string, got {type(edition_id).__name__}.")
    sku = _int_fact(facts.sku, "OperatingSystemSKU", field)
    if edition_id and edition_id.strip():
        shown = edition_id.strip()[:64]
        folded = shown.casefold()
        # 2008 and 2008 R2 Server Core installs append "Core" (ServerStandardCore); not in the
        # reference, UNCONFIRMED.
        if folded.startswith("server") and folded.endswith("core") and folded != "servercore":
            folded = folded[: -len("core")]
        return folded, f"EditionID {shown!r}"
    if sku is None:
        raise KmsInputError(
            field,
            "neither EditionID nor OperatingSystemSKU is known, so the edition cannot be told.",
            _EXPLICIT,
        )
    if sku not in SKU_EDITION_IDS:
        raise KmsInputError(
            field,
            f"OperatingSystemSKU {sku} (EditionID missing) is not an edition with a known GVLK.",
            _EXPLICIT,
        )
    return SKU_EDITION_IDS[sku].casefold(), f"OperatingSystemSKU {sku} (EditionID missing)"


def _refuse_non_kms(folded: str, source: str, build: int | None, field: str) -> None:
    """Raise for editions that can never be KMS clients, with what to do instead."""
    if folded in SERVER_EVAL:
        target = SERVER_EVAL[folded]
        family = SERVER_BUILDS.get(build) if build is not None else None
        edition = target.removeprefix("Server")
        key = f"<the {edition} GVLK for your Windows Server version, see {_DOCS}>"
        if family and edition in gvlk.editions(family):
            key = gvlk.lookup(family, edition).key
        raise KmsInputError(
            field,
            f"{source} is a Windows Server evaluation edition, which cannot be a KMS client.",
            f"Convert it first: DISM /online /Set-Edition:{target} /ProductKey:{key} /AcceptEula, "
            "then reboot (it may restart twice) and run this again.",
        )
    if folded in CLIENT_EVAL:
        raise KmsInputError(
            field,
            f"{source} is a Windows Enterprise evaluation edition, which cannot be a KMS client.",
            "Evaluation clients cannot be converted in place: reinstall from volume-licensing "
            "media.",
        )
    if folded in HOME:
        raise KmsInputError(
            field,
            f"{source} is a Home edition; Home cannot use KMS activation (no GVLK exists).",
            "Upgrade the machine to Pro (or Enterprise/Education) first, then run this again.",
        )
    if folded.startswith(AZURE_PREFIX):
        raise KmsInputError(
            field,
            f"{source} is Windows Server Datacenter: Azure Edition, which is activated by Azure, "
            "not by your KMS hosts.",
            "Leave its activation to Azure and exclude it from KMS client setup.",
        )


def _lookup_edition(folded: str, source: str, field: str) -> _Edition:
    if folded in EDITIONS:
        return EDITIONS[folded]
    if folded.startswith("server") and folded.endswith("ia64"):
        return _ITANIUM
    raise KmsInputError(field, f"{source} is not an edition with a known GVLK.", _EXPLICIT)


def _family(edition: _Edition, build: int, sac: bool) -> str | None:
    if edition.line is Line.SERVER:
        return SAC_BUILDS.get(build) if sac else SERVER_BUILDS.get(build)
    if edition.line is Line.SAC:
        return SAC_BUILDS.get(build)
    if edition.line is Line.LTSC:
        return LTSC_BUILDS.get(build)
    if edition.line is Line.IOT_LTSC:
        return IOT_LTSC_BUILDS.get(build)
    if 6000 <= build <= 6002:
        return VISTA
    client = {7600: WIN7, 7601: WIN7, 9200: WIN8, 9600: WIN81}.get(build)
    return client or (CLIENT_GA if build >= FIRST_WINDOWS_10_BUILD else None)


def select_gvlk(facts: EditionFacts, field: str = "edition") -> gvlk.Gvlk:
    """The published GVLK for the machine described by ``facts``; KmsInputError when there is none.

    EditionID decides; OperatingSystemSKU stands in only when EditionID is missing. The build picks
    the product family. ProductType, when known, must agree with the edition (server vs client).
    """
    if not isinstance(facts, EditionFacts):
        raise KmsInputError(field, f"expected EditionFacts, got {type(facts).__name__}.")
    build = _int_fact(facts.build, "BuildNumber", field)
    product_type = _int_fact(facts.product_type, "ProductType", field)
    if product_type not in (None, 1, 2, 3):
        raise KmsInputError(field, f"ProductType must be 1, 2 or 3, got {product_type}.")
    folded, source = _identify(facts, field)
    _refuse_non_kms(folded, source, build, field)
    edition = _lookup_edition(folded, source, field)
    if product_type is not None and edition.is_server != (product_type != 1):
        kind = "a server" if edition.is_server else "a client"
        raise KmsInputError(
            field,
            f"the facts disagree: {source} is {kind} edition but ProductType is {product_type}.",
            "Gather the facts again from the host, or pass the GVLK explicitly.",
        )
    if build is None:
        raise KmsInputError(
            field,
            f"BuildNumber is unknown, so the Windows version of {source} cannot be told.",
            _EXPLICIT,
        )
    sac = edition.line is Line.SAC or facts.sku in SAC_SKUS
    family = _family(edition, build, sac)
    if family is None:
        raise KmsInputError(
            field,
            f"build {build} is not a Windows release with published GVLKs for {source}.",
            _EXPLICIT,
        )
    available = {name.casefold(): name for name in gvlk.editions(family)}
    for name in edition.names:
        if name.casefold() in available:
            return gvlk.lookup(family, available[name.casefold()])
    raise KmsInputError(
        field,
        f"{family} (build {build}) has no published GVLK for {source}.",
        f"Editions with a GVLK in {family}: {', '.join(gvlk.editions(family))}. {_EXPLICIT}",
    )
