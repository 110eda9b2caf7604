# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for choosing a GVLK from EditionID / OperatingSystemSKU / build / ProductType."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import editions, gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.editions import (
    EditionFacts,
    select_gvlk,
)

F = EditionFacts
WS = 3  # ProductType: server
DC = 2  # ProductType: domain controller
WK = 1  # ProductType: workstation

S2025 = "Windows Server 2025"
S2022 = "Windows Server 2022"
S2019 = "Windows Server 2019"
S2016 = "Windows Server 2016"
S2012R2 = "Windows Server 2012 R2"
S2012 = "Windows Server 2012"
SAC_LATE = "Windows Server SAC 20H2/2004/1909/1903/1809"
SAC_1803 = "Windows Server SAC 1803"
SAC_1709 = "Windows Server SAC 1709"
S2008R2 = "Windows Server 2008 R2"
S2008 = "Windows Server 2008"
GA = "Windows 11/10 (GA channel)"
LTSB15 = "Windows 10 LTSB 2015"
LTSB16 = "Windows 10 LTSB 2016"
LTSC = "Windows 11 LTSC 2024 / Windows 10 LTSC 2021 / LTSC 2019"
IOT = "Windows IoT LTSC 2024 / 2021"
W81 = "Windows 8.1"
W8 = "Windows 8"
W7 = "Windows 7"
VISTA = "Windows Vista"

