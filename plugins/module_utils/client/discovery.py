# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode's look at DNS for a KMS client that finds its KMS host there.

A client with no pinned host reads the ``_vlmcs._tcp`` SRV records of its lookup domain, else of
its own domain (primary DNS suffix, then the suffix search list; kms-facts §2.4); with none,
Activate fails with 0x8007232B. Check mode does not activate, but it can look: when a product would
be activated through DNS discovery, the controller asks for ``_vlmcs._tcp.<domain>`` (dnspython,
through ``dns_client``: the server of ``dns_server``, else the controller's resolver). No record
turns ``would_activate`` into ``would_fail_no_srv`` with a warning naming the domain; not a
failure, since an earlier play of the same run (kms_publish) may publish them, which check mode
does not show.

The domain: the lookup domain as the run leaves it, else ``Win32_ComputerSystem.Domain`` of a
domain member (one more WS-Man request, only then). A workgroup machine's DNS suffix is not in
that class, so its records are not checked and the message says so. The suffix search list is not
read: a client may still find records through it, which the warning says.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace

from ansible_collections.volact.kms.plugins.module_utils.client import activation as act
from ansible_collections.volact.kms.plugins.module_utils.client.apply import Outcome
from ansible_collections.volact.kms.plugins.module_utils.client.plan import ProductPlan
from ansible_collections.volact.kms.plugins.module_utils.dns.client import (
    EDNS_PAYLOAD,
    DnsClient,
    resolve_server,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.errors import DnsUpdateError, Where
from ansible_collections.volact.kms.plugins.module_utils.dns.names import normalize_domain
from ansible_collections.volact.kms.plugins.module_utils.dns.srv import DEFAULT_PORT, owner_name
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import Connection
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.publish.host import (
    COMPUTER_TYPES,
    COMPUTER_WQL,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

try:
    import dns.exception
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.resolver
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None

# One query per client in check mode; a resolver that does not answer in this time is reported.
TIMEOUT = 5.0
CONTROLLER = "the controller's resolver"


@dataclass(frozen=True)
class SrvAnswer:
    """What DNS said about ``_vlmcs._tcp.<domain>``: ``records`` as ``priority weight port
    target`` text, or ``problem`` when there was no usable answer."""

    domain: str
    server: str  # as messages name it
    records: tuple[str, ...] = ()
    problem: str | None = None


Lookup = Callable[[str, "str | None", int], SrvAnswer]


def _shown(server: str, port: int) -> str:
    host = f"[{server}]" if ":" in server else server
    return f"{host}:{port}"


def lookup_srv(domain: str, server: str | None, port: int = 53) -> SrvAnswer:
    """Ask ``server`` (None: the controller's first resolver) for the domain's SRV records, with
    recursion desired, so that a resolver answers as it would answer the client."""
    owner = owner_name(domain, field="lookup_domain")
    if not HAS_DNSPYTHON:
        return SrvAnswer(domain, CONTROLLER, problem="dnspython is not installed on the controller")
    shown = _shown(server, port) if server else CONTROLLER
    if server is None:
        try:
            resolver = dns.resolver.Resolver()
        except dns.exception.DNSException as error:
            return SrvAnswer(domain, shown, problem=f"the controller has no resolver ({error})")
        if not resolver.nameservers:
            return SrvAnswer(domain, shown, problem="the controller has no resolver configured")
        server, port = str(resolver.nameservers[0]), int(resolver.port)
        shown = f"{CONTROLLER} ({_shown(server, port)})"
    connection = Connection(server, port, "udp", TIMEOUT, 0)
    where = Where(server, owner, timeout=TIMEOUT, protocol="udp")
    try:
        client = DnsClient(connection, resolve_server(connection, where), where)
        query = dns.message.make_query(owner, "SRV", use_edns=0, payload=EDNS_PAYLOAD)
        response = client.exchange(query, tcp=False)
    except DnsUpdateError as error:
        return SrvAnswer(domain, shown, problem=error.problem)
    rcode = dns.rcode.to_text(response.rcode())
    if rcode not in ("NOERROR", "NXDOMAIN"):
        return SrvAnswer(domain, shown, problem=f"{shown} answered the query for {owner} {rcode}")
    rrset = response.get_rrset(
        response.answer, dns.name.from_text(owner), dns.rdataclass.IN, dns.rdatatype.SRV
    )
    records = sorted(
        f"{rr.priority} {rr.weight} {rr.port} {rr.target.to_text()}" for rr in (rrset or ())
    )
    return SrvAnswer(domain, shown, tuple(records))


def discovers(outcome: Outcome, plan: ProductPlan) -> bool:
    """Whether ``plan``'s product would find its KMS host in DNS after the run (no host pinned on
    the service or, for a product that keeps its row, on the product)."""
    settings = outcome.plan.settings_after()
    if settings.get("kms_host", outcome.reading.service.kms_machine):
        return False
    own = plan.product if not plan.install else None
    return own is None or not own.kms_machine


def client_domain(session: CimSession, outcome: Outcome) -> tuple[str | None, str]:
    """The domain the client searches, and where it comes from (or why it is unknown)."""
    service = outcome.reading.service
    lookup = outcome.plan.settings_after().get("lookup_domain", service.lookup_domain)
    if lookup:
        return lookup, "its lookup domain"
    rows = session.query(COMPUTER_WQL, types=COMPUTER_TYPES)
    row = rows[0] if rows else {}
    if not row.get("PartOfDomain") or not row.get("Domain"):
        return None, (
            "the machine is not a domain member, so its DNS suffix is not known over WMI; set "
            "lookup_domain to have its records checked"
        )
    try:
        return normalize_domain(row["Domain"], "Win32_ComputerSystem.Domain"), "its domain"
    except KmsInputError as error:
        return None, f"its domain cannot be looked up ({error})"


def _cached(outcome: Outcome) -> str | None:
    """The host the client would still try without SRV records: the one it cached, if host
    caching stays on (Windows' default)."""
    service = outcome.reading.service
    caching = outcome.plan.settings_after().get("host_caching", service.host_caching)
    if caching is False or not service.discovered_machine:
        return None
    return f"{service.discovered_machine}:{service.discovered_port or DEFAULT_PORT}"


def no_srv_message(name: str, answer: SrvAnswer, source: str) -> str:
    return (
        f"{name} would not activate: {answer.server} has no _vlmcs._tcp SRV record in "
        f"{answer.domain} ({source}), so the client would find no KMS host and fail with "
        "0x8007232B. Publish the KMS hosts there (volact.kms.kms_publish; a play earlier in this "
        "run may do so, which check mode does not show), set lookup_domain to a domain that has "
        "them, or pin a host with kms_host. The client's DNS suffix search list was not checked."
    )


def _judge(name: str, answer: SrvAnswer, source: str, cached: str | None) -> act.Activation:
    """The check-mode activation of product ``name`` given DNS's answer."""
    where = f"_vlmcs._tcp.{answer.domain} ({source})"
    if answer.problem is not None:
        return act.Activation(
            act.State.WOULD_ACTIVATE,
            name,
            f"{name}: {where} could not be checked in DNS: {answer.problem.rstrip('.')}.",
        )
    if answer.records:
        hosts = ", ".join(answer.records)
        return act.Activation(
            act.State.WOULD_ACTIVATE,
            name,
            f"{name} would activate with a KMS host {answer.server} lists at {where}: {hosts}.",
        )
    if cached is not None:
        return act.Activation(
            act.State.WOULD_ACTIVATE,
            name,
            f"{name}: {answer.server} has no SRV record at {where}; the client would try only "
            f"the KMS host it cached, {cached}.",
            kms_host=f"{cached} (cached)",
        )
    return act.Activation(
        act.State.WOULD_FAIL_NO_SRV,
        name,
        no_srv_message(name, answer, source),
        0x8007232B,
    )


def check_discovery(session: CimSession, outcome: Outcome, lookup: Lookup = lookup_srv) -> None:
    """In check mode: turn each ``would_activate`` through DNS discovery into what DNS says."""
    pending = [
        index
        for index, (plan, activation) in enumerate(outcome.activations)
        if activation.state is act.State.WOULD_ACTIVATE and discovers(outcome, plan)
    ]
    if not pending:
        return
    domain, source = client_domain(session, outcome)
    request = outcome.request
    answer = None if domain is None else lookup(domain, request.dns_server, request.dns_port)
    cached = _cached(outcome)
    for index in pending:
        plan, activation = outcome.activations[index]
        if answer is None:
            text = f"{activation.product}: its SRV records were not checked: {source}."
            judged = replace(activation, message=text)
        else:
            judged = _judge(activation.product, answer, source, cached)
            if not answer.records:  # none, or DNS could not tell: worth a warning either way
                outcome.warnings.append(judged.message)
        outcome.activations[index] = (plan, judged)
