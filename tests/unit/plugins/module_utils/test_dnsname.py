# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for DNS name checks and normalisation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.dns.names import (
    MAX_NAME,
    absolute,
    describe_char,
    in_zone,
    normalize_domain,
    relative,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda label: label[2:4] != "--"
)
TLD = LABEL.filter(lambda label: not label.isdigit())
DOMAIN = st.builds(
    lambda head, tld: ".".join([*head, tld]), st.lists(LABEL, min_size=1, max_size=4), TLD
)
CANONICAL = re.compile(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?")


T = TypeVar("T")


def attempt(func: Callable[..., T], *args: object, **kwargs: object) -> T | KmsInputError:
    """The result of ``func``, or the KmsInputError it raised; any other exception propagates."""
    try:
        return func(*args, **kwargs)
    except KmsInputError as error:
        return error


def error_for(text: object, field: str = "domains[2].name") -> KmsInputError:
    with pytest.raises(KmsInputError) as caught:
        normalize_domain(text, field)
    assert caught.value.field == field
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contoso.com", "contoso.com"),
        ("Contoso.COM.", "contoso.com"),
        ("  kms1.Corp.Contoso.com \t", "kms1.corp.contoso.com"),
        ("a-b.c0.com", "a-b.c0.com"),
        ("123.contoso.com", "123.contoso.com"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("XN--BCHER-KVA.DE.", "xn--bcher-kva.de"),
        ("a" * 63 + ".com", "a" * 63 + ".com"),
    ],
)
def test_normalize_accepts(text: str, expected: str) -> None:
    assert normalize_domain(text, "f") == expected


def test_longest_name_is_accepted_and_one_more_is_not() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == MAX_NAME
    assert normalize_domain(longest + ".", "f") == longest
    error = error_for(longest + "d")
    assert "254 characters" in error.problem
    assert "253" in error.problem


@pytest.mark.parametrize(
    ("text", "problem", "fix"),
    [
        ("", "is empty", "fully qualified"),
        ("   ", "is empty", "fully qualified"),
        (".", "DNS root", "fully qualified"),
        ("contoso", '"contoso" is a single label', '"contoso.<your domain>"'),
        ("contoso.", '"contoso" is a single label', "parent domain"),
        ("a..com", "empty label", "Remove the extra dot"),
        (".a.com", "empty label", "Remove the extra dot"),
        ("a.com..", "empty label", "Remove the extra dot"),
        ("-kms.com", 'label "-kms" in "-kms.com" starts or ends with a hyphen', "inside a label"),
        ("kms-.com", 'label "kms-"', "inside a label"),
        (
            "con toso.com",
            'label "con toso" in "con toso.com" has U+0020 SPACE at position 4',
            "a-z",
        ),
        ("kms_1.com", '"_" (U+005F LOW LINE) at position 4', "hyphens"),
        ("kms.con,toso.com", 'label "con,toso" in "kms.con,toso.com" has "," (U+002C COMMA)', ""),
        ("a.co\tm", '"co\\tm"', "a-z"),
        ("10.0.0.1", "looks like an IP address", "DNS name"),
        ("a." + "b" * 64 + ".com", "is 64 characters long; a label holds at most 63", "Shorten"),
        ("xn--zz.com", 'label "xn--zz" in "xn--zz.com" starts with "xn--" but is not a valid', ""),
    ],
)
def test_normalize_rejects(text: str, problem: str, fix: str) -> None:
    error = error_for(text)
    assert problem in error.problem
    assert fix in error.fix
    assert str(error).startswith("domains[2].name: ")


def test_non_text_is_rejected() -> None:
    for value in (12, None, b"contoso.com", ["contoso.com"]):
        assert "expected a domain name as text" in error_for(value).problem


def test_internationalized_name_shows_the_a_label() -> None:
    error = error_for("bücher.de")
    assert "internationalized name" in error.problem
    assert 'position 2 is "ü" (U+00FC LATIN SMALL LETTER U WITH DIAERESIS)' in error.problem
    assert error.fix == 'Write "xn--bcher-kva.de" instead.'


