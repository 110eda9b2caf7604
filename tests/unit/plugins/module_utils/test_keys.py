# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for product key normalisation, validation and masking."""

from __future__ import annotations

import csv
import dataclasses

import pytest
from fixture_files import fixture_path
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing.gvlk import CATALOG
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import (
    KEY_ALPHABET,
    ProductKey,
    is_key,
    mask_key,
    normalize_key,
)

PRO = "W269N-WFGWX-YVC9B-4J6C9-T83GX"
DASH_VARIANTS = [
    "-",
    "\u2010",  # HYPHEN
    "\u2011",  # NON-BREAKING HYPHEN
    "\u2012",  # FIGURE DASH
    "\u2013",  # EN DASH
    "\u2014",  # EM DASH
    "\u2015",  # HORIZONTAL BAR
    "\u2212",  # MINUS SIGN
    "\ufe58",  # SMALL EM DASH
    "\ufe63",  # SMALL HYPHEN-MINUS
    "\uff0d",  # FULLWIDTH HYPHEN-MINUS
]


def error_for(text: object, field: str = "hosts[1].key") -> str:
    with pytest.raises(KmsInputError) as caught:
        normalize_key(text, field)
    assert caught.value.field == field
    return str(caught.value)


@st.composite
def keys(draw: st.DrawFn) -> str:
    chars = draw(st.lists(st.sampled_from(KEY_ALPHABET), min_size=25, max_size=25))
    if draw(st.booleans()):
        chars[draw(st.integers(0, 24))] = "N"
    compact = "".join(chars)
    return "-".join(compact[i : i + 5] for i in range(0, 25, 5))


def test_every_published_gvlk_in_the_csv_is_a_valid_key() -> None:
    with fixture_path("gvlk.csv").open(newline="", encoding="utf-8") as handle:
        published = [row["gvlk"] for row in csv.DictReader(handle)]
    assert len(published) == 161
    for key in published:
        assert normalize_key(key) == key
        assert is_key(key)


def test_every_catalog_key_is_valid_and_at_most_one_n() -> None:
    assert len(CATALOG) == 161
    for entry in CATALOG:
        assert is_key(entry.key), entry
        assert entry.key.count("N") <= 1


@pytest.mark.parametrize(
    "text",
    [
        PRO,
        "w269n-wfgwx-yvc9b-4j6c9-t83gx",
        "  W269N-WFGWX-YVC9B-4J6C9-T83GX\n",
        "\tw269nWFGWXyvc9b4J6C9T83GX ",
        "W269NWFGWXYVC9B4J6C9T83GX",
        "W269N\u2013WFGWX\u2014YVC9B\u22124J6C9\u2011T83GX",
        "W269N\uff0dWFGWX\ufe63YVC9B\u20124J6C9\u2010T83GX",
        "W269N - WFGWX -YVC9B- 4J6C9 - T83GX",
        "W269N WFGWX YVC9B 4J6C9 T83GX",
        "\u00a0W269N-WFGWX-YVC9B-4J6C9-T83GX\u00a0",
        "\ufeffW269N-WFGWX\u200b-YVC9B-4J6C9-T83GX\u200b",
    ],
)
def test_normalize_accepts_pasted_variants(text: str) -> None:
    assert normalize_key(text) == PRO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W269N-WFGWX-YVC9B-4J6C9", "has 4 groups; a product key has 5"),
        ("W269N-WFGWX-YVC9B-4J6C9-T83GX-BBBBB", "has 6 groups"),
        ("W269N--WFGWX-YVC9B-4J6C9-T83GX", "has 6 groups"),
        ("W269N-WFGWX-YVC9B-4J6C9-T83G", "group 5 of the value"),
        ("W269N-WFGWX-YVC9B-4J6C9-T83G", "has 4 characters; every group has 5"),
        ("W269NWFGWXYVC9B4J6C9T83G", "has 24 characters; a product key has 25"),
        ("W269N_WFGWX_YVC9B_4J6C9_T83GX", "separates its groups with U+005F LOW LINE"),
        ("W269N.WFGWX.YVC9B.4J6C9.T83GX", "U+002E FULL STOP"),
        ("hello", "has 5 characters"),
        ("   ", "is empty"),
        ("", "is empty"),
    ],
)
def test_normalize_structure_errors(text: str, expected: str) -> None:
    message = error_for(text)
    assert expected in message
    assert "five groups of five characters" in message or "is empty" in message


