"""The connection adapter against ansible-core's real winrm/psrp plugins and a loopback WS-Man stub.

Connection objects are built the way TaskExecutor builds them (connection_loader, then
set_options(var_options=...) from inventory-like variables). Wire tests POST to a tiny HTTP(S)
server on 127.0.0.1 that records every request.
"""

from __future__ import annotations

import base64
import datetime
import inspect
import ipaddress
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import ansible.plugins.connection as ansible_connections
import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, init_plugin_loader
from ansible.template import Templar
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypsrp.wsman import WSMan
from winrm.protocol import Protocol

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.plugin_utils import transport_senders, wsman_transport
from ansible_collections.volact.kms.plugins.plugin_utils.wsman_transport import (
    PsrpSender,
    TransportError,
    TransportKind,
    WinrmSender,
    sender_for,
)

USER = "kmsadmin"
PASSWORD = "Pw-7f3!q2zX"  # distinctive, so a leak is found by a substring search
UPGRADE = "update plugins/plugin_utils/wsman_transport.py"

ENUMERATE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
    "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action>"
    "<a:MessageID>uuid:00000000-0000-4000-8000-0000000000{n}</a:MessageID>"
    "<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*</w:ResourceURI>"
    "</s:Header><s:Body><n:Enumerate><w:Filter "
    'Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT Version FROM '
    "SoftwareLicensingService</w:Filter></n:Enumerate></s:Body></s:Envelope>"
)
REPLY = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header/><s:Body>'
    b"<n:EnumerateResponse><n:EnumerationContext/></n:EnumerateResponse></s:Body></s:Envelope>"
)
# Shape of wsman-wire.md §1.6 (SPP error 0xC004F050 = 3221549136), written for this test.
FAULT = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header/><s:Body><s:Fault>'
    b"<s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value>"
    b"</s:Subcode></s:Code><s:Reason><s:Text>HRESULT 0xc004f050</s:Text></s:Reason><s:Detail>"
    b'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
    b'Code="3221549136" Machine="kms1"><f:Message>HRESULT 0xc004f050</f:Message></f:WSManFault>'
    b"</s:Detail></s:Fault></s:Body></s:Envelope>"
)

WINRM_ATTRIBUTES = (
    "_build_winrm_kwargs",
    "_winrm_host",
    "_winrm_port",
    "_winrm_scheme",
    "_winrm_path",
    "_winrm_transport",
    "_winrm_kwargs",
    "_winrm_connection_timeout",
    "_winrm_user",
    "_winrm_pass",
    "_kerb_managed",
    "_kerb_auth",
)
PSRP_ATTRIBUTES = ("_build_kwargs", "_psrp_conn_kwargs")
PSRP_KWARGS = (
    "server",
    "port",
    "username",
    "password",
    "ssl",
    "path",
    "auth",
    "cert_validation",
    "connection_timeout",
    "encryption",
    "max_envelope_size",
    "operation_timeout",
    "read_timeout",
)


# --- building connections the way TaskExecutor does ------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _collection_loader() -> Iterator[None]:
    """ansible.builtin.* names need the collection finder; remove it again for other test files."""
    init_plugin_loader()
    yield
    _AnsibleCollectionFinder._remove()


