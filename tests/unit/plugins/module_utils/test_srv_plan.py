# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for planning SRV changes: desired set, the UPDATE's deletes and adds, TTL, diff."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.dns.srv import SrvRecord
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import (
    Request,
    Rr,
    RrSet,
    State,
    desired,
    diff_text,
    make_plan,
    make_rr,
    satisfied,
)

OWNER = "_vlmcs._tcp.contoso.com."
KMS1 = "kms1.contoso.com."
KMS2 = "kms2.contoso.com."
KMS3 = "kms3.contoso.com."


def rr(target: str, priority: int = 0, weight: int = 0, port: int = 1688) -> Rr:
    return Rr(priority, weight, port, target)


def one(record: SrvRecord, state: State = State.PRESENT, ttl: int = 3600) -> Request:
    return Request(OWNER, None, ttl, state, (record,), single=True)


def many(
    records: list[SrvRecord], state: State = State.PRESENT, exclusive: bool = False, ttl: int = 3600
) -> Request:
    return Request(OWNER, None, ttl, state, tuple(records), single=False, exclusive=exclusive)


def test_make_rr_normalises_what_the_wire_says() -> None:
    assert make_rr(10, 5, 1688, "KMS1.Contoso.COM.") == Rr(10, 5, 1688, KMS1)
    assert make_rr(0, 0, 1688, "kms1.contoso.com") == Rr(0, 0, 1688, KMS1)
    assert Rr(10, 5, 1688, KMS1).text == "10 5 1688 kms1.contoso.com."
    assert Rr(10, 5, 1688, KMS1).as_dict() == {
        "target": "kms1.contoso.com",
        "port": 1688,
        "priority": 10,
        "weight": 5,
    }
    assert Rr(0, 0, 0, ".").as_dict()["target"] == "."


def test_adding_a_host_to_an_empty_set() -> None:
    plan = make_plan(RrSet(), one(SrvRecord(KMS1, weight=60)))
    assert plan.delete == ()
    assert plan.add == (rr(KMS1, weight=60),)
    assert plan.after == RrSet(frozenset({rr(KMS1, weight=60)}), 3600)
    assert plan.changed


def test_one_host_never_touches_the_others() -> None:
    current = RrSet.of([rr(KMS1), rr(KMS2, 10)], 3600)
    plan = make_plan(current, one(SrvRecord(KMS3, priority=5)))
    assert plan.delete == ()
    assert plan.add == (rr(KMS3, 5),)
    assert plan.after.records == {rr(KMS1), rr(KMS2, 10), rr(KMS3, 5)}


def test_updating_one_host_replaces_all_of_its_records() -> None:
    # Two records for one host (a KMS host's own 0 0 1688 and a hand-made one) become one.
    current = RrSet.of([rr(KMS1), rr(KMS1, 10, port=1689), rr(KMS2)], 3600)
    plan = make_plan(current, one(SrvRecord(KMS1, priority=5, weight=50)))
    assert plan.delete == (rr(KMS1), rr(KMS1, 10, port=1689))
    assert plan.add == (rr(KMS1, 5, 50),)
    assert plan.after.records == {rr(KMS1, 5, 50), rr(KMS2)}


def test_removing_one_host_keeps_the_ttl_of_the_rest() -> None:
    current = RrSet.of([rr(KMS1), rr(KMS2)], 600)
    plan = make_plan(current, one(SrvRecord(KMS1), State.ABSENT, ttl=3600))
    assert plan.delete == (rr(KMS1),)
    assert plan.add == ()
    assert plan.after == RrSet(frozenset({rr(KMS2)}), 600)


def test_removing_the_last_record_leaves_no_ttl() -> None:
    plan = make_plan(RrSet.of([rr(KMS1)], 600), one(SrvRecord(KMS1), State.ABSENT))
    assert plan.after == RrSet()
    assert plan.after.ttl is None


def test_removing_a_host_that_is_not_there_changes_nothing() -> None:
    current = RrSet.of([rr(KMS2)], 600)
    plan = make_plan(current, one(SrvRecord(KMS1), State.ABSENT))
    assert not plan.changed
    assert plan.after == current


def test_a_ttl_change_writes_every_record_again() -> None:
    current = RrSet.of([rr(KMS1), rr(KMS2, 10)], 3600)
    plan = make_plan(current, one(SrvRecord(KMS1), ttl=600))
    assert plan.delete == ()
    assert plan.add == (rr(KMS1), rr(KMS2, 10))
    assert plan.after.ttl == 600


def test_exclusive_set_removes_strangers_and_odd_records() -> None:
    current = RrSet.of([rr(KMS1), rr("rogue.example.", port=0), rr(".", port=0)], 3600)
    request = many([SrvRecord(KMS1), SrvRecord(KMS2, priority=10)], exclusive=True)
    plan = make_plan(current, request)
    assert set(plan.delete) == {rr("rogue.example.", port=0), rr(".", port=0)}
    assert plan.add == (rr(KMS2, 10),)
    assert plan.after.records == {rr(KMS1), rr(KMS2, 10)}


