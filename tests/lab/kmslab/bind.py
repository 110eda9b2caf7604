"""The lab's DNS: a real BIND 9 on loopback, with the lab's zones and a TSIG key.

Simulated KMS hosts publish their ``_vlmcs._tcp`` SRV records into it with signed RFC 2136 updates,
simulated clients discover hosts with real queries, and tests read it back with ``dig``. Setup
follows reference/dns-and-tooling.md §3.1 (foreground ``named -g``, unprivileged, one scratch
directory, no rndc, fresh zones every start because stale journals replay old updates).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.tsig
import dns.tsigkeyring
import dns.update

KEY_ALGORITHM = "hmac-sha256"
NAMED = shutil.which("named") or "/usr/sbin/named"


@dataclass(frozen=True, order=True)
class SrvAnswer:
    """One SRV record as a client reads it from DNS."""

    priority: int
    weight: int
    port: int
    target: str


def _new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def free_port(address: str = "127.0.0.1") -> int:
    """A port that is free for both UDP and TCP on ``address`` right now."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((address, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((address, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no free port on {address}")


@dataclass
class BindServer:
    """A BIND 9 process serving ``zones`` on ``address``:``port``, updatable with one TSIG key."""

    zones: tuple[str, ...]
    workdir: Path | None = None
    address: str = "127.0.0.1"
    port: int = 0
    key_name: str = "kmslab-update."
    key_secret: str = field(default_factory=_new_secret, repr=False)
    ttl: int = 3600
    # A second key the server knows but grants nothing: updates signed with it are REFUSED.
    guest_key_name: str = "kmslab-guest."
    guest_key_secret: str = field(default_factory=_new_secret, repr=False)
    # BIND's statistics channel (HTTP on loopback): counts every request by opcode, so a test can
    # prove that no UPDATE reached the server.
    stats_port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.zones = tuple(zone.rstrip(".").lower() for zone in self.zones)
        if not self.port:
            self.port = free_port(self.address)
        if not self.stats_port:
            self.stats_port = free_port(self.address)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        self._write_config()
        command = [NAMED, "-g", "-c", str(self.workdir / "named.conf")]
        if os.geteuid() == 0:
            # A test server has no business running as root: named reads its configuration, then
            # drops to nobody (the scratch directory may sit below directories only root can enter).
            command.extend(["-u", "nobody"])
        log = (self.workdir / "named.log").open("wb")
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def key_file(self) -> Path:
        return self.workdir / "update.key"

    @property
    def guest_key_file(self) -> Path:
        return self.workdir / "guest.key"

    @property
    def journals(self) -> dict[str, bytes]:
        """Each zone's update journal (``<zone>.db.jnl``) as bytes; empty until an update lands."""
        return {
            zone: path.read_bytes() if path.exists() else b""
            for zone in self.zones
            for path in [self.workdir / f"{zone}.db.jnl"]
        }

    def _write_config(self) -> None:
        if self.workdir is not None and self.workdir.exists():
            shutil.rmtree(self.workdir)
        # Under /tmp, so that named, running as nobody, can reach it from any parent directory.
        self.workdir = Path(tempfile.mkdtemp(prefix="kmslab-bind-"))
        for path, name, secret in (
            (self.key_file, self.key_name, self.key_secret),
            (self.guest_key_file, self.guest_key_name, self.guest_key_secret),
        ):
            path.write_text(
                f'key "{name}" {{\n\talgorithm {KEY_ALGORITHM};\n\tsecret "{secret}";\n}};\n'
            )
        zone_blocks = []
        for zone in self.zones:
            (self.workdir / f"{zone}.db").write_text(self._zone_text(zone))
            zone_blocks.append(
                f'zone "{zone}" {{\n\ttype primary;\n\tfile "{zone}.db";\n'
                f"\tupdate-policy {{ grant {self.key_name} zonesub ANY; }};\n}};\n"
            )
        (self.workdir / "named.conf").write_text(
            f'include "{self.key_file}";\n'
            f'include "{self.guest_key_file}";\n'
            "options {\n"
            f'\tdirectory "{self.workdir}";\n'
            f'\tpid-file "{self.workdir}/named.pid";\n'
            f'\tsession-keyfile "{self.workdir}/session.key";\n'
            f"\tlisten-on port {self.port} {{ {self.address}; }};\n"
            "\tlisten-on-v6 { none; };\n"
            "\trecursion no;\n\tdnssec-validation no;\n\tnotify no;\n"
            "\tallow-transfer { none; };\n"
            "};\n"
            "controls { };\n"
            f"statistics-channels {{ inet {self.address} port {self.stats_port} "
            f"allow {{ {self.address}; }}; }};\n" + "".join(zone_blocks)
        )
        if os.geteuid() == 0:
            # named runs as nobody and writes journals next to the zones.
            for path in [self.workdir, *self.workdir.iterdir()]:
                os.chown(path, _uid("nobody"), _gid("nogroup"))

    def _zone_text(self, zone: str) -> str:
        return (
            f"$ORIGIN {zone}.\n$TTL {self.ttl}\n"
            f"@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n"
            f"@ IN NS ns1.{zone}.\n"
            f"ns1 IN A {self.address}\n"
        )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        query = dns.message.make_query(f"{self.zones[0]}.", "SOA")
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"named exited during start:\n{self.log_tail()}")
            try:
                dns.query.udp(query, self.address, port=self.port, timeout=0.2)
            except (dns.exception.Timeout, OSError):
                time.sleep(0.05)
                continue
            return
        self.stop()
        raise RuntimeError(f"named did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "named.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- updates and queries ---------------------------------------------------------------------

    def zone_for(self, name: str) -> str:
        name = name.rstrip(".").lower()
        for zone in sorted(self.zones, key=len, reverse=True):
            if name == zone or name.endswith("." + zone):
                return zone
        raise KeyError(f"{name} is in none of the lab's zones {self.zones}")

    def _update(self, zone: str) -> dns.update.UpdateMessage:
        keyring = dns.tsigkeyring.from_text({self.key_name: self.key_secret})
        return dns.update.UpdateMessage(
            f"{zone}.", keyring=keyring, keyname=self.key_name, keyalgorithm=dns.tsig.HMAC_SHA256
        )

    def _send(self, update: dns.update.UpdateMessage) -> str:
        response = dns.query.tcp(update, self.address, port=self.port, timeout=5)
        return dns.rcode.to_text(response.rcode())

    def add_address(self, name: str, address: str) -> str:
        update = self._update(self.zone_for(name))
        update.replace(f"{name.rstrip('.')}.", self.ttl, "A", address)
        return self._send(update)

    def publish_srv(self, domain: str, target: str, port: int, priority: int, weight: int) -> str:
        """Add or update ``target``'s record in ``_vlmcs._tcp.<domain>``; other hosts' records stay.

        What a KMS host's sppsvc does at start (reference/kms-facts.md §2.4): the record for this
        host is replaced, records of other hosts stay.
        """
        return self.publish_srv_set(domain, target, [(port, priority, weight)])

    def publish_srv_set(
        self, domain: str, target: str, records: Sequence[tuple[int, int, int]]
    ) -> str:
        """Replace every record of ``target`` in ``_vlmcs._tcp.<domain>`` with ``records``
        (``(port, priority, weight)`` each), in one update; other hosts' records stay. A host
        publishes two records in its home domain under the lab variant home_domain_record=kept.
        """
        owner = f"_vlmcs._tcp.{domain.rstrip('.')}."
        target = f"{target.rstrip('.')}."
        update = self._update(self.zone_for(domain))
        for old in self.query_srv(domain):
            if old.target == target:
                update.delete(owner, "SRV", f"{old.priority} {old.weight} {old.port} {old.target}")
        for port, priority, weight in records:
            update.add(owner, self.ttl, "SRV", f"{priority} {weight} {port} {target}")
        return self._send(update)

    def remove_srv(self, domain: str, target: str) -> str:
        owner = f"_vlmcs._tcp.{domain.rstrip('.')}."
        target = f"{target.rstrip('.')}."
        update = self._update(self.zone_for(domain))
        for old in self.query_srv(domain):
            if old.target == target:
                update.delete(owner, "SRV", f"{old.priority} {old.weight} {old.port} {old.target}")
        return self._send(update)

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.address]
        resolver.port = self.port
        resolver.lifetime = 2.0
        return resolver

    def query_srv(self, domain: str) -> list[SrvAnswer]:
        """The ``_vlmcs._tcp`` records of ``domain``, as a client resolves them (empty if none)."""
        try:
            answer = self.resolver().resolve(f"_vlmcs._tcp.{domain.rstrip('.')}.", "SRV")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return sorted(
            SrvAnswer(rr.priority, rr.weight, rr.port, rr.target.to_text().lower()) for rr in answer
        )

    def query_address(self, name: str) -> list[str]:
        try:
            answer = self.resolver().resolve(f"{name.rstrip('.')}.", "A")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return sorted(rr.address for rr in answer)

    def opcode_counts(self) -> dict[str, int]:
        """How many requests of each opcode (``QUERY``, ``UPDATE``) the server has received."""
        url = f"http://{self.address}:{self.stats_port}/json/v1/server"
        with urllib.request.urlopen(url, timeout=5) as response:
            return dict(json.load(response).get("opcodes", {}))

    def dig(self, *args: str) -> str:
        """Run the real ``dig`` against this server (tests show what an administrator would see)."""
        command = ["dig", f"@{self.address}", "-p", str(self.port), *args]
        return subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=10
        ).stdout


def _uid(name: str) -> int:
    import pwd  # noqa: PLC0415  # POSIX only, and only when running as root

    return pwd.getpwnam(name).pw_uid


def _gid(name: str) -> int:
    import grp  # noqa: PLC0415

    return grp.getgrnam(name).gr_gid


def start_bind(zones: Iterable[str], **kwargs: object) -> BindServer:
    server = BindServer(zones=tuple(zones), **kwargs)  # type: ignore[arg-type]
    server.start()
    return server
