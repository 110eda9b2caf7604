# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-machine wire counters and the fault-injection plan the WS-Man front end obeys.

Counters let tests prove that check mode writes nothing (``methods`` stays empty) and let
benchmarks report wire cost (requests per operation, bytes in/out). They are updated from the
event loop and the provider thread, so every access takes a lock; read them with :meth:`snapshot`.

The fault plan holds what ARCHITECTURE.md "The lab" asks of the control interface at the WS-Man
level: unreachable (connection refused or reset), HTTP 401, added latency, a provider HRESULT on a
chosen operation, ``w:TimedOut`` on a chosen operation, and a method that takes simulated time
(``slow``: measured against the request's OperationTimeout, never slept).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from .provider import FaultForm

Unreachable = Literal["refused", "reset"]


@dataclass(frozen=True)
class CounterSnapshot:
    operations: dict[str, int]  # Enumerate, Pull, Release, Get, Create, Delete, Invoke, ...
    actions: dict[str, int]  # full wsa:Action URI
    methods: dict[str, int]  # "SoftwareLicensingService.InstallProductKey"
    faults: dict[str, int]  # by fault subcode (or code when there is none)
    http_requests: int
    encrypted_messages: int  # SOAP bodies that arrived with MS-WSMV message encryption
    auth_failures: int
    connections: int
    bytes_in: int
    bytes_out: int

    @property
    def requests(self) -> int:
        """WS-Man requests processed (SOAP envelopes, not HTTP auth legs)."""
        return sum(self.operations.values())


@dataclass
class Counters:
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _operations: Counter[str] = field(default_factory=Counter)
    _actions: Counter[str] = field(default_factory=Counter)
    _methods: Counter[str] = field(default_factory=Counter)
    _faults: Counter[str] = field(default_factory=Counter)
    _http_requests: int = 0
    _encrypted: int = 0
    _auth_failures: int = 0
    _connections: int = 0
    _bytes_in: int = 0
    _bytes_out: int = 0

    def request(self, operation: str, action: str) -> None:
        with self._lock:
            self._operations[operation] += 1
            self._actions[action] += 1

    def method(self, class_name: str, method: str) -> None:
        with self._lock:
            self._methods[f"{class_name}.{method}"] += 1

    def fault(self, subcode: str) -> None:
        with self._lock:
            self._faults[subcode] += 1

    def http(self, bytes_in: int, bytes_out: int) -> None:
        with self._lock:
            self._http_requests += 1
            self._bytes_in += bytes_in
            self._bytes_out += bytes_out

    def encrypted(self) -> None:
        with self._lock:
            self._encrypted += 1

    def auth_failure(self) -> None:
        with self._lock:
            self._auth_failures += 1

    def connection(self) -> None:
        with self._lock:
            self._connections += 1

    def snapshot(self) -> CounterSnapshot:
        with self._lock:
            return CounterSnapshot(
                operations=dict(self._operations),
                actions=dict(self._actions),
                methods=dict(self._methods),
                faults=dict(self._faults),
                http_requests=self._http_requests,
                encrypted_messages=self._encrypted,
                auth_failures=self._auth_failures,
                connections=self._connections,
                bytes_in=self._bytes_in,
                bytes_out=self._bytes_out,
            )

    def reset(self) -> None:
        with self._lock:
            for counter in (self._operations, self._actions, self._methods, self._faults):
                counter.clear()
            self._http_requests = self._encrypted = self._auth_failures = self._connections = 0
            self._bytes_in = self._bytes_out = 0


@dataclass
class InjectedFault:
    """What to answer instead of running an operation: an HRESULT fault or ``w:TimedOut``."""

    hresult: int | None  # None: w:TimedOut
    form: FaultForm = "wsmanfault"
    remaining: int | None = None  # None: until cleared


@dataclass
class SlowCall:
    """A method that takes ``seconds`` of simulated time (``invoke.py`` compares them with the
    request's effective OperationTimeout)."""

    seconds: float
    remaining: int | None = None  # None: until cleared


@dataclass
class FaultPlan:
    """Faults armed on one machine. Change it through ``Machine`` (thread-safe setters)."""

    unreachable: Unreachable | None = None
    reject_auth: bool = False  # answer HTTP 401 to everything
    latency: float = 0.0  # seconds added before each HTTP response
    _rules: dict[tuple[str, str], InjectedFault] = field(default_factory=dict)
    _slow: dict[tuple[str, str], SlowCall] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def _key(operation: str, class_name: str | None) -> tuple[str, str]:
        return (operation.casefold(), (class_name or "*").casefold())

    def fail(
        self,
        operation: str,
        hresult: int,
        *,
        class_name: str | None = None,
        form: FaultForm = "wsmanfault",
        times: int | None = None,
    ) -> None:
        """Make ``operation`` (a WMI method name, or Enumerate/Pull/Get/Create/Delete) fault with
        ``hresult``, on ``class_name`` or any class, ``times`` times or until cleared."""
        with self._lock:
            self._rules[self._key(operation, class_name)] = InjectedFault(hresult, form, times)

    def time_out(
        self, operation: str, *, class_name: str | None = None, times: int | None = None
    ) -> None:
        with self._lock:
            self._rules[self._key(operation, class_name)] = InjectedFault(None, remaining=times)

    def slow(
        self,
        method: str,
        seconds: float,
        *,
        class_name: str | None = None,
        times: int | None = None,
    ) -> None:
        """Make ``method`` (on ``class_name`` or any class) take ``seconds`` of simulated time,
        ``times`` times or until cleared. The method still runs in full; a client whose
        effective OperationTimeout is shorter gets ``w:TimedOut``."""
        if seconds < 0:
            raise ValueError("a method cannot take negative time")
        with self._lock:
            self._slow[self._key(method, class_name)] = SlowCall(float(seconds), times)

    def take_duration(self, method: str, class_name: str | None) -> float | None:
        """The simulated seconds this call of ``method`` takes, if it was made slow (consumes
        one use)."""
        with self._lock:
            for key in (self._key(method, class_name), self._key(method, None)):
                slow = self._slow.get(key)
                if slow is None:
                    continue
                if slow.remaining is not None:
                    slow.remaining -= 1
                    if slow.remaining <= 0:
                        del self._slow[key]
                return slow.seconds
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._slow.clear()
        self.reject_auth = False
        self.latency = 0.0

    def take(self, operation: str, class_name: str | None) -> InjectedFault | None:
        """The armed fault for this call, if any (consumes one use)."""
        with self._lock:
            for key in (self._key(operation, class_name), self._key(operation, None)):
                rule = self._rules.get(key)
                if rule is None:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self._rules[key]
                return rule
        return None
