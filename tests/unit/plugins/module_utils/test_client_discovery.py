"""Issue 15, item 3: check mode looks up the SRV records a DNS-discovering client needs, and a
failed activation says one consistent thing about where its KMS host came from."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.volact.kms.plugins.module_utils.client import activation as act
from ansible_collections.volact.kms.plugins.module_utils.client.apply import (
    Outcome,
    Reading,
    activate_all,
)
from ansible_collections.volact.kms.plugins.module_utils.client.discovery import (
    SrvAnswer,
    check_discovery,
)
from ansible_collections.volact.kms.plugins.module_utils.client.options import parse_request
from ansible_collections.volact.kms.plugins.module_utils.client.report import build_result
from ansible_collections.volact.kms.plugins.module_utils.client.setup import make_plan
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import explanation
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    WINDOWS_APP_ID,
    Product,
    Service,
)

DOMAIN = "branch.example"
RECORD = "0 0 1688 kms1.corp.example."


def mak_product() -> Product:
    return Product.from_row(
        {
            "ID": "11111111-2222-3333-4444-555555555555",
            "Name": "Windows(R), Enterprise edition",
            "Description": "Windows(R) Operating System, VOLUME_MAK channel",
            "ApplicationID": WINDOWS_APP_ID,
            "LicenseFamily": "Enterprise",
            "PartialProductKey": "Q3VJ9",
            "ProductKeyChannel": "Volume:MAK",
            "LicenseStatus": 5,
        }
    )


def service(**overrides: Any) -> Service:
    base = {"Version": "10.0.22631.1", "KeyManagementServiceHostCaching": True}
    return Service.from_row({**base, **overrides})


class Session:
    """Answers Win32_ComputerSystem only, and counts the queries."""

    def __init__(self, domain: str | None = DOMAIN, member: bool = True) -> None:
        self.row = {"DNSHostName": "pc1", "Domain": domain, "PartOfDomain": member}
        self.queries: list[str] = []

    def query(self, wql: str, types: Any = None) -> list[dict[str, Any]]:
        self.queries.append(wql)
        assert "Win32_ComputerSystem" in wql
        return [self.row]


class Dns:
    def __init__(self, records: tuple[str, ...] = (), problem: str | None = None) -> None:
        self.records = records
        self.problem = problem
        self.asked: list[tuple[str, str | None, int]] = []

    def __call__(self, domain: str, server: str | None, port: int) -> SrvAnswer:
        self.asked.append((domain, server, port))
        return SrvAnswer(domain, f"{server}:{port}", self.records, self.problem)


def checked(args=None, svc=None, session=None, dns=None) -> tuple[Outcome, Session, Dns]:
    request = parse_request({"dns_server": "192.0.2.53", **(args or {})})
    svc = svc or service()
    products = [mak_product()]
    plan = make_plan(request, svc, products)
    outcome = Outcome(request, Reading(svc, products), plan, True, products=list(products))
    activate_all(None, None, outcome)  # check mode: no call is made
    assert outcome.activations[0][1].state is act.State.WOULD_ACTIVATE
    session = session or Session()
    dns = dns or Dns()
    check_discovery(session, outcome, dns)
    return outcome, session, dns


def test_no_srv_record_in_the_clients_domain_warns_and_would_not_activate():
    outcome, session, dns = checked({"discovery": True})
    result = build_result(outcome, diff=False)
    assert dns.asked == [(DOMAIN, "192.0.2.53", 53)]
    assert len(session.queries) == 1  # the one extra request: Win32_ComputerSystem
    activation = result["activation"]
    assert activation["state"] == "would_fail_no_srv"
    assert activation["hresult"] == "0x8007232B"
    assert "failed" not in result  # a warning: an earlier play may publish the records
    (warning,) = result["warnings"]
    assert f"no _vlmcs._tcp SRV record in {DOMAIN} (its domain)" in warning
    assert "192.0.2.53:53" in warning
    assert warning == activation["message"]


def test_records_in_the_domain_keep_would_activate_and_name_them():
    outcome, _session, _dns = checked({"discovery": True}, dns=Dns((RECORD,)))
    result = build_result(outcome, diff=False)
    assert result["activation"]["state"] == "would_activate"
    assert RECORD in result["activation"]["message"]
    assert "warnings" not in result


def test_the_lookup_domain_is_searched_without_reading_the_machines_domain():
    outcome, session, dns = checked({"lookup_domain": "kms.example"})
    assert dns.asked == [("kms.example", "192.0.2.53", 53)]
    assert session.queries == []
    assert "kms.example (its lookup domain)" in outcome.activations[0][1].message
    # Already set on the client, not managed by the task: the same.
    svc = service(KeyManagementServiceLookupDomain="set.example")
    _outcome, session, dns = checked({}, svc=svc)
    assert dns.asked[0][0] == "set.example"
    assert session.queries == []


def test_a_pinned_host_is_not_looked_up():
    for args, svc in (
        ({"kms_host": "kms1.corp.example"}, None),
        ({}, service(KeyManagementServiceMachine="kms9")),
    ):
        outcome, session, dns = checked(args, svc=svc)
        assert outcome.activations[0][1].state is act.State.WOULD_ACTIVATE
        assert (dns.asked, session.queries) == ([], [])
    # discovery: true clears the pin: then the records matter.
    outcome, _session, dns = checked(
        {"discovery": True}, svc=service(KeyManagementServiceMachine="kms9")
    )
    assert outcome.activations[0][1].state is act.State.WOULD_FAIL_NO_SRV


def test_a_workgroup_machine_is_not_checked_and_not_warned_about():
    outcome, _session, dns = checked({}, session=Session("WORKGROUP", member=False))
    assert dns.asked == []
    activation = outcome.activations[0][1]
    assert activation.state is act.State.WOULD_ACTIVATE
    assert "not a domain member" in activation.message
    assert outcome.warnings == []


def test_dns_that_cannot_tell_warns_and_keeps_would_activate():
    outcome, _session, _dns = checked({}, dns=Dns(problem="192.0.2.53 did not answer"))
    activation = outcome.activations[0][1]
    assert activation.state is act.State.WOULD_ACTIVATE
    assert outcome.warnings == [activation.message]
    assert "could not be checked in DNS: 192.0.2.53 did not answer" in activation.message


def test_a_cached_host_is_still_tried_without_records():
    svc = service(
        DiscoveredKeyManagementServiceMachineName="kms1.corp.example",
        DiscoveredKeyManagementServiceMachinePort=1688,
    )
    outcome, _session, _dns = checked({}, svc=svc)
    activation = outcome.activations[0][1]
    assert activation.state is act.State.WOULD_ACTIVATE
    assert "would try only the KMS host it cached, kms1.corp.example:1688" in activation.message
    assert outcome.warnings == [activation.message]
    # With host caching turned off by the task, the cache does not help.
    outcome, _session, _dns = checked({"host_caching": False}, svc=svc)
    assert outcome.activations[0][1].state is act.State.WOULD_FAIL_NO_SRV


def test_dns_server_options():
    assert parse_request({}).dns_server is None
    assert parse_request({"dns_server": " [2001:DB8::53] "}).dns_server == "2001:db8::53"
    request = parse_request({"dns_server": "ns1.Example.", "dns_port": 5353})
    assert (request.dns_server, request.dns_port) == ("ns1.example", 5353)
    with pytest.raises(KmsInputError) as error:
        parse_request({"dns_port": 5353})
    assert error.value.field == "dns_port"
    with pytest.raises(KmsInputError) as error:
        parse_request({"dns_server": "ns1", "dns_port": 0})
    assert error.value.field == "dns_port"


# The real run's message ------------------------------------------------------------------------


def test_no_srv_record_failure_does_not_claim_a_host_was_found_in_dns():
    for stale in (None, "kms1.corp.example:1688 (found in DNS)"):
        message = act.failed("Pro", 0x8007232B, "", stale).message
        assert message.startswith(
            "Activating Pro failed (KMS host: none found in DNS): 0x8007232B"
        ), message
        assert message.endswith("0x8007232B (DNS_ERROR_RCODE_NAME_ERROR)"), message
        # What the code means is the result's details (hresult_brief.explanation).
        assert "found no _vlmcs._tcp SRV record" in explanation(0x8007232B)["details"]
        assert "KMS host: found in DNS" not in message
        assert "kms1" not in message


def test_other_failures_name_the_host_or_the_discovery():
    assert act.failed("Pro", 0xC004F074, "", None).message.startswith(
        "Activating Pro failed (KMS host: from DNS discovery): 0xC004F074"
    )
    found = act.failed("Pro", 0xC004F042, "", "kms1:1688 (found in DNS)")
    assert found.message.startswith("Activating Pro failed (KMS host: kms1:1688 (found in DNS)):")
    pinned = act.failed("Pro", 0x8007232B, "", "kms9:1688 (pinned)")
    assert pinned.message.startswith("Activating Pro failed (KMS host: kms9:1688 (pinned)):")
    assert act.failed("Pro", None, "the product is not found", None).message == (
        "Activating Pro failed (KMS host: from DNS discovery): the product is not found"
    )
