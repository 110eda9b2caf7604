"""The fleet: machines sharing one clock, one key table, one DNS and one Microsoft, and the
network rules that decide whether a client reaches a KMS host.

DNS is two injected callables (``discover``, ``publish``); by default both go to an in-memory DNS
so the model runs in pure Python, and the front end passes real BIND queries and signed RFC 2136
updates instead. A KMS host is reachable on ``target:port`` when the name resolves to a machine
that is online, whose sppsvc runs the KMS host role, listens on that port (the effective listening
port), and whose firewall admits the port (kms-facts §2.4: TCP 1688, rule SPPSVC-In-TCP).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from kmslab.model.authority import ActivationAuthority
from kmslab.model.clock import LabClock
from kmslab.model.directory import Directory
from kmslab.model.dns import Discover, InMemoryDns, Publish, SrvRecord, SrvTarget, normalize_name
from kmslab.model.images import OsImage
from kmslab.model.keys import KeyTable, default_key_table
from kmslab.model.machine import Machine
from kmslab.model.spp import SoftwareProtection
from kmslab.variants import DEFAULT as DEFAULT_VARIANTS
from kmslab.variants import Variants


class Fleet:
    def __init__(
        self,
        *,
        zones: Iterable[str] = ("lab.test",),
        clock: LabClock | None = None,
        keys: KeyTable | None = None,
        discover: Discover | None = None,
        publish: Publish | None = None,
        seed: int = 0,
        variants: Variants = DEFAULT_VARIANTS,
    ) -> None:
        self.variants = variants  # the unconfirmed behaviours every machine of the fleet shows
        self.clock = clock or LabClock()
        self.keys = keys or default_key_table()
        self.dns = InMemoryDns(zones)
        self._discover = discover or self.dns.discover
        self._publish = publish or self.dns.publish
        self.rng = random.Random(seed)  # RFC 2782 weighted choice; seeded for repeatable runs
        self.authority = ActivationAuthority()
        self.directory: Directory | None = None  # the forest's AD, when the lab runs one (ADBA)
        self._machines: dict[str, Machine] = {}

    # Machines ----------------------------------------------------------------------------------
    def add(self, name: str, os_image: OsImage | str, **options: Any) -> Machine:
        """Create a machine in this fleet (options as for :class:`Machine`)."""
        if name.casefold() in self._machines:
            raise ValueError(f"the fleet already has a machine called {name}")
        options.setdefault("variants", self.variants)
        machine = Machine(name, os_image, clock=self.clock, keys=self.keys, network=self, **options)
        self._machines[name.casefold()] = machine
        return machine

    def __getitem__(self, name: str) -> Machine:
        return self._machines[name.casefold()]

    def __iter__(self) -> Iterator[Machine]:
        return iter(self._machines.values())

    def __len__(self) -> int:
        return len(self._machines)

    def resolve(self, target: str) -> Machine | None:
        """The machine a name (FQDN or short name, any case, trailing dot) or address denotes."""
        wanted = normalize_name(target)
        for machine in self:
            if wanted in {machine.fqdn, machine.name.casefold(), machine.address}:
                return machine
        return None

    # KMS network -------------------------------------------------------------------------------
    def discover(self, domain: str) -> Sequence[SrvTarget]:
        return self._discover(domain)

    def publish(self, records: Sequence[SrvRecord]) -> bool:
        return self._publish(records)

    def unreachable_reason(self, target: str, port: int) -> str | None:
        """Why ``target:port`` does not answer KMS requests, or None when it does."""
        host = self.resolve(target)
        checks = (
            (host is None, f"{target} does not resolve to a lab machine"),
            (host is not None and not host.online, f"{target} is powered off"),
            (
                host is not None and host.faults.kms_unreachable,
                f"{target}: port dropped (injected)",
            ),
            (
                host is not None and not host.firewall.admits(port),
                f"{target}: firewall blocks TCP {port}",
            ),
            (host is not None and not host.spp.serving, f"{target}: no KMS host listening"),
        )
        for failed, reason in checks:
            if failed:
                return reason
        listening = host.spp.effective.listening_port if host and host.spp.effective else None
        return None if listening == port else f"{target}: KMS listens on {listening}, not {port}"

    def reach_kms(self, target: str, port: int) -> SoftwareProtection | None:
        if self.unreachable_reason(target, port) is not None:
            return None
        host = self.resolve(target)
        return host.spp if host else None

    # Time --------------------------------------------------------------------------------------
    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        background: bool = False,
    ) -> None:
        """Move the clock. With ``background``, every KMS client that is due makes one automatic
        attempt at the new time (a coalesced catch-up, like a machine waking from sleep)."""
        self.clock.advance(delta, days=days, hours=hours, minutes=minutes)
        if background:
            for machine in self:
                if machine.online and machine.sppsvc.running:
                    machine.spp.background_tick()
                if machine.online and machine.osppsvc is not None and machine.osppsvc.running:
                    machine.ospp.background_tick()

    def republish(self) -> list[tuple[SrvRecord, bool]]:
        """The KMS hosts' periodic re-registration (every 24 hours, kms-facts §2.4)."""
        results: list[tuple[SrvRecord, bool]] = []
        for machine in self:
            effective = machine.spp.effective
            if machine.online and machine.spp.serving and effective and effective.dns_publishing:
                results += machine.spp.publish_srv_records()
        return results
