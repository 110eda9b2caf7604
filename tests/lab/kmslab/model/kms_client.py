"""The KMS client side: which hosts a client tries, in which order, and what it does with the
answer.

Order (kms-facts §2.4, §2.3, §2.6): a host pinned with SetKeyManagementServiceMachine (on the
product, else on the service) is the only candidate and disables discovery; otherwise the host that
answered last comes first while host caching is on, then the ``_vlmcs._tcp`` SRV records of the
lookup domain (SetKeyManagementServiceLookupDomain) or else of the primary DNS suffix and the
suffix search list, in RFC 2782 order. A host that cannot be reached is skipped; the first host
that answers decides. No SRV record anywhere: 0x8007232B. Nothing reachable: 0xC004F074.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kmslab.model import adba
from kmslab.model.authority import ActivationAuthority
from kmslab.model.dns import SrvRecord, SrvTarget, normalize_name, order_srv
from kmslab.model.errors import HResult, SppFault, hresult_text
from kmslab.model.events import KMS_REQUEST_SENT, KMS_RESPONSE_RECEIVED
from kmslab.model.kms import KmsRequest
from kmslab.model.licenses import KMS_VALIDITY, KeyState, LicenseSku
from kmslab.model.settings import DEFAULT_PORT, ClientSettings

if TYPE_CHECKING:
    from kmslab.model.spp import SoftwareProtection


class KmsNetwork(Protocol):
    """What a machine sees of the world: DNS, other machines' KMS ports, Microsoft."""

    rng: random.Random
    authority: ActivationAuthority

    def discover(self, domain: str) -> Sequence[SrvTarget]: ...

    def publish(self, records: Sequence[SrvRecord]) -> bool: ...

    def reach_kms(self, target: str, port: int) -> SoftwareProtection | None: ...


@dataclass(frozen=True)
class Candidate:
    target: str
    port: int
    source: str  # "pinned", "cache" or "dns"


def lookup_domains(spp: SoftwareProtection) -> list[str]:
    machine = spp.machine
    if spp.client.lookup_domain:
        return [normalize_name(spp.client.lookup_domain)]
    names = [machine.domain, *machine.dns_search]
    return list(dict.fromkeys(normalize_name(name) for name in names))


def candidates(spp: SoftwareProtection, sku: LicenseSku) -> list[Candidate]:
    product = spp.product_clients.get(sku.id, ClientSettings())
    pinned = product.kms_machine or spp.client.kms_machine
    if pinned:
        port = product.kms_port or spp.client.kms_port or DEFAULT_PORT
        return [Candidate(pinned, port, "pinned")]
    found: list[Candidate] = []
    if spp.host_caching and spp.discovered:
        found.append(Candidate(*spp.discovered, "cache"))
    network = spp.machine.network
    if network is None:
        return found
    for domain in lookup_domains(spp):
        records = list(network.discover(domain))
        if records:
            tried = {(normalize_name(c.target), c.port) for c in found}
            for target, port, _priority, _weight in order_srv(records, network.rng):
                if (normalize_name(target), port) not in tried:
                    found.append(Candidate(target, port, "dns"))
            break
    return found


def activate(
    spp: SoftwareProtection, sku: LicenseSku, state: KeyState, *, cmid: str | None = None
) -> None:
    """Activate a KMS client product; raises SppFault with the client-visible HRESULT.

    ``cmid``: the client machine ID the request carries, when the licensing service has its own
    (OSPP's ClientMachineID, ospp.py); else the machine's."""
    machine = spp.machine
    now = machine.clock.now()
    events = machine.events
    if cmid is None and adba.activate_from_directory(spp, sku, state):
        return
    if adba.activation_type(spp, sku) in (adba.AD, adba.TOKEN):
        # Lab choice (UNCONFIRMED code): AD only with no matching activation object, or token
        # only (not modelled), is refused as an activation that reached no KMS host.
        state.last_hresult = HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
        raise SppFault(state.last_hresult, "the activation type allows no KMS activation")
    tried = candidates(spp, sku)
    if not tried:
        state.last_hresult = HResult.DNS_ERROR_RCODE_NAME_ERROR
        events.write(KMS_REQUEST_SENT, now, KmsHost="", Result=hresult_text(state.last_hresult))
        domains = ", ".join(lookup_domains(spp))
        raise SppFault(state.last_hresult, f"no _vlmcs._tcp SRV record in {domains}")
    request = KmsRequest(
        cmid or machine.cmid,
        machine.fqdn,
        sku.application_id,
        sku.token or "",
        sku.id,
        state.status(now),
        now,
    )
    for candidate in tried:
        host = (
            machine.network.reach_kms(candidate.target, candidate.port) if machine.network else None
        )
        where = f"{candidate.target}:{candidate.port}"
        sent = 0 if host else HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
        events.write(KMS_REQUEST_SENT, now, KmsHost=where, Result=hresult_text(sent))
        if host is None:
            continue
        response = host.serve_kms(request)
        events.write(
            KMS_RESPONSE_RECEIVED,
            now,
            KmsHost=where,
            ActivationFlag=int(response.activated),
            CurrentCount=response.count,
            Result=hresult_text(response.hresult),
        )
        # The client adopts the host's intervals with its first response (§2.2).
        spp.client_intervals = (response.activation_interval, response.renewal_interval)
        if candidate.source != "pinned":
            spp.discovered = (candidate.target, candidate.port)
        if response.activated:
            state.grant(now, KMS_VALIDITY)
            state.activation_type, state.ad_object = adba.KMS, None
            return
        state.last_hresult = response.hresult
        raise SppFault(response.hresult, f"answer from {where}, count {response.count}")
    state.last_hresult = HResult.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
    names = ", ".join(f"{c.target}:{c.port}" for c in tried)
    raise SppFault(state.last_hresult, f"no KMS host could be reached (tried {names})")
