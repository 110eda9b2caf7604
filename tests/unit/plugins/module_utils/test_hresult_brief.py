"""The short form of a failure (msg) and the keys that carry the rest (details, what_to_do)."""

from __future__ import annotations

import pytest

from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import (
    ADVICE_LIMIT,
    SHORT_ADVICE,
    advice,
    brief,
    explanation,
)


@pytest.mark.parametrize("entry", list(hresult.CATALOG.values()), ids=lambda e: e.hex)
def test_every_catalog_code_has_advice_short_enough_for_a_message(entry):
    # A new entry with a longer action needs a line in SHORT_ADVICE.
    assert len(advice(entry)) <= ADVICE_LIMIT, (entry.hex, len(entry.action))


def test_short_advice_is_only_for_catalog_codes_and_is_shorter_than_theirs():
    for code, short in SHORT_ADVICE.items():
        assert code in hresult.CATALOG, f"0x{code:08X}"
        assert len(short) < len(hresult.CATALOG[code].action), f"0x{code:08X}"


def test_brief_names_the_code_and_says_what_to_do_in_a_sentence():
    assert brief(0xC004F074) == (
        "0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE). What to do: " + SHORT_ADVICE[0xC004F074]
    )
    # A code the catalog does not know: the bare code and the generic advice.
    unknown = brief(0xC004F0FF)
    assert unknown.startswith("0xC004F0FF. What to do: ")


def test_explanation_carries_the_name_the_meaning_and_the_whole_advice():
    entry = hresult.CATALOG[0xC004F074]
    assert explanation("0xC004F074") == {
        "hresult_name": "SL_E_VL_BINDING_SERVICE_UNAVAILABLE",
        "details": entry.meaning,
        "what_to_do": entry.action,
    }
    assert explanation(0xC004F0FF)["hresult_name"] is None
