"""kms_srv_record for real: ansible-playbook against a real BIND 9 with an hmac-sha256 TSIG key.

Each test works in its own domain below the lab zone ``srv.test``, so the record sets do not mix.
BIND's statistics channel counts every request by opcode, which is how check mode and bad input
are proven to send no UPDATE (not even a prerequisite-only one); the zone's journal and SOA serial
must not move either.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.tsigkeyring
import dns.update
import pytest
from kmslab.bind import BindServer, SrvAnswer, free_port
from kmslab.playbook import PlaybookRun, run_tasks

ZONE = "srv.test"
MODULE = "volact.kms.kms_srv_record"


@pytest.fixture(scope="module")
def bind() -> Iterator[BindServer]:
    server = BindServer(zones=(ZONE, "other.test"))
    server.start()
    yield server
    server.stop()


def signed(bind: BindServer, **options: object) -> dict[str, object]:
    """A kms_srv_record task signed with the lab's update key."""
    return {
        MODULE: {
            "server": bind.address,
            "server_port": bind.port,
            "key_name": bind.key_name,
            "key_secret": bind.key_secret,
            **options,
        }
    }


def unsigned(bind: BindServer, **options: object) -> dict[str, object]:
    return {MODULE: {"server": bind.address, "server_port": bind.port, **options}}


def records(result: dict[str, Any]) -> list[tuple[int, int, int, str]]:
    return [(r["priority"], r["weight"], r["port"], r["target"]) for r in result["records"]]


def srv(bind: BindServer, domain: str) -> list[SrvAnswer]:
    return bind.query_srv(domain)


def ttl_of(bind: BindServer, domain: str) -> set[int]:
    answer = bind.dig(f"_vlmcs._tcp.{domain}", "SRV", "+noall", "+answer")
    return {int(line.split()[1]) for line in answer.splitlines() if line.strip()}


def serial(bind: BindServer) -> int:
    return int(bind.dig(ZONE, "SOA", "+short").split()[2])


def raw_update(bind: BindServer, domain: str, *rdatas: str) -> None:
    """Records written behind the module's back, as another tool or a KMS host would."""
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    update = dns.update.UpdateMessage(f"{ZONE}.", keyring=keyring, keyname=bind.key_name)
    update.add(f"_vlmcs._tcp.{domain}.", 3600, "SRV", *rdatas)
    assert dns.query.tcp(update, bind.address, port=bind.port, timeout=5).rcode() == 0


def assert_ok(run: PlaybookRun, count: int) -> None:
    assert run.returncode == 0, run.output
    assert len(run.results) == count, run.output
    failed = [r.get("msg") for r in run.results if r.get("failed")]
    assert not failed, failed


# --- one host at a time -----------------------------------------------------------------------


