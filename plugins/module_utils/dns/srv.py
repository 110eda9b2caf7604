# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``_vlmcs._tcp`` SRV records: values, record sets, differences and RFC 2782 ordering.

KMS clients find hosts through ``_vlmcs._tcp.<domain>`` SRV records (kms-facts §2.4); priority and
weight follow RFC 2782 (dns-and-tooling §2.7). A set is keyed by target, one record per KMS host,
so one host's record can be changed without touching the others (dns-and-tooling §1.4, §6).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.dns.names import absolute, normalize_domain
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

SERVICE = "_vlmcs"
DEFAULT_PORT = 1688  # kms-facts §2.2, §2.4
U16_MAX = 65535  # priority, weight and port are 16-bit fields (RFC 2782)
MAX_TTL = 2**31 - 1  # RFC 2181 §8
PROTOCOLS = ("tcp", "udp")

_DIGITS = re.compile(r"[0-9]+")
_RECORD_KEYS = ("target", "port", "priority", "weight")


def parse_u16(value: object, field: str, minimum: int = 0) -> int:
    """An SRV 16-bit number from an int or a string of digits (Ansible templating makes strings)."""
    if isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            raise KmsInputError(
                field,
                f'"{value}" is not a whole number.',
                f"Write a number from {minimum} to {U16_MAX}.",
            )
        # Very long digit strings would trip int()'s own limit; they are out of range anyway.
        stripped = text.lstrip("0") or "0"
        number = int(stripped) if len(stripped) <= 6 else U16_MAX + 1
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise KmsInputError(
            field,
            f"expected a whole number, got {type(value).__name__} {value!r}.",
            f"Write a number from {minimum} to {U16_MAX}.",
        )
    if not minimum <= number <= U16_MAX:
        shown = number if len(str(number)) <= 10 else f"{str(number)[:10]}…"
        raise KmsInputError(
            field,
            f"{shown} is out of range.",
            f"Write a number from {minimum} to {U16_MAX}.",
        )
    return number


def normalize_target(text: object, field: str) -> str:
    """An SRV target: a lower-case FQDN with its trailing dot."""
    if isinstance(text, str) and text.strip() == ".":
        # RFC 2782: target "." means "service decidedly not available at this domain".
        raise KmsInputError(
            field,
            'target "." means "no KMS service in this domain" (RFC 2782); it names no host.',
            "Give the KMS host's FQDN; to stop advertising a host, remove its record instead.",
        )
    return absolute(normalize_domain(text, field))


@dataclass(frozen=True)
class SrvRecord:
    """One SRV record's data: the host a client should contact and how to choose it."""

    target: str
    port: int = DEFAULT_PORT
    priority: int = 0
    weight: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", normalize_target(self.target, "target"))
        object.__setattr__(self, "port", _strict_u16(self.port, "port", 1))
        object.__setattr__(self, "priority", _strict_u16(self.priority, "priority", 0))
        object.__setattr__(self, "weight", _strict_u16(self.weight, "weight", 0))

    @classmethod
    def from_value(cls, value: object, field: str) -> SrvRecord:
        """Build from a record, a bare target string or a ``{target, port, priority, weight}`` dict.

        Missing or null numbers take the defaults (port 1688, priority 0, weight 0).
        """
        if isinstance(value, SrvRecord):
            return value
        if isinstance(value, str):
            return cls(normalize_target(value, field))
        if not isinstance(value, Mapping):
            raise KmsInputError(
                field,
                f"expected a mapping with target, port, priority and weight, got "
                f"{type(value).__name__}.",
                "Write e.g. {target: kms1.contoso.com, priority: 10, weight: 50}.",
            )
        unknown = sorted(str(key) for key in value if key not in _RECORD_KEYS)
        if unknown:
            raise KmsInputError(
                field,
                f"unknown key(s) {', '.join(unknown)}.",
                f"Use only {', '.join(_RECORD_KEYS)}.",
            )
        if value.get("target") is None:
            raise KmsInputError(f"{field}.target", "is missing.", "Give the KMS host's FQDN.")
        numbers = {"port": DEFAULT_PORT, "priority": 0, "weight": 0}
        for key in numbers:
            if value.get(key) is not None:
                low = 1 if key == "port" else 0
                numbers[key] = parse_u16(value[key], f"{field}.{key}", low)
        return cls(normalize_target(value["target"], f"{field}.target"), **numbers)

    @property
    def rdata(self) -> str:
        """The record data in presentation form: ``priority weight port target``."""
        return f"{self.priority} {self.weight} {self.port} {self.target}"


def _strict_u16(value: object, field: str, minimum: int) -> int:
    if isinstance(value, str) or value is None:
        raise KmsInputError(
            field,
            f"expected a whole number, got {type(value).__name__}.",
            "Build records from user input with SrvRecord.from_value().",
        )
    return parse_u16(value, field, minimum)


def owner_name(domain: object, protocol: str = "tcp", field: str = "domain") -> str:
    """``_vlmcs._tcp.<domain>.``: where a domain's KMS SRV records live."""
    if protocol not in PROTOCOLS:
        raise KmsInputError(
            "protocol", f'"{protocol}" is not an SRV protocol label.', "Use tcp (KMS uses TCP)."
        )
    return f"{SERVICE}._{protocol}.{normalize_domain(domain, field)}."