@pytest.mark.parametrize(
    ("position", "char", "expected"),
    [
        (4, "O", "group 1 character 5 is 'O' (product keys never contain O or 0"),
        (0, "0", "group 1 character 1 is '0' (product keys never contain O or 0"),
        (5, "I", "group 2 character 1 is 'I' (product keys never contain I, L or 1"),
        (5, "1", "group 2 character 1 is '1'"),
        (6, "L", "group 2 character 2 is 'L' (product keys never contain I, L or 1"),
        (10, "A", "group 3 character 1 is 'A' (product keys never contain vowels: A is probably 4"),
        (13, "E", "E is probably F or 3"),
        (14, "S", "group 3 character 5 is 'S' (product keys never contain S or 5"),
        (15, "5", "'5' (product keys never contain S or 5"),
        (18, "U", "U is probably V"),
        (19, "Z", "'Z' (product keys never contain Z: it is probably the digit 2"),
        (17, "#", "group 4 character 3 is '#', which is not a product-key character"),
        (
            1,
            "\u0420",
            "group 1 character 2 is U+0420 CYRILLIC CAPITAL LETTER ER, which only looks like 'P'",
        ),
        (2, "\u041e", "U+041E CYRILLIC CAPITAL LETTER O, which only looks like 'O'"),
        (3, "\u0441", "U+0441 CYRILLIC SMALL LETTER ES, which only looks like 'C'"),
        (8, "\u039a", "U+039A GREEK CAPITAL LETTER KAPPA, which only looks like 'K'"),
        (9, "\u03bd", "U+03BD GREEK SMALL LETTER NU, which only looks like 'V'"),
        (24, "\uff18", "group 5 character 5 is U+FF18 FULLWIDTH DIGIT EIGHT, which only looks"),
        (24, "\uff42", "U+FF42 FULLWIDTH LATIN SMALL LETTER B, which only looks like 'B'"),
        (10, "\u00e9", "U+00E9 LATIN SMALL LETTER E WITH ACUTE, which is not a product-key"),
        (10, "\x07", "U+0007, which is not a product-key character"),
    ],
)
def test_normalize_names_the_bad_character(position: int, char: str, expected: str) -> None:
    compact = PRO.replace("-", "")
    text = compact[:position] + char + compact[position + 1 :]
    message = error_for(text)
    assert expected in message
    assert "letters B C D F G H J K M N P Q R T V W X Y and the digits 2 3 4 6 7 8 9" in message
    for group in PRO.split("-")[:4]:
        assert group not in message


def test_normalize_lists_several_bad_characters_and_caps_the_list() -> None:
    message = error_for("OOOOO-OOOOO-YVC9B-4J6C9-T83GX")
    assert message.count("is 'O'") == 5
    assert "and 5 more" in message


def test_normalize_refuses_two_n() -> None:
    message = error_for("NBBBB-BBBBB-BBNBB-BBBBB-BBBBB")
    assert "contains the letter N 2 times" in message
    assert "(group 1 character 1, group 3 character 3)" in message
    assert "at most one N" in message


@pytest.mark.parametrize("value", [None, 25, 2.5, b"W269N-WFGWX-YVC9B-4J6C9-T83GX", ["x"]])
def test_normalize_refuses_non_strings(value: object) -> None:
    message = error_for(value)
    assert f"got {type(value).__name__}" in message


@pytest.mark.reliability("secrets")
def test_error_message_shows_only_the_masked_key() -> None:
    message = error_for("W269N-WFGWX-YVC9B-4J6C9-T83GXX")
    assert "XXXXX-XXXXX-XXXXX-XXXXX-83GXX" in message
    for group in ("W269N", "WFGWX", "YVC9B", "4J6C9"):
        assert group not in message


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (PRO, "XXXXX-XXXXX-XXXXX-XXXXX-T83GX"),
        ("w269n-wfgwx-yvc9b-4j6c9-t83gx", "XXXXX-XXXXX-XXXXX-XXXXX-t83gx"),
        ("W269N\u2013WFGWX\u2013YVC9B\u20134J6C9\u2013T83GX  ", "XXXXX-XXXXX-XXXXX-XXXXX-T83GX"),
        ("abc", "XXXXX-XXXXX-XXXXX-XXXXX-XXabc"),
        ("", "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"),
        ("ab\x00\ncd\x1b", "XXXXX-XXXXX-XXXXX-XXXXX-b?cd?"),
        (None, "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"),
        (12345678, "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"),
        (b"W269N-WFGWX-YVC9B-4J6C9-T83GX", "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"),
    ],
)
def test_mask_key(value: object, masked: str) -> None:
    assert mask_key(value) == masked


