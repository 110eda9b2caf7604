# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built-in Key Management Service firewall rule through ``MSFT_NetFirewallRule``.

The rule lives in ``root/StandardCimv2``; ``Enabled`` is a uint16 (1 = true, 2 = false), not a
boolean, and ``Enable()``/``Disable()`` report failure in ``ReturnValue`` (wsman-wire.md §4.6).
The ports are not properties of the rule, so only the built-in rule (TCP 1688) is managed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.cim_session import CimSession
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.wsman import quote_wql

NAMESPACE = "root/StandardCimv2"
CLASS = "MSFT_NetFirewallRule"
# The rule Microsoft's KMS documents enable (kms-facts.md §2.4, wsman-wire.md §4.6).
KMS_RULE = "SPPSVC-In-TCP"
ENABLED_TRUE = 1
ENABLED_FALSE = 2

RULE_TYPES = {
    "InstanceID": "string",
    "DisplayName": "string",
    "Enabled": "uint16",
    "Profiles": "uint16",
}


class FirewallError(KmsError):
    """The rule is missing, or Enable/Disable answered with a non-zero ReturnValue."""


@dataclass(frozen=True)
class FirewallRule:
    instance_id: str
    display_name: str | None
    enabled: bool
    profiles: int | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FirewallRule:
        return cls(
            instance_id=str(row.get("InstanceID") or ""),
            display_name=row.get("DisplayName") or None,
            enabled=row.get("Enabled") == ENABLED_TRUE,
            profiles=row.get("Profiles"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.instance_id,
            "display_name": self.display_name,
            "enabled": self.enabled,
            "profiles": self.profiles,
        }


def rule_wql(instance_id: str = KMS_RULE) -> str:
    return (
        f"SELECT {', '.join(RULE_TYPES)} FROM {CLASS} WHERE InstanceID = {quote_wql(instance_id)}"
    )


def read_rule(session: CimSession, instance_id: str = KMS_RULE) -> FirewallRule | None:
    """The rule, or None when the host has no rule by that name."""
    rows = session.query(rule_wql(instance_id), namespace=NAMESPACE, types=RULE_TYPES)
    return FirewallRule.from_row(rows[0]) if rows else None


def missing_rule_message(instance_id: str = KMS_RULE) -> str:
    return (
        f"the host has no firewall rule {instance_id} (Key Management Service (TCP-In)). "
        "It comes with Windows Server and the Volume Activation Services role; install the role "
        "(Install-WindowsFeature VolumeActivation) or open TCP 1688 with a rule of your own, and "
        "leave the firewall option unset."
    )


def set_enabled(session: CimSession, enabled: bool, instance_id: str = KMS_RULE) -> None:
    """Enable or disable the rule. The selector is InstanceID, the name the NetSecurity cmdlets
    address rules by; the WS-Man key of the class is UNCONFIRMED (wsman-wire.md §4.6)."""
    method = "Enable" if enabled else "Disable"
    result = session.invoke(CLASS, method, None, {"InstanceID": instance_id}, namespace=NAMESPACE)
    if result.return_value:
        raise FirewallError(
            f"{CLASS}.{method} of {instance_id} answered ReturnValue {result.return_value}; "
            "check the host's firewall service (mpssvc) and whether a Group Policy manages the "
            "rule."
        )
