# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One machine's WS-Management service: SOAP in, (HTTP status, SOAP out).

Dispatch follows wsman-wire §6: on wsa:Action and wsman:ResourceURI. Successful answers are HTTP
200; every fault is HTTP 500 with a SOAP fault (§1.6). Runs on the provider thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ..variants import DEFAULT as DEFAULT_VARIANTS
from ..variants import Variants
from . import enumeration, faults, invoke, shell, shell_command, transfer
from . import names as ns
from .call import Call, effective_envelope
from .counters import Counters, FaultPlan
from .faults import SoapFault
from .provider import CimError, OperationTimedOut, Provider
from .soap import RequestError, new_message_id, parse_request

LOG = logging.getLogger(__name__)
DEFAULT_MAX_ENVELOPE_KB = 500  # MS-WSMV 2.2.4.10: MaxEnvelopeSizekb "SHOULD be 500"


@dataclass
class ServiceConfig:
    max_envelope_kb: int = DEFAULT_MAX_ENVELOPE_KB
    max_shells: int = shell.MAX_SHELLS
    variants: Variants = DEFAULT_VARIANTS  # the unconfirmed wire details this lab serves


@dataclass
class WsmanService:
    computer: str
    provider: Provider
    counters: Counters = field(default_factory=Counters)
    plan: FaultPlan = field(default_factory=FaultPlan)
    config: ServiceConfig = field(default_factory=ServiceConfig)
    contexts: enumeration.ContextStore = field(default_factory=enumeration.ContextStore)
    shells: shell.ShellTable = field(default_factory=shell.ShellTable)
    errors: list[Exception] = field(default_factory=list)  # unexpected provider exceptions

    def __post_init__(self) -> None:
        self.shells.limit = self.config.max_shells

    def handle(self, body: bytes, *, alias: str, endpoint: str) -> tuple[int, bytes]:
        """Process one SOAP request; ``alias`` is the host name the client connected to."""
        try:
            request = parse_request(body)
        except RequestError as error:
            fault = faults.schema_validation(alias, str(error))
            self.counters.request("Invalid", "")
            return self._fault(fault, None)
        self.counters.request(_operation(request.action, request.resource_uri), request.action)
        try:
            call = Call(
                request=request,
                alias=alias,
                computer=self.computer,
                provider=self.provider,
                max_envelope=effective_envelope(
                    request.max_envelope_size, self.config.max_envelope_kb * 1024, alias
                ),
                endpoint=endpoint,
                plan=self.plan,
                counters=self.counters,
                variants=self.config.variants,
            )
            text = self._dispatch(call)
            if request.action not in (ns.ACTION_ENUMERATE, ns.ACTION_PULL):
                call.check_size(text)  # enumeration pages are sized as they are built
        except SoapFault as error:
            return self._fault(error.fault, request.message_id)
        except OperationTimedOut:
            return self._fault(faults.timed_out(alias), request.message_id)
        except CimError as error:
            return self._fault(call.fault_for(error), request.message_id)
        except Exception as error:  # a model bug: answer a fault, keep it for the tests to see
            LOG.exception("%s: the provider failed on %s", self.computer, request.action)
            self.errors.append(error)
            return self._fault(faults.lab_error(alias, error), request.message_id)
        return 200, text.encode("utf-8")

    def _fault(self, fault: faults.Fault, relates_to: str | None) -> tuple[int, bytes]:
        self.counters.fault(fault.subcode or fault.code)
        return 500, fault.envelope(new_message_id(), relates_to).encode("utf-8")

    def _dispatch(self, call: Call) -> str:
        action = call.request.action
        uri = call.request.resource_uri
        if uri.lower().startswith(ns.WMI_PREFIX):
            handler = _WMI_ACTIONS.get(action)
            if handler is not None:
                return handler(self, call)
            if invoke.is_method_action(action, uri):
                return invoke.invoke(call)
        elif uri == ns.SHELL_CMD_URI:
            handler = _SHELL_ACTIONS.get(action)
            if handler is not None:
                return handler(self, call)
        elif uri == ns.CONFIG_URI and action == ns.ACTION_GET:
            return transfer.get_config(call, self.config.max_envelope_kb)
        else:
            raise SoapFault(faults.unknown_resource_uri(call.alias, uri))
        raise SoapFault(faults.action_not_supported(call.alias, action))


Handler = Callable[[WsmanService, Call], str]
_WMI_ACTIONS: dict[str, Handler] = {
    ns.ACTION_ENUMERATE: lambda service, call: enumeration.enumerate_(call, service.contexts),
    ns.ACTION_PULL: lambda service, call: enumeration.pull(call, service.contexts),
    ns.ACTION_RELEASE: lambda service, call: enumeration.release(call, service.contexts),
    ns.ACTION_GET: lambda service, call: transfer.get(call),
}
_SHELL_ACTIONS: dict[str, Handler] = {
    ns.ACTION_CREATE: lambda service, call: shell.create(call, service.shells),
    ns.ACTION_DELETE: lambda service, call: shell.delete(call, service.shells),
    ns.ACTION_COMMAND: lambda service, call: shell_command.command(call, service.shells),
    ns.ACTION_RECEIVE: lambda service, call: shell_command.receive(call, service.shells),
    ns.ACTION_SIGNAL: lambda service, call: shell_command.signal(call, service.shells),
    ns.ACTION_SEND: lambda service, call: shell_command.send(call, service.shells),
}


def _operation(action: str, resource_uri: str) -> str:
    """Counter key: the WS-Man operation, ``Invoke`` for every WMI method (details: methods)."""
    if resource_uri.lower().startswith(ns.WMI_PREFIX) and invoke.is_method_action(
        action, resource_uri
    ):
        return "Invoke"
    return ns.short_action(action)
