# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WMI method invocation over WS-Man (wsman-wire §1.4).

Action = ResourceURI + "/" + Method; the body is ``<Method>_INPUT`` in the exact ResourceURI
namespace with the ``[in]`` parameters as children in that namespace; instance methods carry the
key SelectorSet, static methods none. The answer is ``<Method>_OUTPUT`` with the ``[out]``
parameters and ``ReturnValue``, Action ``<ResourceURI>/<Method>Response``.
"""

from __future__ import annotations

from . import faults
from . import names as ns
from .call import Call, check_selectors, strip_cim_namespace, wmi_class
from .faults import SoapFault
from .provider import CimError, InputParams, ParamValue
from .render import output_xml
from .soap import envelope, local_name, namespace_of, q

PREFIXES = ("s", "a", "x", "w", "p")  # captures winrb_invoke_1.xml, openwsman_EnumKey.xml


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
    try:
        result = call.provider.invoke(resource.namespace_key, info.name, method, selectors, params)
    except CimError as error:
        raise SoapFault(call.fault_for(error)) from None
    return envelope(
        prefixes=PREFIXES,
        action=request.action + "Response",
        relates_to=request.message_id,
        body=output_xml(request.resource_uri, method, result),
    )