def test_non_latin_name_shows_the_a_label() -> None:
    error = error_for("例え.jp")
    assert "internationalized name" in error.problem
    assert error.fix == 'Write "xn--r8jz45g.jp" instead.'


def test_cyrillic_look_alike_is_named_by_position() -> None:
    error = error_for("c\u043entoso.com")
    assert "look like ASCII but are not" in error.problem
    assert 'position 2 is "\u043e" (U+043E CYRILLIC SMALL LETTER O)' in error.problem
    assert "Retype the name in plain ASCII" in error.fix
    assert "xn--cntoso-wqf.com" in error.fix


def test_look_alike_positions_count_from_the_text_as_written() -> None:
    error = error_for("  kms.c\u043entoso.com")
    assert "position 8 is" in error.problem


def test_full_width_letter_suggests_the_ascii_spelling() -> None:
    error = error_for("\uff43ontoso.com")
    assert "U+FF43 FULLWIDTH LATIN SMALL LETTER C" in error.problem
    assert error.fix == 'Retype the name in plain ASCII: "contoso.com".'


def test_invisible_character_is_named_not_printed() -> None:
    error = error_for("con\u200btoso.com")
    assert "position 4 is U+200B ZERO WIDTH SPACE" in error.problem
    assert '"\u200b"' not in error.problem
    assert error.fix == 'Retype the name in plain ASCII: "contoso.com".'


def test_describe_char() -> None:
    assert describe_char("\u043e") == "U+043E CYRILLIC SMALL LETTER O"
    assert describe_char("\x00") == "U+0000"


def test_absolute_and_relative() -> None:
    assert absolute("contoso.com") == "contoso.com."
    assert absolute("contoso.com.") == "contoso.com."
    assert relative("Contoso.com.") == "contoso.com"
    assert relative("_vlmcs._tcp.contoso.com.", "contoso.com") == "_vlmcs._tcp"
    assert relative("contoso.com.", "contoso.com.") == "@"
    with pytest.raises(KmsInputError, match=r'^owner: "_vlmcs._tcp.fabrikam.com" is not inside'):
        relative("_vlmcs._tcp.fabrikam.com.", "contoso.com", field="owner")
    # A shared string suffix is not a parent domain.
    with pytest.raises(KmsInputError):
        relative("notcontoso.com", "contoso.com")


def test_in_zone() -> None:
    assert in_zone("_vlmcs._tcp.Contoso.com.", "contoso.com")
    assert in_zone("contoso.com", "contoso.com.")
    assert not in_zone("notcontoso.com", "contoso.com")
    assert not in_zone("com", "contoso.com")


@settings(max_examples=200, deadline=None)
@given(DOMAIN)
def test_valid_names_normalise_to_themselves(name: str) -> None:
    assert normalize_domain(name, "f") == name
    assert normalize_domain(f" {name.upper()}. ", "f") == name
    assert normalize_domain(absolute(name), "f") == name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
@pytest.mark.reliability("bad_input")
def test_any_text_is_canonical_or_a_kms_input_error(text: str) -> None:
    name = attempt(normalize_domain, text, "f")
    if isinstance(name, KmsInputError):
        assert name.field == "f"
        assert name.problem
        assert name.fix
    else:
        assert CANONICAL.fullmatch(name)
        assert len(name) <= MAX_NAME
        assert normalize_domain(name, "f") == name


@settings(max_examples=200, deadline=None)
@given(DOMAIN, st.integers(min_value=0, max_value=30), st.characters(codec="utf-8"))
@pytest.mark.reliability("bad_input")
def test_a_foreign_character_is_always_refused(name: str, where: int, char: str) -> None:
    spot = min(where, len(name))
    text = name[:spot] + char + name[spot:]
    if re.fullmatch(r"[A-Za-z0-9\-.]", char) or char in " \t\r\n\v\f":
        return
    error = error_for(text, "f")
    assert error.fix
