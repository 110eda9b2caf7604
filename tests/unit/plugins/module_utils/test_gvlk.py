# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the GVLK catalog and its generator."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fixture_files import fixture_path
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk

REPO = Path(__file__).resolve().parents[4]
GENERATOR = REPO / "scripts" / "gen_gvlk_table.py"
TABLE = REPO / "plugins" / "module_utils" / "licensing" / "gvlk_table.py"
HEADER = "product_family,edition,gvlk,confirmed_by_microsoft_source\n"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_gvlk_table", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


def test_table_is_exactly_what_the_generator_writes(generator: ModuleType) -> None:
    csv = fixture_path("gvlk.csv")
    rendered = generator.render(generator.read_rows(csv))
    assert TABLE.read_text(encoding="utf-8") == rendered
    assert generator.render(generator.read_rows(csv)) == rendered
    assert generator.main([str(csv), "--check"]) == 0
    assert csv == generator.DEFAULT_CSV  # what the command rebuilds from without arguments


def test_generator_writes_the_output_and_check_detects_drift(
    generator: ModuleType, tmp_path: Path
) -> None:
    source = tmp_path / "gvlk.csv"
    source.write_text(
        HEADER + "Windows Server 2022,Standard,VDYBN-27WPP-V4HQT-9VMD4-VMK7H,yes\r\n"
        "Office 2013,Word 2013,6Q7VD-NX8JD-WJ2VH-88V73-4GBJ7,no\r\n",
        encoding="utf-8",
    )
    out = tmp_path / "table.py"
    assert generator.main([str(source), "--output", str(out), "--check"]) == 1
    assert generator.main([str(source), "--output", str(out)]) == 0
    assert generator.main([str(source), "--output", str(out), "--check"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "# GENERATED FILE: do not edit. Regenerate with scripts/gen_gvlk_table.py" in text
    namespace: dict[str, object] = {}
    exec(compile(text, str(out), "exec"), namespace)
    assert namespace["GVLK_TABLE"] == {
        "windows": {"Windows Server 2022": (("Standard", "VDYBN-27WPP-V4HQT-9VMD4-VMK7H", True),)},
        "office": {"Office 2013": (("Word 2013", "6Q7VD-NX8JD-WJ2VH-88V73-4GBJ7", False),)},
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("family,edition,key,confirmed\n", "header is"),
        (HEADER + "Windows 7,Pro,FJ82H-XT6CR-J8D7P-XQJJ2-GPDD,yes\n", "is not a product key"),
        (HEADER + "Windows 7,Pro,NJ82H-XT6CR-J8D7P-XQJJ2-GPDDN,yes\n", "is not a product key"),
        (HEADER + "Windows 7,Pro,FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4,maybe\n", "yes or no"),
        (HEADER + "Windows 7,Pro,FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4\n", "3 fields"),
        (HEADER + "Linux,Pro,FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4,yes\n", "neither 'Windows'"),
        (HEADER + "Windows 7,Pro,FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4,yes\n" * 2, "duplicate"),
    ],
)
def test_generator_rejects_bad_csv(
    generator: ModuleType, tmp_path: Path, body: str, expected: str
) -> None:
    source = tmp_path / "gvlk.csv"
    source.write_text(body, encoding="utf-8")
    with pytest.raises(generator.CsvError, match=expected):
        generator.read_rows(source)
    assert generator.main([str(source), "--output", str(tmp_path / "out.py")]) == 2
    assert not (tmp_path / "out.py").exists()


def test_catalog_counts_and_products() -> None:
    assert len(gvlk.CATALOG) == 161
    assert len(gvlk.windows_products()) == 78
    assert len(gvlk.office_products()) == 83
    assert {e.product for e in gvlk.office_products()} == {"office"}
    assert gvlk.families("office") == (
        "Office LTSC 2024",
        "Office LTSC 2021",
        "Office 2019",
        "Office 2016",
        "Office 2013",
        "Office 2010",
    )
    assert gvlk.families()[0] == "Windows Server 2025"
    assert len(gvlk.families("windows")) == 20
    assert len({e.key for e in gvlk.CATALOG}) == 161


def test_confirmed_flag_follows_the_csv() -> None:
    unconfirmed = {e.family for e in gvlk.CATALOG if not e.confirmed}
    assert unconfirmed == {"Office 2013", "Office 2010"}
    assert gvlk.lookup("Office 2010", "Word 2010").confirmed is False
    assert gvlk.lookup("Office 2016", "Word 2016").confirmed is True


@pytest.mark.parametrize(
    ("family", "edition", "key"),
    [
        ("Windows Server 2025", "Datacenter", "D764K-2NDRG-47T6Q-P8T8W-YP6DF"),
        ("Windows Server 2022", "Datacenter", "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"),
        ("Windows Server 2019", "Standard", "N69G4-B89J2-4G8F4-WWYCC-J464C"),
        ("Windows 11/10 (GA channel)", "Pro", "W269N-WFGWX-YVC9B-4J6C9-T83GX"),
        ("Windows 10 LTSB 2015", "Enterprise N LTSB", "2F77B-TNFGY-69QQF-B8YKP-D69TJ"),
        ("Windows Vista", "Business", "YFKBB-PQJJV-G996G-VWGXY-2V3X8"),
        ("Office LTSC 2021", "Office LTSC Professional Plus 2021", "FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH"),
        ("office 2019", "  visio   standard 2019 ", "7TQNQ-K3YQQ-3PFH7-CCPPM-X4VQ2"),
        ("WINDOWS SERVER 2008", "FOR ITANIUM-BASED SYSTEMS", "4DWFP-JF3DJ-B7DTH-78FJB-PDRHK"),
    ],
)
def test_lookup(family: str, edition: str, key: str) -> None:
    entry = gvlk.lookup(family, edition)
    assert entry.key == key
    assert entry.partial == key[-5:]
    assert gvlk.find_by_key(key) == entry


def test_lookup_unknown_family_lists_the_families() -> None:
    with pytest.raises(KmsInputError) as caught:
        gvlk.lookup("Windows Server 2030", "Standard", field="client.family")
    assert caught.value.field == "client.family"
    assert "'Windows Server 2030' is not a product family with published GVLKs" in str(caught.value)
    assert "Valid families: Windows Server 2025, Windows Server 2022," in str(caught.value)
    assert "Office 2010." in str(caught.value)


def test_lookup_unknown_edition_lists_that_familys_editions() -> None:
    with pytest.raises(KmsInputError) as caught:
        gvlk.lookup("windows server 2022", "Essentials")
    message = str(caught.value)
    assert "Windows Server 2022 has no published GVLK for edition 'Essentials'" in message
    assert (
        "Valid editions of Windows Server 2022: Standard, Datacenter, Datacenter: Azure" in message
    )


@pytest.mark.parametrize(
    "text",
    [
        "w269n-wfgwx-yvc9b-4j6c9-t83gx",
        " W269N\u2013WFGWX\u2013YVC9B\u20134J6C9\u2013T83GX ",
        "W269NWFGWXYVC9B4J6C9T83GX",
    ],
)
def test_find_by_key_normalizes(text: str) -> None:
    found = gvlk.find_by_key(text)
    assert found is not None
    assert (found.family, found.edition) == ("Windows 11/10 (GA channel)", "Pro")
    assert gvlk.is_published_gvlk(text)


@pytest.mark.parametrize(
    "text",
    [
        "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB",  # well-formed but not published
        "W269N-WFGWX-YVC9B-4J6C9",
        "W269O-WFGWX-YVC9B-4J6C9-T83GX",
        "",
        None,
        42,
    ],
)
def test_find_by_key_unknown_or_malformed_is_none(text: object) -> None:
    assert gvlk.find_by_key(text) is None
    assert gvlk.is_published_gvlk(text) is False


def test_gvlk_is_frozen() -> None:
    entry = gvlk.CATALOG[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.key = "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB"  # type: ignore[misc]
    assert entry.label == "Windows Server 2025 Standard"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(gvlk.CATALOG), st.sampled_from(["lower", "nodash", "endash", "blank"]))
def test_property_every_catalog_key_is_found_in_any_spelling(entry: gvlk.Gvlk, style: str) -> None:
    text = {
        "lower": entry.key.lower(),
        "nodash": entry.key.replace("-", ""),
        "endash": entry.key.replace("-", "\u2013"),
        "blank": f"\t{entry.key} \n",
    }[style]
    assert gvlk.find_by_key(text) is entry


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers(), st.binary()))
def test_property_find_by_key_never_raises(value: object) -> None:
    found = gvlk.find_by_key(value)
    assert found is None or found in gvlk.CATALOG
