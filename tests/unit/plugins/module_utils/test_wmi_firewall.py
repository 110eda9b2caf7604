# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KMS firewall rule is addressed by the identity Windows hands back, never by a selector set
we build (older-windows-office-adba.md §7.2, §7.3; wsman-wire.md §4.6).

MSFT_NetFirewallRule is keyed by CIM_PolicyRule's four keys, not InstanceID. The read is one
EnumerateObjectAndEPR enumeration; Enable/Disable go to the selectors of the endpoint reference it
returned, or, where an item has none, to the key values the same read returned.
"""

from __future__ import annotations

from typing import Any

import pytest
from kmslab.model import Fleet
from kmslab.model.firewall import KMS_RULE
from kmslab.provider import ModelProvider
from kmslab.wsman.service import WsmanService

from ansible_collections.volact.kms.plugins.module_utils.windows import firewall as wmi_firewall
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import (
    EndpointReference,
    MethodResult,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

KEYS = {
    "CreationClassName": "MSFT|FW|FirewallRule|SPPSVC-In-TCP",
    "PolicyRuleName": "",
    "SystemCreationClassName": "",
    "SystemName": "",
}
ROW = {
    "InstanceID": "SPPSVC-In-TCP",
    "DisplayName": "Key Management Service (TCP-In)",
    "Enabled": 2,
    "Profiles": 3,
}


class Recorder:
    """A lab machine behind the WS-Man service, called in process; keeps every request."""

    def __init__(self) -> None:
        self.machine = Fleet().add("kms1", "ws2022-standard")
        self.service = WsmanService(self.machine.fqdn, ModelProvider(self.machine))
        self.sent: list[str] = []

    def __call__(self, xml: str, **_: object) -> bytes:
        self.sent.append(xml)
        alias = self.machine.fqdn
        return self.service.handle(xml.encode(), alias=alias, endpoint="http://lab/wsman")[1]


def test_the_rule_and_its_endpoint_reference_come_in_one_request() -> None:
    send = Recorder()
    session = CimSession(send)
    rule = wmi_firewall.read_rule(session)
    assert rule is not None
    assert session.requests == 1
    assert "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>" in send.sent[0]
    assert dict(rule.selectors) == KEYS
    assert rule.to_dict() == {  # the rule's name is still its InstanceID
        "name": KMS_RULE,
        "display_name": "Key Management Service (TCP-In)",
        "enabled": False,
        "profiles": 3,
    }


def test_enable_goes_to_the_selectors_windows_returned() -> None:
    send = Recorder()
    session = CimSession(send)
    rule = wmi_firewall.read_rule(session)
    assert rule is not None
    wmi_firewall.set_enabled(session, True, rule)
    assert send.machine.firewall.rule(KMS_RULE).enabled is True
    write = send.machine.journal.writes[-1]
    assert (write.method, dict(write.selectors)) == ("Enable", KEYS)
    assert "InstanceID" not in send.sent[-1]
    wmi_firewall.set_enabled(session, False, rule)
    assert send.machine.firewall.rule(KMS_RULE).enabled is False


def test_an_instance_id_selector_is_refused_as_windows_refuses_unexpected_selectors() -> None:
    # What the client used to send: the lab answers the captured w:InvalidSelectors fault.
    session = CimSession(Recorder())
    with pytest.raises(WsmanFault) as refused:
        session.invoke(
            "MSFT_NetFirewallRule",
            "Enable",
            None,
            {"InstanceID": KMS_RULE},
            namespace=wmi_firewall.NAMESPACE,
        )
    assert refused.value.subcode == "w:InvalidSelectors"
    assert refused.value.hresult == 0x8033805B  # ERROR_WSMAN_UNEXPECTED_SELECTORS
    assert "ERROR_WSMAN_UNEXPECTED_SELECTORS" in str(refused.value)


def test_the_endpoint_reference_wins_over_the_key_properties() -> None:
    reference = EndpointReference(None, (("CreationClassName", "from-the-epr"),))
    rule = wmi_firewall.FirewallRule.from_row({**ROW, **KEYS}, reference)
    assert rule.selectors == (("CreationClassName", "from-the-epr"),)


def test_without_a_reference_the_key_values_read_are_used() -> None:
    for reference in (None, EndpointReference(None, ())):
        rule = wmi_firewall.FirewallRule.from_row({**ROW, **KEYS}, reference)
        assert dict(rule.selectors) == KEYS


class NoCalls:
    def invoke(self, *args: Any, **kwargs: Any) -> MethodResult:
        raise AssertionError("nothing may be sent for a rule without an identity")


def test_a_rule_without_any_identity_is_not_guessed() -> None:
    rule = wmi_firewall.FirewallRule.from_row(ROW)  # no reference, no key properties
    assert rule.selectors == ()
    with pytest.raises(wmi_firewall.FirewallError, match="does not guess"):
        wmi_firewall.set_enabled(NoCalls(), True, rule)  # type: ignore[arg-type]