# (facts, family, key): machines as they report themselves; the comment names the edition row.
CASES = [
    # Windows Server LTSC releases
    (F("ServerStandard", 7, 26100, WS), S2025, "TVRH6-WHNXV-R9WG3-9XRFY-MY832"),  # Standard
    (F("ServerDatacenter", 8, 26100, DC), S2025, "D764K-2NDRG-47T6Q-P8T8W-YP6DF"),  # Datacenter
    (F("ServerStandard", 7, 20348, WS), S2022, "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"),  # Standard
    (F("ServerDatacenter", 8, 20348, DC), S2022, "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"),  # Datacenter
    (F("ServerStandard", 7, 17763, WS), S2019, "N69G4-B89J2-4G8F4-WWYCC-J464C"),  # Standard
    (F("ServerDatacenter", 8, 17763, WS), S2019, "WMDGN-G9PQG-XVVXX-R3X43-63DFG"),  # Datacenter
    (F("ServerSolution", 50, 17763, WS), S2019, "WVDHN-86M7X-466P6-VHXV7-YY726"),  # Essentials
    (F("ServerStandard", 7, 14393, WS), S2016, "WC2BQ-8NRM3-FDDYY-2BFGV-KHKQY"),  # Standard
    (F("ServerDatacenter", 8, 14393, DC), S2016, "CB7KF-BWN84-R7R2Y-793K2-8XDDG"),  # Datacenter
    (F("ServerSolution", 50, 14393, DC), S2016, "JCKRF-N37P4-C2D82-9YXRT-4M63B"),  # Essentials
    (F("ServerStandard", 7, 9600, WS), S2012R2, "D2N9P-3P6X9-2R39C-7RTCD-MDVJX"),  # Standard
    (F("ServerDatacenter", 8, 9600, WS), S2012R2, "W3GGN-FT8W3-Y4M27-J84CP-Q3VJ9"),  # Datacenter
    (F("ServerSolution", 50, 9600, WS), S2012R2, "KNC87-3J2TX-XB4WP-VCPJV-M4FWM"),  # Essentials
    (F("ServerStandard", 7, 9200, WS), S2012, "XC9B7-NBPP2-83J2H-RHMBY-92BT4"),  # Standard
    (F("ServerMultiPointPremium", 77, 9200, WS), S2012, "XNH6W-2V9GX-RGJ4K-Y8X6F-QGJ2G"),
    # Semi-Annual Channel: 17763 is shared with Server 2019, told apart by EditionID or SKU
    (F("ServerStandardACor", 146, 17763, WS), SAC_LATE, "N2KJX-J94YW-TQVFB-DG9YT-724CC"),
    (F("ServerDatacenterACor", 145, 17763, WS), SAC_LATE, "6NMRW-2C8FM-D24W7-TQWMY-CWH2D"),
    (F(None, 146, 17763, WS), SAC_LATE, "N2KJX-J94YW-TQVFB-DG9YT-724CC"),  # Standard
    (F("ServerStandard", 146, 17763, WS), SAC_LATE, "N2KJX-J94YW-TQVFB-DG9YT-724CC"),  # Standard
    (F("ServerDatacenterACor", 145, 19042, WS), SAC_LATE, "6NMRW-2C8FM-D24W7-TQWMY-CWH2D"),
    (F("ServerStandardACor", 146, 18363, WS), SAC_LATE, "N2KJX-J94YW-TQVFB-DG9YT-724CC"),
    (F("ServerDatacenterACor", 145, 17134, WS), SAC_1803, "2HXDN-KRXHB-GPYC7-YCKFJ-7FVDG"),
    (F("ServerStandardACor", 146, 16299, WS), SAC_1709, "DPCNP-XQFKJ-BJF7R-FRC8D-GF6G4"),
    # Windows Server 2008 R2 / 2008, including Server Core "...Core" EditionIDs and their SKUs
    (F("ServerEnterpriseCore", 14, 7601, WS), S2008R2, "489J6-VHDMP-X63PK-3K798-CPX3Y"),
    (F("ServerStandardCore", 13, 7601, DC), S2008R2, "YC6KT-GKW9T-YTKYR-T4X34-R7VHC"),  # Standard
    (F("ServerDatacenter", 8, 7600, WS), S2008R2, "74YFP-3QFB3-KQT8W-PMXWJ-7M648"),  # Datacenter
    (F("ServerWeb", 17, 7601, WS), S2008R2, "6TPJF-RBVHG-WBW2R-86QPH-6RTM4"),  # Web
    (F("ServerHPC", 18, 7601, WS), S2008R2, "TT8MH-CG224-D3D7Q-498W2-9QCTX"),  # HPC edition
    (F("ServerEnterpriseIA64", 15, 7601, WS), S2008R2, "GT63C-RJFQ3-4GMB6-BRFB9-CB83V"),
    (F(None, 29, 6002, WS), S2008, "WYR28-R7TFJ-3X2YQ-YCY4H-M249D"),  # Web
    (F("ServerEnterpriseV", 38, 6002, WS), S2008, "39BXF-X8Q23-P2WWT-38T2F-G3FPG"),
    (F(None, 39, 6001, WS), S2008, "22XQ2-VRXRG-P8D42-K34TD-G3QQC"),  # Datacenter without Hyper-V
    (F("ServerDatacenterIA64", None, 6002, WS), S2008, "4DWFP-JF3DJ-B7DTH-78FJB-PDRHK"),
    (F("ServerHPC", 18, 6002, WS), S2008, "RCTX3-KWVHP-BR6TB-RB6DM-6X7HP"),  # HPC
    # Windows 10/11 GA channel, N editions, missing EditionID with SKU only
    (F("Professional", 48, 22631, WK), GA, "W269N-WFGWX-YVC9B-4J6C9-T83GX"),  # Pro
    (F("ProfessionalN", 49, 19045, WK), GA, "MH37W-N47XK-V7XM9-C7227-GCQG9"),  # Pro N
    (F(None, 48, 10240, WK), GA, "W269N-WFGWX-YVC9B-4J6C9-T83GX"),  # Pro
    (F("professionalworkstation", 161, 26100, WK), GA, "NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J"),
    (F(None, 162, 19045, None), GA, "9FNHH-K3HBT-3W4TD-6383H-6XYWF"),  # Pro for Workstations N
    (F("ProfessionalEducation", 164, 22621, WK), GA, "6TP4R-GNPTD-KYYHQ-7B7DP-J447Y"),
    (F(None, 165, 22621, WK), GA, "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC"),  # Pro Education N
    (F("Education", 121, 19045, WK), GA, "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2"),  # Education
    (F("EducationN", 122, 22631, WK), GA, "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ"),  # Education N
    (F("Enterprise", 4, 19044, WK), GA, "NPPR9-FWDCX-D2C8J-H872K-2YT43"),  # Enterprise
    (F("EnterpriseN", 27, 26100, WK), GA, "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4"),  # Enterprise N
    (F("Enterprise", 4, 14393, WK), GA, "NPPR9-FWDCX-D2C8J-H872K-2YT43"),  # Enterprise
    (F("EnterpriseG", 171, 22631, WK), GA, "YYVX9-NTFWV-6MDM3-9PT4T-4M68B"),  # Enterprise G
    (F("EnterpriseGN", 172, 19045, WK), GA, "44RPN-FTY23-9VTTB-MP9BX-T84FV"),  # Enterprise G N
    # LTSB / LTSC, and IoT LTSC, picked by build
    (F("EnterpriseS", 125, 10240, WK), LTSB15, "WNMTR-4C88C-JK8YV-HQ7T2-76DF9"),  # Enterprise LTSB
    (F("EnterpriseSN", 126, 10240, WK), LTSB15, "2F77B-TNFGY-69QQF-B8YKP-D69TJ"),
    (F("EnterpriseS", 125, 14393, WK), LTSB16, "DCPHK-NFMTC-H88MJ-PFHPY-QJ4BJ"),  # Enterprise LTSB
    (F("EnterpriseS", 125, 17763, WK), LTSC, "M7XTQ-FN8P6-TTKYV-9D4CC-J462D"),  # Enterprise LTSC
    (F("EnterpriseS", 125, 19044, WK), LTSC, "M7XTQ-FN8P6-TTKYV-9D4CC-J462D"),  # Enterprise LTSC
    (F(None, 126, 26100, WK), LTSC, "92NFX-8DJQP-P6BBQ-THF9C-7CG2H"),  # Enterprise N LTSC
    (F("IoTEnterpriseS", 191, 19044, WK), IOT, "KBN8V-HFGQ4-MGXVD-347P6-PDQGT"),
    (F("IoTEnterpriseS", 191, 26100, WK), IOT, "KBN8V-HFGQ4-MGXVD-347P6-PDQGT"),
    # Windows 8.1 / 8 / 7 / Vista
    (F("Professional", 48, 9600, WK), W81, "GCRJD-8NW9H-F2CDX-CCM8D-9D6T9"),  # Pro
    (F("EnterpriseN", 27, 9600, WK), W81, "TT4HM-HN7YT-62K67-RGRQJ-JFFXW"),  # Enterprise N
    (F("ProfessionalN", 49, 9200, WK), W8, "XCVCF-2NXM9-723PB-MHCB7-2RYQQ"),  # Pro N
    (F("Professional", 48, 7601, WK), W7, "FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4"),  # Professional
    (F("ProfessionalE", 69, 7601, WK), W7, "W82YF-2Q76Y-63HXB-FGJG9-GF7QX"),  # Professional E
    (F(None, 70, 7600, WK), W7, "C29WB-22CC8-VJ326-GHFJW-H9DH4"),  # Enterprise E
    (F("Business", 6, 6002, WK), VISTA, "YFKBB-PQJJV-G996G-VWGXY-2V3X8"),  # Business
    (F(None, 16, 6000, WK), VISTA, "HMBQG-8H2RH-C77VX-27R82-VMQBT"),  # Business N
    (F("Enterprise", 4, 6001, WK), VISTA, "VKK3X-68KWM-X2YGT-QR4M6-4BWMV"),  # Enterprise
]


