"""SRV records, RFC 2782 ordering, and an in-memory DNS for pure-Python runs.

The model talks to DNS only through two callables the fleet injects:
``discover(domain) -> [(target, port, priority, weight), ...]`` and
``publish([SrvRecord, ...]) -> bool``. :class:`InMemoryDns` provides both for unit tests; the front
end swaps in real BIND queries and signed RFC 2136 updates without the model noticing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

SRV_SERVICE = "_vlmcs._tcp"  # kms-facts §2.4


class SrvRecord(NamedTuple):
    domain: str  # the record lives at _vlmcs._tcp.<domain>
    target: str
    port: int
    priority: int
    weight: int


SrvTarget = tuple[str, int, int, int]  # (target, port, priority, weight)
Discover = Callable[[str], Sequence[SrvTarget]]
Publish = Callable[[Sequence[SrvRecord]], bool]


def normalize_name(name: str) -> str:
    return name.strip().rstrip(".").casefold()


def order_srv(records: Iterable[SrvTarget], rng: random.Random) -> list[SrvTarget]:
    """The order a client tries SRV targets in (RFC 2782, dns-and-tooling §2.7).

    Lowest priority first; within a priority, repeatedly: weight-0 records first, running sums of
    the weights, a uniform number in [0, sum], the first record whose running sum reaches it.
    """
    ordered: list[SrvTarget] = []
    by_priority: dict[int, list[SrvTarget]] = {}
    for record in records:
        by_priority.setdefault(record[2], []).append(record)
    for priority in sorted(by_priority):
        pool = sorted(by_priority[priority], key=lambda r: r[3] != 0)
        while pool:
            total = sum(r[3] for r in pool)
            pick = rng.randint(0, total)
            running = 0
            for index, record in enumerate(pool):
                running += record[3]
                if running >= pick:
                    ordered.append(pool.pop(index))
                    break
    return ordered


class InMemoryDns:
    """Zones of ``_vlmcs._tcp`` SRV RRsets. Publishing outside a zone fails, like an update the
    server refuses."""

    def __init__(self, zones: Iterable[str] = ()) -> None:
        self.zones = {normalize_name(zone) for zone in zones}
        self._rrsets: dict[str, list[SrvRecord]] = {}
        self.updates: list[tuple[SrvRecord, bool]] = []  # every publish attempt, for tests

    def add_zone(self, zone: str) -> None:
        self.zones.add(normalize_name(zone))

    def _in_zone(self, domain: str) -> bool:
        return any(domain == zone or domain.endswith("." + zone) for zone in self.zones)

    def publish(self, records: Sequence[SrvRecord]) -> bool:
        """The records of one call replace their host's records in their domain's RRset (a host
        may hold several there, see ``spp.publish_srv_records``); other hosts' records stay.
        False if any was refused."""
        accepted = True
        replaced: set[tuple[str, str]] = set()
        for record in records:
            domain = normalize_name(record.domain)
            ok = self._in_zone(domain)
            self.updates.append((record, ok))
            if not ok:
                accepted = False
                continue
            target = normalize_name(record.target)
            rrset = self._rrsets.get(domain, [])
            if (domain, target) not in replaced:
                replaced.add((domain, target))
                rrset = [r for r in rrset if normalize_name(r.target) != target]
            stored = record._replace(domain=domain, target=target)
            self._rrsets[domain] = rrset if stored in rrset else [*rrset, stored]
        return accepted

    def discover(self, domain: str) -> list[SrvTarget]:
        return [
            (r.target, r.port, r.priority, r.weight)
            for r in self._rrsets.get(normalize_name(domain), [])
        ]

    def records(self, domain: str) -> list[SrvRecord]:
        return list(self._rrsets.get(normalize_name(domain), []))

    def remove(self, domain: str, target: str | None = None) -> None:
        """Drop one host's record, or the whole RRset (lab control: stale or missing records)."""
        key = normalize_name(domain)
        if target is None:
            self._rrsets.pop(key, None)
            return
        keep = [r for r in self._rrsets.get(key, []) if r.target != normalize_name(target)]
        self._rrsets[key] = keep
