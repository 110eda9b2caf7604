"""TCP ports of a service that lives in another network namespace, offered on loopback here.

The lab's Samba AD DC runs in a network namespace of its own (``samba.py``), while the lab's
WS-Man machines and ``ansible-playbook`` run in this one. Rather than give the host an interface
into that namespace (a shared machine's routing table is not the lab's to change), each port is
relayed in user space: a listener on a free loopback port here, and for every connection a
socket made inside the namespace. A socket belongs to the namespace of the thread that created
it, so one worker thread enters the namespace (``setns``) once and makes every inside socket;
the relaying itself runs in ordinary threads.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

CONNECT_TIMEOUT = 10.0


def _enter(namespace: str) -> None:
    with open(f"/var/run/netns/{namespace}", "rb") as handle:
        os.setns(handle.fileno(), os.CLONE_NEWNET)


@dataclass
class NamespaceForwarder:
    """Relays ``listen``:<free port> to ``target``:<port> inside ``namespace``, per port."""

    namespace: str
    target: str
    listen: str = "127.0.0.1"
    ports: dict[int, int] = field(default_factory=dict)  # inside port -> port here
    _listeners: list[socket.socket] = field(default_factory=list, repr=False)
    _inside: ThreadPoolExecutor | None = field(default=None, repr=False)
    _closed: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self, inside_ports: tuple[int, ...]) -> dict[int, int]:
        self._inside = ThreadPoolExecutor(
            max_workers=1, initializer=_enter, initargs=(self.namespace,)
        )
        for inside in inside_ports:
            listener = socket.create_server((self.listen, 0))
            self._listeners.append(listener)
            self.ports[inside] = listener.getsockname()[1]
            threading.Thread(
                target=self._accept, args=(listener, inside), daemon=True, name=f"fwd-{inside}"
            ).start()
        return dict(self.ports)

    def _connect_inside(self, port: int) -> socket.socket:
        assert self._inside is not None
        future = self._inside.submit(socket.create_connection, (self.target, port), CONNECT_TIMEOUT)
        return future.result(timeout=CONNECT_TIMEOUT + 5)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until every inside port accepts a connection (a service may open them late)."""
        deadline = time.monotonic() + timeout
        for inside in self.ports:
            while True:
                try:
                    self._connect_inside(inside).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    def _accept(self, listener: socket.socket, inside: int) -> None:
        while not self._closed.is_set():
            try:
                outside, _peer = listener.accept()
            except OSError:
                return
            try:
                far = self._connect_inside(inside)
            except (OSError, TimeoutError):
                outside.close()
                continue
            far.settimeout(None)
            for source, sink in ((outside, far), (far, outside)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def stop(self) -> None:
        self._closed.set()
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.close()
        self._listeners.clear()
        if self._inside is not None:
            self._inside.shutdown(wait=False)
            self._inside = None


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            source.close()
