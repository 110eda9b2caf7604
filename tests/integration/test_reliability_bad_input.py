"""Bad input through real ansible-playbook: refused, named, and nothing reaches a machine or BIND.

One play per module against the small lab, every task with ``ignore_errors`` so all of them run.
Afterwards no machine has seen a single WS-Man request more than before, no write is in any
machine's journal, BIND has counted no new message of any opcode (not even a query), and neither
the host key, the TSIG secret nor the WinRM password appears in the output or the results.
"""

from __future__ import annotations

import json

import pytest
import yaml

pytestmark = pytest.mark.reliability("bad_input")

GVLK_PRO = "W269N-WFGWX-YVC9B-4J6C9-T83GX"  # public: Microsoft's KMS client key of Windows Pro
CYRILLIC_O = "\u043e"


Case = tuple[str, str, dict[str, object], str]
HOST, CLIENT, PUBLISH, INFO, SRV = (
    "kms_host_key",
    "kms_client_setup_key",
    "kms_publish_list",
    "kms_activation_info",
    "kms_srv_record",
)


def cases(lab) -> list[Case]:
    """(host, module, arguments, text the refusal must contain: the option's name)."""
    bind = lab.bind
    srv = {
        "domain": "fleet.corp.lab.test",
        "server": bind.address,
        "server_port": bind.port,
        "key_name": bind.key_name,
        "key_secret": bind.key_secret,
    }
    one = {**srv, "target": "kms1.corp.lab.test"}
    key = {"key": lab.host_key}
    twice = [{"target": "kms1.corp.lab.test"}, {"target": "KMS1.corp.lab.test."}]
    return [
        ("kms1", HOST, {"key": GVLK_PRO}, "key: the value (XXXXX-XXXXX-XXXXX-XXXXX-T83GX)"),
        ("kms1", HOST, {"key": GVLK_PRO[:-1]}, "key: "),
        ("kms1", HOST, {"key": GVLK_PRO.replace("C", "\u0421")}, "key: "),
        ("kms1", HOST, {**key, "listening_port": 70000}, "listening_port"),
        ("kms1", HOST, {**key, "listening_port": "Infinity"}, "listening_port"),
        ("kms1", HOST, {**key, "listening_port": True}, "listening_port"),
        ("kms1", HOST, {**key, "activation_interval": 10}, "activation_interval"),
        ("kms1", HOST, {**key, "renewal_intervall": 60}, "renewal_intervall"),
        ("pc001", CLIENT, key, "key: XXXXX-XXXXX-XXXXX-XXXXX-"),
        ("pc001", CLIENT, {"kms_host": "kms1.corp.lab.test:1688"}, "kms_host"),
        ("pc001", CLIENT, {"kms_host": "kms1", "kms_port": 0}, "kms_port"),
        ("pc001", CLIENT, {"lookup_domain": f"c{CYRILLIC_O}rp.lab.test"}, "lookup_domain"),
        ("pc001", CLIENT, {"discovery": True, "kms_host": "kms1"}, "discovery"),
        ("kms1", PUBLISH, {"domains": ["corp.lab.test", "CORP.lab.test."]}, "domains[1]"),
        (
            "kms1",
            PUBLISH,
            {"domains": [{"name": "corp.lab.test", "priority": 70000}]},
            "domains[0]",
        ),
        ("kms1", PUBLISH, {"domains": ["corp.lab.test, 10, 20"]}, "domains[0]"),
        ("kms1", PUBLISH, {"domains": ["corp.lab.test"], "restart_timeout": 0}, "restart_timeout"),
        ("pc001", INFO, {"event_days": 0}, "event_days"),
        ("pc001", INFO, {"event_limit": "lots"}, "event_limit"),
        ("kms1", SRV, {**srv, "target": "kms1"}, "target"),
        ("kms1", SRV, {**one, "port": 0}, "port"),
        ("kms1", SRV, {**one, "weight": "inf"}, "weight"),
        ("kms1", SRV, {**one, "priority": 65536}, "priority"),
        ("kms1", SRV, {**one, "domain": "_vlmcs.corp"}, "domain"),
        ("kms1", SRV, {**srv, "records": twice}, "records[1].target"),
    ]


def playbook(lab) -> str:
    plays = []
    for index, (host, module, args, _text) in enumerate(cases(lab)):
        task: dict[str, object] = {
            "name": f"case {index:02d} {module}",
            f"volact.kms.{module}": args,
            "ignore_errors": True,
        }
        if module == "kms_srv_record":
            task["delegate_to"] = "localhost"
        plays.append(
            {"name": f"case {index:02d}", "hosts": host, "gather_facts": False, "tasks": [task]}
        )
    return yaml.safe_dump(plays, sort_keys=False, allow_unicode=True)


def test_bad_input_is_refused_before_any_request(lab, run_playbook, record_property):
    names = lab.names()
    requests = {name: lab.requests(name) for name in names}
    dns_before = lab.bind.opcode_counts()
    run = run_playbook(lab, playbook(lab), verbosity=2)
    assert run.rc == 0, run.output[-4000:]
    refused = 0
    for index, (host, module, _args, text) in enumerate(cases(lab)):
        task = f"case {index:02d} {module}"
        result = run.result(host, task)
        assert run.status(host, task) == "failed", (task, result)
        assert text in result["msg"], (task, result["msg"])
        assert "Traceback" not in json.dumps(result), (task, result)
        assert "wsman" not in result, (task, result)  # no session was even opened
        refused += 1
    sent = {name: lab.requests(name) for name in names}
    writes = {name: lab.writes(name) for name in names}
    dns_after = lab.bind.opcode_counts()
    record_property("cases", refused)
    record_property("requests_on_rejected", total(sent) - total(requests))
    record_property("writes_on_rejected", sum(len(w) for w in writes.values()))
    record_property("dns_messages_on_rejected", sum(dns_after.values()) - sum(dns_before.values()))
    assert sent == requests, "a WS-Man request reached a machine"
    assert writes == {name: [] for name in names}, writes
    assert dns_after == dns_before, "a DNS message reached BIND"
    everything = run.output + json.dumps(run.results)
    for secret in (lab.host_key, lab.bind.key_secret, lab.password):
        assert secret not in everything
    record_property("secrets_found", 0)


def total(requests: dict[str, dict[str, int]]) -> int:
    return sum(sum(per_machine.values()) for per_machine in requests.values())
