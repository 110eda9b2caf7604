"""Tests for the HRESULT catalog: parsing, round trips, the reference's examples, decoding."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult import (
    CATALOG,
    CATEGORIES,
    HResult,
    below_threshold_message,
    describe,
    explain,
    is_count_not_reached,
    lookup,
    to_code,
)

UINT32 = st.integers(min_value=0, max_value=0xFFFFFFFF)

# kms-facts.md §2.7: every code of the table and of the "Also" line.
KMS_FACTS_CODES = (
    0xC004F074, 0xC004F038, 0xC004F039, 0xC004F041, 0xC004F042, 0xC004C008, 0xC004F015,
    0xC004F050, 0xC004F069, 0xC004E016, 0xC004F035, 0xC004F06C, 0xC004F014, 0xC004F00F,
    0xC004F025, 0x8007232A, 0x8007232B, 0x8007251D, 0x800706BA, 0x8004FE21, 0x80092328,
    0x8007007B, 0xC004F051, 0xC004F009, 0xC004C001, 0xC004C003, 0xC004C020, 0xC004C021,
    0xC004B100, 0x80070005,
)  # fmt: skip

# wsman-wire.md §1.6 "useful decimal values" (what WSManFault/@Code and MSFT_WmiError carry).
WSMAN_WIRE_DECIMALS = {
    0xC004F050: 3221549136,
    0xC004F074: 3221549172,
    0xC004F038: 3221549112,
    0xC004F039: 3221549113,
    0xC004F041: 3221549121,
    0xC004F042: 3221549122,
    0xC004F06B: 3221549163,
    0xC004F025: 3221549093,
    0xC004F035: 3221549109,
    0x80070005: 2147942405,
}

# WSManFault codes of wsman-wire.md §1.6's table, the captures (winrb_* fixtures: 2150858778,
# 2150859173), pywinrm's kept Windows reply (winrm_responses/shells.py: 2150858843) and
# Microsoft's Session.Error page (2150859002), with the symbol each must carry.
WSMAN_FAULT_CODES = {
    2150858752: "ERROR_WSMAN_RESOURCE_NOT_FOUND",
    2150858778: "ERROR_WSMAN_ENUMERATE_CANNOT_PROCESS_FILTER",
    2150858779: "ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT",
    2150858793: "ERROR_WSMAN_OPERATION_TIMEDOUT",
    2150858813: "ERROR_WSMAN_INVALID_SELECTORS",
    2150858817: "ERROR_WSMAN_SCHEMA_VALIDATION_ERROR",
    2150858843: "ERROR_WSMAN_UNEXPECTED_SELECTORS",
    2150859002: "ERROR_WSMAN_INVALID_URI_WMI_SINGLETON",
    2150859025: "ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS",
    2150859067: "ERROR_WSMAN_DIFFERENT_CIM_SELECTOR",
    2150859173: "ERROR_WSMAN_QUOTA_MAX_SHELLS",
    2150859174: "ERROR_WSMAN_QUOTA_MAX_OPERATIONS",
}

WMI_CODES = {
    0x80041002: "WBEM_E_NOT_FOUND",
    0x80041003: "WBEM_E_ACCESS_DENIED",
    0x80041004: "WBEM_E_PROVIDER_FAILURE",
    0x80041010: "WBEM_E_INVALID_CLASS",
    0x80041017: "WBEM_E_INVALID_QUERY",
    0x8004102F: "WBEM_E_INVALID_METHOD_PARAMETERS",
    0x80041033: "WBEM_E_SHUTTING_DOWN",
    0x8004106C: "WBEM_E_QUOTA_VIOLATION",
}


# --- the catalog -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", KMS_FACTS_CODES, ids=lambda c: f"0x{c:08X}")
def test_every_kms_facts_code_is_catalogued(code: int) -> None:
    entry = CATALOG[code]
    assert entry.code == code
    assert entry.meaning
    assert entry.action


@pytest.mark.parametrize(("code", "symbol"), sorted({**WSMAN_FAULT_CODES, **WMI_CODES}.items()))
def test_wsman_and_wmi_codes_are_catalogued_with_their_symbol(code: int, symbol: str) -> None:
    assert CATALOG[code].symbol == symbol


def test_catalog_has_no_duplicate_codes() -> None:
    assert len(hresult.ENTRIES) == len(CATALOG)


@pytest.mark.parametrize("entry", list(CATALOG.values()), ids=lambda e: e.hex)
def test_entry_is_well_formed(entry: HResult) -> None:
    assert entry.category in CATEGORIES
    assert re.fullmatch(r"([A-Z][A-Z0-9_]*)?", entry.symbol)
    for text in (entry.meaning, entry.action):
        assert text.endswith("."), text
        assert "  " not in text
        assert text == text.strip()


@pytest.mark.parametrize("entry", list(CATALOG.values()), ids=lambda e: e.hex)
def test_entry_round_trips_hex_signed_unsigned(entry: HResult) -> None:
    assert re.fullmatch(r"0x[0-9A-F]{8}", entry.hex)
    assert int(entry.hex, 16) == entry.code
    assert entry.signed % (1 << 32) == entry.code
    assert -(1 << 31) <= entry.signed < (1 << 31)
    for spelling in (entry.hex, str(entry.signed), str(entry.code), entry.signed):
        assert to_code(spelling) == entry.code
    bare = entry.hex[2:]
    if bare.isdigit():
        with pytest.raises(KmsInputError, match="ambiguous"):
            to_code(bare)
    else:
        assert to_code(bare.lower()) == entry.code
    assert explain(entry.signed) is entry


@pytest.mark.parametrize("entry", list(CATALOG.values()), ids=lambda e: e.hex)
def test_symbol_prefix_matches_the_code_range(entry: HResult) -> None:
    # Catches a mistyped code: each family of names lives in one range of numbers.
    high = entry.code >> 16
    if entry.symbol.startswith("SL_E_"):
        assert high == 0xC004
    if entry.symbol.startswith("WBEM_E_"):
        assert high == 0x8004
        assert 0x1000 <= entry.code & 0xFFFF <= 0x1FFF
    if entry.symbol.startswith("ERROR_WSMAN_"):
        assert high == 0x8033
    if high == 0x8007 and entry.symbol.startswith(("ERROR_", "DNS_", "RPC_")):
        assert entry.category in {"dns", "network", "product_key", "permission", "win32"}
    if entry.code != hresult.S_OK:
        assert entry.code & 0x80000000


def test_reference_example_signed_exit_code() -> None:
    # kms-facts.md §2.7 / §1.9: slmgr exits with 0xC004F074 as -1073418124.
    assert CATALOG[0xC004F074].signed == -1073418124
    assert to_code(-1073418124) == 0xC004F074
    assert CATALOG[0xC004F038].signed == -1073418184


@pytest.mark.parametrize(("code", "decimal"), sorted(WSMAN_WIRE_DECIMALS.items()))
def test_reference_decimal_values(code: int, decimal: int) -> None:
    assert to_code(str(decimal)) == code
    assert code in CATALOG


def test_not_enough_count_says_it_is_normal_and_gives_thresholds() -> None:
    entry = CATALOG[0xC004F038]
    assert entry.symbol == "SL_E_VL_NOT_ENOUGH_COUNT"
    assert "normal state" in entry.meaning
    assert "25 for client OS" in entry.meaning
    assert "5 for servers and volume Office" in entry.meaning
    assert "every 2 hours" in entry.action


def test_id_mismatch_points_at_host_key_groups_and_updates() -> None:
    entry = CATALOG[0xC004F042]
    assert "host key group" in entry.meaning
    for kb in ("KB5034765", "KB5034768", "KB5003646", "KB5003638"):
        assert kb in entry.action


@pytest.mark.parametrize("code", [0xC004F015, 0xC004F050])
def test_host_key_install_failures_name_the_host_os_updates(code: int) -> None:
    assert "KB3172614" in CATALOG[code].action
    assert "KB3172615" in CATALOG[code].action


def test_unlock_exceeded_states_the_10_activations_6_hosts_rule() -> None:
    assert "at most 6 computers, each at most 10 times" in CATALOG[0xC004C008].meaning


@pytest.mark.parametrize("code", [0xC004F074, 0x8007232B, 0x8007251D])
def test_discovery_failures_mention_srv_and_port(code: int) -> None:
    text = str(CATALOG[code])
    assert "_vlmcs._tcp" in text
    assert "1688" in text


@pytest.mark.parametrize("code", [0xC004F025, 0x80070005])
def test_access_denied_asks_for_administrators(code: int) -> None:
    assert "Administrators" in CATALOG[code].action
    assert CATALOG[code].category == "permission"


# --- to_code ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "0xC004F074",
        "0xc004f074",
        "0XC004F074",
        "C004F074",
        "c004f074",
        "-1073418124",
        "3221549172",
        "  0xC004F074\t",
        " 3221549172 ",
        3221549172,
        -1073418124,
        "0x00C004F074",
    ],
)
def test_to_code_accepts_usual_spellings(spelling: object) -> None:
    assert to_code(spelling) == 0xC004F074


@pytest.mark.parametrize("text", ["80070005", " 80070005 ", "00000005", "12345678"])
def test_eight_plain_digits_are_refused_as_ambiguous(text: str) -> None:
    with pytest.raises(KmsInputError, match="ambiguous") as caught:
        to_code(text, field="ignore[0]")
    assert caught.value.field == "ignore[0]"
    assert f"0x{text.strip()}" in caught.value.fix


def test_ambiguity_fix_gives_both_decimal_spellings() -> None:
    with pytest.raises(KmsInputError) as caught:
        to_code("80070005")
    assert "-2147024891 signed" in caught.value.fix
    assert "2147942405 unsigned" in caught.value.fix
    assert to_code("0x80070005") == to_code("-2147024891") == to_code("2147942405")


def test_decimal_of_other_lengths_is_decimal() -> None:
    assert to_code("8007005") == 8007005
    assert to_code("123456789") == 123456789
    assert to_code("-12345678") == (-12345678) % (1 << 32)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "0x",
        "0xG0000000",
        "12.5",
        "1e5",
        "C004F07",
        "C004F0740",
        "--5",
        "+5",
        "-0x5",
        "0x-5",
        "1_000",
        "\u0661\u0662\u0663",
        "0x\u0661",
        "C004F074h",
        "4294967296",
        "-2147483649",
        "0x100000000",
        1 << 32,
        -(1 << 31) - 1,
        None,
        1.0,
        True,
        b"0x5",
        [0xC004F074],
    ],
)
def test_to_code_rejects_everything_else(bad: object) -> None:
    with pytest.raises(KmsInputError) as caught:
        to_code(bad, field="results[2].hresult")
    assert caught.value.field == "results[2].hresult"
    assert caught.value.fix


def test_to_code_error_message_is_bounded() -> None:
    with pytest.raises(KmsInputError) as caught:
        to_code("z" * 500)
    assert len(str(caught.value)) < 300
    assert caught.value.field == "hresult"


@settings(max_examples=300, deadline=None)
@given(code=UINT32, pad=st.sampled_from(["", " ", "\t", "  \n"]))
def test_to_code_text_forms_agree(code: int, pad: str) -> None:
    signed = code - (1 << 32) if code >= 1 << 31 else code
    spellings = [f"0x{code:08X}", f"0x{code:x}", f"0X{code:X}"]
    bare = f"{code:08X}"
    if not bare.isdigit():
        spellings += [bare, bare.lower()]
    # Decimal text always parses, except exactly eight plain digits (refused as ambiguous); a
    # minus sign makes a negative number of seven digits unambiguous ("-9999999").
    for decimal in sorted({str(code), str(signed)}):
        if len(decimal) == 8 and decimal.isdigit():
            with pytest.raises(KmsInputError, match="ambiguous"):
                to_code(pad + decimal + pad)
        else:
            spellings.append(decimal)
    for spelling in spellings:
        assert to_code(pad + spelling + pad) == code
    assert to_code(signed) == code
    assert to_code(code) == code


def _oracle(text: str) -> int | None:
    """What to_code should answer for text, written as plainly as possible."""
    text = text.strip()
    if not text or not text.isascii():
        return None
    digits = "0123456789"
    hexdigits = digits + "abcdefABCDEF"
    if len(text) == 8 and all(c in hexdigits for c in text):
        if text.isdigit():
            return None  # ambiguous between hex and decimal
        number = int(text, 16)
    elif all(c in digits for c in text.removeprefix("-")) and text.removeprefix("-"):
        number = int(text)
    elif text[:2] in ("0x", "0X") and len(text) > 2 and all(c in hexdigits for c in text[2:]):
        number = int(text[2:], 16)
    else:
        return None
    if -(1 << 31) <= number < 0:
        return number + (1 << 32)
    return number if number <= 0xFFFFFFFF else None


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=14),
        st.text(alphabet="0123456789abcdefABCDEFxX- \t+_.", max_size=14),
    )
)
def test_to_code_any_text_parses_exactly_as_documented_or_raises(text: str) -> None:
    expected = _oracle(text)
    if expected is None:
        with pytest.raises(KmsInputError):
            to_code(text)
    else:
        assert to_code(text) == expected


@settings(max_examples=200, deadline=None)
@given(number=st.one_of(st.integers(max_value=-(1 << 31) - 1), st.integers(min_value=1 << 32)))
def test_to_code_rejects_out_of_range_ints(number: int) -> None:
    with pytest.raises(KmsInputError):
        to_code(number)


# --- explain, describe, generic entries --------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(code=UINT32)
def test_explain_never_raises_for_a_32_bit_code(code: int) -> None:
    entry = explain(code)
    assert entry.code == code
    assert entry.category in CATEGORIES
    assert entry.meaning.endswith(".")
    assert entry.action.endswith(".")
    line = describe(code)
    assert line.startswith(f"0x{code:08X}")
    assert " What to do: " in line


def test_describe_format_with_symbol() -> None:
    assert describe("0xC004F051") == (
        "0xC004F051 (SL_E_BLOCKED_PRODUCT_KEY): Microsoft has blocked this product key. "
        "What to do: Get a new MAK or KMS host key, install it and activate."
    )


def test_describe_format_without_symbol() -> None:
    assert describe(0x80092328).startswith("0x80092328: DNS name does not exist")


def test_summary_leaves_out_the_advice() -> None:
    entry = CATALOG[0xC004F051]
    assert entry.summary == (
        "0xC004F051 (SL_E_BLOCKED_PRODUCT_KEY): Microsoft has blocked this product key."
    )
    assert str(entry) == f"{entry.summary} What to do: {entry.action}"


def test_generic_win32_names_the_error_number() -> None:
    entry = explain(0x80070002)
    assert entry.symbol == ""
    assert entry.category == "win32"
    assert "system error 2 (0x2)" in entry.meaning
    assert "ERROR_FILE_NOT_FOUND" in entry.meaning
    assert "net helpmsg 2" in entry.action


def test_a_plain_win32_code_is_a_win32_error_not_a_success() -> None:
    # WinRM sends Code="87" with w:InvalidParameter: ERROR_INVALID_PARAMETER, which is
    # E_INVALIDARG (0x80070057) as an HRESULT.
    entry = explain(87)
    assert entry.code == 87
    assert entry.symbol == "ERROR_INVALID_PARAMETER"
    assert entry.category == "win32"
    assert "Windows system error 87 (ERROR_INVALID_PARAMETER)" in entry.meaning
    assert "0x80070057 (E_INVALIDARG)" in entry.meaning
    assert entry.action == CATALOG[0x80070057].action
    assert "not a failure" not in str(entry)
    unnamed = explain(1234)
    assert unnamed.category == "win32"
    assert "0x800704D2 as an HRESULT" in unnamed.meaning
    assert "net helpmsg 1234" in unnamed.action


@settings(max_examples=200, deadline=None)
@given(code=st.integers(min_value=1, max_value=0xFFFF))
def test_no_win32_code_reads_as_a_success(code: int) -> None:
    entry = explain(code)
    assert entry.category != "success"
    assert "not a failure" not in str(entry)


def test_from_win32_is_hresult_from_win32() -> None:
    assert hresult.from_win32(0) == 0
    assert hresult.from_win32(5) == 0x80070005
    assert hresult.from_win32(87) == 0x80070057
    assert hresult.from_win32(0xFFFF) == 0x8007FFFF
    assert hresult.from_win32(0xC004F074) == 0xC004F074  # already an HRESULT


def test_generic_win32_without_a_known_name() -> None:
    entry = explain(0x80070FFF)
    assert "system error 4095 (0xFFF) returned as an HRESULT." in entry.meaning


@pytest.mark.parametrize(
    ("code", "category", "hint"),
    [
        (0x8004101D, "wmi", "WMI Error Constants"),
        (0x80338099, "wsman", "winrm helpmsg 0x80338099"),
        (0xC004F999, "activation", "activation error codes"),
        (0x4004F00C, "success", "Nothing to fix"),
        (0x81230001, "other", "0x81230001"),
    ],
)
def test_generic_entries_decode_the_facility(code: int, category: str, hint: str) -> None:
    entry = explain(code)
    assert lookup(code) is None
    assert entry.category == category
    assert hint in str(entry)


def test_generic_other_reports_facility_and_code() -> None:
    assert "facility 291, code 1 (0x0001)" in explain(0x81230001).meaning


def test_lookup_returns_catalog_entries_only() -> None:
    assert lookup("0xC004F074") is CATALOG[0xC004F074]
    assert lookup(0x8007FFFF) is None


def test_describe_with_counts_says_how_many_are_missing() -> None:
    line = describe(0xC004F038, current_count=3, required=25)
    assert line.startswith(str(CATALOG[0xC004F038]))
    assert "counts 3 of the 25 machines needed: 22 more distinct machines" in line


def test_below_threshold_singular_and_reached() -> None:
    assert "1 more distinct machine must" in below_threshold_message(4, 5)
    reached = below_threshold_message(25, 25)
    assert "now counts 25 of the 25" in reached
    assert "more distinct" not in reached


def test_counts_are_ignored_for_other_codes() -> None:
    assert describe(0xC004F074, current_count=3, required=25) == describe(0xC004F074)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"current_count": 3}, "required"),
        ({"required": 25}, "current_count"),
        ({"current_count": -1, "required": 25}, "current_count"),
        ({"current_count": True, "required": 25}, "current_count"),
        ({"current_count": "3", "required": 25}, "current_count"),
        ({"current_count": 3, "required": 0}, "required"),
    ],
)
def test_describe_rejects_bad_counts(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        describe(0xC004F038, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_is_count_not_reached() -> None:
    assert is_count_not_reached("-1073418184")
    assert is_count_not_reached(hresult.SL_E_VL_NOT_ENOUGH_COUNT)
    assert not is_count_not_reached("0xC004F074")


# --- HResult itself -------------------------------------------------------------------------


def test_hresult_properties_for_small_and_large_codes() -> None:
    ok = CATALOG[hresult.S_OK]
    assert ok.hex == "0x00000000"
    assert ok.signed == 0
    top = HResult(0x7FFFFFFF, "", "m.", "a.", "other")
    assert top.signed == 0x7FFFFFFF
    assert HResult(0x80000000, "", "m.", "a.", "other").signed == -(1 << 31)


def test_hresult_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOG[0xC004F074].code = 1  # type: ignore[misc]


@pytest.mark.parametrize("code", [-1, 1 << 32, "0x5", True])
def test_hresult_rejects_codes_outside_uint32(code: object) -> None:
    with pytest.raises(KmsInputError):
        HResult(code, "", "m.", "a.", "other")  # type: ignore[arg-type]
