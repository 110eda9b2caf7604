# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the reconcile loop: compare-and-swap, retries, read-back, check mode.

The server here is an in-memory RFC 2136 zone with BIND's exact-set prerequisites or Samba's
subset ones (dns-and-tooling §2.6); other writers act on it between the loop's steps. The real
servers are exercised by tests/integration/test_kms_srv_record*.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from ansible_collections.volact.kms.plugins.module_utils.dns.errors import DnsUpdateError, Where
from ansible_collections.volact.kms.plugins.module_utils.dns.srv import SrvRecord
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import (
    Plan,
    Request,
    Rr,
    RrSet,
    State,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.update import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    Outcome,
    backoff,
    reconcile,
)

OWNER = "_vlmcs._tcp.contoso.com."
KMS1 = "kms1.contoso.com."
KMS2 = "kms2.contoso.com."
OTHER = Rr(0, 0, 1688, "other.contoso.com.")


@dataclass(frozen=True)
class Reply:
    rcode: str
    verified: bool = True


@dataclass
class Zone:
    """An RFC 2136 server holding one SRV RRset."""

    rrset: RrSet = field(default_factory=RrSet)
    subset_prerequisites: bool = False
    verified: bool = True
    forced_rcode: str | None = None
    # Other writers: each runs once, before (or after) one of our UPDATEs reaches the zone.
    before_update: list[Callable[[Zone], None]] = field(default_factory=list)
    after_update: list[Callable[[Zone], None]] = field(default_factory=list)
    where: Where = field(default_factory=lambda: Where("192.0.2.53:53", OWNER, "contoso.com."))
    reads: int = 0
    updates: list[Plan] = field(default_factory=list)

    def read(self, owner: str) -> RrSet:
        assert owner == OWNER
        self.reads += 1
        return self.rrset

    def write(self, records: set[Rr], ttl: int | None = 3600) -> None:
        self.rrset = RrSet.of(records, ttl if ttl is not None else self.rrset.ttl)

    def update(self, zone: str, owner: str, plan: Plan, accept_unverified: bool = False) -> Reply:
        assert (zone, owner) == ("contoso.com.", OWNER)
        self.updates.append(plan)
        if self.before_update:
            self.before_update.pop(0)(self)
        if self.forced_rcode:
            return Reply(self.forced_rcode)
        expected, actual = plan.before.records, self.rrset.records
        if not expected and actual:
            return Reply("YXRRSET", self.verified)
        match = expected <= actual if self.subset_prerequisites else expected == actual
        if expected and not match:
            return Reply("NXRRSET", self.verified)
        records = (actual - set(plan.delete)) | set(plan.add)
        self.write(records, plan.after.ttl if plan.add else self.rrset.ttl)
        if self.after_update:
            self.after_update.pop(0)(self)
        return Reply("NOERROR", self.verified)


def add(rr: Rr) -> Callable[[Zone], None]:
    return lambda zone: zone.write(set(zone.rrset.records) | {rr}, zone.rrset.ttl or 3600)


def drop(target: str) -> Callable[[Zone], None]:
    return lambda zone: zone.write({r for r in zone.rrset.records if r.target != target})


def request(record: SrvRecord, state: State = State.PRESENT) -> Request:
    return Request(OWNER, "contoso.com.", 3600, state, (record,), single=True)


def run(zone: Zone, req: Request, **kwargs: object) -> tuple[Outcome, list[float]]:
    sleeps: list[float] = []
    outcome = reconcile(zone, req, "contoso.com.", sleep=sleeps.append, rng=lambda: 0.5, **kwargs)
    return outcome, sleeps


def test_nothing_to_do_sends_no_update() -> None:
    zone = Zone(RrSet.of([Rr(0, 0, 1688, KMS1)], 3600))
    outcome, sleeps = run(zone, request(SrvRecord(KMS1)))
    assert not outcome.changed
    assert zone.updates == []
    assert zone.reads == 1
    assert (outcome.retries, outcome.updates_sent, sleeps) == (0, 0, [])


