"""The built-in KMS firewall rule, ``SPPSVC-In-TCP`` (MSFT_NetFirewallRule, root/StandardCimv2).

The rule admits TCP 1688 only: the port lives in the associated port filter, not in the rule
(wsman-wire §4.6), so a KMS host moved to another listening port needs a rule of its own. The lab
starts with the rule disabled, as on a server where nobody has configured KMS yet.

Identity (older-windows-office-adba.md §7.2): the class is keyed by the four keys of
CIM_PolicyRule, not by InstanceID. Public WMI code addresses a rule as
``CreationClassName="MSFT|FW|FirewallRule|<InstanceID>",PolicyRuleName="",
SystemCreationClassName="",SystemName=""``; the lab's rules carry exactly those values.
"""

from __future__ import annotations

from dataclasses import dataclass

KMS_RULE = "SPPSVC-In-TCP"
DOMAIN, PRIVATE, PUBLIC = 1, 2, 4  # Profiles bitmask; 0 means any profile
ENABLED_TRUE, ENABLED_FALSE = 1, 2  # MSFT_NetFirewallRule.Enabled is uint16 1/2, not boolean
KEYS = ("CreationClassName", "PolicyRuleName", "SystemCreationClassName", "SystemName")
CREATION_CLASS_PREFIX = "MSFT|FW|FirewallRule|"  # §7.2, observed key values


@dataclass
class FirewallRule:
    instance_id: str
    display_name: str
    display_group: str
    local_ports: tuple[int, ...]
    enabled: bool = False
    profiles: int = DOMAIN | PRIVATE  # §4.6: MS docs enable it for Domain,Private
    protocol: str = "TCP"

    def admits(self, port: int, profile: int, protocol: str = "TCP") -> bool:
        in_profile = self.profiles == 0 or bool(self.profiles & profile)
        return (
            self.enabled and in_profile and protocol == self.protocol and port in self.local_ports
        )

    def key_values(self) -> dict[str, str]:
        """The selector set that addresses this rule (§7.2)."""
        return {
            "CreationClassName": CREATION_CLASS_PREFIX + self.instance_id,
            "PolicyRuleName": "",
            "SystemCreationClassName": "",
            "SystemName": "",
        }

    def to_dict(self) -> dict[str, object]:
        # Only properties of Microsoft's MSFT_NetFirewallRule page (MS-NFR, §7.1); the rule's
        # name is InstanceID (the page has no Name property: the cmdlets' -Name is InstanceID).
        return {
            "Action": 2,  # Allow
            "Description": None,
            "Direction": 1,  # Inbound
            "DisplayGroup": self.display_group,
            "DisplayName": self.display_name,
            "ElementName": self.display_name,
            "Enabled": ENABLED_TRUE if self.enabled else ENABLED_FALSE,
            "InstanceID": self.instance_id,
            "Profiles": self.profiles,
            **self.key_values(),
        }


class Firewall:
    def __init__(self, profile: int = DOMAIN) -> None:
        self.profile = profile  # the network profile the machine's interface is in
        self.rules: dict[str, FirewallRule] = {}
        self.add(
            FirewallRule(
                KMS_RULE, "Key Management Service (TCP-In)", "Key Management Service", (1688,)
            )
        )

    def add(self, rule: FirewallRule) -> FirewallRule:
        self.rules[rule.instance_id.casefold()] = rule
        return rule

    def rule(self, instance_id: str) -> FirewallRule | None:
        return self.rules.get(instance_id.casefold())

    def allow_port(self, port: int) -> FirewallRule:
        """An administrator's own rule for a non-default KMS port (lab control)."""
        return self.add(
            FirewallRule(f"Lab-KMS-{port}", f"KMS on {port} (TCP-In)", "Lab", (port,), enabled=True)
        )

    def admits(self, port: int, protocol: str = "TCP") -> bool:
        return any(rule.admits(port, self.profile, protocol) for rule in self.rules.values())

    def set_enabled(self, instance_id: str, enabled: bool) -> int:
        """MSFT_NetFirewallRule Enable()/Disable(): ReturnValue 0 on success."""
        rule = self.rule(instance_id)
        if rule is None:
            return 2
        rule.enabled = enabled
        return 0
