# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile the ``_vlmcs._tcp`` SRV record set: read, plan, one guarded UPDATE, read back, repeat.

Each attempt reads the RRset with a query, plans the change, and sends it as ONE UPDATE guarded by
what it read (dns-and-tooling §6.3): a value-dependent "RRset exists" of the observed set, or
"RRset does not exist" when it read none. BIND then rejects the UPDATE with NXRRSET or YXRRSET when
someone else changed the set in between; Samba only checks a subset (§2.6), so every applied UPDATE
is read back and compared. A conflict or a read-back that does not match starts a new attempt after
a random pause, at most ``max_retries`` times. Check mode stops after the plan: no UPDATE at all,
not even a prerequisite-only one (§1.2).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ansible_collections.volact.kms.plugins.module_utils.dns.errors import (
    Where,
    conflict_error,
    update_rcode_error,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import (
    Plan,
    Request,
    RrSet,
    make_plan,
    satisfied,
)

CONFLICTS = ("NXRRSET", "YXRRSET")
# Full-jitter exponential backoff: many writers at once spread out instead of colliding again.
BACKOFF_BASE = 0.02
BACKOFF_CAP = 1.0


class Reply(Protocol):
    rcode: str
    verified: bool


class Server(Protocol):
    """What reconciling needs from a DNS server (``dns_client.DnsClient`` in production)."""

    where: Where

    def read(self, owner: str) -> RrSet: ...

    def update(
        self, zone: str, owner: str, plan: Plan, accept_unverified: bool = False
    ) -> Reply: ...


@dataclass(frozen=True)
class Outcome:
    """The result: ``plan.before`` is what the applied attempt read, ``after`` what is there now."""

    plan: Plan
    after: RrSet
    changed: bool
    retries: int
    reply_verified: bool = True
    updates_sent: int = 0


def backoff(retry: int, rng: Callable[[], float] = random.random) -> float:
    return rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2**retry)


def reconcile(
    server: Server,
    request: Request,
    zone: str,
    *,
    check_mode: bool = False,
    max_retries: int = 30,
    accept_unverified: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> Outcome:
    """Bring the record set to what ``request`` asks for; raise ``DnsUpdateError`` on failure."""
    retries = 0
    changed = False
    verified = True
    sent = 0
    current = server.read(request.owner)
    while True:
        plan = make_plan(current, request)
        if not plan.changed:
            return Outcome(plan, current, changed, retries, verified, sent)
        if check_mode:
            return Outcome(plan, plan.after, True, retries, verified, sent)
        reply = server.update(zone, request.owner, plan, accept_unverified)
        sent += 1
        verified = verified and reply.verified
        if reply.rcode not in CONFLICTS:
            if reply.rcode != "NOERROR":
                raise update_rcode_error(reply.rcode, server.where)
            changed = True
            current = server.read(request.owner)
            if satisfied(current, request):
                return Outcome(plan, current, True, retries, verified, sent)
        if retries >= max_retries:
            raise conflict_error(retries + 1, server.where)
        retries += 1
        sleep(backoff(retries, rng))
        if reply.rcode in CONFLICTS:
            current = server.read(request.owner)
