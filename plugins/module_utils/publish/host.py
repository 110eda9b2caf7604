# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One KMS host's ``DnsDomainPublishList``: read it, plan the change, write it, and say which SRV
records the host publishes once sppsvc has read it again.

Windows keeps the list in the registry only, as a REG_MULTI_SZ next to the REG_DWORD
``DisableDnsPublishing`` (kms-facts §2.2; there is no WMI method for it, §2.6), and sppsvc reads
both when it starts ("restart the Software Licensing Service to create the SRV RRs", §2.2).
Entries are compared by meaning and their order is ignored: each entry is one SRV record in its own
domain, so order means nothing to Windows and a list that only differs in order is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.dns.names import normalize_domain
from ansible_collections.volact.kms.plugins.module_utils.dns.srv import DEFAULT_PORT
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host.plan import host_products
from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import (
    FIELD,
    PublishEntry,
    decode_entry,
    encode_entry,
    published_records,
    reconcile,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import versions
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import (
    ERROR_FILE_NOT_FOUND,
    SPP_KEY,
    Registry,
    RegistryError,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Service,
    read_products,
    read_service,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import PRIORITY_WEIGHT
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import OperationTimedOut
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

DISABLE_PUBLISHING = "DisableDnsPublishing"
VALUE_PATH = f"HKLM\\{SPP_KEY}"
# What StdRegProv answers when a Get*Value method meets a value of another type (WMI error
# constants; the lab's choice too, its README "Lab choices"). Such a value is unusable as it is.
WBEM_E_TYPE_MISMATCH = 0x80041005

# Win32_ComputerSystem (Microsoft's class page): DNSHostName is the host label
# (GetComputerNameEx ComputerNameDnsHostname), Domain the domain the machine belongs to, or its
# workgroup when PartOfDomain is false. One enumeration, and one more for the KMS role.
COMPUTER_WQL = "SELECT DNSHostName, Domain, PartOfDomain FROM Win32_ComputerSystem"
COMPUTER_TYPES = {"DNSHostName": "string", "Domain": "string", "PartOfDomain": "boolean"}
VERSION_WQL = "SELECT Version FROM SoftwareLicensingService"


class MalformedListError(KmsError):
    """The host's list holds entries that cannot be changed one by one."""


@dataclass(frozen=True)
class Malformed:
    """An entry of the host's value that does not parse (``index`` None: the whole value)."""

    index: int | None
    text: str | None
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "text": self.text, "problem": self.problem}

    def __str__(self) -> str:
        if self.index is None:
            return f"{FIELD}: {self.problem}"
        return f'{FIELD}[{self.index}] "{self.text}": {self.problem}'


@dataclass(frozen=True)
class HostList:
    """The value as the host holds it: ``raw`` is None when there is no value."""

    raw: tuple[str, ...] | None = None
    entries: tuple[PublishEntry, ...] = ()
    texts: tuple[str, ...] = ()  # the host's own text of each entry, parallel to ``entries``
    malformed: tuple[Malformed, ...] = ()
    wrong_type: bool = False  # a value of another type: its data is unknown to us
    # StdRegProv answered 2: the value is missing, and maybe the whole key (read_location).
    no_key: bool = field(default=False, compare=False)


def decode_host_list(values: object) -> HostList:
    """Decode every entry on its own, so that all bad entries are known, not just the first."""
    if values is None:
        return HostList()
    items = [values] if isinstance(values, str) else values
    if not isinstance(items, (list, tuple)):
        problem = f"expected a list of strings, got {type(values).__name__}"
        return HostList((), malformed=(Malformed(None, None, problem),))
    raw = tuple(str(item) for item in items)
    entries: list[PublishEntry] = []
    texts: list[str] = []
    bad: list[Malformed] = []
    seen: dict[str, int] = {}
    for index, text in enumerate(raw):
        if not text.strip():
            continue  # Windows hands back empty strings; they mean nothing
        try:
            entry = decode_entry(text, f"{FIELD}[{index}]")
        except KmsInputError as error:
            bad.append(Malformed(index, text, f"{error.problem} {error.fix}".strip()))
            continue
        if entry.domain in seen:
            problem = f"{entry.domain} is already listed at {FIELD}[{seen[entry.domain]}]."
            bad.append(Malformed(index, text, problem))
            continue
        seen[entry.domain] = index
        entries.append(entry)
        texts.append(text)
    return HostList(raw, tuple(entries), tuple(texts), tuple(bad))


def wrong_type_list() -> HostList:
    problem = "the value exists but is not a REG_MULTI_SZ, so Windows cannot use it."
    return HostList(None, malformed=(Malformed(None, None, problem),), wrong_type=True)


def read_host_list(registry: Registry) -> HostList:
    """One request: StdRegProv GetMultiStringValue."""
    try:
        data, code = registry.read(FIELD, "REG_MULTI_SZ")
        return replace(decode_host_list(data), no_key=code == ERROR_FILE_NOT_FOUND)
    except RegistryError as error:
        if error.code == WBEM_E_TYPE_MISMATCH:
            return wrong_type_list()
        raise


@dataclass(frozen=True)
class Dword:
    """``DisableDnsPublishing``: ``value`` None when absent or (``wrong_type``) unusable."""

    value: int | None = None
    wrong_type: bool = False
    no_key: bool = field(default=False, compare=False)  # as HostList.no_key

    @property
    def disabled(self) -> bool:
        # Any non-zero value turns publishing off (kms-facts §2.2); a value of the wrong type is
        # ignored by sppsvc in the lab, and what Windows does with one is unconfirmed.
        return bool(self.value) and not self.wrong_type


def read_disable(registry: Registry) -> Dword:
    """One request: StdRegProv GetDWORDValue."""
    try:
        value, code = registry.read(DISABLE_PUBLISHING, "REG_DWORD")
    except RegistryError as error:
        if error.code == WBEM_E_TYPE_MISMATCH:
            return Dword(None, wrong_type=True)
        raise
    return Dword(None if value is None else int(value), no_key=code == ERROR_FILE_NOT_FOUND)


def read_version(session: CimSession) -> str:
    """``SoftwareLicensingService.Version`` alone (one request; a property every version has)."""
    rows = session.query(VERSION_WQL, types={"Version": "string"})
    return str(rows[0].get("Version") or "") if rows else ""


def check_entries(desired: Sequence[PublishEntry] | None, version: str) -> None:
    """Refuse priority and weight where Windows has none (Windows Vista / Server 2008: "Only
    Windows 7 and Windows Server 2008 R2 provide the priority and weight parameters", kms-facts
    §2.3), naming the entry, the version and the first version that has them."""
    for index, entry in enumerate(desired or ()):
        if entry.priority is not None or entry.weight is not None:
            versions.require([(f"domains[{index}] ({entry.domain})", PRIORITY_WEIGHT)], version)


@dataclass(frozen=True)
class Plan:
    """What the host holds, what it should hold, and which values to write."""

    before: HostList
    after_entries: tuple[PublishEntry, ...]
    after_raw: tuple[str, ...] | None  # None: no value afterwards (deleted, or never there)
    list_changed: bool = False
    disable_before: Dword | None = None  # None: DisableDnsPublishing is not managed
    disable_after: int | None = None
    disable_changed: bool = False

    @property
    def changed(self) -> bool:
        return self.list_changed or self.disable_changed

    @property
    def publishing_disabled(self) -> bool | None:
        """Whether publishing is off afterwards; None when this run does not know."""
        if self.disable_before is None:
            return None
        if self.disable_changed:
            return bool(self.disable_after)
        return self.disable_before.disabled


def malformed_message(bad: Sequence[Malformed], state: str) -> str:
    listed = "; ".join(str(item) for item in bad[:5])
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    return (
        f"{VALUE_PATH}\\{FIELD} on the host holds something Windows cannot use, so "
        f"state={state} cannot change it entry by entry: {listed}{more}. Correct or remove it "
        "on the host, or run the task with state: exact, which writes the whole list anew "
        "(replacing the bad entries)."
    )


def _semantics(entries: Sequence[PublishEntry]) -> set[tuple[str, int, int]]:
    return {entry.semantic for entry in entries}


def _texts(before: HostList, after: Sequence[PublishEntry]) -> tuple[str, ...]:
    """Keep the host's own text for entries that stay (no rewrite of ``a.com,1,2`` as
    ``a.com, 1, 2``); new and changed entries get the documented form."""
    own = dict(zip(before.entries, before.texts, strict=True))
    return tuple(own.get(entry) or encode_entry(entry) for entry in after)


def plan_list(before: HostList, desired: Sequence[PublishEntry], state: str) -> Plan:
    """The list to write so that ``desired`` holds under ``state`` (present, absent, exact)."""
    if before.malformed and state != "exact":
        raise MalformedListError(malformed_message(before.malformed, state))
    after = reconcile(before.entries, desired, state)
    same = _semantics(after) == _semantics(before.entries) and len(after) == len(before.entries)
    if same and not before.malformed:
        if state == "exact" and not after and before.raw is not None:
            return Plan(before, (), None, list_changed=True)  # exact [] removes an empty value
        return Plan(before, before.entries, before.raw)
    raw = _texts(before, after) if after else None
    return Plan(before, tuple(after), raw, list_changed=True)


def unmanaged_list(before: HostList) -> Plan:
    return Plan(before, before.entries, before.raw)


def make_plan(
    before: HostList | None,
    desired: Sequence[PublishEntry] | None,
    state: str,
    disable_before: Dword | None = None,
    disable_wanted: bool | None = None,
) -> Plan:
    """The whole plan: the list when ``desired`` is given (else kept as read, or empty when not
    read), and ``DisableDnsPublishing`` when ``disable_wanted`` is given."""
    base = before or HostList()
    result = unmanaged_list(base) if desired is None else plan_list(base, desired, state)
    if disable_wanted is None:
        return result
    return plan_disable(result, disable_before or Dword(), disable_wanted)


def plan_disable(plan: Plan, before: Dword, wanted: bool) -> Plan:
    """Add ``DisableDnsPublishing`` (written as 1 or 0) to a plan."""
    changed = before.wrong_type or (bool(before.value) != wanted)
    after = (1 if wanted else 0) if changed else before.value
    return replace(plan, disable_before=before, disable_after=after, disable_changed=changed)


@dataclass(frozen=True)
class HostFacts:
    """What decides the records a KMS host publishes (kms-facts §2.3, §2.4)."""

    host_name: str | None
    domain: str | None
    part_of_domain: bool
    is_kms_host: bool
    listening_port: int
    dns_publishing: bool


def role_row(service: Service) -> dict[str, Any]:
    """The KMS role as :func:`facts_from_rows` reads it, from the service as read (a property
    the version lacks, Vista's listening port and publishing switch, is left out: the defaults
    apply)."""
    row: dict[str, Any] = {"IsKeyManagementServiceMachine": int(service.is_kms_host)}
    if service.has("KeyManagementServiceListeningPort"):
        row["KeyManagementServiceListeningPort"] = service.listening_port
    if service.has("KeyManagementServiceDnsPublishing"):
        row["KeyManagementServiceDnsPublishing"] = service.dns_publishing
    return row


def facts_from_rows(computer: Mapping[str, Any], role: Mapping[str, Any]) -> HostFacts:
    port = role.get("KeyManagementServiceListeningPort") or DEFAULT_PORT  # 0 off a KMS host
    publishing = role.get("KeyManagementServiceDnsPublishing")
    return HostFacts(
        host_name=computer.get("DNSHostName") or None,
        domain=computer.get("Domain") or None,
        part_of_domain=bool(computer.get("PartOfDomain")),
        is_kms_host=bool(role.get("IsKeyManagementServiceMachine")),
        listening_port=int(port),
        dns_publishing=True if publishing is None else bool(publishing),
    )


def read_host_facts(session: CimSession) -> HostFacts:
    """Two requests: one enumeration of Win32_ComputerSystem, one of SoftwareLicensingService;
    a third, of the keyed products, when the service does not report the KMS host role.

    IsKeyManagementServiceMachine may turn 1 only at the next sppsvc start after the host key
    went in (no source says it is immediate; kms-facts.md §2.6 says to restart sppsvc after
    /ipk), so a host key that is installed makes a KMS host all the same: its records are the
    ones it publishes once sppsvc has started again, which is what ``expected_records`` gives."""
    computers = session.query(COMPUTER_WQL, types=COMPUTER_TYPES)
    service = read_service(session)  # SELECT *: valid on every version (windows/spp.py)
    facts = facts_from_rows(computers[0] if computers else {}, role_row(service))
    if facts.is_kms_host:
        return facts
    products = read_products(session, (WINDOWS_APP_ID, *OFFICE_APP_IDS), service.surface)
    return replace(facts, is_kms_host=bool(host_products(products)))


def expected_records(plan: Plan, facts: HostFacts) -> tuple[list[dict[str, Any]] | None, str]:
    """The ``_vlmcs._tcp`` records the host publishes once sppsvc has started again, home domain
    first, or None when they cannot be worked out; and a warning when the answer is surprising
    (not a KMS host, name unknown), else empty text. A record Windows may or may not publish
    (the 0/0 record of a listed home domain, ``publish_list.HOME_DOMAIN_RULE``) carries
    ``optional: True``."""
    if not facts.is_kms_host:
        return [], (
            "the host is not a KMS host (no KMS host key is installed), so it publishes no SRV "
            "records; the list takes effect once a KMS host key is installed and sppsvc "
            "restarts."
        )
    disabled = plan.publishing_disabled
    if disabled if disabled is not None else not facts.dns_publishing:
        return [], ""  # publishing is off (DisableDnsPublishing): nothing to warn about
    if not facts.part_of_domain or not facts.host_name or not facts.domain:
        return None, (
            "the host is not a member of a domain, so Win32_ComputerSystem does not give the "
            "primary DNS suffix it publishes in; srv_records is left out."
        )
    try:
        home = normalize_domain(facts.domain, "Win32_ComputerSystem.Domain")
        fqdn = f"{facts.host_name}.{home}"
        records = published_records(plan.after_entries, fqdn, home, facts.listening_port)
    except KmsInputError as error:
        return None, f"the host's own name cannot be used for SRV records: {error}"
    return [record.as_dict() for record in records], ""


def registry_advice(code: int) -> str:
    """What to do when StdRegProv refuses a write (its ReturnValue is a Win32 code, §5 item 14)."""
    if code == 5:
        return (
            "Run the task with an account in the host's Administrators group; a local account "
            "is also filtered by remote UAC unless LocalAccountTokenFilterPolicy is 1 "
            "(wsman-wire §5 item 9)."
        )
    return f"Check that {VALUE_PATH} exists and that the task's account may change it."


def apply_plan(registry: Registry, plan: Plan, written: list[str]) -> None:
    """Write what changed, one request per value. ``written`` names each value that was, or may
    have been, written: after a timed-out write the outcome is unknown (wsman-wire §5 item 2), so
    it counts as written and is put back like the others if the task fails."""
    writes: list[tuple[str, Callable[[], object]]] = []
    if plan.list_changed:
        if plan.after_raw is None:
            writes.append((FIELD, lambda: registry.delete(FIELD)))
        else:
            raw = list(plan.after_raw)
            writes.append((FIELD, lambda: registry.set(FIELD, "REG_MULTI_SZ", raw)))
    if plan.disable_changed:
        value = plan.disable_after
        writes.append(
            (DISABLE_PUBLISHING, lambda: registry.set(DISABLE_PUBLISHING, "REG_DWORD", value))
        )
    for name, run in writes:
        try:
            run()
        except OperationTimedOut:
            written.append(name)
            raise
        written.append(name)


def restore(registry: Registry, plan: Plan, written: Sequence[str]) -> list[str]:
    """Put back what ``apply_plan`` wrote, newest first; the values that could not be restored
    because their old data was of another type (and so unknown)."""
    lost: list[str] = []
    for name in reversed(written):
        if name == FIELD:
            if plan.before.wrong_type:
                lost.append(name)
            elif not plan.before.raw:  # no value, or an empty one: the same to Windows
                registry.delete(FIELD)
            else:
                registry.set(FIELD, "REG_MULTI_SZ", list(plan.before.raw))
            continue
        before = plan.disable_before or Dword()
        if before.wrong_type:
            lost.append(name)
        elif before.value is None:
            registry.delete(DISABLE_PUBLISHING)
        else:
            registry.set(DISABLE_PUBLISHING, "REG_DWORD", before.value)
    return lost
