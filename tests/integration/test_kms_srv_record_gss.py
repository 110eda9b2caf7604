"""kms_srv_record with GSS-TSIG (Kerberos) against a real Samba AD DC, as Active Directory needs.

The DC runs in its own network namespace (kmslab.samba); ansible-playbook runs in there too, with
a ticket for the domain administrator from ``kinit``. Samba's signed replies never verify
(dns-and-tooling §2.5), so the opt-in ``gss_accept_unverified_reply`` is exercised, and its absence
is shown to fail with the explanation.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from kmslab.playbook import PlaybookRun, run_tasks
from kmslab.samba import SambaDC, missing_tools

MODULE = "volact.kms.kms_srv_record"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="needs root: a Samba AD DC is provisioned in a network namespace of its own "
    "(unprivileged provisioning panics, dns-and-tooling §3.2); CI runs as root",
)


@pytest.fixture(scope="module")
def dc() -> Iterator[SambaDC]:
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"
    server = SambaDC()
    server.start()
    yield server
    namespace = server.namespace
    server.stop()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert namespace not in listed.stdout
    assert not server.running


def gss(dc: SambaDC, **options: object) -> dict[str, object]:
    return {
        MODULE: {
            "domain": dc.domain,
            "server": dc.address,
            "server_fqdn": dc.fqdn,
            "gss_tsig": True,
            **options,
        }
    }


def play(dc: SambaDC, tasks: list[dict[str, object]], *args: str) -> PlaybookRun:
    return run_tasks(tasks, args=args, prefix=dc.command([]), env=dc.kerberos_env())


def test_add_and_remove_records_with_a_kerberos_ticket(dc: SambaDC) -> None:
    kms1, kms2, kms4 = (f"kms{n}.{dc.domain}" for n in (1, 2, 4))
    accept = {"gss_accept_unverified_reply": True}
    tasks = [
        gss(dc, target=kms1, weight=20, **accept),
        gss(dc, target=kms1, weight=20, **accept),
        gss(dc, target=kms2, priority=10, **accept),
        gss(dc, records=[{"target": kms2, "priority": 10}, {"target": kms4}], exclusive=True,
            **accept),
        gss(dc, target=kms4, state="absent", **accept),
    ]  # fmt: skip
    run = play(dc, tasks, "--diff")
    assert run.returncode == 0, run.output
    results = run.results
    assert [r.get("failed", False) for r in results] == [False] * 5, [r.get("msg") for r in results]
    assert [r["changed"] for r in results] == [True, False, True, True, True]
    # Samba's reply never verifies; the outcome was confirmed by reading the set back instead.
    assert results[0]["reply_verified"] is False
    assert "could not be verified" in results[0]["warnings"][0]
    assert "gss_accept_unverified_reply" in run.output
    # The second run sent no update at all, so there was no reply to doubt.
    assert results[1]["reply_verified"] is True
    assert [r["target"] for r in results[2]["records"]] == [kms1, kms2]
    assert [r["target"] for r in results[3]["records"]] == [kms4, kms2]
    assert results[4]["zone"] == f"{dc.domain}."
    assert dc.query_srv(f"_vlmcs._tcp.{dc.domain}") == [f"10 0 1688 {kms2}."]


@pytest.mark.reliability("faults")
def test_gss_failures_are_explained(dc: SambaDC) -> None:
    kms3 = f"kms3.{dc.domain}"
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
    tasks = [
        gss(dc, target=kms3),
        {
            MODULE: {
                "domain": dc.domain,
                "server": dc.address,
                "key_name": "kms-update",
                "key_secret": secret,
                "target": kms3,
            }
        },
        {**gss(dc, target=f"kms5.{dc.domain}"), "environment": {"KRB5CCNAME": "FILE:/nonexistent"}},
        gss(dc, target=f"kms6.{dc.domain}", server_fqdn=f"dc9.{dc.domain}"),
        gss(dc, target=f"kms7.{dc.domain}", server=dc.address),
    ]
    tasks[4][MODULE].pop("server_fqdn")
    run = play(dc, tasks)
    assert run.returncode == 0, run.output
    results = run.results
    assert all(r.get("failed") for r in results), results
    assert [r.get("dns_error") for r in results[:4]] == ["REPLY_UNVERIFIED", "BADKEY", "GSS", "GSS"]
    assert "set gss_accept_unverified_reply: true" in results[0]["msg"]
    # The refusal is about the reply only: Samba did apply the update, as the message warns.
    assert f"0 0 1688 {kms3}." in dc.query_srv(f"_vlmcs._tcp.{dc.domain}")
    assert "Samba and Active Directory take only Kerberos: set gss_tsig: true" in results[1]["msg"]
    assert "DNS@dc1.kms.test" in results[2]["msg"]
    assert "kinit" in results[2]["msg"]
    assert "DNS@dc9.kms.test" in results[3]["msg"]
    assert results[4]["field"] == "server_fqdn"
    assert "is an address" in results[4]["msg"]
    assert secret not in run.output
