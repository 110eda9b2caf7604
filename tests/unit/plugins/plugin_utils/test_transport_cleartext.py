"""Basic authentication over plain HTTP only when the inventory accepts clear text explicitly.

Connections are built the way TaskExecutor builds them (``connection_loader`` and
``set_options(var_options=...)``); a loopback listener records every request and its
``Authorization`` header, so "refused" means no request at all, and no Basic header ever left.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, init_plugin_loader
from ansible.template import Templar
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

from ansible_collections.volact.kms.plugins.plugin_utils.transport_cleartext import (
    psrp_refusal,
    winrm_refusal,
)
from ansible_collections.volact.kms.plugins.plugin_utils.wsman_transport import (
    TransportError,
    TransportKind,
    sender_for,
)

pytestmark = pytest.mark.reliability("transport")

USER = "kmsadmin"
PASSWORD = "Cl3ar-T3xt-Pw!9"  # distinctive, so a leak is found by a substring search
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
ENVELOPE = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
REPLY = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'


@pytest.fixture(scope="module", autouse=True)
def _collection_loader() -> Iterator[None]:
    init_plugin_loader()
    yield
    _AnsibleCollectionFinder._remove()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    proxies = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")
    for name in (*proxies, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


class Listener:
    """Records the Authorization header of every POST; accepts only the right Basic header."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                listener.seen.append(self.headers.get("Authorization", ""))
                ok = self.headers.get("Authorization") == BASIC
                body = REPLY if ok else b""
                self.send_response(200 if ok else 401)
                if not ok:
                    self.send_header("WWW-Authenticate", 'Basic realm="WSMAN"')
                self.send_header("Content-Type", "application/soap+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def basic_headers(self) -> list[str]:
        return [header for header in self.seen if header.startswith("Basic")]


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.server.shutdown()
    running.server.server_close()


def connection(name: str, **variables: Any) -> Any:
    plugin = connection_loader.get(name, PlayContext(), new_stdin=None)
    hostvars = {
        "inventory_hostname": "win1",
        "ansible_host": "127.0.0.1",
        "ansible_user": USER,
        "ansible_password": PASSWORD,
        **variables,
    }
    var_options = plugin._resolve_option_variables(hostvars, Templar(loader=DataLoader()))
    plugin.set_options(task_keys={}, var_options=var_options)
    return plugin


def refused(plugin: Any) -> TransportError:
    with pytest.raises(TransportError) as caught:
        sender_for(plugin).send(ENVELOPE)
    error = caught.value
    assert error.kind is TransportKind.CONFIG
    assert PASSWORD not in str(error)
    return error


# --- winrm -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variables",
    [
        {"ansible_winrm_transport": "basic"},
        {"ansible_winrm_transport": "plaintext"},
        {"ansible_winrm_transport": "ssl"},
        {},  # the plugin's default over http is plaintext, which is Basic
        {"ansible_winrm_transport": "basic", "ansible_winrm_message_encryption": "auto"},
        {"ansible_winrm_transport": "basic", "ansible_winrm_message_encryption": "always"},
    ],
    ids=["basic", "plaintext", "ssl", "default", "auto", "always"],
)
def test_winrm_basic_over_http_is_refused_before_any_request(
    listener: Listener, variables: dict[str, str]
) -> None:
    plugin = connection(
        "ansible.builtin.winrm",
        ansible_port=listener.port,
        ansible_winrm_scheme="http",
        **variables,
    )
    error = refused(plugin)
    text = str(error)
    assert f"http://127.0.0.1:{listener.port}/wsman" in text
    assert "would send the password in clear text" in text
    assert "ansible_winrm_scheme: use https" in text
    assert "ansible_winrm_transport: ntlm or kerberos" in text
    assert "set ansible_winrm_message_encryption: never" in text
    assert listener.seen == []


def test_winrm_basic_over_http_works_when_clear_text_is_accepted(listener: Listener) -> None:
    plugin = connection(
        "ansible.builtin.winrm",
        ansible_port=listener.port,
        ansible_winrm_scheme="http",
        ansible_winrm_transport="basic",
        ansible_winrm_message_encryption="never",
    )
    with sender_for(plugin) as sender:
        assert sender.settings.message_encryption == "never"
        assert sender.send(ENVELOPE) == REPLY
    assert listener.seen == [BASIC]