def test_product_key_parse_and_properties() -> None:
    key = ProductKey.parse(" w269n\u2013wfgwx-yvc9b-4j6c9-t83gx ")
    assert key.value == PRO
    assert key.partial == "T83GX"
    assert key.masked == "XXXXX-XXXXX-XXXXX-XXXXX-T83GX"
    assert repr(key) == "ProductKey('XXXXX-XXXXX-XXXXX-XXXXX-T83GX')"
    assert str(key) == key.masked
    assert f"{key}" == key.masked
    assert "W269N" not in repr([key, {"key": key}])
    assert key == ProductKey(PRO)
    assert len({key, ProductKey.parse(PRO)}) == 1


def test_product_key_is_frozen_and_validated() -> None:
    key = ProductKey(PRO)
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.value = "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB"  # type: ignore[misc]
    with pytest.raises(KmsInputError) as caught:
        ProductKey("w269n-wfgwx-yvc9b-4j6c9-t83gx")
    assert "W269N" not in str(caught.value).upper()
    with pytest.raises(KmsInputError) as caught:
        ProductKey.parse("W269N-WFGWX", field="keys[0]")
    assert caught.value.field == "keys[0]"


@st.composite
def mangled(draw: st.DrawFn, key: str) -> str:
    compact = key.replace("-", "")
    chars = [c.lower() if draw(st.booleans()) else c for c in compact]
    groups = ["".join(chars[i : i + 5]) for i in range(0, 25, 5)]
    if draw(st.booleans()):
        body = "".join(groups)
    else:
        body = groups[0]
        for group in groups[1:]:
            pad_before = draw(st.sampled_from(["", " ", "  "]))
            pad_after = draw(st.sampled_from(["", " ", "\t"]))
            body += pad_before + draw(st.sampled_from(DASH_VARIANTS)) + pad_after + group
    blank = st.text(alphabet=" \t\r\n\u00a0\u3000", max_size=3)
    return draw(blank) + body + draw(blank)


@settings(max_examples=300, deadline=None)
@given(st.data(), keys())
def test_property_mangled_keys_normalize_back(data: st.DataObject, key: str) -> None:
    assert normalize_key(data.draw(mangled(key))) == key
    assert ProductKey.parse(key.lower()).value == key


def _outcome(text: object) -> str | KmsInputError:
    try:
        return normalize_key(text)
    except KmsInputError as exc:
        return exc


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=KEY_ALPHABET + "N-AEIOU015 ", max_size=40)))
@pytest.mark.reliability("bad_input")
def test_property_any_text_is_a_key_or_a_kms_input_error(text: str) -> None:
    result = _outcome(text)
    if isinstance(result, KmsInputError):
        assert result.field == "key"
        assert result.problem
    else:
        assert is_key(result)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text(max_size=3))))
@pytest.mark.reliability("bad_input")
def test_property_non_text_raises_kms_input_error(value: object) -> None:
    with pytest.raises(KmsInputError):
        normalize_key(value)


BAD_CHARS = ["O", "0", "I", "1", "S", "#", "\u041e", "\uff18", "\u00e9", "\u0391"]


@settings(max_examples=200, deadline=None)
@given(keys(), st.integers(0, 19), st.sampled_from(BAD_CHARS))
@pytest.mark.reliability("bad_input")
def test_property_one_bad_character_is_located_and_key_stays_hidden(
    key: str, position: int, bad: str
) -> None:
    compact = key.replace("-", "")
    text = compact[:position] + bad + compact[position + 1 :]
    groups = key.split("-")[:4]
    assume("XXXXX" not in groups)
    message = error_for(text)
    assert f"group {position // 5 + 1} character {position % 5 + 1} is " in message
    for number, group in enumerate(groups):
        # the last group is shown on purpose (masked form); every other untouched group is hidden
        if number != position // 5 and group != key[-5:]:
            assert group not in message


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text(), st.text(alphabet=KEY_ALPHABET + "N", min_size=5, max_size=5))
def test_property_mask_depends_only_on_the_last_five(head: str, other: str, tail: str) -> None:
    assert mask_key(head + tail) == mask_key(other + tail) == f"XXXXX-XXXXX-XXXXX-XXXXX-{tail}"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers(), st.binary()))
@pytest.mark.reliability("secrets")
def test_property_mask_never_raises_and_keeps_its_shape(value: object) -> None:
    masked = mask_key(value)
    assert len(masked) == 29
    assert masked[:24] == "XXXXX-XXXXX-XXXXX-XXXXX-"
    shown = [c for c in masked[24:] if c not in "X?"]
    if not isinstance(value, str):
        assert shown == []
    else:
        assert all(c in value for c in shown)
        assert len(shown) <= 5