@pytest.mark.parametrize(("facts", "family", "key"), CASES)
def test_select_gvlk(facts: EditionFacts, family: str, key: str) -> None:
    chosen = select_gvlk(facts)
    assert (chosen.family, chosen.key) == (family, key)


@pytest.mark.parametrize(
    ("facts", "edition"),
    [
        (F("ServerHPC", 18, 7601, WS), "HPC edition"),
        (F("ServerHPC", 18, 6002, WS), "HPC"),
        (F("ServerEnterpriseIA64", 15, 7601, WS), "for Itanium-based Systems"),
        (F("ServerDatacenterIA64", None, 6002, WS), "for Itanium-Based Systems"),
        (F("Professional", 48, 7601, WK), "Professional"),
        (F("Professional", 48, 9600, WK), "Pro"),
        (F("EnterpriseSN", 126, 10240, WK), "Enterprise N LTSB"),
        (F("EnterpriseSN", 126, 19044, WK), "Enterprise N LTSC"),
        (F("ServerEnterpriseCore", 14, 6002, WS), "Enterprise"),
    ],
)
def test_select_gvlk_uses_each_familys_spelling(facts: EditionFacts, edition: str) -> None:
    assert select_gvlk(facts).edition == edition


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40


def error_for(facts: EditionFacts, field: str = "clients[3].edition") -> KmsInputError:
    with pytest.raises(KmsInputError) as caught:
        select_gvlk(facts, field)
    assert caught.value.field == field
    return caught.value