@pytest.fixture(autouse=True)
def _no_proxy_no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    proxies = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")
    for name in (*proxies, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def connection(name: str, variables: dict[str, Any]) -> Any:
    plugin = connection_loader.get(name, PlayContext(), new_stdin=None)
    if plugin is None:
        pytest.fail(f"ansible-core cannot load the {name} connection plugin")
    hostvars = {"inventory_hostname": "win1", **variables}
    var_options = plugin._resolve_option_variables(hostvars, Templar(loader=DataLoader()))
    plugin.set_options(task_keys={}, var_options=var_options)
    return plugin


def winrm(**variables: Any) -> Any:
    base = {"ansible_user": USER, "ansible_password": PASSWORD}
    return connection("ansible.builtin.winrm", {**base, **variables})


def psrp(**variables: Any) -> Any:
    base = {"ansible_user": USER, "ansible_password": PASSWORD}
    return connection("ansible.builtin.psrp", {**base, **variables})


def assert_no_secret(*things: object) -> None:
    for thing in things:
        texts = [str(thing), repr(thing)]
        if isinstance(thing, BaseException):
            for linked in (thing.__cause__, thing.__context__):
                texts += [str(linked), repr(linked)] if linked is not None else []
        for text in texts:
            if PASSWORD in text:
                pytest.fail(f"the password leaked into: {text}")


# --- the ansible-core internals the adapter reads ----------------------------------------------


def test_adapter_declares_exactly_the_internals_these_tests_check() -> None:
    assert wsman_transport.WINRM_INTERNALS == WINRM_ATTRIBUTES
    assert wsman_transport.PSRP_INTERNALS == PSRP_ATTRIBUTES


def test_winrm_plugin_still_has_every_internal_the_adapter_reads() -> None:
    plugin = winrm(ansible_host="127.0.0.1", ansible_port=5985, ansible_winrm_transport="basic")
    if getattr(plugin, "transport", None) != "winrm":
        pytest.fail(f"ansible-core changed transport (now {plugin.transport!r}); {UPGRADE}")
    if not callable(getattr(plugin, "_build_winrm_kwargs", None)):
        pytest.fail(f"ansible-core changed _build_winrm_kwargs; {UPGRADE}")
    plugin._build_winrm_kwargs()
    for attribute in WINRM_ATTRIBUTES:
        if not hasattr(plugin, attribute):
            pytest.fail(f"ansible-core changed {attribute}; {UPGRADE}")
    if not isinstance(plugin._winrm_transport, list):
        pytest.fail(f"ansible-core changed _winrm_transport (not a list); {UPGRADE}")
    if plugin._winrm_kwargs.get("password") != PASSWORD:
        pytest.fail(f"ansible-core changed _winrm_kwargs (no password); {UPGRADE}")
    if list(inspect.signature(plugin._kerb_auth).parameters) != ["principal", "password"]:
        pytest.fail(f"ansible-core changed _kerb_auth(principal, password); {UPGRADE}")
    accepted = set(inspect.signature(Protocol.__init__).parameters)
    if not set(plugin._winrm_kwargs) <= accepted:
        pytest.fail(f"_winrm_kwargs no longer fit winrm.protocol.Protocol; {UPGRADE}")


def test_psrp_plugin_still_has_every_internal_the_adapter_reads() -> None:
    plugin = psrp(ansible_host="127.0.0.1", ansible_psrp_auth="basic")
    if getattr(plugin, "transport", None) != "psrp":
        pytest.fail(f"ansible-core changed transport (now {plugin.transport!r}); {UPGRADE}")
    if not callable(getattr(plugin, "_build_kwargs", None)):
        pytest.fail(f"ansible-core changed _build_kwargs; {UPGRADE}")
    plugin._build_kwargs()
    if not isinstance(getattr(plugin, "_psrp_conn_kwargs", None), dict):
        pytest.fail(f"ansible-core changed _psrp_conn_kwargs; {UPGRADE}")
    for key in PSRP_KWARGS:
        if key not in plugin._psrp_conn_kwargs:
            pytest.fail(f"ansible-core changed _psrp_conn_kwargs[{key!r}]; {UPGRADE}")


def test_the_library_attributes_the_senders_read_are_still_there() -> None:
    protocol = Protocol("http://127.0.0.1:5985/wsman", "basic", username=USER, password=PASSWORD)
    for name in ("operation_timeout_sec", "read_timeout_sec", "max_env_sz", "transport"):
        if not hasattr(protocol, name):
            pytest.fail(f"pywinrm changed Protocol.{name}; update transport_senders.py")
    for name in ("send_message", "close_session", "read_timeout_sec", "ca_trust_path"):
        if not hasattr(protocol.transport, name):
            pytest.fail(f"pywinrm changed Transport.{name}; update transport_senders.py")
    wsman = WSMan("127.0.0.1", username=USER, password=PASSWORD, auth="basic", ssl=True)
    for name in ("endpoint", "auth", "cert_validation", "read_timeout", "connection_timeout"):
        if not hasattr(wsman.transport, name):
            pytest.fail(f"pypsrp changed _TransportHTTP.{name}; update transport_senders.py")
    if "timeout" not in inspect.signature(wsman.transport.send).parameters:
        pytest.fail("pypsrp changed _TransportHTTP.send(timeout=); update transport_senders.py")


def test_a_plugin_that_lost_an_internal_fails_with_an_upgrade_message() -> None:
    plugin = winrm(ansible_host="127.0.0.1", ansible_port=5985, ansible_winrm_transport="basic")
    real_build = plugin._build_winrm_kwargs

    def build_without_kwargs() -> None:  # what a future ansible-core rename would look like
        real_build()
        del plugin._winrm_kwargs

    plugin._build_winrm_kwargs = build_without_kwargs
    with pytest.raises(TransportError, match="ansible-core changed") as caught:
        sender_for(plugin)
    assert caught.value.kind is TransportKind.INCOMPATIBLE
    assert "_winrm_kwargs" in str(caught.value)
    assert "wsman_transport.py" in str(caught.value)


# --- settings: winrm ---------------------------------------------------------------------------


def test_winrm_basic_over_http_takes_the_inventory_settings() -> None:
    plugin = winrm(
        ansible_host="10.0.0.5",
        ansible_port=5985,
        ansible_winrm_transport="basic",
        ansible_winrm_message_encryption="never",  # clear text accepted explicitly
    )
    with sender_for(plugin) as sender:
        assert isinstance(sender, WinrmSender)
        assert sender.endpoint == "http://10.0.0.5:5985/wsman"
        assert sender.settings.connection == "ansible.builtin.winrm"
        assert sender.settings.auth == "basic"
        assert sender.settings.cert_validation == "validate"
        assert sender.settings.message_encryption == "never"
        assert (sender.settings.operation_timeout, sender.settings.read_timeout) == (20, 30)
        assert sender.settings.max_envelope_size == 153600
        transport = sender.protocol.transport
        assert transport.endpoint == "http://10.0.0.5:5985/wsman"
        assert transport.auth_method == "basic"
        assert (transport.username, transport.password) == (USER, PASSWORD)
    assert plugin.shell_id is None
    assert plugin.protocol is None


def test_winrm_https_ntlm_with_validation_trust_path_and_encryption() -> None:
    plugin = winrm(
        ansible_host="kms1.corp.example",
        ansible_port=15986,
        ansible_winrm_scheme="https",
        ansible_winrm_path="/wsman-custom",
        ansible_winrm_transport="ntlm",
        ansible_winrm_server_cert_validation="ignore",
        ansible_winrm_ca_trust_path="/etc/pki/lab-ca.pem",
        ansible_winrm_message_encryption="always",
        ansible_winrm_operation_timeout_sec=60,
        ansible_winrm_read_timeout_sec=90,
    )
    sender = sender_for(plugin)
    assert sender.endpoint == "https://kms1.corp.example:15986/wsman-custom"
    assert sender.settings.auth == "ntlm"
    assert sender.settings.cert_validation == "ignore"
    assert sender.settings.ca_trust_path == "/etc/pki/lab-ca.pem"
    assert sender.settings.message_encryption == "always"
    assert (sender.settings.operation_timeout, sender.settings.read_timeout) == (60, 90)
    transport = sender.protocol.transport
    assert transport.auth_method == "ntlm"
    assert transport.server_cert_validation == "ignore"
    assert transport.ca_trust_path == "/etc/pki/lab-ca.pem"
    assert transport.message_encryption == "always"
    assert sender.protocol.operation_timeout_sec == 60
    assert transport.read_timeout_sec == 90


def test_winrm_defaults_follow_the_plugin_port_5986_means_https_ssl() -> None:
    sender = sender_for(winrm(ansible_host="kms1"))
    assert sender.endpoint == "https://kms1:5986/wsman"
    assert sender.settings.auth == "ssl"  # the plugin's own default for https without a UPN


def test_winrm_connection_timeout_sets_both_timeouts_like_the_plugin() -> None:
    plugin = winrm(
        ansible_host="kms1",
        ansible_port=5985,
        ansible_winrm_connection_timeout=45,
        ansible_winrm_message_encryption="never",
    )
    sender = sender_for(plugin)
    assert (sender.settings.operation_timeout, sender.settings.read_timeout) == (45, 55)
    assert sender.protocol.operation_timeout_sec == 45


def test_winrm_ipv6_host_is_bracketed() -> None:
    sender = sender_for(winrm(ansible_host="fd00::15", ansible_winrm_transport="basic"))
    assert sender.endpoint == "https://[fd00::15]:5986/wsman"


def test_winrm_kerberos_without_pykerberos_is_a_config_error_and_skips_kinit() -> None:
    plugin = winrm(ansible_host="kms1", ansible_user="admin@CORP.EXAMPLE")
    calls: list[tuple[str, str]] = []
    plugin._kerb_auth = lambda principal, password: calls.append((principal, password))
    with pytest.raises(TransportError, match="pykerberos") as caught:
        sender_for(plugin)
    assert caught.value.kind is TransportKind.CONFIG
    assert calls == []
    assert_no_secret(caught.value)


def test_winrm_managed_kerberos_runs_the_plugins_kinit_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_find_spec = transport_senders.importlib.util.find_spec
    monkeypatch.setattr(
        transport_senders.importlib.util,
        "find_spec",
        lambda name: object() if name == "kerberos" else real_find_spec(name),
    )
    plugin = winrm(ansible_host="kms1", ansible_user="admin@CORP.EXAMPLE")
    calls: list[tuple[str, str]] = []
    plugin._kerb_auth = lambda principal, password: calls.append((principal, password))
    sender = sender_for(plugin)
    assert sender.settings.auth == "kerberos"
    assert calls == [("admin@CORP.EXAMPLE", PASSWORD)]

    def failing_kinit(principal: str, password: str) -> None:
        raise AnsibleConnectionFailure(f"Kerberos auth failure for principal {principal}: bad")

    plugin._kerb_auth = failing_kinit
    with pytest.raises(TransportError, match="Kerberos auth failure") as caught:
        sender_for(plugin)
    assert caught.value.kind is TransportKind.AUTH
    assert "ansible_winrm_transport" in str(caught.value)


def test_winrm_settings_the_plugin_rejects_become_config_errors() -> None:
    with pytest.raises(TransportError, match="does not support transport") as caught:
        sender_for(winrm(ansible_host="kms1", ansible_winrm_transport="telnet"))
    assert caught.value.kind is TransportKind.CONFIG
    plugin = winrm(
        ansible_host="kms1",
        ansible_winrm_transport="basic",
        ansible_winrm_operation_timeout_sec=40,
        ansible_winrm_read_timeout_sec=30,
    )
    with pytest.raises(TransportError, match="read_timeout_sec must exceed") as caught:
        sender_for(plugin)
    assert caught.value.kind is TransportKind.CONFIG
    assert "ansible_winrm_* timeouts" in str(caught.value)


def test_winrm_basic_without_password_names_the_credentials() -> None:
    plugin = connection(
        "ansible.builtin.winrm",
        {"ansible_host": "kms1", "ansible_user": USER, "ansible_winrm_transport": "basic"},
    )
    with pytest.raises(TransportError, match="requires a password") as caught:
        sender_for(plugin)
    assert caught.value.kind is TransportKind.AUTH
    assert "ansible_password" in str(caught.value)


@pytest.mark.reliability("secrets")
def test_a_password_pasted_into_another_setting_is_masked() -> None:
    plugin = winrm(ansible_host="kms1", ansible_winrm_transport=PASSWORD)
    with pytest.raises(TransportError) as caught:
        sender_for(plugin)
    assert "********" in str(caught.value)
    assert_no_secret(caught.value)


# --- settings: psrp ----------------------------------------------------------------------------


def test_psrp_basic_over_http_takes_the_inventory_settings() -> None:
    plugin = psrp(
        ansible_host="10.0.0.5",
        ansible_psrp_protocol="http",
        ansible_psrp_auth="basic",
        ansible_psrp_message_encryption="never",
    )
    with sender_for(plugin) as sender:
        assert isinstance(sender, PsrpSender)
        assert sender.endpoint == "http://10.0.0.5:5985/wsman"
        assert sender.settings.connection == "ansible.builtin.psrp"
        assert sender.settings.auth == "basic"
        assert sender.settings.message_encryption == "never"
        assert sender.settings.cert_validation == "validate"
        assert sender.settings.operation_timeout == 20
        assert (sender.settings.read_timeout, sender.settings.connect_timeout) == (30, 30)
        assert sender.settings.max_envelope_size == 153600
        assert sender.wsman.transport.wrap_required is False
        assert (sender.wsman.transport.username, sender.wsman.transport.password) == (
            USER,
            PASSWORD,
        )
    assert plugin.runspace is None


def test_psrp_https_ntlm_with_trust_path_timeouts_and_envelope_size() -> None:
    plugin = psrp(
        ansible_host="kms1.corp.example",
        ansible_port=15986,
        ansible_psrp_path="wsman-custom",
        ansible_psrp_auth="ntlm",
        ansible_psrp_ca_cert="/etc/pki/lab-ca.pem",
        ansible_psrp_message_encryption="always",
        ansible_psrp_operation_timeout=60,
        ansible_psrp_read_timeout=70,
        ansible_psrp_connection_timeout=5,
        ansible_psrp_max_envelope_size=512000,
    )
    sender = sender_for(plugin)
    assert sender.endpoint == "https://kms1.corp.example:15986/wsman-custom"
    assert sender.settings.auth == "ntlm"
    assert sender.settings.cert_validation == "validate"
    assert sender.settings.ca_trust_path == "/etc/pki/lab-ca.pem"
    assert sender.settings.message_encryption == "always"
    assert sender.settings.operation_timeout == 60
    assert (sender.settings.read_timeout, sender.settings.connect_timeout) == (70, 5)
    assert sender.settings.max_envelope_size == 512000
    assert sender.wsman.transport.wrap_required is True
    assert sender.wsman.transport.cert_validation == "/etc/pki/lab-ca.pem"


def test_psrp_ignore_wins_over_a_trust_path_as_in_the_plugin() -> None:
    plugin = psrp(
        ansible_host="kms1",
        ansible_psrp_cert_validation="ignore",
        ansible_psrp_ca_cert="/etc/pki/lab-ca.pem",
    )
    sender = sender_for(plugin)
    assert (sender.settings.cert_validation, sender.settings.ca_trust_path) == ("ignore", None)
    assert sender.wsman.transport.cert_validation is False


def test_psrp_basic_over_http_with_encryption_is_a_config_error() -> None:
    plugin = psrp(ansible_host="kms1", ansible_psrp_protocol="http", ansible_psrp_auth="basic")
    with pytest.raises(TransportError, match="message encryption") as caught:
        sender_for(plugin)
    assert caught.value.kind is TransportKind.CONFIG
    assert "ansible_psrp_message_encryption" in str(caught.value)
    assert caught.value.where == "ansible.builtin.psrp"


def test_short_plugin_names_give_the_same_settings() -> None:
    variables = {"ansible_host": "kms1", "ansible_user": USER, "ansible_password": PASSWORD}
    short = sender_for(connection("winrm", variables))
    full = sender_for(winrm(ansible_host="kms1"))
    assert (short.endpoint, short.settings.auth) == (full.endpoint, full.settings.auth)
    assert short.settings.connection == "ansible.builtin.winrm"


# --- missing libraries -------------------------------------------------------------------------

GUARD_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
for blocked in ("winrm", "pypsrp", "requests"):
    sys.modules[blocked] = None  # import fails as if the package were not installed
from ansible_collections.volact.kms.plugins.plugin_utils import wsman_transport
class Plugin:
    transport = "winrm"
    ansible_name = "ansible.builtin.winrm"
try:
    wsman_transport.sender_for(Plugin())
except wsman_transport.TransportError as err:
    print(err.kind.value, err)
"""


def test_the_adapter_imports_without_pywinrm_pypsrp_or_requests_and_says_what_to_install() -> None:
    collections = Path(wsman_transport.__file__).parents[5]
    result = subprocess.run(
        [sys.executable, "-c", GUARD_SCRIPT, str(collections)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("config ansible.builtin.winrm: ")
    assert "pip install pywinrm" in result.stdout


# --- unsupported connections -------------------------------------------------------------------


# Every other connection plugin the running ansible-core ships (2.20 still has paramiko_ssh, 2.21
# no longer does), plus a short name as a user may write it.
OTHER_CONNECTIONS = [
    *(
        f"ansible.builtin.{path.stem}"
        for path in sorted(Path(ansible_connections.__file__).parent.glob("[!_]*.py"))
        if path.stem not in {"winrm", "psrp"}
    ),
    "local",
]


@pytest.mark.parametrize("name", OTHER_CONNECTIONS)
def test_other_connections_are_refused_with_the_supported_names(name: str) -> None:
    plugin = connection(name, {"ansible_host": "kms1", "ansible_password": PASSWORD})
    with pytest.raises(KmsInputError) as caught:
        sender_for(plugin)
    assert caught.value.field == "ansible_connection"
    assert plugin.ansible_name in caught.value.problem
    assert "ansible.builtin.winrm or ansible.builtin.psrp" in caught.value.fix
    assert_no_secret(caught.value)


# --- on the wire -------------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Stub:
    """A loopback WS-Man listener: Basic auth, canned replies, every request recorded."""

    tls: ssl.SSLContext | None = None
    requests: list[Seen] = field(default_factory=list)
    status_reply: tuple[int, bytes] | None = None
    delay: float = 0.0
    drop: bool = False

    def start(self) -> Stub:
        stub = self
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append(Seen(self.path, dict(self.headers), body))
                time.sleep(stub.delay)
                if stub.drop:
                    self.close_connection = True
                    return
                if self.headers.get("Authorization") != expected:
                    self.answer(401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
                elif stub.status_reply is not None:
                    self.answer(*stub.status_reply, {"Content-Type": "text/html"})
                else:
                    status, reply = (500, FAULT) if b"Bogus" in body else (200, REPLY)
                    self.answer(status, reply, {"Content-Type": "application/soap+xml"})

            def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        serve = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serve.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def assert_no_shell(self) -> None:
        for seen in self.requests:
            if b"windows/shell" in seen.body or b"transfer/Create" in seen.body:
                pytest.fail(f"a shell request was sent: {seen.body[:200]!r}")


@pytest.fixture
def stub() -> Iterator[Stub]:
    running = Stub().start()
    yield running
    running.stop()
    running.assert_no_shell()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for 127.0.0.1 (also usable as its own trust anchor)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "volact lab")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder


@pytest.fixture
def tls_stub(certificate: Path) -> Iterator[Stub]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    running = Stub(tls=context).start()
    yield running
    running.stop()
    running.assert_no_shell()


def plain_winrm(port: int, **extra: Any) -> Any:
    return winrm(
        ansible_host="127.0.0.1",
        ansible_port=port,
        ansible_winrm_scheme="http",
        ansible_winrm_transport="basic",
        ansible_winrm_message_encryption="never",
        **extra,
    )


def plain_psrp(port: int, **extra: Any) -> Any:
    return psrp(
        ansible_host="127.0.0.1",
        ansible_port=port,
        ansible_psrp_protocol="http",
        ansible_psrp_auth="basic",
        ansible_psrp_message_encryption="never",
        **extra,
    )


PLAIN = {"winrm": plain_winrm, "psrp": plain_psrp}
FLAVOURS = pytest.mark.parametrize("flavour", ["winrm", "psrp"])


@FLAVOURS
def test_one_send_is_one_post_and_returns_the_reply(stub: Stub, flavour: str) -> None:
    with sender_for(PLAIN[flavour](stub.port)) as sender:
        assert sender.endpoint == f"http://127.0.0.1:{stub.port}/wsman"
        assert sender.send(ENUMERATE.format(n=1)) == REPLY
        assert len(stub.requests) == 1
        assert sender.send(ENUMERATE.format(n=2)) == REPLY
    assert [seen.body for seen in stub.requests] == [
        ENUMERATE.format(n=1).encode(),
        ENUMERATE.format(n=2).encode(),
    ]
    first = stub.requests[0]
    assert first.path == "/wsman"
    assert first.headers["Content-Type"].startswith("application/soap+xml")


@FLAVOURS
def test_a_wsman_fault_comes_back_as_its_http_500_body(stub: Stub, flavour: str) -> None:
    with sender_for(PLAIN[flavour](stub.port)) as sender:
        assert sender.send(ENUMERATE.format(n=1).replace("Version", "Bogus")) == FAULT
    assert len(stub.requests) == 1


@FLAVOURS
@pytest.mark.reliability("faults")
def test_rejected_credentials_are_an_auth_error(stub: Stub, flavour: str) -> None:
    plugin = PLAIN[flavour](stub.port, ansible_password="wrong-password")
    with pytest.raises(TransportError) as caught:
        sender_for(plugin).send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.AUTH
    assert "ansible_user, ansible_password" in str(caught.value)
    assert len(stub.requests) == 1
    assert "wrong-password" not in str(caught.value)


@FLAVOURS
@pytest.mark.reliability("untrusted_responses")
def test_a_reply_that_is_not_wsman_is_an_http_error(stub: Stub, flavour: str) -> None:
    stub.status_reply = (503, b"<html><body>Service Unavailable</body></html>")
    with pytest.raises(TransportError) as caught:
        sender_for(PLAIN[flavour](stub.port)).send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.HTTP
    assert caught.value.status == 503
    assert "Service Unavailable" in caught.value.detail
    assert len(stub.requests) == 1
    stub.status_reply = (500, b"not xml at all")
    with pytest.raises(TransportError) as caught:
        sender_for(PLAIN[flavour](stub.port)).send(ENUMERATE.format(n=1))
    assert (caught.value.kind, caught.value.status) == (TransportKind.HTTP, 500)
    assert_no_secret(caught.value)


@FLAVOURS
@pytest.mark.reliability("faults")
def test_a_closed_port_is_unreachable(flavour: str) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    with pytest.raises(TransportError) as caught:
        sender_for(PLAIN[flavour](port)).send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.UNREACHABLE
    assert caught.value.detail == "the connection was refused"
    assert caught.value.maybe_processed is False
    assert f"http://127.0.0.1:{port}/wsman" in str(caught.value)
    assert "ansible_port" in str(caught.value)
    assert_no_secret(caught.value)


@FLAVOURS
@pytest.mark.reliability("faults")
def test_a_name_that_does_not_resolve_is_unreachable(flavour: str) -> None:
    make = {"winrm": winrm, "psrp": psrp}[flavour]
    plugin = make(
        ansible_host="kms-lab.invalid",
        ansible_port=5985,
        ansible_winrm_transport="basic",
        ansible_winrm_message_encryption="never",
        ansible_psrp_auth="basic",
        ansible_psrp_message_encryption="never",
    )
    with pytest.raises(TransportError) as caught:
        sender_for(plugin).send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.UNREACHABLE
    assert caught.value.detail == "the host name does not resolve"


@FLAVOURS
@pytest.mark.reliability("faults")
def test_a_dropped_connection_may_have_been_processed(stub: Stub, flavour: str) -> None:
    stub.drop = True
    with pytest.raises(TransportError) as caught:
        sender_for(PLAIN[flavour](stub.port)).send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.UNREACHABLE
    assert caught.value.maybe_processed is True
    assert len(stub.requests) == 1


TIMEOUTS = {
    "winrm": {"ansible_winrm_operation_timeout_sec": 1, "ansible_winrm_read_timeout_sec": 2},
    "psrp": {"ansible_psrp_operation_timeout": 1, "ansible_psrp_read_timeout": 2},
}


@FLAVOURS
@pytest.mark.reliability("faults")
def test_read_timeout_then_a_longer_operation_timeout(stub: Stub, flavour: str) -> None:
    stub.delay = 2.2
    sender = sender_for(PLAIN[flavour](stub.port, **TIMEOUTS[flavour]))
    assert (sender.settings.operation_timeout, sender.settings.read_timeout) == (1, 2)
    with pytest.raises(TransportError) as caught:
        sender.send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.TIMEOUT
    assert caught.value.maybe_processed is True
    assert "read_timeout" in str(caught.value)
    # An envelope that carries OperationTimeout=PT3S gets an HTTP read timeout of 13 s.
    assert sender.send(ENUMERATE.format(n=2), operation_timeout=3) == REPLY
    assert len(stub.requests) == 2
    assert sender.settings.read_timeout == 2
    if flavour == "winrm":  # the per-request override is put back afterwards
        assert sender.protocol.transport.read_timeout_sec == 2


def test_winrm_tries_the_next_transport_in_the_list_like_the_plugin(stub: Stub) -> None:
    plugin = winrm(
        ansible_host="127.0.0.1",
        ansible_port=stub.port,
        ansible_winrm_scheme="http",
        ansible_winrm_transport=["ntlm", "basic"],
        ansible_winrm_message_encryption="never",  # basic over http is accepted explicitly
    )
    sender = sender_for(plugin)
    assert sender.settings.auth == "ntlm"
    assert sender.send(ENUMERATE.format(n=1)) == REPLY
    assert sender.settings.auth == "basic"
    # Without message encryption ntlm has no context-setup POST: its first POST carries the
    # envelope with its negotiate token and is refused (the stub only offers Basic, so no
    # challenge comes back); then basic sends the envelope.
    envelope = ENUMERATE.format(n=1).encode()
    sent = [
        (seen.headers.get("Authorization", "").split(" ")[0], seen.body) for seen in stub.requests
    ]
    assert sent == [("Negotiate", envelope), ("Basic", envelope)]


@FLAVOURS
@pytest.mark.reliability("transport")
def test_an_untrusted_certificate_is_a_tls_error(tls_stub: Stub, flavour: str) -> None:
    plugin = {
        "winrm": lambda: winrm(
            ansible_host="127.0.0.1",
            ansible_port=tls_stub.port,
            ansible_winrm_scheme="https",
            ansible_winrm_transport="basic",
        ),
        "psrp": lambda: psrp(
            ansible_host="127.0.0.1",
            ansible_port=tls_stub.port,
            ansible_psrp_protocol="https",
            ansible_psrp_auth="basic",
        ),
    }[flavour]()
    with pytest.raises(TransportError) as caught:
        sender_for(plugin).send(ENUMERATE.format(n=1))
    assert caught.value.kind is TransportKind.TLS
    assert "certificate verification failed" in caught.value.detail
    assert "cert_validation" in str(caught.value)
    assert tls_stub.requests == []


@FLAVOURS
@pytest.mark.parametrize("trust", ["ignore", "ca"])
@pytest.mark.reliability("transport")
def test_https_works_when_told_to_ignore_or_given_the_ca(
    tls_stub: Stub, certificate: Path, flavour: str, trust: str
) -> None:
    ca = str(certificate / "cert.pem")
    if flavour == "winrm":
        trust_vars = (
            {"ansible_winrm_server_cert_validation": "ignore"}
            if trust == "ignore"
            else {"ansible_winrm_ca_trust_path": ca}
        )
        plugin = winrm(
            ansible_host="127.0.0.1",
            ansible_port=tls_stub.port,
            ansible_winrm_scheme="https",
            ansible_winrm_transport="basic",
            **trust_vars,
        )
    else:
        trust_vars = (
            {"ansible_psrp_cert_validation": "ignore"}
            if trust == "ignore"
            else {"ansible_psrp_ca_cert": ca}
        )
        plugin = psrp(
            ansible_host="127.0.0.1",
            ansible_port=tls_stub.port,
            ansible_psrp_protocol="https",
            ansible_psrp_auth="basic",
            **trust_vars,
        )
    with sender_for(plugin) as sender:
        assert sender.endpoint.startswith(f"https://127.0.0.1:{tls_stub.port}/")
        assert sender.send(ENUMERATE.format(n=1)) == REPLY
    assert len(tls_stub.requests) == 1


@FLAVOURS
@pytest.mark.reliability("secrets")
def test_the_password_is_in_no_repr_or_message(stub: Stub, flavour: str) -> None:
    sender = sender_for(PLAIN[flavour](stub.port))
    assert_no_secret(sender, sender.settings)
    assert flavour in repr(sender).lower()
    stub.status_reply = (503, b"busy")
    with pytest.raises(TransportError) as caught:
        sender.send(ENUMERATE.format(n=1))
    assert_no_secret(caught.value)