def test_exclusive_empty_list_removes_everything() -> None:
    plan = make_plan(RrSet.of([rr(KMS1), rr(KMS2)], 60), many([], exclusive=True))
    assert plan.after == RrSet()
    assert set(plan.delete) == {rr(KMS1), rr(KMS2)}


def test_non_exclusive_list_keeps_other_hosts_and_absent_list_removes_listed_ones() -> None:
    current = RrSet.of([rr(KMS1), rr(KMS3)], 3600)
    plan = make_plan(current, many([SrvRecord(KMS1, weight=5), SrvRecord(KMS2)]))
    assert plan.after.records == {rr(KMS1, weight=5), rr(KMS2), rr(KMS3)}
    gone = make_plan(current, many([SrvRecord(KMS1), SrvRecord(KMS2)], State.ABSENT))
    assert gone.delete == (rr(KMS1),)
    assert gone.after.records == {rr(KMS3)}


def test_satisfied_compares_records_and_ttl() -> None:
    request = one(SrvRecord(KMS1, weight=5), ttl=600)
    assert satisfied(RrSet.of([rr(KMS1, weight=5), rr(KMS2)], 600), request)
    assert not satisfied(RrSet.of([rr(KMS1, weight=5)], 3600), request)
    assert not satisfied(RrSet.of([rr(KMS1, weight=5), rr(KMS1)], 600), request)
    assert satisfied(RrSet(), one(SrvRecord(KMS1), State.ABSENT))


def test_diff_is_zone_file_lines_in_reading_order() -> None:
    current = RrSet.of([rr(KMS2, 10), rr(KMS1, weight=5)], 3600)
    plan = make_plan(current, one(SrvRecord(KMS3, weight=60)))
    text = diff_text(plan, OWNER)
    assert text["before"] == (
        "_vlmcs._tcp.contoso.com. 3600 IN SRV 0 5 1688 kms1.contoso.com.\n"
        "_vlmcs._tcp.contoso.com. 3600 IN SRV 10 0 1688 kms2.contoso.com.\n"
    )
    assert text["after"].splitlines() == [
        "_vlmcs._tcp.contoso.com. 3600 IN SRV 0 60 1688 kms3.contoso.com.",
        "_vlmcs._tcp.contoso.com. 3600 IN SRV 0 5 1688 kms1.contoso.com.",
        "_vlmcs._tcp.contoso.com. 3600 IN SRV 10 0 1688 kms2.contoso.com.",
    ]
    assert text["before_header"] == "_vlmcs._tcp.contoso.com. SRV"
    assert diff_text(make_plan(RrSet(), one(SrvRecord(KMS1))), OWNER)["before"] == ""


# --- properties ----------------------------------------------------------------------------

TARGETS = [KMS1, KMS2, KMS3, "kms4.contoso.com."]
u16 = st.integers(0, 65535)
rrs = st.builds(Rr, u16, u16, st.integers(0, 65535), st.sampled_from([*TARGETS, "."]))
rrsets = st.builds(RrSet.of, st.frozensets(rrs, max_size=6), st.sampled_from([60, 600, 3600]))
records = st.builds(
    SrvRecord,
    st.sampled_from(TARGETS),
    st.integers(1, 65535),
    st.integers(0, 65535),
    st.integers(0, 65535),
)
requests = st.one_of(
    st.builds(one, records, st.sampled_from(list(State)), st.sampled_from([60, 600, 3600])),
    st.builds(
        many,
        st.lists(records, max_size=4, unique_by=lambda r: r.target),
        st.sampled_from(list(State)),
        st.booleans(),
        st.sampled_from([60, 600, 3600]),
    ).filter(lambda r: not (r.exclusive and r.state is State.ABSENT)),
)


def apply(
    current: RrSet, plan_delete: tuple[Rr, ...], plan_add: tuple[Rr, ...], ttl: int | None
) -> RrSet:
    """What an RFC 2136 server does with the UPDATE: deletes, then adds; adds set the TTL."""
    records = (current.records - set(plan_delete)) | set(plan_add)
    return RrSet.of(records, ttl if plan_add else current.ttl)


@settings(max_examples=300, deadline=None)
@given(rrsets, requests)
def test_applying_the_plan_gives_the_desired_set_and_then_nothing_to_do(
    current: RrSet, request: Request
) -> None:
    plan = make_plan(current, request)
    result = apply(current, plan.delete, plan.add, plan.after.ttl)
    assert result == plan.after == desired(current, request)
    assert satisfied(result, request)
    assert not make_plan(result, request).changed
    assert set(plan.delete) <= current.records
    assert not set(plan.delete) & set(plan.add)


@settings(max_examples=300, deadline=None)
@given(rrsets, requests)
def test_other_hosts_records_survive_unless_the_set_is_exclusive(
    current: RrSet, request: Request
) -> None:
    plan = make_plan(current, request)
    others = {rr for rr in current.records if rr.target not in request.targets}
    if request.exclusive:
        assert plan.after.records == {Rr.of(record) for record in request.records}
    else:
        assert others <= plan.after.records
        assert not {rr for rr in plan.delete if rr.target not in request.targets}
