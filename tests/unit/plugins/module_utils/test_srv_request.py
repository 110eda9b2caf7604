# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for kms_srv_record's option checks: every mistake is refused before anything is sent."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.volact.kms.plugins.module_utils.dns.srv import SrvRecord
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import State
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import (
    Auth,
    Connection,
    build_auth,
    build_connection,
    build_request,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.tsig import TsigKey
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

SECRET = base64.b64encode(b"s" * 32).decode()
BASE = {"domain": "Contoso.com", "ttl": 3600, "state": "present", "exclusive": False}


def test_one_target_request() -> None:
    request = build_request({**BASE, "target": "KMS1.contoso.com.", "priority": 10, "weight": 5})
    assert request.owner == "_vlmcs._tcp.contoso.com."
    assert request.zone is None
    assert request.records == (SrvRecord("kms1.contoso.com.", 1688, 10, 5),)
    assert request.single
    assert request.state is State.PRESENT


def test_records_request_with_zone() -> None:
    request = build_request(
        {
            **BASE,
            "domain": "branch.contoso.com",
            "zone": "contoso.com",
            "records": [
                {"target": "kms1.contoso.com"},
                {"target": "kms2.contoso.com", "port": 1689},
            ],
            "exclusive": True,
        }
    )
    assert request.zone == "contoso.com."
    assert [r.target for r in request.records] == ["kms1.contoso.com.", "kms2.contoso.com."]
    assert request.records[1].port == 1689
    assert request.exclusive
    assert not request.single


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"target": "kms1"}, "target", "single label"),
        ({"target": "."}, "target", "RFC 2782"),
        ({"target": "10.0.0.5"}, "target", "looks like an IP address"),
        ({"target": "kms1.contoso.com", "port": 0}, "port", "0 is out of range"),
        ({"target": "kms1.contoso.com", "port": 70000}, "port", "70000 is out of range"),
        ({"target": "kms1.contoso.com", "priority": -1}, "priority", "-1 is out of range"),
        ({"target": "kms1.contoso.com", "weight": 65536}, "weight", "65536 is out of range"),
        ({"target": "kms1.contoso.com", "ttl": -5}, "ttl", "-5 is not a valid TTL"),
        ({"target": "kms1.contoso.com", "ttl": 2**31}, "ttl", "not a valid TTL"),
        ({"target": "kms1.contoso.com", "exclusive": True}, "exclusive", "not to one target"),
        ({"records": [], "exclusive": True, "state": "absent"}, "exclusive", "state=absent"),
        (
            {"records": [{"target": "a.contoso.com"}, {"target": "A.contoso.com."}]},
            "records[1].target",
            "listed twice",
        ),
        ({"records": [{"target": "a.contoso.com", "weight": -1}]}, "records[0].weight", "range"),
        ({"records": "a.contoso.com"}, "records", "expected a list"),
        ({}, "target", "neither target nor records"),
        ({"target": "kms1.contoso.com", "domain": "contoso"}, "domain", "single label"),
        (
            {"target": "kms1.contoso.com", "zone": "fabrikam.com"},
            "zone",
            'not inside the zone "fabrikam.com."; the server would refuse the update (NOTZONE)',
        ),
    ],
)
def test_bad_requests_name_the_field(params: dict[str, object], field: str, text: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        build_request({**BASE, **params})
    assert caught.value.field == field
    assert text in str(caught.value)
    assert caught.value.fix


def test_connection() -> None:
    assert build_connection({"server": " NS1.Contoso.com "}) == Connection("ns1.contoso.com")
    assert build_connection(
        {"server": "::1", "server_port": 5353, "protocol": "udp", "timeout": 2, "max_retries": 0}
    ) == Connection("::1", 5353, "udp", 2.0, 0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"server": ""}, "server"),
        ({"server": "ns 1"}, "server"),
        ({"server": "127.0.0.1", "server_port": 0}, "server_port"),
        ({"server": "127.0.0.1", "protocol": "tls"}, "protocol"),
        ({"server": "127.0.0.1", "timeout": 0}, "timeout"),
        ({"server": "127.0.0.1", "max_retries": 101}, "max_retries"),
        ({"server": "127.0.0.1", "max_retries": -1}, "max_retries"),
    ],
)
def test_bad_connections(params: dict[str, object], field: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        build_connection(params)
    assert caught.value.field == field


def test_auth_choices() -> None:
    assert build_auth({}) == Auth()
    assert build_auth({}).kind == "none"
    hmac = build_auth({"key_name": "kms-update", "key_secret": SECRET})
    assert hmac.key == TsigKey("kms-update.", "hmac-sha256", SECRET)
    assert hmac.kind == "hmac-sha256"
    file_text = f'key "from-file" {{ algorithm hmac-sha512; secret "{SECRET}"; }};'
    assert build_auth({"key_file": "/k"}, file_text).key == TsigKey(
        "from-file.", "hmac-sha512", SECRET
    )
    gss = build_auth({"gss_tsig": True, "server": "DC1.corp.contoso.com"})
    assert gss == Auth(gss=True, server_fqdn="dc1.corp.contoso.com")
    assert gss.kind == "gss-tsig"
    pinned = build_auth(
        {
            "gss_tsig": True,
            "server": "10.0.0.1",
            "server_fqdn": "dc1.corp.contoso.com",
            "gss_accept_unverified_reply": True,
        }
    )
    assert pinned.server_fqdn == "dc1.corp.contoso.com"
    assert pinned.accept_unverified_reply


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"key_secret": SECRET}, "key_secret", "without key_name"),
        ({"key_name": "kms-update"}, "key_name", "without key_secret or key_file"),
        ({"key_algorithm": "hmac-sha256"}, "key_algorithm", "without a key"),
        ({"key_name": "k", "key_secret": "%%%"}, "key_secret", "not valid base64"),
        ({"gss_tsig": True, "server": "10.0.0.1"}, "server_fqdn", "is an address"),
        ({"gss_tsig": True, "server": "dc1.x.com", "key_name": "k"}, "key_name", "gss_tsig"),
        ({"gss_accept_unverified_reply": True}, "gss_accept_unverified_reply", "GSS-TSIG"),
        ({"server_fqdn": "dc1.x.com"}, "server_fqdn", "only applies to GSS-TSIG"),
    ],
)
def test_bad_auth(params: dict[str, object], field: str, text: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        build_auth(params)
    assert caught.value.field == field
    assert text in str(caught.value)
    assert SECRET not in str(caught.value)
