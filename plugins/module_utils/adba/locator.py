# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which domain controller the Windows host uses: the one its activation object is written on.

``Win32_NTDomain`` (CIMWin32a; Microsoft's class page) carries what ``DsGetDcName`` returns in
``DOMAIN_CONTROLLER_INFO``: ``DomainControllerName`` is the DC's name prefixed with ``\\\\``, "the
DNS-style name, for example \\\\phoenix.fabrikam.com, if available", else the flat one
(``\\\\phoenix``); ``DomainName`` the domain's DNS name when available. Whether the WMI class asks
for the DNS form is not documented, so both are read (the lab's variant ``ntdomain_dc_name``).
One enumeration, sent only when an activation object is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

NTDOMAIN_WQL = "SELECT Name, DomainControllerName, DomainName, DnsForestName FROM Win32_NTDomain"
NTDOMAIN_TYPES = {
    "Name": "string",
    "DomainControllerName": "string",
    "DomainName": "string",
    "DnsForestName": "string",
}


@dataclass(frozen=True)
class DomainController:
    """The DC a host's locator names: its name as Windows gives it, and a DNS name to reach."""

    shown: str  # as Win32_NTDomain gives it, without the leading backslashes
    fqdn: str  # shown, or shown.<domain> when Windows gave the flat name

    def same_as(self, name: str) -> bool:
        """``name`` (ldap_server_fqdn) is this DC: the same DNS name, or the same first label
        when Windows gave only the flat name."""
        wanted = name.casefold().rstrip(".")
        if "." in self.shown:
            return wanted == self.fqdn.casefold()
        return wanted.split(".", 1)[0] == self.shown.casefold()


def from_row(row: dict[str, object]) -> DomainController | None:
    name = str(row.get("DomainControllerName") or "").lstrip("\\").strip()
    if not name:
        return None
    domain = str(row.get("DomainName") or "").strip().rstrip(".")
    flat_with_domain = "." not in name and "." in domain
    return DomainController(shown=name, fqdn=f"{name}.{domain}" if flat_with_domain else name)


def host_domain_controller(session: CimSession) -> DomainController | None:
    """The first DC Win32_NTDomain names, or None when it names none (not in a domain, or no DC
    found). Which instances a member lists besides its own domain's is not documented; the lab
    serves one, the member's domain."""
    rows = session.query(NTDOMAIN_WQL, types=NTDOMAIN_TYPES)
    found = [dc for dc in (from_row(row) for row in rows) if dc is not None]
    return found[0] if found else None