def test_add_update_remove_one_host_and_leave_the_others(bind: BindServer) -> None:
    domain = f"life.{ZONE}"
    # A KMS host that publishes itself; the module must never touch its record.
    assert bind.publish_srv(domain, f"selfpub.{ZONE}", 1688, 0, 0) == "NOERROR"
    kms1, kms2 = f"kms1.{ZONE}", f"kms2.{ZONE}"
    key_file = {"key_file": str(bind.key_file)}
    base = {"server": bind.address, "server_port": bind.port, "domain": domain}
    tasks = [
        signed(bind, domain=domain, target=kms1, weight=10),
        {MODULE: {**base, **key_file, "target": kms2, "priority": 10}},
        signed(bind, domain=domain, target=kms1, weight=10),
        signed(bind, domain=domain, target=kms1, weight=50),
        signed(bind, domain=domain, target=kms2, state="absent"),
        {MODULE: {**base, **key_file, "target": kms2, "state": "absent"}},
        signed(bind, domain=domain, target=kms1, weight=50, ttl=600),
        signed(bind, domain=domain, target=kms1, weight=50, ttl=600, protocol="udp"),
    ]
    run = run_tasks(tasks, args=["--diff"])
    assert_ok(run, len(tasks))
    results = run.results
    assert [r["changed"] for r in results[:8]] == [
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        False,
    ]
    # Lowest priority first, then the highest weight: the order clients prefer them in.
    assert records(results[0]) == [(0, 10, 1688, kms1), (0, 0, 1688, f"selfpub.{ZONE}")]
    assert records(results[1]) == [
        (0, 10, 1688, kms1),
        (0, 0, 1688, f"selfpub.{ZONE}"),
        (10, 0, 1688, kms2),
    ]
    assert records(results[4]) == [(0, 50, 1688, kms1), (0, 0, 1688, f"selfpub.{ZONE}")]
    assert {r["zone"] for r in results[:8]} == {f"{ZONE}."}
    assert {r["retries"] for r in results[:8]} == {0}
    assert results[6]["ttl"] == 600
    # What a client resolves afterwards: the self-published record is still there, unchanged.
    assert srv(bind, domain) == [
        SrvAnswer(0, 0, 1688, f"selfpub.{ZONE}."),
        SrvAnswer(0, 50, 1688, f"{kms1}."),
    ]
    # The TTL belongs to the whole RRset (RFC 2181 §5.2): one TTL for every record.
    assert ttl_of(bind, domain) == {600}
    # Diff mode: the record set before and after, as zone-file lines.
    owner = f"_vlmcs._tcp.{domain}."
    assert results[3]["diff"]["before"] == (
        f"{owner} 3600 IN SRV 0 10 1688 {kms1}.\n"
        f"{owner} 3600 IN SRV 0 0 1688 selfpub.{ZONE}.\n"
        f"{owner} 3600 IN SRV 10 0 1688 {kms2}.\n"
    )
    assert f"{owner} 3600 IN SRV 0 50 1688 {kms1}.\n" in results[3]["diff"]["after"]
    assert f"-{owner} 3600 IN SRV 10 0 1688 {kms2}." in run.stdout
    assert f"+{owner} 600 IN SRV 0 50 1688 {kms1}." in run.stdout


# --- whole sets -------------------------------------------------------------------------------


def test_exclusive_set_and_a_second_run_changes_nothing(bind: BindServer) -> None:
    domain = f"set.{ZONE}"
    # Leftovers: two records for kms1 (two ports) and a host that must go.
    raw_update(
        bind, domain, f"0 0 1688 kms1.{ZONE}.", f"5 5 1689 kms1.{ZONE}.", "0 0 1688 rogue.example."
    )
    wanted = [
        {"target": f"kms1.{ZONE}"},
        {"target": f"kms2.{ZONE}", "priority": 10},
        {"target": f"kms3.{ZONE}", "priority": 10, "weight": 20},
    ]
    first = run_tasks(
        [
            signed(bind, domain=domain, records=wanted, exclusive=True),
            signed(bind, domain=domain, records=[{"target": f"kms3.{ZONE}"}], state="absent"),
        ]
    )
    assert_ok(first, 2)
    assert first.results[0]["changed"]
    assert records(first.results[0]) == [
        (0, 0, 1688, f"kms1.{ZONE}"),
        (10, 20, 1688, f"kms3.{ZONE}"),
        (10, 0, 1688, f"kms2.{ZONE}"),
    ]
    assert first.results[1]["changed"]
    assert srv(bind, domain) == [
        SrvAnswer(0, 0, 1688, f"kms1.{ZONE}."),
        SrvAnswer(10, 0, 1688, f"kms2.{ZONE}."),
    ]

    updates = bind.opcode_counts()["UPDATE"]
    again = run_tasks([signed(bind, domain=domain, records=wanted[:2], exclusive=True)])
    assert_ok(again, 1)
    assert again.results[0]["changed"] is False
    assert "changed=0" in again.stdout
    assert bind.opcode_counts()["UPDATE"] == updates


# --- check mode -------------------------------------------------------------------------------