@pytest.mark.parametrize(
    ("facts", "problem", "fix"),
    [
        (
            F("ServerStandardEval", 79, 20348, WS),
            "EditionID 'ServerStandardEval' is a Windows Server evaluation edition",
            "DISM /online /Set-Edition:ServerStandard /ProductKey:VDYBN-27WPP-V4HQT-9VMD4-VMK7H "
            "/AcceptEula, then reboot",
        ),
        (
            F("ServerDatacenterEval", 80, 17763, WS),
            "cannot be a KMS client",
            "/Set-Edition:ServerDatacenter /ProductKey:WMDGN-G9PQG-XVVXX-R3X43-63DFG /AcceptEula",
        ),
        (
            F(None, 80, 26100, WS),
            "OperatingSystemSKU 80 (EditionID missing) is a Windows Server evaluation",
            "/Set-Edition:ServerDatacenter /ProductKey:D764K-2NDRG-47T6Q-P8T8W-YP6DF /AcceptEula",
        ),
        (
            F("ServerStandardEval", None, None, WS),
            "evaluation edition",
            "/ProductKey:<the Standard GVLK for your Windows Server version, see https://",
        ),
        (
            F("EnterpriseEval", 72, 22631, WK),
            "Windows Enterprise evaluation edition, which cannot be a KMS client",
            "cannot be converted in place: reinstall from volume-licensing media",
        ),
        (F(None, 129, 17763, WK), "OperatingSystemSKU 129", "reinstall from volume-licensing"),
        (
            F("Core", 101, 22631, WK),
            "EditionID 'Core' is a Home edition; Home cannot use KMS activation",
            "Upgrade the machine to Pro",
        ),
        (F("CoreN", 98, 19045, WK), "is a Home edition", "Upgrade the machine to Pro"),
        (F("CoreSingleLanguage", 100, 22631, WK), "Home edition", "to Pro"),
        (F(None, 99, 22631, WK), "OperatingSystemSKU 99 (EditionID missing) is a Home", "Pro"),
        (
            F("ServerTurbine", 407, 20348, WS),
            "Datacenter: Azure Edition, which is activated by Azure, not by your KMS hosts",
            "Leave its activation to Azure",
        ),
        (F("ServerTurbineCor", None, 26100, WS), "Azure Edition", "Azure"),
        (
            F("ServerAzureStackHCICor", 406, 20348, WS),
            "EditionID 'ServerAzureStackHCICor' is not an edition with a known GVLK",
            "Pass the GVLK explicitly",
        ),
        (
            F(None, None, 19045, WK),
            "neither EditionID nor OperatingSystemSKU is known",
            "Pass the GVLK explicitly",
        ),
        (
            F(None, 188, 19045, WK),
            "OperatingSystemSKU 188 (EditionID missing) is not an edition with a known GVLK",
            "Pass the GVLK explicitly",
        ),
        (
            F("Professional", 48, None, WK),
            "BuildNumber is unknown, so the Windows version of EditionID 'Professional'",
            "Pass the GVLK explicitly",
        ),
        (
            F("ServerStandard", 7, 29651, WS),
            "build 29651 is not a Windows release with published GVLKs",
            "Pass the GVLK explicitly",
        ),
        (
            F("EnterpriseS", 125, 19045, WK),
            "build 19045 is not a Windows release with published GVLKs for EditionID 'EnterpriseS'",
            "explicitly",
        ),
        (F("IoTEnterpriseS", 191, 17763, WK), "build 17763", "explicitly"),
        (F("ServerStandardACor", 146, 20348, WS), "build 20348", "explicitly"),
        (
            F("ProfessionalWorkstation", 161, 9600, WK),
            "Windows 8.1 (build 9600) has no published GVLK for "
            "EditionID 'ProfessionalWorkstation'",
            "Editions with a GVLK in Windows 8.1: Pro, Pro N, Enterprise, Enterprise N.",
        ),
        (
            F("ServerSolution", 50, 20348, WS),
            "Windows Server 2022 (build 20348) has no",
            "Standard",
        ),
        (F("ServerStandardV", 36, 7601, WS), "Windows Server 2008 R2 (build 7601) has no", "Web"),
        (
            F("Professional", 48, 19045, WS),
            "the facts disagree: EditionID 'Professional' is a client edition but ProductType is 3",
            "Gather the facts again",
        ),
        (
            F("ServerStandard", 7, 20348, WK),
            "EditionID 'ServerStandard' is a server edition but ProductType is 1",
            "Gather",
        ),
        (F("Professional", 48, 19045, 7), "ProductType must be 1, 2 or 3, got 7", ""),
        (F("Professional", 48, -1, WK), "BuildNumber must be a non-negative integer", ""),
    ],
)
def test_select_gvlk_refuses(facts: EditionFacts, problem: str, fix: str) -> None:
    error = error_for(facts)
    assert problem in error.problem
    assert fix in error.fix


