# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built-in Key Management Service firewall rule through ``MSFT_NetFirewallRule``.

The rule lives in ``root/StandardCimv2``; ``Enabled`` is a uint16 (1 = true, 2 = false), not a
boolean, and ``Enable()``/``Disable()`` report failure in ``ReturnValue`` (wsman-wire.md §4.6).
The ports are not properties of the rule, so only the built-in rule (TCP 1688) is managed here.

Identity: the class is keyed by CIM_PolicyRule's four keys (SystemCreationClassName, SystemName,
CreationClassName, PolicyRuleName), not by InstanceID (older-windows-office-adba.md §7.2), and
the values Windows gives them are observed in public code, not documented. So this module builds
no selector set of its own: the read is an ``EnumerateObjectAndEPR`` enumeration that brings the
rule and its endpoint reference in one request (wsman-wire.md §4.6 recommends exactly this), and
Enable/Disable go to the selectors of that reference. Should an item come without a usable
reference (the EPR shape is unconfirmed, wsman-wire.md §7), the four key properties the same read
returned are used instead, as public WMI code does (Impacket-based wmiexec-Pro, §7.2). Both are
identities Windows handed back; neither is written by us.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import quote_wql
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import EndpointReference
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

NAMESPACE = "root/StandardCimv2"
CLASS = "MSFT_NetFirewallRule"
# The rule Microsoft's KMS documents enable (kms-facts.md §2.4, wsman-wire.md §4.6).
KMS_RULE = "SPPSVC-In-TCP"
ENABLED_TRUE = 1
ENABLED_FALSE = 2
# CIM_PolicyRule's keys (older-windows-office-adba.md §7.2; MS-NFR lists them as properties).
KEYS = ("CreationClassName", "PolicyRuleName", "SystemCreationClassName", "SystemName")

RULE_TYPES = {
    "InstanceID": "string",
    "DisplayName": "string",
    "Enabled": "uint16",
    "Profiles": "uint16",
    # Selected so the instance keeps its path: a WMI object read without its key properties has
    # none, and an endpoint reference needs one.
    **dict.fromkeys(KEYS, "string"),
}


class FirewallError(KmsError):
    """The rule is missing, cannot be addressed, or Enable/Disable answered a non-zero
    ReturnValue."""


def _identity(
    row: Mapping[str, Any], reference: EndpointReference | None
) -> tuple[tuple[str, str], ...]:
    """The selector set Windows gave the rule: its endpoint reference, else its key values."""
    if reference is not None and reference.selectors:
        return reference.selectors
    if all(row.get(key) is not None for key in KEYS):
        return tuple((key, str(row[key])) for key in KEYS)
    return ()


@dataclass(frozen=True)
class FirewallRule:
    instance_id: str
    display_name: str | None
    enabled: bool
    profiles: int | None
    # How Windows addresses this rule (see the module docstring); () when it said nothing usable.
    selectors: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_row(
        cls, row: Mapping[str, Any], reference: EndpointReference | None = None
    ) -> FirewallRule:
        return cls(
            instance_id=str(row.get("InstanceID") or ""),
            display_name=row.get("DisplayName") or None,
            enabled=row.get("Enabled") == ENABLED_TRUE,
            profiles=row.get("Profiles"),
            selectors=_identity(row, reference),
        )

    def to_dict(self) -> dict[str, Any]:
        # The rule's name is its InstanceID: the NetSecurity cmdlets' -Name (§7.1).
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
    """The rule with its identity (one request), or None when the host has no rule by that
    name."""
    found = session.query_with_references(
        rule_wql(instance_id), namespace=NAMESPACE, types=RULE_TYPES
    )
    if not found:
        return None
    row, reference = found[0]
    return FirewallRule.from_row(row, reference)


def missing_rule_message(instance_id: str = KMS_RULE) -> str:
    return (
        f"the host has no firewall rule {instance_id} (Key Management Service (TCP-In)). "
        "It comes with Windows Server and the Volume Activation Services role; install the role "
        "(Install-WindowsFeature VolumeActivation) or open TCP 1688 with a rule of your own, and "
        "leave the firewall option unset."
    )


def set_enabled(session: CimSession, enabled: bool, rule: FirewallRule) -> None:
    """Enable or disable the rule :func:`read_rule` returned, on the selectors Windows gave it."""
    method = "Enable" if enabled else "Disable"
    if not rule.selectors:
        raise FirewallError(
            f"the host returned {CLASS} {rule.instance_id} without an endpoint reference or its "
            f"key properties ({', '.join(KEYS)}), so the rule cannot be addressed; this "
            "collection does not guess a rule's keys. Enable the rule on the host "
            f"(Enable-NetFirewallRule -Name {rule.instance_id}) and leave the firewall option "
            "unset."
        )
    result = session.invoke(CLASS, method, None, dict(rule.selectors), namespace=NAMESPACE)
    if result.return_value:
        raise FirewallError(
            f"{CLASS}.{method} of {rule.instance_id} answered ReturnValue {result.return_value}; "
            "check the host's firewall service (mpssvc) and whether a Group Policy manages the "
            "rule."
        )