def test_check_mode_sends_no_update_at_all(bind: BindServer) -> None:
    domain = f"check.{ZONE}"
    assert bind.publish_srv(domain, f"kms1.{ZONE}", 1688, 0, 0) == "NOERROR"
    before = srv(bind, domain)
    counts, journal, soa = bind.opcode_counts(), bind.journals[ZONE], serial(bind)
    tasks = [
        signed(bind, domain=domain, target=f"kms9.{ZONE}"),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", state="absent"),
        signed(bind, domain=domain, records=[{"target": f"kms5.{ZONE}"}], exclusive=True),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", ttl=60),
    ]
    run = run_tasks(tasks, args=["--check", "--diff"])
    assert_ok(run, len(tasks))
    assert [r["changed"] for r in run.results[:4]] == [True, True, True, True]
    assert records(run.results[0]) == [(0, 0, 1688, f"kms1.{ZONE}"), (0, 0, 1688, f"kms9.{ZONE}")]
    assert records(run.results[1]) == []
    assert run.results[1]["ttl"] is None
    assert records(run.results[2]) == [(0, 0, 1688, f"kms5.{ZONE}")]
    assert run.results[3]["ttl"] == 60
    owner = f"_vlmcs._tcp.{domain}."
    assert run.results[2]["diff"] == {
        "before": f"{owner} 3600 IN SRV 0 0 1688 kms1.{ZONE}.\n",
        "after": f"{owner} 3600 IN SRV 0 0 1688 kms5.{ZONE}.\n",
        "before_header": f"{owner} SRV",
        "after_header": f"{owner} SRV",
    }
    after = bind.opcode_counts()
    assert after["UPDATE"] == counts["UPDATE"], "check mode sent an UPDATE"
    assert after["QUERY"] > counts["QUERY"], "the module did not even read the record set"
    assert bind.journals[ZONE] == journal
    assert serial(bind) == soa
    assert srv(bind, domain) == before


# --- failures ---------------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung DNS server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.mark.reliability("faults")
def test_dns_errors_are_named_with_the_fix(bind: BindServer, silent_server: int) -> None:
    domain = f"err.{ZONE}"
    wrong_secret = base64.b64encode(b"not the lab's secret, 32 bytes!!").decode()
    target = {"domain": domain, "target": f"kms1.{ZONE}"}
    tasks = [
        unsigned(bind, key_name=bind.guest_key_name, key_secret=bind.guest_key_secret, **target),
        unsigned(bind, **target),
        unsigned(bind, key_name=bind.key_name, key_secret=wrong_secret, **target),
        unsigned(bind, key_name="nobody-knows-me", key_secret=bind.key_secret, **target),
        signed(bind, key_algorithm="hmac-sha512", **target),
        signed(bind, zone=f"lab.{ZONE}", domain=f"lab.{ZONE}", target=f"kms1.{ZONE}"),
        signed(bind, domain="x.nowhere.test", target=f"kms1.{ZONE}"),
        {MODULE: {**signed(bind, **target)[MODULE], "server_port": free_port()}},
        {MODULE: {**signed(bind, **target)[MODULE], "server_port": silent_server, "timeout": 1}},
    ]
    run = run_tasks(tasks)
    assert run.returncode == 0, run.output
    results = run.results[: len(tasks)]
    assert all(r.get("failed") for r in results), results
    codes = [r.get("dns_error") for r in results]
    assert codes == [
        "REFUSED",
        "REFUSED",
        "BADSIG",
        "BADKEY",
        "BADKEY",
        "NOTAUTH",
        "REFUSED",
        "CONNECTION_REFUSED",
        "TIMEOUT",
    ]
    messages = [r["msg"] for r in results]
    assert f'the key "{bind.guest_key_name}" has no update rights' in messages[0]
    assert "update-policy" in messages[0]
    assert "takes no unsigned updates" in messages[1]
    assert f'the secret of the key "{bind.key_name}" does not match' in messages[2]
    assert 'does not know the key "nobody-knows-me."' in messages[3]
    assert f"not authoritative for the zone lab.{ZONE}. (NOTAUTH)" in messages[5]
    assert "refused to answer for _vlmcs._tcp.x.nowhere.test. (REFUSED)" in messages[6]
    assert "no DNS server listens there" in messages[7]
    assert f"No answer from 127.0.0.1:{silent_server} within 1 s." in messages[8]
    for secret in (bind.key_secret, bind.guest_key_secret, wrong_secret):
        assert secret not in run.output
    assert srv(bind, domain) == []


