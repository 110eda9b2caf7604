# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's WS-Man front end: one asyncio loop in a background thread serving many machines.

Each machine listens on its own loopback address (127.0.0.0/8 only, never a wildcard) on an HTTP
and an HTTPS port. SOAP handling and every provider call run on ONE worker thread, so the model
behind the provider is never entered concurrently; the loop thread only does sockets, TLS and
NTLM. Use it as a context manager::

    with LabServer() as lab:
        machine = lab.add_machine("win-0001", provider, address="127.20.0.1", http_port=0)
        protocol = winrm.protocol.Protocol(machine.endpoint("http"), transport="basic", ...)
"""

from __future__ import annotations

import asyncio
import ipaddress
import resource
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from .auth import Account, CredentialStore
from .machine import Machine
from .provider import Provider
from .service import ServiceConfig, WsmanService
from .tlsca import LabCA

T = TypeVar("T")
DEFAULT_ACCOUNTS = (Account("kmsadmin", "S3cret!"),)  # the account of spike-notes §2
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
CALL_TIMEOUT = 60.0
SHUTDOWN_GRACE = 2.0


@dataclass(frozen=True)
class MachineSpec:
    name: str
    provider: Provider
    address: str
    http_port: int | None = 5985  # 0: any free port (the machine then records the real one)
    https_port: int | None = 5986
    accounts: tuple[Account, ...] = DEFAULT_ACCOUNTS
    # This machine's WinRM MaxEnvelopeSizekb when it differs from the server's: 150 on WinRM 2.0
    # (Windows 7 / 2008 R2; MS-WSMV 2.2.4.10 "SHOULD be 500 but MAY be 150"), else None.
    max_envelope_kb: int | None = None


class LabServer:
    """Owns the loop thread, the provider thread, the lab CA and every machine."""

    def __init__(
        self, state_dir: Path | None = None, *, config: ServiceConfig | None = None
    ) -> None:
        self._owns_state = state_dir is None
        self.state_dir = (
            Path(tempfile.mkdtemp(prefix="kmslab-wsman-")) if state_dir is None else state_dir
        )
        self.config = config or ServiceConfig()
        self.ca = LabCA(self.state_dir / "tls")
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kmslab-provider")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._machines: dict[str, Machine] = {}

    @property
    def ca_path(self) -> Path:
        """The lab CA certificate (PEM): ``ansible_winrm_ca_trust_path``."""
        return self.ca.ca_path

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LabServer:
        if self._loop is not None:
            return self
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=loop.run_forever, name="kmslab-wsman-loop", daemon=True
        )
        self._loop = loop
        self._thread.start()
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.run_in_loop(self._close_all())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=CALL_TIMEOUT)
        loop.close()
        self._loop = self._thread = None
        self.executor.shutdown(wait=True)
        if self._owns_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    async def _close_all(self) -> None:
        await asyncio.gather(*(machine._close_listeners() for machine in self._machines.values()))
        self._machines.clear()
        # Connection handlers see their aborted sockets and end; let them, so the loop closes
        # without pending tasks. Only one stuck in a sleep or a provider call gets cancelled.
        pending = {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}
        if pending:
            _done, stuck = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
            for task in stuck:
                task.cancel()

    def run_in_loop(self, coro: Any) -> Any:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the lab server is not running: call start() first")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(CALL_TIMEOUT)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the provider thread (safe access to the models behind the machines)."""
        return self.executor.submit(fn, *args, **kwargs).result(CALL_TIMEOUT)

    def add_machine(
        self,
        name: str,
        provider: Provider,
        *,
        address: str,
        http_port: int | None = 5985,
        https_port: int | None = 5986,
        accounts: tuple[Account, ...] = DEFAULT_ACCOUNTS,
    ) -> Machine:
        spec = MachineSpec(name, provider, address, http_port, https_port, accounts)
        return self.add_machines([spec])[0]

    def add_machines(self, specs: Iterable[MachineSpec]) -> list[Machine]:
        """Create machines and open their listeners in one trip to the loop (fast for 1,000)."""
        machines = [self._new_machine(spec) for spec in specs]
        names = [machine.name.casefold() for machine in machines]
        if len(set(names)) != len(names):
            raise ValueError("two machines in the batch have the same name")
        _raise_fd_limit(2 * (len(self._machines) + len(machines)) + 512)
        self.run_in_loop(self._open(machines))
        return machines

    def _new_machine(self, spec: MachineSpec) -> Machine:
        check_address(spec.address)
        if spec.name.casefold() in (name.casefold() for name in self._machines):
            raise ValueError(f"a machine named {spec.name} already exists")
        credentials = CredentialStore(spec.accounts, self.state_dir / "ntlm")
        credentials.add_domain(spec.name.split(".")[0].upper())
        config = self.config
        if spec.max_envelope_kb is not None and spec.max_envelope_kb != config.max_envelope_kb:
            config = replace(config, max_envelope_kb=spec.max_envelope_kb)
        service = WsmanService(spec.name.split(".")[0].upper(), spec.provider, config=config)
        return Machine(
            name=spec.name,
            address=spec.address,
            http_port=spec.http_port,
            https_port=spec.https_port,
            service=service,
            credentials=credentials,
            accounts=spec.accounts,
            _lab=self,
        )

    async def _open(self, machines: list[Machine]) -> None:
        opened = []
        try:
            for machine in machines:
                await machine._open_listeners()
                opened.append(machine)
        except OSError:
            await asyncio.gather(*(machine._close_listeners() for machine in [*opened, machine]))
            raise
        for machine in machines:
            self._machines[machine.name] = machine

    def remove_machine(self, name: str) -> None:
        machine = self._machines.pop(name)
        self.run_in_loop(machine._close_listeners())

    def machine(self, name: str) -> Machine:
        return self._machines[name]

    @property
    def machines(self) -> tuple[Machine, ...]:
        return tuple(self._machines.values())


def check_address(address: str) -> None:
    """Only single loopback addresses: the lab never listens on a wildcard or a real interface."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{address!r} is not an IP address") from None
    if parsed.version != 4 or parsed not in LOOPBACK or parsed in (LOOPBACK[0], LOOPBACK[-1]):
        raise ValueError(f"{address} is not a host address in 127.0.0.0/8")


def loopback_address(index: int, network: str = "127.20.0.0/16") -> str:
    """The ``index``-th host address of a loopback block, for numbering a fleet."""
    block = ipaddress.ip_network(network)
    if block.version != 4 or not block.subnet_of(LOOPBACK):  # type: ignore[arg-type]
        raise ValueError(f"{network} is not inside 127.0.0.0/8")
    if not 0 <= index < block.num_addresses - 2:
        raise ValueError(f"{network} has no host number {index}")
    return str(block[index + 1])


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
