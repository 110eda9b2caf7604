"""The lab's BIND: starts unprivileged on loopback, takes signed updates, answers real queries."""

from __future__ import annotations

import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest
from kmslab.bind import BindServer, SrvAnswer


@pytest.fixture(scope="module")
def bind():
    server = BindServer(zones=("corp.example", "lab.example"))
    server.start()
    yield server
    workdir = server.workdir
    server.stop()
    assert not server.running
    assert not workdir.exists()


def test_serves_its_zones_on_loopback(bind):
    assert bind.address.startswith("127.")
    assert "ns1.corp.example." in bind.dig("corp.example", "SOA", "+short")
    assert bind.query_address("ns1.lab.example") == [bind.address]


def test_publishing_one_host_leaves_the_others(bind):
    assert bind.publish_srv("corp.example", "kms1.corp.example", 1688, 0, 0) == "NOERROR"
    assert bind.publish_srv("corp.example", "kms2.corp.example", 1688, 10, 50) == "NOERROR"
    assert bind.publish_srv("corp.example", "kms1.corp.example", 1688, 5, 20) == "NOERROR"
    assert bind.query_srv("corp.example") == [
        SrvAnswer(5, 20, 1688, "kms1.corp.example."),
        SrvAnswer(10, 50, 1688, "kms2.corp.example."),
    ]
    answer = bind.dig("_vlmcs._tcp.corp.example", "SRV", "+noall", "+answer")
    assert "SRV\t10 50 1688 kms2.corp.example." in answer
    assert bind.remove_srv("corp.example", "kms1.corp.example") == "NOERROR"
    assert [r.target for r in bind.query_srv("corp.example")] == ["kms2.corp.example."]


def test_one_host_can_hold_several_records_and_they_are_replaced_together(bind):
    # What a host with its home domain listed publishes under home_domain_record=kept.
    assert bind.publish_srv("multi.corp.example", "kms9.corp.example", 1688, 30, 0) == "NOERROR"
    pair = [(1688, 0, 0), (1688, 5, 20)]
    assert bind.publish_srv_set("multi.corp.example", "kms1.corp.example", pair) == "NOERROR"
    assert bind.publish_srv_set("multi.corp.example", "kms1.corp.example", pair) == "NOERROR"
    assert bind.query_srv("multi.corp.example") == [
        SrvAnswer(0, 0, 1688, "kms1.corp.example."),
        SrvAnswer(5, 20, 1688, "kms1.corp.example."),
        SrvAnswer(30, 0, 1688, "kms9.corp.example."),
    ]
    assert bind.publish_srv("multi.corp.example", "kms1.corp.example", 1688, 5, 20) == "NOERROR"
    assert bind.query_srv("multi.corp.example") == [
        SrvAnswer(5, 20, 1688, "kms1.corp.example."),
        SrvAnswer(30, 0, 1688, "kms9.corp.example."),
    ]
    assert bind.remove_srv("multi.corp.example", "kms1.corp.example") == "NOERROR"
    assert bind.remove_srv("multi.corp.example", "kms9.corp.example") == "NOERROR"


def test_unsigned_and_badly_signed_updates_are_refused(bind):
    unsigned = dns.update.UpdateMessage("lab.example.")
    unsigned.add("_vlmcs._tcp.lab.example.", 300, "SRV", "0 0 1688 rogue.lab.example.")
    response = dns.query.tcp(unsigned, bind.address, port=bind.port, timeout=5)
    assert dns.rcode.to_text(response.rcode()) == "REFUSED"

    forged = dns.update.UpdateMessage(
        "lab.example.",
        keyring=dns.tsigkeyring.from_text({bind.key_name: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}),
        keyname=bind.key_name,
    )
    forged.add("_vlmcs._tcp.lab.example.", 300, "SRV", "0 0 1688 rogue.lab.example.")
    with pytest.raises(dns.tsig.PeerBadSignature):
        dns.query.tcp(forged, bind.address, port=bind.port, timeout=5)
    assert bind.query_srv("lab.example") == []


def test_a_fresh_start_forgets_old_updates():
    server = BindServer(zones=("fresh.example",))
    server.start()
    try:
        server.publish_srv("fresh.example", "kms1.fresh.example", 1688, 0, 0)
        server.stop()
        server.start()
        assert server.query_srv("fresh.example") == []
    finally:
        server.stop()


def test_the_guest_key_is_known_but_has_no_rights_and_updates_are_counted(bind):
    counts = bind.opcode_counts()
    guest = dns.update.UpdateMessage(
        "lab.example.",
        keyring=dns.tsigkeyring.from_text({bind.guest_key_name: bind.guest_key_secret}),
        keyname=bind.guest_key_name,
    )
    guest.add("_vlmcs._tcp.lab.example.", 300, "SRV", "0 0 1688 guest.lab.example.")
    response = dns.query.tcp(guest, bind.address, port=bind.port, timeout=5)
    assert dns.rcode.to_text(response.rcode()) == "REFUSED"
    assert bind.opcode_counts()["UPDATE"] == counts["UPDATE"] + 1
    assert bind.journals["lab.example"] == b""
    assert f'key "{bind.guest_key_name}"' in bind.guest_key_file.read_text()
