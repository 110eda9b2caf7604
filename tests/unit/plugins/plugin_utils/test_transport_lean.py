"""Which pywinrm settings transport_lean takes over, and how it reads them.

Each case builds the ``winrm.transport.Transport`` pywinrm's ``Protocol`` builds from the winrm
connection plugin's settings and asks ``plan_for`` for its plan: None means pywinrm sends.
"""

from __future__ import annotations

from typing import Any

import certifi
import pytest
from winrm.transport import Transport

from ansible_collections.volact.kms.plugins.plugin_utils.transport_lean import plan_for

HTTP = "http://192.0.2.10:5985/wsman"
HTTPS = "https://win.example:5986/wsman"


def transport(endpoint: str = HTTP, **kwargs: Any) -> Transport:
    settings: dict[str, Any] = {"username": "admin", "password": "pw", "auth_method": "ntlm"}
    return Transport(endpoint, **(settings | kwargs))


make = transport


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.mark.parametrize(
    ("encryption", "endpoint", "encrypt"),
    [
        ("auto", HTTP, True),
        ("always", HTTP, True),
        ("never", HTTP, False),
    ],
)
def test_ntlm_encrypts_as_pywinrm_decides(encryption, endpoint, encrypt):
    plan = plan_for(transport(endpoint, message_encryption=encryption))
    assert plan is not None
    assert plan.method == "ntlm"
    assert plan.encrypt is encrypt


@pytest.mark.parametrize("encryption", ["auto", "always", "never"])
def test_ntlm_over_https_stays_with_pywinrm(encryption):
    """Its channel binding needs the server's certificate, which the lean path would lose when
    Windows closes the connection on its first 401 (transport_lean.py)."""
    assert plan_for(transport(HTTPS, message_encryption=encryption)) is None


@pytest.mark.parametrize("method", ["basic", "plaintext", "ssl"])
def test_basic_by_any_of_its_names(method):
    plan = plan_for(transport(HTTPS, auth_method=method))
    assert plan is not None
    assert plan.method == "basic"
    assert plan.encrypt is False


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_method": "ntlm"},
        {"auth_method": "kerberos"},
        {"auth_method": "credssp"},
        {"auth_method": "basic", "message_encryption": "always"},
        {"proxy": "http://proxy.example:3128"},
    ],
    ids=["ntlm-over-https", "kerberos", "credssp", "basic-always", "explicit-proxy"],
)
def test_what_pywinrm_keeps(kwargs):
    assert plan_for(transport(HTTPS, **kwargs)) is None


def test_a_client_certificate_stays_with_pywinrm(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    found = transport(HTTPS, auth_method="certificate", cert_pem=str(cert), cert_key_pem=str(key))
    assert plan_for(found) is None


def test_an_environment_proxy_stays_with_pywinrm_unless_bypassed(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert plan_for(transport(HTTP)) is None
    # proxy=None is pywinrm's no_proxy='*'.
    assert plan_for(transport(HTTP, proxy=None)) is not None
    monkeypatch.setenv("NO_PROXY", "192.0.2.10")
    assert plan_for(transport(HTTP)) is not None


def test_certificate_validation_as_requests_applies_it(monkeypatch, tmp_path):
    def transport(endpoint: str, **kwargs: Any) -> Transport:  # Basic: the lean path over https
        return make(endpoint, **({"auth_method": "basic"} | kwargs))

    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    plan = plan_for(transport(HTTPS, ca_trust_path=str(bundle)))
    assert plan is not None
    assert plan.tls == {"cert_reqs": "CERT_REQUIRED", "ca_certs": str(bundle)}
    plan = plan_for(transport(HTTPS, ca_trust_path=str(tmp_path)))
    assert plan is not None
    assert plan.tls == {"cert_reqs": "CERT_REQUIRED", "ca_cert_dir": str(tmp_path)}
    # Left at pywinrm's default: the environment's bundle, else certifi's.
    plan = plan_for(transport(HTTPS))
    assert plan is not None
    assert plan.tls == {"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    plan = plan_for(transport(HTTPS))
    assert plan is not None
    assert plan.tls["ca_certs"] == str(bundle)
    plan = plan_for(transport(HTTPS, server_cert_validation="ignore", ca_trust_path=str(bundle)))
    assert plan is not None
    assert plan.tls == {"cert_reqs": "CERT_NONE"}


def test_a_missing_bundle_is_left_to_requests_to_refuse(tmp_path):
    missing = str(tmp_path / "missing.pem")
    assert plan_for(transport(HTTPS, auth_method="basic", ca_trust_path=missing)) is None


def test_where_to_connect():
    plan = plan_for(transport("https://[2001:db8::1]:5986/wsman", auth_method="basic"))
    assert plan is not None
    assert (plan.scheme, plan.host, plan.port, plan.path) == (
        "https",
        "2001:db8::1",
        5986,
        "/wsman",
    )
