# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Transfer Get of a WMI instance (wsman-wire §1.3) and of the WinRM config resource."""

from __future__ import annotations

from . import names as ns
from .call import Call, check_selectors, strip_cim_namespace, wmi_class
from .faults import SoapFault
from .provider import CimError
from .render import instance_xml
from .soap import envelope

PREFIXES = ("s", "a", "x", "w", "p")  # capture pypsrp_get.txt (response)


def get(call: Call) -> str:
    """GetResponse: one instance element in the class namespace, same shape as an enumeration
    item (wsman-wire §1.3; no WMI Get capture exists, the envelope follows pypsrp_get.txt)."""
    resource, info = wmi_class(call)
    selectors = strip_cim_namespace(call, resource, call.request.selector_map())
    selectors = check_selectors(call, info, selectors, get=True)
    call.inject("Get", info.name)
    try:
        instance = call.provider.get(resource.namespace_key, info.name, selectors)
    except CimError as error:
        raise SoapFault(call.fault_for(error)) from None
    body = instance_xml(resource.class_uri(info.name), instance, call.variants["null_array"])
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_GET + "Response",
        relates_to=call.request.message_id,
        body=body,
    )


def get_config(call: Call, max_envelope_kb: int) -> str:
    """A trimmed ``cfg:Config`` (capture pypsrp_get.txt): the elements pypsrp's
    ``update_max_payload_size`` reads, with this lab's limits."""
    cfg = ns.CONFIG
    body = (
        f'<cfg:Config xmlns:cfg="{cfg}">'
        f"<cfg:MaxEnvelopeSizekb>{max_envelope_kb}</cfg:MaxEnvelopeSizekb>"
        "<cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
        "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests>"
        "<cfg:Service><cfg:EnumerationTimeoutms>240000</cfg:EnumerationTimeoutms>"
        "<cfg:AllowUnencrypted>true</cfg:AllowUnencrypted><cfg:Auth><cfg:Basic>true</cfg:Basic>"
        "<cfg:Kerberos>false</cfg:Kerberos><cfg:Negotiate>true</cfg:Negotiate>"
        "<cfg:Certificate>false</cfg:Certificate><cfg:CredSSP>false</cfg:CredSSP></cfg:Auth>"
        "</cfg:Service></cfg:Config>"
    )
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_GET + "Response",
        relates_to=call.request.message_id,
        body=body,
    )
