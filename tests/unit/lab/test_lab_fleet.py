"""The fleet's network rules: name resolution, reachability, RFC 2782 order, in-memory DNS."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from kmslab.model import Fleet, InMemoryDns, SrvRecord, admin
from kmslab.model.dns import order_srv


def test_rfc2782_tries_lower_priorities_first() -> None:
    records = [("c", 1688, 20, 0), ("a", 1688, 0, 0), ("b", 1688, 10, 0)]
    assert [r[0] for r in order_srv(records, random.Random(1))] == ["a", "b", "c"]


def test_rfc2782_weights_share_out_first_choices_within_a_priority() -> None:
    records = [("light", 1688, 0, 10), ("heavy", 1688, 0, 90), ("zero", 1688, 0, 0)]
    rng = random.Random(7)
    firsts = Counter(order_srv(records, rng)[0][0] for _draw in range(2000))
    assert firsts["heavy"] > 1650
    assert 120 < firsts["light"] < 300
    assert firsts["zero"] < 30  # weight 0 gets "a very small chance"


def test_in_memory_dns_replaces_a_hosts_record_and_keeps_the_others() -> None:
    dns = InMemoryDns(["lab.test"])
    assert dns.publish([SrvRecord("lab.test.", "KMS1.lab.test.", 1688, 0, 0)])
    assert dns.publish([SrvRecord("lab.test", "kms2.lab.test", 1688, 10, 0)])
    assert dns.publish([SrvRecord("LAB.test", "kms1.lab.test", 1689, 5, 5)])
    assert dns.discover("lab.test") == [
        ("kms2.lab.test", 1688, 10, 0),
        ("kms1.lab.test", 1689, 5, 5),
    ]
    assert dns.publish([SrvRecord("sub.lab.test", "kms1.lab.test", 1688, 0, 0)])
    assert not dns.publish([SrvRecord("elsewhere.test", "kms1.lab.test", 1688, 0, 0)])
    dns.remove("lab.test", "kms2.lab.test")
    assert dns.discover("lab.test") == [("kms1.lab.test", 1689, 5, 5)]


def test_in_memory_dns_one_publish_replaces_a_hosts_records_as_a_whole() -> None:
    dns = InMemoryDns(["lab.test"])
    assert dns.publish([SrvRecord("lab.test", "kms2.lab.test", 1688, 10, 0)])
    pair = [SrvRecord("lab.test", "kms1.lab.test", 1688, 0, 0)] * 2
    pair.append(SrvRecord("lab.test", "kms1.lab.test", 1688, 5, 20))
    assert dns.publish(pair)  # a duplicate in one publish is stored once
    assert dns.discover("lab.test") == [
        ("kms2.lab.test", 1688, 10, 0),
        ("kms1.lab.test", 1688, 0, 0),
        ("kms1.lab.test", 1688, 5, 20),
    ]
    assert dns.publish([SrvRecord("lab.test", "kms1.lab.test", 1688, 5, 20)])
    assert dns.discover("lab.test") == [
        ("kms2.lab.test", 1688, 10, 0),
        ("kms1.lab.test", 1688, 5, 20),
    ]


def test_names_resolve_by_fqdn_short_name_or_address() -> None:
    fleet = Fleet()
    machine = fleet.add("KMS1", "ws2022-standard", address="127.0.0.21")
    assert fleet.resolve("kms1.lab.test.") is machine
    assert fleet.resolve("kms1") is machine
    assert fleet.resolve("127.0.0.21") is machine
    assert fleet.resolve("kms2") is None
    with pytest.raises(ValueError, match="already has"):
        fleet.add("kms1", "ws2019-standard")


def test_every_reason_a_kms_host_does_not_answer() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    plain = fleet.add("srv1", "ws2022-standard")
    admin.set_firewall_rule(plain, enabled=True)
    assert fleet.unreachable_reason("srv1", 1688) == "srv1: no KMS host listening"
    admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key)
    assert fleet.unreachable_reason("kms1", 1688) is None
    host.faults.kms_unreachable = True
    assert fleet.unreachable_reason("kms1", 1688) == "kms1: port dropped (injected)"
    host.faults.kms_unreachable = False
    host.online = False
    assert fleet.unreachable_reason("kms1", 1688) == "kms1 is powered off"
    host.online = True
    host.sppsvc.stop_service()
    assert fleet.unreachable_reason("kms1", 1688) == "kms1: no KMS host listening"
    assert fleet.reach_kms("kms1", 1688) is None
    host.sppsvc.start_service()
    assert fleet.reach_kms("kms1", 1688) is host.spp


def test_a_new_host_key_serves_only_after_sppsvc_restarts() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    admin.set_firewall_rule(host, enabled=True)
    admin.install_key(host, fleet.keys.csvlk("ws2022").key)
    assert admin.activate_windows(host) == 0
    assert fleet.unreachable_reason("kms1", 1688) == "kms1: no KMS host listening"
    assert fleet.dns.records("lab.test") == []
    admin.restart_sppsvc(host)
    assert fleet.unreachable_reason("kms1", 1688) is None
    assert fleet.dns.records("lab.test") == [SrvRecord("lab.test", "kms1.lab.test", 1688, 0, 0)]


def test_republish_refreshes_every_serving_host() -> None:
    fleet = Fleet()
    for name in ("kms1", "kms2"):
        admin.setup_kms_host(fleet.add(name, "ws2022-standard"), fleet.keys.csvlk("ws2022").key)
    fleet.dns.remove("lab.test")
    results = fleet.republish()
    assert [(record.target, ok) for record, ok in results] == [
        ("kms1.lab.test", True),
        ("kms2.lab.test", True),
    ]
    assert len(fleet.dns.records("lab.test")) == 2
