"""Property-based checks of the model's parsers and codecs."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kmslab.model.cim_classes import coerce
from kmslab.model.clock import LAB_EPOCH
from kmslab.model.dns import order_srv
from kmslab.model.keys import fake_key, is_well_formed, mask_keys_in
from kmslab.model.kms import CMID_WINDOW, CmidCache
from kmslab.model.settings import PublishTarget, parse_publish_list

LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=2, max_size=4).map(".".join)
FIELD = st.integers(0, 65535)
BLANKS = st.sampled_from(["", " ", "  ", "\t"])


@settings(max_examples=150, deadline=None)
@given(DOMAIN, FIELD, FIELD, st.tuples(BLANKS, BLANKS), st.sampled_from([0, 1, 2]))
def test_publish_list_entries_parse_whatever_the_blanks(
    domain: str, priority: int, weight: int, blanks: tuple[str, str], fields: int
) -> None:
    before, after = blanks
    parts = [domain, str(priority), str(weight)][: fields + 1]
    entry = f"{before},{after}".join(parts) if fields else f"{before}{domain}{after}"
    targets, bad = parse_publish_list((entry,))
    expected = PublishTarget(domain, priority if fields >= 1 else 0, weight if fields == 2 else 0)
    assert (targets, bad) == ([expected], [])


@settings(max_examples=100, deadline=None)
@given(DOMAIN, st.integers(65536, 10**6))
def test_publish_list_numbers_above_65535_are_rejected(domain: str, number: int) -> None:
    assert parse_publish_list((f"{domain}, {number}, 0",)) == ([], [f"{domain}, {number}, 0"])


SRV = st.tuples(LABEL, st.just(1688), st.integers(0, 3), st.integers(0, 100))


@settings(max_examples=150, deadline=None)
@given(st.lists(SRV, max_size=8, unique_by=lambda r: r[0]), st.integers(0, 2**32))
def test_rfc2782_order_is_a_permutation_sorted_by_priority(
    records: list[tuple[str, int, int, int]], seed: int
) -> None:
    ordered = order_srv(records, random.Random(seed))
    assert sorted(ordered) == sorted(records)
    assert [r[2] for r in ordered] == sorted(r[2] for r in records)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=8), st.text(max_size=20), st.text(max_size=20))
def test_masking_leaves_no_key_in_clear(seed: str, before: str, after: str) -> None:
    key = fake_key(seed)
    assert is_well_formed(key)
    masked = mask_keys_in(f"{before} {key} {after}")
    assert key not in masked
    assert f"XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]}" in masked


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**33))
def test_uint32_parameters_accept_decimal_text_in_range_only(number: int) -> None:
    if number <= 0xFFFFFFFF:
        assert coerce("uint32", str(number)) == number
        assert coerce("uint32", number) == number
    else:
        with pytest.raises(ValueError, match="uint32"):
            coerce("uint32", str(number))


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("FALSE", False), ("1", True), ("0", False)]
)
def test_booleans_accept_both_wire_spellings(text: str, value: bool) -> None:
    assert coerce("boolean", text) is value


VISITS = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 80 * 24 * 60)), max_size=80)


def _replay(
    visits: list[tuple[int, int]], thresholds: list[int]
) -> list[tuple[int, int, dict[str, int]]]:
    """Feed the visits in time order: (count, minute, live CMID -> threshold) after each."""
    cache = CmidCache()
    last: dict[str, tuple[int, int]] = {}
    window = CMID_WINDOW.total_seconds() // 60
    seen = []
    ordered = sorted(visits, key=lambda v: v[1])
    for (cmid, minute), threshold in zip(ordered, thresholds, strict=False):
        count = cache.record(f"c{cmid}", LAB_EPOCH + timedelta(minutes=minute), threshold)
        last[f"c{cmid}"] = (minute, threshold)
        live = {c: t for c, (m, t) in last.items() if minute - m < window}
        seen.append((count, minute, live))
    return seen


@settings(max_examples=150, deadline=None)
@given(VISITS, st.sampled_from([5, 25]))
def test_the_count_is_the_distinct_cmids_of_30_days_capped_at_twice_the_threshold(
    visits: list[tuple[int, int]], threshold: int
) -> None:
    for count, _minute, live in _replay(visits, [threshold] * len(visits)):
        assert count == min(len(live), 2 * threshold)


@settings(max_examples=150, deadline=None)
@given(VISITS, st.lists(st.sampled_from([5, 25]), min_size=80, max_size=80))
def test_with_mixed_thresholds_the_count_stays_within_its_bounds(
    visits: list[tuple[int, int]], thresholds: list[int]
) -> None:
    for count, _minute, live in _replay(visits, thresholds):
        assert 1 <= count <= min(len(live), 50)
