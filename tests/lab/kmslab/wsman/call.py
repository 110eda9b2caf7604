# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The context one request is handled in, and the checks several operations share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..variants import DEFAULT as DEFAULT_VARIANTS
from ..variants import Variants
from . import faults, faults_wmi
from . import names as ns
from .counters import Counters, FaultPlan
from .faults import SoapFault
from .provider import (
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_METHOD,
    WBEM_E_INVALID_NAMESPACE,
    WBEM_E_INVALID_QUERY,
    WBEM_E_NOT_FOUND,
    CimError,
    ClassInfo,
    Provider,
)
from .soap import SoapRequest

MIN_ENVELOPE = 8192  # MS-WSMV 3.1.4.1.7


@dataclass
class Call:
    request: SoapRequest
    alias: str  # the host name the client used: the outer WSManFault@Machine (capture f)
    computer: str  # the simulated computer's own name: the inner WSManFault@Machine
    provider: Provider
    max_envelope: int  # the smaller of the request's MaxEnvelopeSize and the service limit
    endpoint: str  # this listener's URL, for EPR addresses and ResourceCreated
    plan: FaultPlan
    counters: Counters
    variants: Variants = DEFAULT_VARIANTS

    def inject(self, operation: str, class_name: str | None) -> None:
        """Raise the fault the plan armed for this operation, if any."""
        rule = self.plan.take(operation, class_name)
        if rule is None:
            return
        if rule.hresult is None:
            raise SoapFault(faults.timed_out(self.alias))
        raise SoapFault(self.fault_for(CimError(rule.hresult, form=rule.form)))

    def fault_for(self, error: CimError) -> faults.Fault:
        """Map a provider error to the fault Windows would send (README lists the sources)."""
        if error.wsman_subcode == "w:InvalidSelectors":
            return faults.invalid_selectors(self.alias)
        if error.wsman_subcode:
            return faults.with_subcode(
                self.alias, error.wsman_subcode, error.hresult, error.message
            )
        special = _BY_HRESULT.get(error.hresult)
        if special is not None:
            return special(self, error)
        if error.form == "wmierror":
            return faults_wmi.provider_wmi_error(error.hresult)
        return faults_wmi.provider_hresult(self.alias, error.hresult)

    def check_size(self, xml: str) -> str:
        size = len(xml.encode("utf-8"))
        if size > self.max_envelope:
            raise SoapFault(faults.encoding_limit(self.alias, size, self.max_envelope))
        return xml


def _not_found(call: Call, error: CimError) -> faults.Fault:
    return faults.resource_not_found(call.alias)


def _no_method(call: Call, error: CimError) -> faults.Fault:
    return faults.action_not_supported(call.alias, call.request.action)


def _bad_query(call: Call, error: CimError) -> faults.Fault:
    resource = ns.parse_wmi_uri(call.request.resource_uri)
    return faults_wmi.invalid_query(
        machine=call.alias,
        computer=call.computer,
        namespace=resource.namespace if resource else "root/cimv2",
        query=error.message,
    )


# WBEM codes with a fault of their own (for Get/Invoke; WQL enumeration maps unknown classes to
# capture winrb_soap_fault_v2.xml itself).
_BY_HRESULT: dict[int, Callable[[Call, CimError], faults.Fault]] = {
    WBEM_E_NOT_FOUND: _not_found,
    WBEM_E_INVALID_CLASS: _not_found,
    WBEM_E_INVALID_NAMESPACE: _not_found,
    WBEM_E_INVALID_METHOD: _no_method,
    WBEM_E_INVALID_QUERY: _bad_query,
}


def effective_envelope(requested: int | None, limit: int, alias: str) -> int:
    """MS-WSMV 3.1.4.1.7: below 8192 is a fault, above the service limit is cut to the limit."""
    if requested is None:
        return limit
    if requested < MIN_ENVELOPE:
        raise SoapFault(faults.envelope_size_too_small(alias, requested))
    return min(requested, limit)


def wmi_class(call: Call) -> tuple[ns.WmiResource, ClassInfo]:
    """The class a Get/Invoke/plain Enumerate addresses; a wildcard URI is not a class."""
    resource = ns.parse_wmi_uri(call.request.resource_uri)
    if resource is None or resource.is_wildcard:
        raise SoapFault(faults.unknown_resource_uri(call.alias, call.request.resource_uri))
    try:
        info = call.provider.describe(resource.namespace_key, resource.class_name)
    except CimError as error:
        raise SoapFault(call.fault_for(error)) from None
    return resource, info


def strip_cim_namespace(
    call: Call, resource: ns.WmiResource, selectors: Mapping[str, str]
) -> dict[str, str]:
    """Drop a ``__cimnamespace`` selector matching the URI; fault when it differs (§1.1)."""
    kept = {}
    for name, value in selectors.items():
        if name.casefold() == ns.CIM_NAMESPACE_SELECTOR:
            if value.replace("\\", "/").strip("/").casefold() != resource.namespace_key:
                raise SoapFault(faults.different_cim_namespace(call.alias))
            continue
        kept[name] = value
    return kept


def check_selectors(
    call: Call, info: ClassInfo, selectors: Mapping[str, str], *, get: bool = False
) -> dict[str, str]:
    """The selector set must name every key exactly once and nothing else (§1.3, §6).

    Names compare case-insensitively (MS Docs Invoke-WSManAction example, wsman-wire §1.3);
    the returned mapping uses the class's own spelling. Values may be empty: MSFT_NetFirewallRule
    is keyed by three empty strings beside CreationClassName (older-windows-office-adba.md §7.2).
    A Get that names no key of a keyed class gets the fault of Microsoft's Session.Error page
    (``faults_wmi.no_keys``); any other set the class does not have gets ``w:InvalidSelectors``
    as captured (``faults.invalid_selectors``).
    """
    if get and info.keys and not selectors:
        raise SoapFault(faults_wmi.no_keys(call.alias))
    by_fold = {key.casefold(): key for key in info.keys}
    given = {}
    for name, value in selectors.items():
        folded = name.casefold()
        if folded not in by_fold or folded in given:
            raise SoapFault(faults.invalid_selectors(call.alias))
        given[folded] = value
    if set(given) != set(by_fold):
        raise SoapFault(faults.invalid_selectors(call.alias))
    return {by_fold[folded]: value for folded, value in given.items()}
