# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``DnsDomainPublishList`` registry value: decode, encode, reconcile, and what it publishes.

The value is a REG_MULTI_SZ under ``…\\SoftwareProtectionPlatform`` on a KMS host, one entry per
string in Microsoft's documented form ``domain_name, <priority>, <weight>``; priority and weight are
optional and default to 0 in the SRV record (kms-facts §2.2, §2.3).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ansible_collections.volact.kms.plugins.module_utils.dns.names import normalize_domain
from ansible_collections.volact.kms.plugins.module_utils.dns.srv import (
    DEFAULT_PORT,
    SrvRecord,
    normalize_target,
    parse_u16,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

FIELD = "DnsDomainPublishList"
STATES = ("present", "absent", "exact")
FORMAT = "domain_name, <priority>, <weight>"

# Microsoft documents neither required nor forbidden spacing after the commas (kms-facts §2.3,
# [UNCONFIRMED]); decoding accepts any blanks around fields, encoding writes the documented ", ".
_BLANKS = " \t\r\n\v\f"
_ITEM_KEYS = ("name", "priority", "weight")


@dataclass(frozen=True)
class PublishEntry:
    """One list entry. ``None`` means the field is absent from the text (Windows then uses 0)."""

    domain: str
    priority: int | None = None
    weight: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", normalize_domain(self.domain, "domain"))
        for name in ("priority", "weight"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str):
                    raise KmsInputError(
                        name, "expected a whole number, got str.", "Use parse_domains() for input."
                    )
                object.__setattr__(self, name, parse_u16(value, name))
        # The text form is positional: a weight can only be written after a priority.
        if self.weight is not None and self.priority is None:
            object.__setattr__(self, "priority", 0)

    @property
    def effective_priority(self) -> int:
        return 0 if self.priority is None else self.priority

    @property
    def effective_weight(self) -> int:
        return 0 if self.weight is None else self.weight

    @property
    def semantic(self) -> tuple[str, int, int]:
        """What the entry means to Windows: ``a.com`` and ``a.com, 0, 0`` are the same."""
        return (self.domain, self.effective_priority, self.effective_weight)

    def same_as(self, other: PublishEntry) -> bool:
        return self.semantic == other.semantic


def _quote(text: object) -> str:
    if not isinstance(text, str):
        return repr(text)
    shown = text if len(text) <= 60 else f"{text[:60]}…"
    return json.dumps(shown, ensure_ascii=False)


def decode_entry(text: object, field: str) -> PublishEntry:
    """One entry from its registry text, tolerant of blanks around the fields."""
    if not isinstance(text, str):
        raise KmsInputError(
            field, f"expected text, got {type(text).__name__}.", f'Write "{FORMAT}".'
        )
    parts = [part.strip(_BLANKS) for part in text.split(",")]
    if len(parts) > 3:
        raise KmsInputError(
            field,
            f"has {len(parts)} comma-separated fields; an entry has at most 3.",
            f'Write "{FORMAT}" (priority and weight optional), one domain per entry.',
        )
    domain = normalize_domain(parts[0], field)
    numbers: list[int] = []
    for name, part in zip(("priority", "weight"), parts[1:], strict=False):
        if not part:
            raise KmsInputError(
                field,
                f"the {name} field is empty.",
                f'Write a number from 0 to 65535, or drop the trailing comma ("{FORMAT}").',
            )
        try:
            numbers.append(parse_u16(part, field))
        except KmsInputError as error:
            raise KmsInputError(field, f"{name} {error.problem}", error.fix) from None
    return PublishEntry(domain, *numbers)


def decode_list(values: object, field: str = FIELD) -> list[PublishEntry]:
    """All entries of the multi-string; empty strings (Windows returns them) are dropped.

    ``None`` (value absent) decodes to an empty list. Errors name the index into ``values``.
    """
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise KmsInputError(
            field,
            f"expected a list of strings (REG_MULTI_SZ), got {type(values).__name__}.",
            "Read the value as a multi-string.",
        )
    entries: list[PublishEntry] = []
    seen: dict[str, int] = {}
    for index, text in enumerate(values):
        if isinstance(text, str) and not text.strip(_BLANKS):
            continue
        where = f"{field}[{index}] ({_quote(text)})"
        entry = decode_entry(text, where)
        if entry.domain in seen:
            raise KmsInputError(
                where,
                f'domain "{entry.domain}" is already listed at {field}[{seen[entry.domain]}].',
                "Keep one entry per domain.",
            )
        seen[entry.domain] = index
        entries.append(entry)
    return entries


def encode_entry(entry: PublishEntry) -> str:
    """The documented text form with ", " separators, absent trailing fields left out."""
    fields = [entry.domain]
    if entry.priority is not None:
        fields.append(str(entry.priority))
    if entry.weight is not None:
        fields.append(str(entry.weight))
    return ", ".join(fields)


def encode_list(entries: Iterable[PublishEntry]) -> list[str]:
    return [encode_entry(entry) for entry in entries]


def parse_domains(items: object, field: str = "domains") -> list[PublishEntry]:
    """Structured user input: each item ``{name, priority?, weight?}`` or a plain domain string."""
    if not isinstance(items, (list, tuple)):
        raise KmsInputError(
            field,
            f"expected a list, got {type(items).__name__}.",
            "Write a list of domains or {name, priority, weight} entries.",
        )
    entries = [_parse_item(item, f"{field}[{index}]") for index, item in enumerate(items)]
    _reject_duplicates(entries, field)
    return entries


def _parse_item(item: object, field: str) -> PublishEntry:
    if isinstance(item, str):
        if "," in item:
            raise KmsInputError(
                field,
                f"{_quote(item)} looks like registry text; a plain item is just a domain name.",
                "Write {name: contoso.com, priority: 10, weight: 50} to set priority and weight.",
            )
        return PublishEntry(normalize_domain(item, field))
    if not isinstance(item, Mapping):
        raise KmsInputError(
            field,
            f"expected a domain name or a mapping, got {type(item).__name__}.",
            "Write contoso.com or {name: contoso.com, priority: 10, weight: 50}.",
        )
    unknown = sorted(str(key) for key in item if key not in _ITEM_KEYS)
    if unknown:
        raise KmsInputError(
            field, f"unknown key(s) {', '.join(unknown)}.", f"Use only {', '.join(_ITEM_KEYS)}."
        )
    if item.get("name") is None:
        raise KmsInputError(f"{field}.name", "is missing.", "Give the domain name to publish in.")
    domain = normalize_domain(item["name"], f"{field}.name")
    numbers = [
        None if item.get(key) is None else parse_u16(item[key], f"{field}.{key}")
        for key in ("priority", "weight")
    ]
    return PublishEntry(domain, *numbers)


def _reject_duplicates(entries: Sequence[PublishEntry], field: str) -> None:
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.domain in seen:
            raise KmsInputError(
                f"{field}[{index}]",
                f'domain "{entry.domain}" is already listed at {field}[{seen[entry.domain]}].',
                "Keep one entry per domain.",
            )
        seen[entry.domain] = index


def reconcile(
    current: Sequence[PublishEntry], desired: Sequence[PublishEntry], state: str
) -> list[PublishEntry]:
    """The list to write so that ``desired`` holds under ``state``.

    ``present`` adds or updates the desired domains in place and appends new ones; ``absent``
    removes the desired domains whatever their numbers; ``exact`` is ``desired`` in its order.
    Entries are compared by meaning, and an entry that already means the right thing is kept as
    it is, so when nothing differs the result holds the very same entries as ``current``.
    """
    if state not in STATES:
        raise KmsInputError(
            "state", f'"{state}" is not a valid state.', f"Use one of {', '.join(STATES)}."
        )
    _reject_duplicates(desired, "domains")
    if state == "present":
        result = list(current)
        position = {entry.domain: index for index, entry in enumerate(current)}
        for entry in desired:
            index = position.get(entry.domain)
            if index is None:
                result.append(entry)
            elif not result[index].same_as(entry):
                result[index] = entry
    elif state == "absent":
        drop = {entry.domain for entry in desired}
        result = [entry for entry in current if entry.domain not in drop]
    else:
        existing = {entry.domain: entry for entry in current}
        result = [_prefer_existing(existing.get(entry.domain), entry) for entry in desired]
    unchanged = len(result) == len(current) and all(
        new is old for new, old in zip(result, current, strict=True)
    )
    return list(current) if unchanged else result


def _prefer_existing(old: PublishEntry | None, new: PublishEntry) -> PublishEntry:
    return old if old is not None and old.same_as(new) else new


# The home domain and the list: the one rule, written once (kms-facts §2.3).
# * The host always publishes in its home domain at priority 0 and weight 0: "The KMS home domain
#   is always used, so it is not necessary to include it here" (registry reference dn502532), and
#   missing numbers are 0. (The deployment guide says setting the list "suspends" publishing in the
#   primary DNS suffix; Microsoft's documents disagree there, [UNCONFIRMED]; we follow the
#   registry reference unless ``include_home`` says otherwise.)
# * When the list names the home domain too, no source says which numbers win, [UNCONFIRMED]:
#   Windows may publish the listed record in place of the 0/0 one, or beside it. So the listed
#   record is certain and the 0/0 record beside it is *optional*: it may or may not be there, and
#   a check must accept both. (Listed at 0/0 itself, the two forms are one record.) Recommended:
#   do not list the home domain at all.
HOME_DOMAIN_RULE = (
    'The host always publishes in its home domain at priority 0, weight 0 (Microsoft: "the KMS '
    'home domain is always used, so it is not necessary to include it here"). Whether listing '
    "the home domain replaces that record or adds the listed one beside it is unconfirmed, so "
    "both are accepted; better not to list it."
)


@dataclass(frozen=True)
class PublishedRecord:
    """One ``_vlmcs._tcp`` record a KMS host publishes. ``optional``: Windows may or may not
    publish it (the automatic 0/0 record of a listed home domain, see ``HOME_DOMAIN_RULE``)."""

    domain: str
    record: SrvRecord
    optional: bool = False

    def as_dict(self) -> dict[str, object]:
        """``{domain, target, port, priority, weight}``, target without the trailing dot, and
        ``optional: true`` only on an optional record."""
        row: dict[str, object] = {
            "domain": self.domain,
            "target": self.record.target.rstrip("."),
            "port": self.record.port,
            "priority": self.record.priority,
            "weight": self.record.weight,
        }
        if self.optional:
            row["optional"] = True
        return row


def published_records(
    entries: Iterable[PublishEntry],
    host_fqdn: object,
    home_domain: object,
    port: object = DEFAULT_PORT,
    *,
    include_home: bool = True,
) -> list[PublishedRecord]:
    """The ``_vlmcs._tcp`` records a KMS host publishes, by ``HOME_DOMAIN_RULE``: the home
    domain's first (a listed one before the optional 0/0 one), then each other entry in list
    order. ``include_home=False``: only the listed entries (a host that does not publish itself,
    whose records are written from the controller)."""
    target = normalize_target(host_fqdn, "host_fqdn")
    number = parse_u16(port, "port", 1)
    listed = [
        PublishedRecord(
            entry.domain,
            SrvRecord(target, number, entry.effective_priority, entry.effective_weight),
        )
        for entry in entries
    ]
    if not include_home:
        return listed
    home = normalize_domain(home_domain, "home_domain")
    automatic = PublishedRecord(home, SrvRecord(target, number, 0, 0))
    at_home = [row for row in listed if row.domain == home]
    others = [row for row in listed if row.domain != home]
    if not at_home:
        return [automatic, *others]
    if at_home[0].record == automatic.record:
        return [*at_home, *others]
    return [*at_home, replace(automatic, optional=True), *others]


# --- what a set of hosts publishes, per domain, and whether DNS holds it ------------------------

_HOST_KEYS = ("fqdn", "home_domain", "domains", "port")
_RECORD_KEYS = ("target", "port", "priority", "weight")


def _host_records(host: object, field: str, include_home: bool) -> list[PublishedRecord]:
    if not isinstance(host, Mapping):
        raise KmsInputError(
            field,
            f"expected a mapping, got {type(host).__name__}.",
            "Give each host as {fqdn, home_domain, domains}.",
        )
    unknown = sorted(str(key) for key in host if key not in _HOST_KEYS)
    if unknown:
        raise KmsInputError(
            field, f"unknown key(s) {', '.join(unknown)}.", f"Use only {', '.join(_HOST_KEYS)}."
        )
    fqdn = host.get("fqdn")
    home = host.get("home_domain")
    if home is None and include_home and isinstance(fqdn, str) and "." in fqdn.strip(" ."):
        home = fqdn.strip().strip(".").split(".", 1)[1]
    entries = parse_domains(host.get("domains") or [], f"{field}.domains")
    try:
        return published_records(
            entries,
            fqdn,
            home,
            DEFAULT_PORT if host.get("port") is None else host["port"],
            include_home=include_home,
        )
    except KmsInputError as error:
        name = "fqdn" if error.field == "host_fqdn" else error.field
        raise KmsInputError(f"{field}.{name}", error.problem, error.fix) from None


def records_by_domain(
    hosts: object, include_home: bool = True
) -> dict[str, dict[str, list[dict[str, object]]]]:
    """What a set of KMS hosts publishes, per domain: ``{domain: {records, optional}}``, each a
    list of ``{target, port, priority, weight}``. ``records`` must all be in DNS; ``optional``
    ones may be (``HOME_DOMAIN_RULE``). Each host is ``{fqdn, home_domain, domains, port}``
    (``home_domain`` defaults to the FQDN's domain, ``port`` to 1688); ``include_home=False`` for
    hosts whose records are written from the controller (only their listed domains)."""
    if not isinstance(hosts, (list, tuple)):
        raise KmsInputError(
            "hosts",
            f"expected a list, got {type(hosts).__name__}.",
            "Give a list of {fqdn, home_domain, domains}.",
        )
    result: dict[str, dict[str, list[dict[str, object]]]] = {}
    for index, host in enumerate(hosts):
        for row in _host_records(host, f"hosts[{index}]", include_home):
            sets = result.setdefault(row.domain, {"records": [], "optional": []})
            record = {key: value for key, value in row.as_dict().items() if key in _RECORD_KEYS}
            sets["optional" if row.optional else "records"].append(record)
    return result


def _srv_key(record: object, field: str) -> tuple[str, int, int, int]:
    srv = SrvRecord.from_value(record, field)
    return (srv.target, srv.port, srv.priority, srv.weight)


def srv_mismatches(expected: object, found: object) -> list[dict[str, object]]:
    """Each domain of ``expected`` (from :func:`records_by_domain`) whose records in ``found``
    (``{domain: [records read from DNS]}``) differ: a required record missing, or a record that is
    neither required nor optional. Empty when DNS holds what was published."""
    if not isinstance(expected, Mapping) or not isinstance(found, Mapping):
        raise KmsInputError(
            "expected" if not isinstance(expected, Mapping) else "found",
            "expected a mapping of domain to records.",
            "Give {domain: ...} for both.",
        )
    wrong: list[dict[str, object]] = []
    for domain, sets in expected.items():
        if not isinstance(sets, Mapping):
            raise KmsInputError(
                f"expected[{domain}]", "expected {records, optional}.", "Use records_by_domain."
            )
        required = {_srv_key(r, f"{domain}.records") for r in sets.get("records") or []}
        optional = {_srv_key(r, f"{domain}.optional") for r in sets.get("optional") or []}
        there = {_srv_key(r, f"found[{domain}]") for r in found.get(domain) or []}
        missing = sorted(required - there)
        unexpected = sorted(there - required - optional)
        if missing or unexpected:
            wrong.append(
                {
                    "domain": domain,
                    "missing": [_record_dict(key) for key in missing],
                    "unexpected": [_record_dict(key) for key in unexpected],
                    "message": _mismatch_text(domain, missing, unexpected),
                }
            )
    return wrong


def _record_dict(key: tuple[str, int, int, int]) -> dict[str, object]:
    target, port, priority, weight = key
    return {"target": target.rstrip("."), "port": port, "priority": priority, "weight": weight}


def _mismatch_text(
    domain: str,
    missing: list[tuple[str, int, int, int]],
    unexpected: list[tuple[str, int, int, int]],
) -> str:
    def show(keys: list[tuple[str, int, int, int]]) -> str:
        return ", ".join(f"{p} {w} {port} {t}" for t, port, p, w in keys)

    parts = []
    if missing:
        parts.append(f"missing {show(missing)}")
    if unexpected:
        parts.append(f"not expected {show(unexpected)}")
    return f"_vlmcs._tcp.{domain}: {'; '.join(parts)}"
