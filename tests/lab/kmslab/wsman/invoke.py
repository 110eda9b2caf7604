# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WMI method invocation over WS-Man (wsman-wire §1.4).

Action = ResourceURI + "/" + Method; the body is ``<Method>_INPUT`` in the exact ResourceURI
namespace with the ``[in]`` parameters as children in that namespace; instance methods carry the
key SelectorSet, static methods none. The answer is ``<Method>_OUTPUT`` with the ``[out]``
parameters and ``ReturnValue``, Action ``<ResourceURI>/<Method>Response``.

A method may be made to take simulated time (``FaultPlan.slow``): it runs to the end in the
provider, as Windows keeps running a WMI method whose client stopped waiting, but when its
duration exceeds the request's effective OperationTimeout the client gets ``w:TimedOut``
(wsman-wire §5 item 2). Nothing sleeps.
"""

from __future__ import annotations

from . import faults
from . import names as ns
from .call import Call, check_selectors, strip_cim_namespace, wmi_class
from .faults import SoapFault
from .provider import CimError, InputParams, ParamValue
from .render import output_xml
from .soap import SoapRequest, envelope, local_name, namespace_of, q

PREFIXES = ("s", "a", "x", "w", "p")  # captures winrb_invoke_1.xml, openwsman_EnumKey.xml
NO_CAP = "none"  # the operation_timeout_cap value that honours any requested timeout


def effective_timeout(request: SoapRequest, cap: str) -> float | None:
    """Seconds the service waits for the operation; None: no limit.

    MS-WSMV 3.1.4.1.6: the service "MUST default the time-out value to the value of the
    MaxTimeoutms configuration setting ... if no OperationTimeout value is specified by the client
    or if the OperationTimeout value is more than this setting"; MaxTimeoutms is 60000 by default
    (cfg:MaxTimeoutms in capture pypsrp_get.txt). ``cap`` is the ``operation_timeout_cap``
    variant: "60" applies that rule, "none" honours whatever the request asks (unconfirmed).
    """
    requested = request.operation_timeout
    limit = None if cap == NO_CAP else float(cap)
    if requested is None:
        return limit
    return requested if limit is None else min(requested, limit)


def _outlasts(call: Call, seconds: float | None) -> bool:
    """Whether a method that takes ``seconds`` (simulated) outlives the request's timeout."""
    if seconds is None:
        return False
    limit = effective_timeout(call.request, call.variants["operation_timeout_cap"])
    return limit is not None and seconds > limit


def is_method_action(action: str, resource_uri: str) -> bool:
    prefix = resource_uri.rstrip("/") + "/"
    return action.lower().startswith(prefix.lower()) and "/" not in action[len(prefix) :]


def _params(call: Call, method: str) -> InputParams:
    uri = call.request.resource_uri
    child = call.request.body_child()
    expected = f"{method}_INPUT"
    if child is None:
        raise SoapFault(faults.schema_validation(call.alias, f"the Body has no {expected} element"))
    # §1.4: "Use the exact ResourceURI as the namespace" (openwsman, dracclient, ruby all do).
    if local_name(child.tag) != expected or namespace_of(child.tag) != uri:
        raise SoapFault(
            faults.schema_validation(
                call.alias, f"expected {expected} in namespace {uri}, found {child.tag}"
            )
        )
    values: dict[str, list[ParamValue]] = {}
    for param in child:
        if namespace_of(param.tag) != uri:
            raise SoapFault(
                faults.schema_validation(
                    call.alias, f"parameter {param.tag} is not in namespace {uri}"
                )
            )
        if param.get(q(ns.XSI, "nil"), "").strip().lower() == "true":
            value = ParamValue(None)
        else:
            # A datetime parameter wraps its text in cim:Datetime (§1.5); other parameters are text.
            nested = list(param)
            if nested and nested[0].tag == q(ns.CIM_COMMON, "Datetime"):
                value = ParamValue((nested[0].text or "").strip())
            elif nested:
                raise SoapFault(
                    faults.schema_validation(
                        call.alias, f"embedded objects ({param.tag}) are not supported"
                    )
                )
            else:
                value = ParamValue(param.text or "")
        values.setdefault(local_name(param.tag), []).append(value)
    return InputParams(values)


def invoke(call: Call) -> str:
    request = call.request
    resource, info = wmi_class(call)
    method = request.action[len(request.resource_uri.rstrip("/")) + 1 :]
    selectors = None
    if request.selectors is not None:
        selectors = strip_cim_namespace(call, resource, request.selector_map())
        selectors = check_selectors(call, info, selectors)
        if not selectors and not info.keys:
            selectors = None  # only a matching __cimnamespace was sent: still a static call
    params = _params(call, method)
    call.counters.method(info.name, method)
    call.inject(method, info.name)
    # The method runs to its end whatever the client's timeout: the model keeps what it did.
    too_slow = _outlasts(call, call.plan.take_duration(method, info.name))
    try:
        result = call.provider.invoke(resource.namespace_key, info.name, method, selectors, params)
    except CimError as error:
        if too_slow:
            raise SoapFault(faults.timed_out(call.alias)) from None
        raise SoapFault(call.fault_for(error)) from None
    if too_slow:
        raise SoapFault(faults.timed_out(call.alias))
    return envelope(
        prefixes=PREFIXES,
        action=request.action + "Response",
        relates_to=request.message_id,
        body=output_xml(request.resource_uri, method, result, call.variants["null_array"]),
    )