def test_winrm_list_skips_basic_over_http_and_uses_the_next_method(listener: Listener) -> None:
    plugin = connection(
        "ansible.builtin.winrm",
        ansible_port=listener.port,
        ansible_winrm_scheme="http",
        ansible_winrm_transport=["basic", "ntlm"],
    )
    sender = sender_for(plugin)
    assert sender.settings.auth == "ntlm"
    with pytest.raises(TransportError) as caught:
        sender.send(ENVELOPE)  # the listener offers Basic only: ntlm is rejected
    text = str(caught.value)
    assert "basic: basic authentication over http would send the password in clear text" in text
    assert listener.basic_headers() == []
    assert PASSWORD not in text


def test_winrm_list_never_falls_back_to_basic_in_clear(listener: Listener) -> None:
    plugin = connection(
        "ansible.builtin.winrm",
        ansible_port=listener.port,
        ansible_winrm_scheme="http",
        ansible_winrm_transport=["ntlm", "basic"],
    )
    error = refused(plugin)
    assert "ntlm: " in error.detail
    assert "basic: basic authentication over http" in error.detail
    # The advice is the refusal's, not the generic settings list.
    assert "set ansible_winrm_message_encryption: never" in error.check
    assert listener.seen != []  # ntlm did try
    assert listener.basic_headers() == []


# --- psrp --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encryption", [None, "auto", "always"])
def test_psrp_basic_over_http_is_refused_before_any_request(
    listener: Listener, encryption: str | None
) -> None:
    extra = {} if encryption is None else {"ansible_psrp_message_encryption": encryption}
    plugin = connection(
        "ansible.builtin.psrp",
        ansible_port=listener.port,
        ansible_psrp_protocol="http",
        ansible_psrp_auth="basic",
        **extra,
    )
    error = refused(plugin)
    text = str(error)
    assert error.where == "ansible.builtin.psrp"
    assert "ansible_psrp_protocol: use https" in text
    assert "ansible_psrp_auth: ntlm or kerberos" in text
    assert "set ansible_psrp_message_encryption: never" in text
    assert listener.seen == []


def test_psrp_basic_over_http_works_when_clear_text_is_accepted(listener: Listener) -> None:
    plugin = connection(
        "ansible.builtin.psrp",
        ansible_port=listener.port,
        ansible_psrp_protocol="http",
        ansible_psrp_auth="basic",
        ansible_psrp_message_encryption="never",
    )
    with sender_for(plugin) as sender:
        assert sender.send(ENVELOPE) == REPLY
    assert listener.seen == [BASIC]


# --- the rule itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "transport", "kwargs", "refuse"),
    [
        ("http://h:5985/wsman", "basic", {}, True),
        ("HTTP://h:5985/wsman", "basic", {}, True),
        ("http://h:5985/wsman", "basic", {"message_encryption": "never"}, False),
        ("http://h:5985/wsman", "ssl", {"cert_pem": "/c.pem", "cert_key_pem": "/k.pem"}, False),
        ("http://h:5985/wsman", "ntlm", {}, False),
        ("http://h:5985/wsman", "kerberos", {}, False),
        ("http://h:5985/wsman", "credssp", {}, False),
        ("https://h:5986/wsman", "basic", {}, False),
        ("https://h:5986/wsman", "plaintext", {}, False),
    ],
)
def test_winrm_rule(endpoint: str, transport: str, kwargs: dict[str, str], refuse: bool) -> None:
    assert (winrm_refusal(endpoint, transport, kwargs) is not None) is refuse


@pytest.mark.parametrize(
    ("kwargs", "refuse"),
    [
        ({"ssl": False, "auth": "basic", "encryption": "auto"}, True),
        ({"ssl": False, "auth": "basic", "encryption": "always"}, True),
        ({"ssl": False, "auth": "basic", "encryption": "never"}, False),
        ({"ssl": True, "auth": "basic", "encryption": "auto"}, False),
        ({"ssl": False, "auth": "negotiate", "encryption": "auto"}, False),
        ({"ssl": False, "auth": "certificate", "encryption": "auto"}, False),
    ],
)
def test_psrp_rule(kwargs: dict[str, object], refuse: bool) -> None:
    assert (psrp_refusal(kwargs) is not None) is refuse
