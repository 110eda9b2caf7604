"""Win32_NTDomain: the domain controller a lab machine's locator names.

Microsoft's class page (previous-versions/windows/desktop/cimwin32a/win32-ntdomain) lists the
properties; their values are those of ``DsGetDcName``'s ``DOMAIN_CONTROLLER_INFO``
(learn.microsoft.com/windows/win32/api/dsgetdc/ns-dsgetdc-domain_controller_infoa):
DomainControllerName is the DC's name prefixed with ``\\\\``, "the DNS-style name, for example
\\\\phoenix.fabrikam.com, if available", else the flat name (``\\\\phoenix``); DomainName the
domain's DNS name when available. Whether the WMI provider asks for the DNS form is not documented:
the variant ``ntdomain_dc_name`` serves either. Lab choices: ``Name`` is ``Domain: <NETBIOS>``
and a machine outside the forest gets one instance with no DC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmslab.model.machine import Machine

NTDOMAIN = "Win32_NTDomain"
NTDOMAIN_SCHEMA: dict[str, str] = {
    "Name": "string",
    "DomainControllerName": "string",
    "DomainControllerAddress": "string",
    "DomainName": "string",
    "DNSForestName": "string",
}


def ntdomain_properties(machine: Machine) -> dict[str, object]:
    directory = getattr(machine.network, "directory", None)
    domain = machine.domain
    flat = domain.split(".", 1)[0].upper()[:15]
    row: dict[str, object] = {
        "Name": f"Domain: {flat}",
        "DomainControllerName": None,
        "DomainControllerAddress": None,
        "DomainName": domain,
        "DNSForestName": None,
    }
    if directory is None or not directory.joined(domain):
        return row
    dc = directory.dc_for(machine.fqdn)
    shown = dc if directory.dc_name_form == "dns" else dc.split(".", 1)[0].upper()
    return row | {
        "DomainControllerName": f"\\\\{shown}",
        "DomainControllerAddress": "\\\\127.0.0.1",  # DS_INET_ADDRESS form; the lab's relay
        "DNSForestName": directory.domain,
    }
