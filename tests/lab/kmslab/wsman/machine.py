# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One simulated Windows machine as the network sees it: address, listeners, service, faults."""

from __future__ import annotations

import asyncio
import functools
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .auth import Account, CredentialStore
from .counters import Counters, FaultPlan, Unreachable
from .http import connection_handler
from .provider import FaultForm
from .service import WsmanService

if TYPE_CHECKING:
    from .server import LabServer


@dataclass(eq=False)
class Machine:
    """One simulated Windows machine as the network sees it. Control methods are thread-safe."""

    name: str
    address: str
    http_port: int | None
    https_port: int | None
    service: WsmanService
    credentials: CredentialStore
    accounts: tuple[Account, ...]
    _lab: LabServer = field(repr=False)
    connections: set[asyncio.StreamWriter] = field(default_factory=set, repr=False)
    _servers: list[asyncio.Server] = field(default_factory=list, repr=False)

    @property
    def counters(self) -> Counters:
        return self.service.counters

    @property
    def plan(self) -> FaultPlan:
        return self.service.plan

    def port(self, scheme: str) -> int:
        port = self.https_port if scheme == "https" else self.http_port
        if port is None:
            raise ValueError(f"{self.name} has no {scheme} listener")
        return port

    def endpoint(self, scheme: str = "http") -> str:
        return f"{scheme}://{self.address}:{self.port(scheme)}/wsman"

    def tls_context(self) -> ssl.SSLContext:
        return self._lab.ca.server_context(self.name, self.address)

    async def run_soap(self, body: bytes, alias: str, endpoint: str) -> tuple[int, bytes]:
        handle = functools.partial(self.service.handle, body, alias=alias, endpoint=endpoint)
        return await asyncio.get_running_loop().run_in_executor(self._lab.executor, handle)

    def winrm_vars(self, scheme: str = "https", transport: str = "basic") -> dict[str, Any]:
        """Inventory variables for ``ansible_connection=winrm`` against this machine."""
        account = self.accounts[0]
        result: dict[str, Any] = {
            "ansible_host": self.address,
            "ansible_port": self.port(scheme),
            "ansible_connection": "winrm",
            "ansible_winrm_scheme": scheme,
            "ansible_winrm_transport": transport,
            "ansible_user": account.username,
            "ansible_password": account.password,
        }
        if scheme == "https":
            result["ansible_winrm_ca_trust_path"] = str(self._lab.ca_path)
        return result

    # Fault control (ARCHITECTURE.md "The lab": unreachable, 401, latency, HRESULT, timeouts).
    def set_unreachable(self, mode: Unreachable | None) -> None:
        """``refused`` closes the listeners, ``reset`` accepts then resets; None restores."""
        self._lab.run_in_loop(self._apply_unreachable(mode))

    def set_reject_auth(self, reject: bool = True) -> None:
        self.plan.reject_auth = reject

    def set_latency(self, seconds: float) -> None:
        self.plan.latency = seconds

    def fail(
        self,
        operation: str,
        hresult: int,
        *,
        class_name: str | None = None,
        form: FaultForm = "wsmanfault",
        times: int | None = None,
    ) -> None:
        self.plan.fail(operation, hresult, class_name=class_name, form=form, times=times)

    def time_out(
        self, operation: str, *, class_name: str | None = None, times: int | None = None
    ) -> None:
        self.plan.time_out(operation, class_name=class_name, times=times)

    def slow(
        self,
        method: str,
        seconds: float,
        *,
        class_name: str | None = None,
        times: int | None = None,
    ) -> None:
        """``method`` takes ``seconds`` of simulated time (``FaultPlan.slow``)."""
        self.plan.slow(method, seconds, class_name=class_name, times=times)

    def clear_faults(self) -> None:
        self.plan.clear()
        if self.plan.unreachable is not None:
            self.set_unreachable(None)

    async def _apply_unreachable(self, mode: Unreachable | None) -> None:
        self.plan.unreachable = mode
        if mode == "refused":
            await self._close_listeners()
        elif not self._servers:
            await self._open_listeners()

    async def _open_listeners(self) -> None:
        for scheme in ("http", "https"):
            port = self.http_port if scheme == "http" else self.https_port
            if port is None:
                continue
            server = await asyncio.start_server(
                connection_handler(self, scheme),
                self.address,
                port,
                reuse_address=True,
                backlog=128,
            )
            self._servers.append(server)
            actual = server.sockets[0].getsockname()[1]
            if scheme == "http":
                self.http_port = actual
            else:
                self.https_port = actual

    async def _close_listeners(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for writer in list(self.connections):
            writer.transport.abort()
        self.connections.clear()
        for server in servers:
            await server.wait_closed()
