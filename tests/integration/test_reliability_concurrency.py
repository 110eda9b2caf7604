"""Fifty-two machines, fifty forks: one record set shared by all, and no cross-talk between hosts.

* Every host adds its own target to one ``_vlmcs._tcp`` record set with kms_srv_record delegated
  to localhost, all at once: afterwards BIND holds exactly one record per host (none lost, none
  twice). The compare-and-swap retries each writer needed are recorded and printed.
* kms_activation_info reads all machines at once: each result carries the identity (CMID, edition,
  partial key) of its own machine, and each machine's listener saw exactly the requests its own
  task reports.
* kms_client_setup_key converts and activates all clients at once against the one KMS host: each
  machine's journal holds only its own GVLK, and the host counted every client (capped at 50).
"""

from __future__ import annotations

import json

import pytest
import yaml
from kmslab.model import admin
from kmslab.presets import scale

pytestmark = pytest.mark.reliability("concurrency")

LAB_SHAPE = scale(52)  # kms1 and 51 clients in corp.lab.test
FORKS = ["--forks", "50"]
DOMAIN = "fleet.corp.lab.test"


def secrets_args(lab) -> list[str]:
    return ["-e", f"@{lab.state_dir / 'secrets.yml'}", *FORKS]


PUBLISH = yaml.safe_dump(
    [
        {
            "name": "Every machine publishes itself into one record set",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Add my record",
                    "volact.kms.kms_srv_record": {
                        "domain": DOMAIN,
                        "target": "{{ kmslab_fqdn }}",
                        "weight": 10,
                        "server": "{{ kmslab_dns_server }}",
                        "server_port": "{{ kmslab_dns_port }}",
                        "key_name": "{{ kmslab_tsig_key_name }}",
                        "key_secret": "{{ kmslab_tsig_secret }}",
                        # 52 writers on one RRset: room for every collision (backoff is capped).
                        "max_retries": 60,
                    },
                    "delegate_to": "localhost",
                }
            ],
        }
    ],
    sort_keys=False,
)


def test_fifty_two_writers_one_record_set_none_lost_none_twice(
    lab, run_playbook, record_property, capsys
):
    first = run_playbook(lab, PUBLISH, extra_args=secrets_args(lab))
    assert first.rc == 0, first.output[-4000:]
    names = lab.names()
    results = {name: first.result(name, "Add my record") for name in names}
    retries = sorted(result["retries"] for result in results.values())
    record_property("writers", len(names))
    record_property("retries", retries)
    record_property("retries_total", sum(retries))
    with capsys.disabled():
        print(f"\nretries per writer (52 at once): {retries}, total {sum(retries)}")
    assert all(result["changed"] for result in results.values()), retries
    answers = lab.bind.query_srv(DOMAIN)
    targets = sorted(answer.target for answer in answers)
    expected = sorted(f"{lab.machine(name).fqdn}." for name in names)
    assert targets == expected, f"lost or doubled: retries {retries}"
    record_property("records_expected", len(expected))
    record_property("records_found", len(targets))
    record_property("records_lost", len(set(expected) - set(targets)))
    record_property("records_duplicated", len(targets) - len(set(targets)))
    # Every writer's own answer already showed its record in the set it read back.
    for name, result in results.items():
        assert lab.machine(name).fqdn in {r["target"] for r in result["records"]}, name

    # The same run again, all at once: nothing to change, so not a single UPDATE.
    updates = lab.bind.opcode_counts().get("UPDATE", 0)
    again = run_playbook(lab, PUBLISH, extra_args=secrets_args(lab))
    assert again.rc == 0, again.output[-4000:]
    assert not any(again.result(name, "Add my record")["changed"] for name in names)
    assert lab.bind.opcode_counts().get("UPDATE", 0) == updates
    assert sorted(a.target for a in lab.bind.query_srv(DOMAIN)) == expected


READ = """
- name: Read every machine at once
  hosts: all
  gather_facts: false
  tasks:
    - name: Read
      volact.kms.kms_activation_info:
        events: false
"""


def test_fifty_two_reads_each_result_is_its_own_machine(lab, run_playbook, record_property):
    names = lab.names()
    before = {name: sum(lab.requests(name).values()) for name in names}
    run = run_playbook(lab, READ, extra_args=FORKS)
    assert run.rc == 0, run.output[-4000:]
    mixed = []
    for name in names:
        facts = run.result(name, "Read")["kms_activation"]
        machine = lab.machine(name)
        product = lab.call(admin.windows_product, machine)
        mine = (machine.cmid, product["PartialProductKey"], product["LicenseFamily"])
        got = (
            facts["client_machine_id"],
            facts["windows"]["partial_product_key"],
            facts["windows"]["license_family"],
        )
        if got != mine:
            mixed.append((name, got, mine))
        sent = sum(lab.requests(name).values()) - before[name]
        if sent != run.result(name, "Read")["wsman"]["requests"]:
            mixed.append((name, "requests", sent))
    record_property("hosts", len(names))
    record_property("cross_talk", len(mixed))
    assert mixed == []
    assert len({run.result(n, "Read")["kms_activation"]["client_machine_id"] for n in names}) == 52


CONVERT = """
- name: Convert every client at once
  hosts: kms_clients
  gather_facts: false
  tasks:
    - name: Convert
      volact.kms.kms_client_setup_key:
        kms_host: kms1.corp.lab.test
"""


def test_fifty_one_clients_convert_and_activate_against_one_host(
    lab, run_playbook, record_property
):
    kms1 = lab.machine("kms1")
    assert lab.call(admin.setup_kms_host, kms1, lab.host_key) == 0
    clients = lab.names("client")
    run = run_playbook(lab, CONVERT, extra_args=FORKS)
    assert run.rc == 0, run.output[-4000:]
    mixed = []
    states: dict[str, int] = {}
    for name in clients:
        result = run.result(name, "Convert")
        mine = lab.call(admin.windows_product, lab.machine(name))["PartialProductKey"]
        client = result["kms_client"]
        installs = [w for w in lab.writes(name) if w.method == "InstallProductKey"]
        own = (
            client["product"]["partial_product_key"] == mine
            and client["gvlk"]["key"].endswith(mine)
            and [str(w.arg("ProductKey"))[-5:] for w in installs] == [mine]
        )
        if not own:
            mixed.append((name, client["product"]["partial_product_key"], mine))
        state = result["activation"]["state"]
        states[state] = states.get(state, 0) + 1
    count = lab.call(lambda: admin.service(kms1)["KeyManagementServiceCurrentCount"])
    record_property("hosts", len(clients))
    record_property("cross_talk", len(mixed))
    record_property("activation_states", json.dumps(states, sort_keys=True))
    record_property("kms_host_count", count)
    assert mixed == []
    # 51 distinct clients asked; the host keeps at most 50 (twice the client threshold of 25).
    assert count == 50, states
    assert set(states) <= {"activated", "below_threshold"}, states
    assert states.get("below_threshold", 0) == 24, states  # counts 1 to 24 are below 25