def test_an_add_is_one_guarded_update_then_a_read_back() -> None:
    zone = Zone(RrSet.of([OTHER], 3600))
    outcome = run(zone, request(SrvRecord(KMS1, weight=5)))[0]
    assert outcome.changed
    assert outcome.retries == 0
    assert len(zone.updates) == 1
    assert zone.updates[0].before.records == {OTHER}
    assert zone.reads == 2
    assert outcome.after.records == {OTHER, Rr(0, 5, 1688, KMS1)}


def test_check_mode_plans_but_sends_nothing() -> None:
    zone = Zone(RrSet.of([OTHER], 3600))
    outcome = run(zone, request(SrvRecord(KMS1)), check_mode=True)[0]
    assert outcome.changed
    assert zone.updates == []
    assert outcome.after.records == {OTHER, Rr(0, 0, 1688, KMS1)}
    assert zone.rrset.records == {OTHER}


@pytest.mark.parametrize("subset", [False, True])
def test_a_concurrent_writer_is_kept(subset: bool) -> None:
    # Another host publishes itself between our read and our UPDATE.
    zone = Zone(RrSet.of([OTHER], 3600), subset, before_update=[add(Rr(0, 0, 1688, KMS2))])
    outcome, sleeps = run(zone, request(SrvRecord(KMS1)))
    assert zone.rrset.records == {OTHER, Rr(0, 0, 1688, KMS2), Rr(0, 0, 1688, KMS1)}
    # BIND refuses the stale UPDATE (NXRRSET) and the loop starts again; Samba lets it through.
    assert outcome.retries == (0 if subset else 1)
    assert len(sleeps) == outcome.retries
    assert outcome.changed


def test_yxrrset_when_the_set_appeared_meanwhile() -> None:
    zone = Zone(before_update=[add(OTHER)])
    outcome = run(zone, request(SrvRecord(KMS1)))[0]
    assert outcome.retries == 1
    assert zone.updates[0].before == RrSet()
    assert zone.updates[1].before.records == {OTHER}
    assert zone.rrset.records == {OTHER, Rr(0, 0, 1688, KMS1)}


def test_a_change_undone_behind_our_back_is_caught_by_the_read_back() -> None:
    # Samba's subset prerequisite cannot see it; only reading back does.
    zone = Zone(subset_prerequisites=True, after_update=[drop(KMS1)])
    outcome = run(zone, request(SrvRecord(KMS1)))[0]
    assert outcome.retries == 1
    assert len(zone.updates) == 2
    assert Rr(0, 0, 1688, KMS1) in zone.rrset.records


def test_retries_are_bounded_and_spread_out() -> None:
    writers = [add(Rr(0, 0, 1688, f"w{i}.contoso.com.")) for i in range(10)]
    zone = Zone(before_update=writers)
    with pytest.raises(DnsUpdateError) as caught:
        run(zone, request(SrvRecord(KMS1)), max_retries=3)
    assert caught.value.code == "CONFLICT"
    assert "4 attempts" in caught.value.problem
    assert "max_retries" in caught.value.fix
    assert len(zone.updates) == 4


def test_backoff_grows_then_caps() -> None:
    assert backoff(1, rng=lambda: 1.0) == BACKOFF_BASE * 2
    assert backoff(3, rng=lambda: 0.5) == BACKOFF_BASE * 4
    assert backoff(30, rng=lambda: 1.0) == BACKOFF_CAP
    assert backoff(30, rng=lambda: 0.0) == 0.0


@pytest.mark.parametrize("rcode", ["REFUSED", "NOTAUTH", "SERVFAIL", "NOTZONE"])
def test_a_refusal_is_not_retried(rcode: str) -> None:
    zone = Zone(forced_rcode=rcode)
    with pytest.raises(DnsUpdateError) as caught:
        run(zone, request(SrvRecord(KMS1)))
    assert caught.value.code == rcode
    assert f"({rcode})" in caught.value.problem
    assert len(zone.updates) == 1


def test_an_unverified_reply_is_reported() -> None:
    zone = Zone(verified=False)
    outcome = run(zone, request(SrvRecord(KMS1)), accept_unverified=True)[0]
    assert outcome.changed
    assert not outcome.reply_verified
    assert outcome.updates_sent == 1
