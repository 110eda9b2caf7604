# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for SRV records, record sets, differences and RFC 2782 ordering."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.dns.srv import (
    SrvDiff,
    SrvRecord,
    SrvSet,
    diff,
    owner_name,
    parse_u16,
    remove,
    rfc2782_order,
    select,
    to_text,
    upsert,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

KMS1 = "kms1.contoso.com."
KMS2 = "kms2.contoso.com."
KMS3 = "kms3.contoso.com."


T = TypeVar("T")


def attempt(func: Callable[..., T], *args: object, **kwargs: object) -> T | KmsInputError:
    """The result of ``func``, or the KmsInputError it raised; any other exception propagates."""
    try:
        return func(*args, **kwargs)
    except KmsInputError as error:
        return error


class ScriptedRandom(random.Random):
    """A Random whose ``randint`` answers from a script and records the ranges asked for."""

    def __init__(self, answers: list[int]) -> None:
        super().__init__(0)
        self.answers = list(answers)
        self.asked: list[tuple[int, int]] = []

    def randint(self, a: int, b: int) -> int:
        self.asked.append((a, b))
        return self.answers.pop(0)


# --- records ---------------------------------------------------------------------------------


def test_record_defaults_and_normalisation() -> None:
    record = SrvRecord("KMS1.Contoso.com")
    assert record == SrvRecord(KMS1, 1688, 0, 0)
    assert record.target == KMS1
    assert record.rdata == "0 0 1688 kms1.contoso.com."


