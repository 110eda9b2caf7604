"""Controls of a running lab: faults, drift, the clock, counters and the write log.

Each control is a named operation on a :class:`Lab`; the CLI sends them to a lab running in the
background over a small JSON endpoint on 127.0.0.1, tests call :func:`apply` directly. Everything
that touches the model runs on the lab's provider thread (``lab.call``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ldap3.utils.conv import escape_filter_chars

from kmslab.lab import Lab
from kmslab.model import admin
from kmslab.model.directory import CONTAINER_RDN, OBJECT_CLASS, Caller
from kmslab.model.errors import SppFault
from kmslab.model.keys import KeyKind
from kmslab.model.registry import RegType, RegValue


def _listener(lab: Lab, machine: str) -> Any:
    return lab.server.machine(lab.machine(machine).fqdn)


def fault(
    lab: Lab,
    machine: str,
    *,
    unreachable: str | None = None,
    reject_auth: bool | None = None,
    latency: float | None = None,
    hresult: str | None = None,
    method: str | None = None,
    class_name: str = "SoftwareLicensingProduct",
    timeout: str | None = None,
    ran: bool = True,
    slow_method: str | None = None,
    seconds: float | None = None,
    clear: bool = False,
) -> dict[str, Any]:
    """Inject (or clear) a fault on one machine: at the wire (unreachable, 401, latency, a method
    that takes simulated time) or in the model (an HRESULT or a timeout on a method)."""
    listener = _listener(lab, machine)
    model = lab.machine(machine)
    if clear:
        listener.clear_faults()
        lab.call(model.faults.clear)
    if unreachable is not None:
        listener.set_unreachable(None if unreachable == "off" else unreachable)
    if reject_auth is not None:
        listener.set_reject_auth(reject_auth)
    if latency is not None:
        listener.set_latency(latency)
    if hresult is not None:
        if method is None:
            raise ValueError("an HRESULT fault needs the method it applies to")
        lab.call(model.faults.fail_method, class_name, method, int(hresult, 0))
    if timeout is not None:
        lab.call(model.faults.timeout_method, class_name, timeout, ran=ran)
    if (slow_method is None) != (seconds is None):
        raise ValueError("--slow-method and --seconds go together")
    if slow_method is not None and seconds is not None:
        lab.slow_method(machine, slow_method, seconds, class_name=class_name)
    return {"machine": machine, "plan": repr(listener.plan)}


def drift(
    lab: Lab,
    machine: str,
    *,
    registry: str | None = None,
    value: Any = None,
    kind: str = "REG_SZ",
    delete: bool = False,
    firewall: bool | None = None,
) -> dict[str, Any]:
    """Change a machine behind Ansible's back: an SPP registry value, the KMS firewall rule."""
    model = lab.machine(machine)
    if registry is not None:
        if delete:
            lab.call(model.registry.drop, model.spp_key, registry)
        else:
            data = tuple(value) if kind == "REG_MULTI_SZ" else value
            regvalue = RegValue(RegType[kind], data)
            lab.call(model.registry.put, model.spp_key, registry, regvalue)
    if firewall is not None:
        lab.call(admin.set_firewall_rule, model, firewall)
    return {"machine": machine}


def install_key(
    lab: Lab, machine: str, *, channel: str = "mak", activate: bool = False
) -> dict[str, Any]:
    """Install the lab's key of ``channel`` (mak, retail, oem) for the machine's edition and
    optionally activate it, as an administrator running slmgr /ipk and /ato would: a KMS client
    drifts back to MAK, for example."""
    model = lab.machine(machine)
    key = model.keys.lab_key(KeyKind(channel), model.image.family, model.image.edition)
    try:
        lab.call(admin.install_key, model, key.key)
    except SppFault as fault:  # the control endpoint answers ValueError as a 400 with the text
        raise ValueError(f"{machine}: InstallProductKey failed: {fault}") from fault
    answer: dict[str, Any] = {"machine": machine, "key": key.masked, "channel": key.kind.value}
    if activate:
        answer["activate"] = f"0x{lab.call(admin.activate_windows, model) & 0xFFFFFFFF:08X}"
    return answer


def restart(lab: Lab, machine: str) -> dict[str, Any]:
    """Restart sppsvc on one machine: registry drift takes effect, a KMS host republishes."""
    try:
        lab.call(admin.restart_sppsvc, lab.machine(machine))
    except RuntimeError as error:  # sppsvc did not stop or start: a 400 with the text
        raise ValueError(str(error)) from error
    return {"machine": machine}


def advance(lab: Lab, *, days: float = 0, hours: float = 0) -> dict[str, Any]:
    """Move the lab's clock; machines do what Windows does in that time (renewals, expiry)."""
    lab.call(lambda: lab.fleet.advance(days=days, hours=hours, background=True))
    return {"now": lab.call(lambda: lab.fleet.clock.now().isoformat())}


def counters(lab: Lab, machine: str | None = None) -> dict[str, Any]:
    names = [machine] if machine else lab.names()
    return {name: lab.requests(name) for name in names}


def writes(lab: Lab, machine: str) -> list[dict[str, Any]]:
    return [
        {"method": f"{w.target}.{w.method}", "args": dict(w.args), "outcome": w.outcome}
        for w in lab.writes(machine)
    ]


def srv(lab: Lab, domain: str) -> list[dict[str, Any]]:
    return [r.__dict__ for r in lab.bind.query_srv(domain)]


def remove_activation_object(lab: Lab, name: str) -> list[str]:
    """Delete the forest's activation objects named ``name`` straight in Samba, as an
    administrator with ADSI Edit would: the DNs deleted."""
    if lab.forest is None:
        raise ValueError("this lab has no forest (--preset adba or forest)")
    connection = lab.forest.connect(Caller.ENTERPRISE_ADMIN)
    try:
        connection.search(
            f"{CONTAINER_RDN},{lab.forest.dc.configuration_dn}",
            f"(&(objectClass={OBJECT_CLASS})(displayName={escape_filter_chars(name)}))",
            attributes=["cn"],
        )
        doomed = [entry.entry_dn for entry in connection.entries]
        for dn in doomed:
            connection.delete(dn)
        return doomed
    finally:
        connection.unbind()


OPERATIONS: dict[str, Callable[..., Any]] = {
    "status": lambda lab: lab.status(),
    "fault": fault,
    "drift": drift,
    "install_key": install_key,
    "restart": restart,
    "advance": advance,
    "counters": counters,
    "writes": writes,
    "srv": srv,
    "remove_activation_object": remove_activation_object,
}


def apply(lab: Lab, operation: str, arguments: dict[str, Any]) -> Any:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: {', '.join(sorted(OPERATIONS))}")
    return OPERATIONS[operation](lab, **arguments)


def serve_controls(lab: Lab, stop: threading.Event) -> ThreadingHTTPServer:
    """Answer ``POST /<operation>`` with a JSON body of arguments, and ``POST /shutdown``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # the lab's own output stays quiet

        def do_POST(self) -> None:
            operation = self.path.strip("/")
            length = int(self.headers.get("Content-Length") or 0)
            arguments = json.loads(self.rfile.read(length) or b"{}")
            try:
                if operation == "shutdown":
                    stop.set()
                    answer: Any = {"stopping": True}
                else:
                    answer = apply(lab, operation, arguments)
                status = 200
            except (ValueError, KeyError, TypeError) as error:
                answer, status = {"error": str(error)}, 400
            body = json.dumps(answer, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, name="kmslab-control", daemon=True).start()
    return server
