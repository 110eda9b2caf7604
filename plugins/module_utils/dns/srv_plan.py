# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning ``_vlmcs._tcp`` SRV changes: from the record set read from DNS to one RFC 2136 UPDATE.

Pure: no DNS library, no Ansible. The record set on the server may hold anything other people or
KMS hosts wrote (two records for one host, a port 0, a target "."), so what is read is kept as plain
``Rr`` values; only what the task asks for goes through ``SrvRecord``'s checks.

Two ways to ask (dns-and-tooling §6.1): one host's record (``TARGET``), which never touches another
host's record (community.general #3630, §1.4), or a list of records (``RECORDS``), optionally
``exclusive`` so that afterwards the set is exactly that list.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.dns.names import absolute
from ansible_collections.volact.kms.plugins.module_utils.dns.srv import SrvRecord


class State(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"


@dataclass(frozen=True, order=True)
class Rr:
    """One SRV record's data as a server holds it; the target is lower case and absolute."""

    priority: int
    weight: int
    port: int
    target: str

    @classmethod
    def of(cls, record: SrvRecord) -> Rr:
        return cls(record.priority, record.weight, record.port, record.target)

    @property
    def text(self) -> str:
        """Presentation form ``priority weight port target``, as in zone files."""
        return f"{self.priority} {self.weight} {self.port} {self.target}"

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target.rstrip(".") or ".",
            "port": self.port,
            "priority": self.priority,
            "weight": self.weight,
        }


def make_rr(priority: int, weight: int, port: int, target: str) -> Rr:
    """An ``Rr`` from values read off the wire (the target is normalised for comparison)."""
    return Rr(priority, weight, port, absolute(target.lower()))


@dataclass(frozen=True)
class RrSet:
    """The SRV RRset at the owner name; ``ttl`` is None when there is no record."""

    records: frozenset[Rr] = frozenset()
    ttl: int | None = None

    @classmethod
    def of(cls, records: Iterable[Rr], ttl: int | None) -> RrSet:
        frozen = frozenset(records)
        return cls(frozen, ttl if frozen else None)

    def sorted(self) -> list[Rr]:
        # The order an administrator reads a record set in: tiers first, then weight, then host.
        return sorted(self.records, key=lambda rr: (rr.priority, -rr.weight, rr.target, rr.port))

    def zone_lines(self, owner: str) -> list[str]:
        """The set as zone-file lines (``owner ttl IN SRV priority weight port target``)."""
        return [f"{absolute(owner.lower())} {self.ttl} IN SRV {rr.text}" for rr in self.sorted()]


@dataclass(frozen=True)
class Request:
    """What the task asks for, already checked (see ``srv_request.build_request``)."""

    owner: str
    zone: str | None
    ttl: int
    state: State
    records: tuple[SrvRecord, ...]
    # True: one host's record (``target``); False: a list (``records``).
    single: bool
    exclusive: bool = False

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(record.target for record in self.records)


def desired(current: RrSet, request: Request) -> RrSet:
    """The RRset the server should hold afterwards."""
    if request.state is State.ABSENT:
        # Every record of the named hosts goes, whatever its port or numbers; the TTL of what stays
        # is not the task's business.
        kept = {rr for rr in current.records if rr.target not in request.targets}
        return RrSet.of(kept, current.ttl)
    wanted = {Rr.of(record) for record in request.records}
    if request.exclusive:
        return RrSet.of(wanted, request.ttl)
    # Per host: the requested record replaces every record with that target; others stay as they
    # are, apart from the TTL, which belongs to the whole RRset (RFC 2181 §5.2, §2.6): the servers
    # apply an added record's TTL to all of them anyway.
    kept = {rr for rr in current.records if rr.target not in request.targets}
    return RrSet.of(kept | wanted, request.ttl)


@dataclass(frozen=True)
class Plan:
    """One UPDATE: guard on ``before``, delete ``delete``, then add ``add`` with ``after.ttl``."""

    before: RrSet
    after: RrSet
    delete: tuple[Rr, ...]
    add: tuple[Rr, ...]

    @property
    def changed(self) -> bool:
        return bool(self.delete or self.add)


def make_plan(current: RrSet, request: Request) -> Plan:
    """The smallest UPDATE that turns ``current`` into :func:`desired` of it."""
    after = desired(current, request)
    delete = tuple(sorted(current.records - after.records))
    if after.records and current.records and after.ttl != current.ttl:
        # A TTL change means every record is written again with the new TTL, so that the whole
        # RRset carries one TTL whatever the server does with mixed TTLs (RFC 2181 §5.2).
        add = tuple(sorted(after.records))
    else:
        add = tuple(sorted(after.records - current.records))
    return Plan(current, after, delete, add)


def satisfied(observed: RrSet, request: Request) -> bool:
    """True when ``observed`` (read back after an UPDATE) is what the request asked for."""
    return not make_plan(observed, request).changed


def diff_text(plan: Plan, owner: str) -> dict[str, str]:
    """Ansible's ``diff`` for a plan: the record set before and after, as zone-file lines."""

    def block(rrset: RrSet) -> str:
        lines = rrset.zone_lines(owner)
        return "".join(f"{line}\n" for line in lines)

    return {
        "before": block(plan.before),
        "after": block(plan.after),
        "before_header": f"{absolute(owner)} SRV",
        "after_header": f"{absolute(owner)} SRV",
    }