@pytest.mark.parametrize(
    ("edition_id", "sku", "build", "problem"),
    [
        ("Professional", 48, "19045", "BuildNumber must be a non-negative integer, got '19045'"),
        ("Professional", True, 19045, "OperatingSystemSKU must be a non-negative integer"),
        (48, None, 19045, "EditionID must be a string, got int"),
    ],
)
def test_select_gvlk_refuses_wrong_types(
    edition_id: object, sku: object, build: object, problem: str
) -> None:
    assert problem in error_for(F(edition_id, sku, build, WK)).problem  # type: ignore[arg-type]


def test_select_gvlk_refuses_other_input_types() -> None:
    with pytest.raises(KmsInputError, match="expected EditionFacts, got dict"):
        select_gvlk({"edition_id": "Professional"})  # type: ignore[arg-type]


def test_edition_id_wins_over_sku() -> None:
    # SKU 48 says Pro, but EditionID is authoritative when present.
    assert select_gvlk(F("Enterprise", 48, 19045, WK)).edition == "Enterprise"
    # Blank EditionID counts as missing.
    assert select_gvlk(F("  ", 121, 19045, WK)).edition == "Education"


def test_every_family_name_used_exists_in_the_catalog() -> None:
    used = {
        *editions.SERVER_BUILDS.values(),
        *editions.SAC_BUILDS.values(),
        *editions.LTSC_BUILDS.values(),
        *editions.IOT_LTSC_BUILDS.values(),
        editions.CLIENT_GA,
        editions.WIN81,
        editions.WIN8,
        editions.WIN7,
        editions.VISTA,
    }
    assert used <= set(gvlk.families("windows"))
    assert len(used) == 20


def test_every_edition_name_exists_in_some_family() -> None:
    folded = {e.edition.casefold() for e in gvlk.windows_products()}
    for edition_id, edition in editions.EDITIONS.items():
        assert any(name.casefold() in folded for name in edition.names), edition_id


def test_every_sku_maps_to_an_edition_id_we_handle() -> None:
    handled = (
        set(editions.EDITIONS)
        | set(editions.SERVER_EVAL)
        | editions.CLIENT_EVAL
        | editions.HOME
        | {"serverturbine", "serverenterpriseia64"}
    )
    for sku, edition_id in editions.SKU_EDITION_IDS.items():
        assert edition_id.casefold() in handled, sku


BUILDS = [6000, 6001, 6002, 6003, 7600, 7601, 9200, 9600, 10240, 14393, 16299, 17134, 17763]
BUILDS += [18362, 18363, 19041, 19042, 19044, 19045, 20348, 22631, 26100, 29651]


def _outcome(facts: EditionFacts) -> gvlk.Gvlk | KmsInputError:
    try:
        return select_gvlk(facts)
    except KmsInputError as exc:
        return exc


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(editions.SKU_EDITION_IDS.items())), st.sampled_from(BUILDS))
def test_property_sku_alone_agrees_with_edition_id(item: tuple[int, str], build: int) -> None:
    sku, edition_id = item
    by_id = _outcome(F(edition_id, sku, build))
    by_sku = _outcome(F(None, sku, build))
    if isinstance(by_id, KmsInputError):
        assert isinstance(by_sku, KmsInputError)
        assert by_sku.fix == by_id.fix
    else:
        assert by_sku is by_id


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.sampled_from(sorted(editions.EDITIONS)), st.text(max_size=20)),
    st.one_of(st.none(), st.integers(0, 500)),
    st.one_of(st.none(), st.sampled_from(BUILDS), st.integers(0, 40000)),
    st.one_of(st.none(), st.integers(0, 4)),
)
def test_property_result_is_a_catalog_row_or_a_kms_input_error(
    edition_id: str | None, sku: int | None, build: int | None, product_type: int | None
) -> None:
    chosen = _outcome(F(edition_id, sku, build, product_type))
    if isinstance(chosen, KmsInputError):
        assert chosen.field == "edition"
        assert chosen.problem
    else:
        assert chosen in gvlk.windows_products()