@pytest.mark.parametrize(
    ("kwargs", "field", "problem"),
    [
        ({"port": 0}, "port", "0 is out of range"),
        ({"port": 65536}, "port", "65536 is out of range"),
        ({"priority": -1}, "priority", "-1 is out of range"),
        ({"weight": 65536}, "weight", "65536 is out of range"),
        ({"weight": True}, "weight", "got bool"),
        ({"priority": 1.0}, "priority", "got float"),
        ({"port": "1688"}, "port", "got str"),
    ],
)
def test_record_rejects_bad_numbers(kwargs: dict[str, object], field: str, problem: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        SrvRecord(KMS1, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_root_target_is_refused_with_the_reason() -> None:
    with pytest.raises(KmsInputError) as caught:
        SrvRecord(".")
    assert caught.value.field == "target"
    assert "RFC 2782" in caught.value.problem
    assert "remove its record" in caught.value.fix


def test_single_label_target_is_refused() -> None:
    with pytest.raises(KmsInputError, match="single label"):
        SrvRecord("kms1")


def test_from_value_accepts_dicts_strings_and_records() -> None:
    record = SrvRecord.from_value(
        {"target": "kms1.contoso.com", "port": "1689", "priority": 10, "weight": " 50 "}, "r"
    )
    assert record == SrvRecord(KMS1, 1689, 10, 50)
    assert SrvRecord.from_value("KMS1.contoso.com.", "r") == SrvRecord(KMS1)
    assert SrvRecord.from_value({"target": KMS1, "port": None}, "r") == SrvRecord(KMS1)
    assert SrvRecord.from_value(record, "r") is record


@pytest.mark.parametrize(
    ("value", "field", "problem"),
    [
        ({"target": KMS1, "port": 0}, "records[1].port", "0 is out of range"),
        ({"target": KMS1, "weight": "ten"}, "records[1].weight", '"ten" is not a whole number'),
        ({"target": KMS1, "weight": -3}, "records[1].weight", "-3 is out of range"),
        ({"target": KMS1, "priority": False}, "records[1].priority", "got bool"),
        ({"target": KMS1, "ttl": 60}, "records[1]", "unknown key(s) ttl"),
        ({"port": 1688}, "records[1].target", "is missing"),
        ({"target": "."}, "records[1].target", "RFC 2782"),
        ({"target": "kms 1.contoso.com"}, "records[1].target", "U+0020 SPACE"),
        (1688, "records[1]", "expected a mapping"),
    ],
)
def test_from_value_errors_name_the_field(value: object, field: str, problem: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        SrvRecord.from_value(value, "records[1]")
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_parse_u16_limits() -> None:
    assert parse_u16("0", "f") == 0
    assert parse_u16("00065535", "f") == 65535
    assert parse_u16(65535, "f") == 65535
    for bad in ("65536", "9" * 5000, "+1", "1e3", "0x10", "\u0661", "", 1.5, None):
        with pytest.raises(KmsInputError) as caught:
            parse_u16(bad, "f")
        assert caught.value.fix == "Write a number from 0 to 65535."
    with pytest.raises(KmsInputError, match="Write a number from 1 to 65535"):
        parse_u16(0, "port", 1)


def test_owner_name_and_zone_file_text() -> None:
    owner = owner_name("Contoso.COM.")
    assert owner == "_vlmcs._tcp.contoso.com."
    record = SrvRecord("kms1.contoso.com", priority=10, weight=50)
    assert to_text(record, owner, 3600) == (
        "_vlmcs._tcp.contoso.com. 3600 IN SRV 10 50 1688 kms1.contoso.com."
    )
    assert to_text(record, "_VLMCS._tcp.contoso.com", 0).startswith("_vlmcs._tcp.contoso.com. 0 ")
    for ttl in (-1, 2**31, True, "3600"):
        with pytest.raises(KmsInputError, match=r"^ttl: "):
            to_text(record, owner, ttl)  # type: ignore[arg-type]
    with pytest.raises(KmsInputError, match=r"^protocol: "):
        owner_name("contoso.com", "sctp")
    with pytest.raises(KmsInputError, match=r"^zone: "):
        owner_name("contoso", field="zone")


# --- sets ------------------------------------------------------------------------------------


def test_set_is_keyed_by_target_and_equality_ignores_order() -> None:
    one = SrvSet.build([{"target": KMS1, "priority": 10}, "kms2.contoso.com"])
    two = SrvSet([SrvRecord(KMS2), SrvRecord(KMS1, priority=10)])
    assert one == two
    assert hash(one) == hash(two)
    assert len(one) == 2
    assert one.targets == (KMS1, KMS2)
    assert "KMS1.contoso.com" in one
    assert one.get("kms1.contoso.com") == SrvRecord(KMS1, priority=10)
    assert one.get(KMS3) is None
    assert one != SrvSet([SrvRecord(KMS2), SrvRecord(KMS1, priority=11)])


def test_set_refuses_the_same_target_twice_even_with_other_numbers() -> None:
    with pytest.raises(KmsInputError) as caught:
        SrvSet.build(
            [{"target": KMS1}, {"target": KMS2}, {"target": "KMS1.contoso.com", "port": 1689}],
            field="srv",
        )
    assert caught.value.field == "srv[2].target"
    assert '"kms1.contoso.com." is listed twice (first at srv[0])' in caught.value.problem


@pytest.mark.parametrize("values", ["kms1.contoso.com", {"target": KMS1}, 5, None])
def test_set_build_needs_a_list(values: object) -> None:
    with pytest.raises(KmsInputError, match=r"^records: expected a list of records"):
        SrvSet.build(values)


def test_diff_sorts_records_into_four_groups() -> None:
    current = SrvSet([SrvRecord(KMS1), SrvRecord(KMS2, weight=5), SrvRecord(KMS3)])
    desired = SrvSet([SrvRecord(KMS2, weight=10), SrvRecord(KMS3), SrvRecord("kms4.contoso.com")])
    result = diff(current, desired)
    assert result == SrvDiff(
        added=(SrvRecord("kms4.contoso.com"),),
        removed=(SrvRecord(KMS1),),
        changed=((SrvRecord(KMS2, weight=5), SrvRecord(KMS2, weight=10)),),
        unchanged=(SrvRecord(KMS3),),
    )
    assert not result.empty
    same = diff(current, SrvSet(reversed(current.records)))
    assert same.empty
    assert set(same.unchanged) == set(current)


def test_upsert_and_remove_leave_other_targets_alone() -> None:
    current = SrvSet([SrvRecord(KMS1, priority=0), SrvRecord(KMS2, priority=10)])
    changed = upsert(current, SrvRecord(KMS2, priority=20))
    assert changed.records == (SrvRecord(KMS1), SrvRecord(KMS2, priority=20))
    added = upsert(current, SrvRecord(KMS3))
    assert added.records == (*current.records, SrvRecord(KMS3))
    assert upsert(current, SrvRecord(KMS1)) is current
    assert remove(current, "KMS1.contoso.com").records == (SrvRecord(KMS2, priority=10),)
    assert remove(current, KMS3) is current
    with pytest.raises(KmsInputError, match=r"^target: "):
        remove(current, ".")


# --- RFC 2782 ordering -------------------------------------------------------------------------


def test_order_follows_the_rfc_steps_exactly() -> None:
    # Zero weights go first, then running sums 0, 3, 4: a draw of 0 picks the zero-weight record,
    # 4 then picks kms2 (running sums 3, 4), and the last pick is between 0 and 3.
    records = [SrvRecord(KMS1, weight=3), SrvRecord(KMS2, weight=1), SrvRecord(KMS3, weight=0)]
    rng = ScriptedRandom([0, 4, 2])
    order = rfc2782_order(records, rng)
    assert order == [records[2], records[1], records[0]]
    assert rng.asked == [(0, 4), (0, 4), (0, 3)]


def test_threshold_on_a_running_sum_picks_that_record() -> None:
    records = [SrvRecord(KMS1, weight=3), SrvRecord(KMS2, weight=1)]
    assert select(records, ScriptedRandom([3])) == records[0]
    assert select(records, ScriptedRandom([4])) == records[1]
    assert select(records, ScriptedRandom([0])) == records[0]


def test_lower_priority_is_always_tried_first() -> None:
    records = [
        SrvRecord(KMS1, priority=20, weight=65535),
        SrvRecord(KMS2, priority=10, weight=0),
        SrvRecord(KMS3, priority=10, weight=1),
    ]
    for seed in range(50):
        order = rfc2782_order(records, random.Random(seed))
        assert [r.priority for r in order] == [10, 10, 20]
        assert select(records, random.Random(seed)).priority == 10  # type: ignore[union-attr]


def test_seeded_order_is_deterministic_and_independent_of_input_order() -> None:
    records = [SrvRecord(f"kms{i}.contoso.com", weight=i * 10) for i in range(1, 8)]
    first = rfc2782_order(records, random.Random(1688))
    assert rfc2782_order(list(reversed(records)), random.Random(1688)) == first
    assert sorted(first, key=lambda r: r.target) == records


def test_all_zero_weights_keep_a_fixed_order() -> None:
    records = [SrvRecord(KMS3), SrvRecord(KMS1), SrvRecord(KMS2)]
    rng = ScriptedRandom([0, 0, 0])
    assert rfc2782_order(records, rng) == [SrvRecord(KMS1), SrvRecord(KMS2), SrvRecord(KMS3)]
    assert rng.asked == [(0, 0), (0, 0), (0, 0)]


def test_one_record_and_no_record() -> None:
    record = SrvRecord(KMS1, weight=7)
    assert rfc2782_order([record], random.Random(1)) == [record]
    assert select([record], random.Random(1)) == record
    assert rfc2782_order([], random.Random(1)) == []
    assert select([], random.Random(1)) is None


def shares(records: list[SrvRecord], draws: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    counts = Counter(select(records, rng).target for _draw in range(draws))  # type: ignore[union-attr]
    return {target: count / draws for target, count in counts.items()}


def test_three_to_one_weights_follow_the_rfc_inclusive_draw() -> None:
    # RFC 2782 draws from 0..sum *inclusive*, so with weights 3 and 1 the first-arranged record
    # wins 4 of the 5 outcomes (0.8, not 0.75); dns-and-tooling §2.7 notes this erratum.
    heavy_first = [SrvRecord(KMS1, weight=3), SrvRecord(KMS2, weight=1)]
    got = shares(heavy_first, 20000, seed=2782)
    assert got[KMS1] == pytest.approx(0.8, abs=0.015)
    assert got[KMS2] == pytest.approx(0.2, abs=0.015)
    light_first = [SrvRecord(KMS1, weight=1), SrvRecord(KMS2, weight=3)]
    got = shares(light_first, 20000, seed=2782)
    assert got[KMS1] == pytest.approx(0.4, abs=0.015)
    assert got[KMS2] == pytest.approx(0.6, abs=0.015)


def test_weight_shares_match_the_reference_examples() -> None:
    # dns-and-tooling §2.7: weights {1,1} give 2/3 and 1/3; {0,1,1} give 1/3 each.
    got = shares([SrvRecord(KMS1, weight=1), SrvRecord(KMS2, weight=1)], 15000, seed=7)
    assert got[KMS1] == pytest.approx(2 / 3, abs=0.015)
    assert got[KMS2] == pytest.approx(1 / 3, abs=0.015)
    three = [SrvRecord(KMS1, weight=1), SrvRecord(KMS2, weight=1), SrvRecord(KMS3, weight=0)]
    got = shares(three, 15000, seed=7)
    for target in (KMS1, KMS2, KMS3):
        assert got[target] == pytest.approx(1 / 3, abs=0.015)


# --- properties --------------------------------------------------------------------------------

RECORDS = st.lists(
    st.builds(
        SrvRecord,
        st.integers(0, 30).map(lambda i: f"kms{i}.contoso.com"),
        st.integers(1, 65535),
        st.integers(0, 3),
        st.sampled_from([0, 0, 1, 5, 100, 65535]),
    ),
    max_size=8,
    unique_by=lambda r: r.target,
)


@settings(max_examples=200, deadline=None)
@given(RECORDS, st.integers(0, 2**32))
def test_order_is_a_permutation_by_ascending_priority(records: list[SrvRecord], seed: int) -> None:
    order = rfc2782_order(records, random.Random(seed))
    assert sorted(order, key=lambda r: r.target) == sorted(records, key=lambda r: r.target)
    assert [r.priority for r in order] == sorted(r.priority for r in records)
    first = select(records, random.Random(seed))
    if records:
        assert first is not None
        assert first.priority == min(r.priority for r in records)


@settings(max_examples=150, deadline=None)
@given(RECORDS, RECORDS)
def test_diff_applied_with_upsert_and_remove_gives_desired(
    before: list[SrvRecord], after: list[SrvRecord]
) -> None:
    current, desired = SrvSet(before), SrvSet(after)
    result = diff(current, desired)
    assert result.empty == (current == desired)
    patched = current
    for record in result.removed:
        patched = remove(patched, record.target)
    for record in (*result.added, *(new for _old, new in result.changed)):
        patched = upsert(patched, record)
    assert patched == desired


JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["kms1.contoso.com", "KMS2.contoso.com.", "7", " 1688 ", "65536", "."]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["target", "port", "priority", "weight", "x"]), inner)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JUNK, max_size=4))
@pytest.mark.reliability("bad_input")
def test_any_input_builds_a_set_or_raises_kms_input_error(values: list[object]) -> None:
    result = attempt(SrvSet.build, values, field="records")
    if isinstance(result, KmsInputError):
        assert result.field.startswith("records")
        assert result.fix
    else:
        assert len(result) == len(values)
