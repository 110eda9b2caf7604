"""transport_lean against the lab: the same exchanges as pywinrm's own Transport, byte for byte
(NTLM: less the anonymous request pywinrm makes first).

Each case sends the same two WS-Man requests twice on a fresh sender, once over pywinrm's
``Transport`` (``channel_for`` returning None is the sender's own fallback) and once over the
lean channel, and compares what the lab counted: HTTP requests (authentication legs included),
encrypted messages, connections and the bytes each way. Failures must be classified the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import certifi
import pytest

from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession
from ansible_collections.volact.kms.plugins.plugin_utils import transport_lean
from ansible_collections.volact.kms.plugins.plugin_utils.transport_errors import (
    TransportError,
    TransportKind,
)
from ansible_collections.volact.kms.plugins.plugin_utils.transport_senders import WinrmSender

HOST = "pc001"
QUERIES = (
    "SELECT * FROM SoftwareLicensingService",
    "SELECT ID, Name FROM SoftwareLicensingProduct WHERE PartialProductKey IS NOT NULL",
)


def endpoint(lab, scheme: str) -> str:
    hosts = lab.inventory("ntlm" if scheme == "http" else "https")["all"]["children"]
    host = hosts["kms_clients"]["hosts"][HOST]
    return f"{scheme}://{host['ansible_host']}:{host['ansible_port']}/wsman"


def settings(lab, scheme: str, method: str, **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"username": "kmsadmin", "password": lab.password}
    if scheme == "http" and method == "ntlm":
        kwargs["message_encryption"] = "always"
    if scheme == "https":
        kwargs |= {"server_cert_validation": "validate", "ca_trust_path": str(lab.server.ca_path)}
    return kwargs | extra


def exchange(lab, scheme: str, method: str, **extra: Any) -> tuple[list[Any], bool]:
    sender = WinrmSender(
        "winrm", endpoint(lab, scheme), [method], settings(lab, scheme, method, **extra), None
    )
    with sender:
        settings_ = sender.settings
        session = CimSession(
            sender.send,
            operation_timeout=settings_.operation_timeout,
            max_envelope_size=settings_.max_envelope_size,
        )
        rows = [session.query(query) for query in QUERIES]
        return rows, sender.lean


def counted(lab, run: Callable[[], Any]) -> tuple[Any, dict[str, int]]:
    before = lab.counters(HOST)
    found = run()
    after = lab.counters(HOST)
    names = ("http_requests", "encrypted_messages", "connections", "bytes_in", "auth_failures")
    return found, {n: getattr(after, n) - getattr(before, n) for n in names}


def pywinrm_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_lean, "channel_for", lambda transport: None)


def test_ntlm_over_https_goes_through_pywinrm(lab):
    """Channel binding: the lean path would lose the server's certificate when Windows closes
    the connection on its first 401, so pywinrm (requests-ntlm) carries NTLM over https."""
    rows, lean = exchange(lab, "https", "ntlm")
    assert not lean
    assert all(rows)


@pytest.mark.parametrize(("scheme", "method"), [("http", "ntlm"), ("https", "basic")])
def test_the_lean_channel_sends_what_pywinrm_sends(lab, monkeypatch, scheme, method):
    (lean_rows, lean), lean_wire = counted(lab, lambda: exchange(lab, scheme, method))
    assert lean
    with monkeypatch.context() as patch:
        pywinrm_only(patch)
        (rows, used), wire = counted(lab, lambda: exchange(lab, scheme, method))
    assert not used
    assert lean_rows == rows
    if method == "basic":
        assert lean_wire == wire
        return
    # pywinrm: an anonymous request (401), the negotiate and authenticate legs, then two
    # encrypted envelopes, on one connection. The lean channel sends its negotiate token with
    # the first request: one exchange and one refusal fewer, the rest the same.
    assert wire == {**wire, "http_requests": 5, "encrypted_messages": 2, "connections": 1}
    assert wire["auth_failures"] == 1
    expected = {**wire, "http_requests": 4, "auth_failures": 0, "bytes_in": lean_wire["bytes_in"]}
    assert lean_wire == expected
    assert lean_wire["bytes_in"] < wire["bytes_in"]


def failure(lab, scheme: str, method: str, **extra: Any) -> TransportError:
    with pytest.raises(TransportError) as caught:
        exchange(lab, scheme, method, **extra)
    return caught.value


@pytest.mark.parametrize(
    "case",
    [
        ("wrong password, ntlm", "http", "ntlm", {"password": "not-it"}, TransportKind.AUTH),
        ("wrong password, basic", "https", "basic", {"password": "not-it"}, TransportKind.AUTH),
        ("another CA", "https", "basic", {"ca_trust_path": certifi.where()}, TransportKind.TLS),
        (
            "environment CA",
            "https",
            "basic",
            {"ca_trust_path": "legacy_requests"},
            TransportKind.TLS,
        ),
    ],
    ids=lambda case: case[0],
)
def test_failures_read_the_same_on_both_paths(lab, monkeypatch, case):
    _name, scheme, method, extra, kind = case
    # "environment CA": pywinrm's default reads REQUESTS_CA_BUNDLE, which does not hold the lab CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    lean = failure(lab, scheme, method, **extra)
    with monkeypatch.context() as patch:
        pywinrm_only(patch)
        reference = failure(lab, scheme, method, **extra)
    assert lean.kind is reference.kind is kind, (case, lean, reference)
    assert lean.detail == reference.detail
    assert lab.password not in str(lean)


def test_validation_off_needs_no_ca_and_the_environment_ca_is_read(lab, monkeypatch, tmp_path):
    rows, lean = exchange(
        lab, "https", "basic", server_cert_validation="ignore", ca_trust_path=None
    )
    assert lean
    assert rows[0]
    # ca_trust_path left at pywinrm's default: the environment's bundle decides, as in requests.
    bundle = Path(tmp_path) / "bundle.pem"
    bundle.write_text(Path(lab.server.ca_path).read_text())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    rows, lean = exchange(lab, "https", "basic", ca_trust_path="legacy_requests")
    assert lean
    assert rows[0]


def test_an_unreachable_listener_reads_the_same_on_both_paths(lab, monkeypatch):
    closed = "http://127.0.0.1:9/wsman"
    kwargs = settings(lab, "http", "ntlm")
    with pytest.raises(TransportError) as lean:
        WinrmSender("winrm", closed, ["ntlm"], kwargs, None).send("<x/>")
    with monkeypatch.context() as patch:
        pywinrm_only(patch)
        with pytest.raises(TransportError) as reference:
            WinrmSender("winrm", closed, ["ntlm"], kwargs, None).send("<x/>")
    assert lean.value.kind is reference.value.kind is TransportKind.UNREACHABLE
    assert lean.value.detail == reference.value.detail


def test_the_switch_keeps_pywinrm(lab, monkeypatch):
    monkeypatch.setenv(transport_lean.SWITCH, "0")
    rows, lean = exchange(lab, "http", "ntlm")
    assert not lean
    assert rows[0]