def to_text(record: SrvRecord, owner: str, ttl: int) -> str:
    """The record as one zone-file line: ``owner ttl IN SRV priority weight port target``."""
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL:
        raise KmsInputError("ttl", f"{ttl!r} is not a valid TTL.", f"Use 0 to {MAX_TTL} seconds.")
    return f"{absolute(owner.lower())} {ttl} IN SRV {record.rdata}"


class SrvSet:
    """The SRV records under one owner name, one per target; equality ignores order."""

    __slots__ = ("_by_target",)

    def __init__(self, records: Iterable[SrvRecord] = (), field: str = "records") -> None:
        by_target: dict[str, SrvRecord] = {}
        first_index: dict[str, int] = {}
        for index, record in enumerate(records):
            if record.target in by_target:
                raise KmsInputError(
                    f"{field}[{index}].target",
                    f'"{record.target}" is listed twice (first at '
                    f"{field}[{first_index[record.target]}]); a set holds one record per KMS host.",
                    "Keep one entry per target; change port, priority or weight in that entry.",
                )
            by_target[record.target] = record
            first_index[record.target] = index
        self._by_target = by_target

    @classmethod
    def build(cls, values: object, field: str = "records") -> SrvSet:
        """A set from user input: a list of dicts, target strings or records."""
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise KmsInputError(
                field,
                f"expected a list of records, got {type(values).__name__}.",
                "Write a list of {target, port, priority, weight} entries.",
            )
        records = [SrvRecord.from_value(v, f"{field}[{i}]") for i, v in enumerate(values)]
        return cls(records, field)

    def __len__(self) -> int:
        return len(self._by_target)

    def __iter__(self) -> Iterator[SrvRecord]:
        return iter(self._by_target.values())

    def __contains__(self, target: object) -> bool:
        return isinstance(target, str) and absolute(target.lower()) in self._by_target

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SrvSet):
            return NotImplemented
        return self._by_target == other._by_target

    def __hash__(self) -> int:
        return hash(frozenset(self._by_target.values()))

    def __repr__(self) -> str:
        return f"SrvSet({list(self._by_target.values())!r})"

    def get(self, target: str) -> SrvRecord | None:
        return self._by_target.get(absolute(target.lower()))

    @property
    def records(self) -> tuple[SrvRecord, ...]:
        return tuple(self._by_target.values())

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self._by_target)


@dataclass(frozen=True)
class SrvDiff:
    """What turns ``current`` into ``desired``; ``changed`` pairs are (before, after)."""

    added: tuple[SrvRecord, ...] = ()
    removed: tuple[SrvRecord, ...] = ()
    changed: tuple[tuple[SrvRecord, SrvRecord], ...] = ()
    unchanged: tuple[SrvRecord, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff(current: SrvSet, desired: SrvSet) -> SrvDiff:
    added: list[SrvRecord] = []
    changed: list[tuple[SrvRecord, SrvRecord]] = []
    unchanged: list[SrvRecord] = []
    for record in desired:
        before = current.get(record.target)
        if before is None:
            added.append(record)
        elif before == record:
            unchanged.append(record)
        else:
            changed.append((before, record))
    removed = [record for record in current if record.target not in desired]
    return SrvDiff(tuple(added), tuple(removed), tuple(changed), tuple(unchanged))


def upsert(current: SrvSet, record: SrvRecord) -> SrvSet:
    """``current`` with ``record`` added, or replacing its target's record; others untouched."""
    if current.get(record.target) == record:
        return current
    if record.target in current:
        return SrvSet(record if r.target == record.target else r for r in current)
    return SrvSet([*current, record])


def remove(current: SrvSet, target: object, field: str = "target") -> SrvSet:
    """``current`` without the record for ``target``; the same set when there is none."""
    key = normalize_target(target, field)
    if key not in current:
        return current
    return SrvSet(r for r in current if r.target != key)


def _pick(pool: list[SrvRecord], rng: random.Random) -> int:
    # RFC 2782 "Weight": a uniform number between 0 and the sum of weights, *inclusive*, then the
    # first record whose running sum reaches it. Inclusive is what the RFC says, even though it
    # gives the first record one extra share (dns-and-tooling §2.7, erratum discussion).
    threshold = rng.randint(0, sum(record.weight for record in pool))
    running = 0
    for index, record in enumerate(pool):
        running += record.weight
        if running >= threshold:
            return index
    return len(pool) - 1


def _arrange(records: Iterable[SrvRecord]) -> list[SrvRecord]:
    # RFC 2782 allows "any order, except that all those with weight 0 are placed at the beginning";
    # a fixed order (then target, port) makes the result depend only on the set and the rng.
    return sorted(records, key=lambda r: (r.weight != 0, r.target, r.port))


def rfc2782_order(records: Iterable[SrvRecord], rng: random.Random) -> list[SrvRecord]:
    """Every record in the order an RFC 2782 client tries them: lowest priority first, then
    weighted random selection within each priority."""
    by_priority: dict[int, list[SrvRecord]] = {}
    for record in records:
        by_priority.setdefault(record.priority, []).append(record)
    ordered: list[SrvRecord] = []
    for priority in sorted(by_priority):
        pool = _arrange(by_priority[priority])
        while pool:
            ordered.append(pool.pop(_pick(pool, rng)))
    return ordered


def select(records: Iterable[SrvRecord], rng: random.Random) -> SrvRecord | None:
    """The record an RFC 2782 client contacts first, or None when there is none."""
    pool = list(records)
    if not pool:
        return None
    lowest = min(record.priority for record in pool)
    candidates = _arrange(r for r in pool if r.priority == lowest)
    return candidates[_pick(candidates, rng)]