@pytest.mark.reliability("bad_input")
def test_bad_input_is_refused_before_anything_is_sent(bind: BindServer, tmp_path: Path) -> None:
    domain = f"input.{ZONE}"
    bad_secret = "this-is-not-base64!!"
    tasks = [
        signed(bind, domain=domain, target="kms1"),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", port=0),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", port=70000),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", priority=-1),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", weight=65536),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", ttl=-1),
        signed(
            bind,
            domain=domain,
            records=[{"target": f"kms1.{ZONE}"}, {"target": f"KMS1.{ZONE}.", "port": 1689}],
        ),
        unsigned(bind, domain=domain, target=f"kms1.{ZONE}", key_secret=bind.key_secret),
        unsigned(bind, domain=domain, target=f"kms1.{ZONE}", key_name=bind.key_name),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", records=[{"target": f"kms2.{ZONE}"}]),
        unsigned(bind, domain=domain, target=f"kms1.{ZONE}", key_name="k", key_secret=bad_secret),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", exclusive=True),
        signed(bind, domain="contoso", target=f"kms1.{ZONE}"),
        signed(bind, domain=domain, zone="other.test", target=f"kms1.{ZONE}"),
        unsigned(bind, domain=domain, target=f"kms1.{ZONE}", key_file=str(tmp_path / "none")),
        unsigned(bind, domain=domain, target=f"kms1.{ZONE}", gss_tsig=True, key_name="k"),
    ]
    counts = bind.opcode_counts()
    run = run_tasks(tasks)
    assert run.returncode == 0, run.output
    results = run.results[: len(tasks)]
    assert all(r.get("failed") for r in results), results
    expected = [
        ("target", '"kms1" is a single label'),
        ("port", "port: 0 is out of range. Write a number from 1 to 65535."),
        ("port", "port: 70000 is out of range."),
        ("priority", "priority: -1 is out of range."),
        ("weight", "weight: 65536 is out of range."),
        ("ttl", "ttl: -1 is not a valid TTL."),
        ("records[1].target", f'"kms1.{ZONE}." is listed twice (first at records[0])'),
        (None, "missing parameter(s) required by 'key_secret': key_name"),
        ("key_name", "is given without key_secret or key_file"),
        (None, "parameters are mutually exclusive: target|records"),
        ("key_secret", "is not valid base64"),
        ("exclusive", "applies to a list of records, not to one target"),
        ("domain", '"contoso" is a single label'),
        ("zone", "(NOTZONE)"),
        ("key_file", "cannot read"),
        ("key_name", "cannot be combined with gss_tsig"),
    ]
    for result, (field, text) in zip(results, expected, strict=True):
        assert text in result["msg"], result["msg"]
        assert result.get("field") == field, result
    assert bad_secret not in run.output
    assert bind.key_secret not in run.output
    assert bind.opcode_counts() == counts, "bad input reached the server"


@pytest.mark.reliability("secrets")
def test_verbose_output_never_shows_the_secret(bind: BindServer) -> None:
    domain = f"quiet.{ZONE}"
    wrong_secret = base64.b64encode(b"another wrong secret of 32 bytes").decode()
    tasks = [
        signed(bind, domain=domain, target=f"kms1.{ZONE}"),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", weight=9),
        unsigned(bind, domain=domain, target=f"kms2.{ZONE}", key_file=str(bind.key_file)),
        unsigned(
            bind, domain=domain, target=f"kms3.{ZONE}", key_name=bind.key_name,
            key_secret=wrong_secret,
        ),
        signed(bind, domain=domain, target=f"kms1.{ZONE}", state="absent"),
    ]  # fmt: skip
    # ansible-core 2.21 puts the module arguments (invocation) in a result only when asked to
    # (INJECT_INVOCATION, off by default); a user may ask, so the test does.
    run = run_tasks(tasks, args=["-vvvv", "--diff"], env={"ANSIBLE_INJECT_INVOCATION": "1"})
    assert run.returncode == 0, run.output
    assert [r.get("failed", False) for r in run.results[:5]] == [False, False, False, True, False]
    # -vvvv did print the module arguments, with the secret masked.
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output
    assert run.output.count("kms_srv_record") >= 5
    for secret in (bind.key_secret, wrong_secret):
        assert secret not in run.output
        assert secret[:20] not in run.output
