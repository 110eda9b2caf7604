# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for DNS failures in plain words: each names the case and says what to do."""

from __future__ import annotations

import pytest

from ansible_collections.volact.kms.plugins.module_utils.dns.errors import (
    DnsUpdateError,
    Where,
    conflict_error,
    gss_error,
    network_error,
    query_rcode_error,
    tsig_error,
    update_rcode_error,
)

HMAC = Where("192.0.2.53:53", "_vlmcs._tcp.contoso.com.", "contoso.com.", "kms-update.", "hmac")
GSS = Where("192.0.2.53:53", "_vlmcs._tcp.contoso.com.", "contoso.com.", None, "gss-tsig")
NONE = Where("192.0.2.53:53", "_vlmcs._tcp.contoso.com.", "contoso.com.")


@pytest.mark.parametrize(
    ("rcode", "where", "problem", "fix"),
    [
        ("REFUSED", HMAC, 'the key "kms-update." has no update rights', "update-policy"),
        ("REFUSED", NONE, "an unsigned request has no update rights", "no unsigned updates"),
        ("REFUSED", GSS, "the Kerberos (GSS-TSIG) identity", "Active Directory"),
        ("NOTAUTH", HMAC, "not authoritative for the zone contoso.com. (NOTAUTH)", "primary"),
        ("NOTZONE", HMAC, "not inside the zone contoso.com. (NOTZONE)", "Set zone"),
        ("SERVFAIL", HMAC, "(SERVFAIL)", "server's log"),
        ("NOTIMP", HMAC, "(NOTIMP)", "primary"),
        ("FORMERR", HMAC, "(FORMERR)", "RFC 2136"),
        ("BADVERS", HMAC, "with BADVERS", "server's log"),
    ],
)
def test_update_rcodes(rcode: str, where: Where, problem: str, fix: str) -> None:
    error = update_rcode_error(rcode, where)
    assert isinstance(error, DnsUpdateError)
    assert error.code == rcode
    assert problem in error.problem
    assert fix in error.fix
    assert str(error) == f"{error.problem} {error.fix}"


def test_query_rcodes() -> None:
    refused = query_rcode_error("REFUSED", "x.fabrikam.com.", HMAC)
    assert "refused to answer for x.fabrikam.com. (REFUSED)" in refused.problem
    assert "spelling of domain and zone" in refused.fix
    assert "key_secret" in query_rcode_error("NOTAUTH", "x.", HMAC).fix
    assert query_rcode_error("SERVFAIL", "x.", HMAC).code == "SERVFAIL"


@pytest.mark.parametrize(
    ("kind", "where", "code", "text"),
    [
        ("PeerBadSignature", HMAC, "BADSIG", 'secret of the key "kms-update." does not match'),
        ("PeerBadSignature", GSS, "BADSIG", "GSS-TSIG signature"),
        ("PeerBadKey", HMAC, "BADKEY", "Samba and Active Directory take only Kerberos"),
        ("PeerBadTime", HMAC, "BADTIME", "NTP"),
        ("BadTime", HMAC, "BADTIME", "NTP"),
        ("PeerBadTruncation", HMAC, "BADTRUNC", "truncat"),
        ("BadSignature", GSS, "REPLY_UNVERIFIED", "gss_accept_unverified_reply: true"),
        ("BadSignature", HMAC, "REPLY_UNVERIFIED", "same secret"),
        ("UnknownTSIGKey", HMAC, "UNKNOWN_KEY", "key"),
        ("Other", HMAC, "TSIG", "(Other)"),
    ],
)
def test_tsig_failures(kind: str, where: Where, code: str, text: str) -> None:
    error = tsig_error(kind, where)
    assert error.code == code
    assert text in str(error)


def test_network_failures() -> None:
    where = Where("192.0.2.53:5353", "o.", timeout=2.5, protocol="udp")
    timeout = network_error("timeout", where)
    assert timeout.code == "TIMEOUT"
    assert timeout.problem == "No answer from 192.0.2.53:5353 within 2.5 s."
    assert "(UDP)" in timeout.fix
    assert network_error("refused", where).code == "CONNECTION_REFUSED"
    unreachable = network_error("unreachable", where, "No route to host")
    assert unreachable.problem == "Cannot reach 192.0.2.53:5353: No route to host."


def test_conflict_and_gss() -> None:
    conflict = conflict_error(11, HMAC)
    assert "11 attempts" in conflict.problem
    assert "slmgr /cdns" in conflict.fix
    gss = gss_error("building the security context", "No Kerberos credentials", "dc1.x.com")
    assert gss.code == "GSS"
    assert "DNS@dc1.x.com: No Kerberos credentials" in gss.problem
    assert "kinit" in gss.fix
