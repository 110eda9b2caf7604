# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task's own winrm or psrp connection, turned into a WS-Management sender.

``sender_for(self._connection)`` returns a sender whose ``send(xml)`` is exactly one HTTP POST, with
the authentication, certificate checks, message encryption and timeouts the inventory configures.
No cmd shell and no PowerShell runspace is ever opened (the plugins' own ``_connect()`` would open
one, wsman-wire.md §3 and spike-notes.md §2), so the plugins' option resolution is reused and their
connect step is not.

This is the only code in the collection that reads ansible-core connection internals. Their names
are in ``WINRM_INTERNALS`` and ``PSRP_INTERNALS``; the unit tests check each one and
docs/transport.md lists them for whoever upgrades ansible-core.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlunsplit

from ansible.errors import AnsibleError

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.plugin_utils import transport_senders
from ansible_collections.volact.kms.plugins.plugin_utils.transport_errors import (
    CHECK,
    TransportError,
    TransportKind,
    capture,
    scrub,
)
from ansible_collections.volact.kms.plugins.plugin_utils.transport_senders import (
    READ_TIMEOUT_MARGIN,
    PsrpSender,
    Sender,
    SenderSettings,
    WinrmSender,
)

__all__ = [
    "PSRP_INTERNALS",
    "SUPPORTED_CONNECTIONS",
    "WINRM_INTERNALS",
    "PsrpSender",
    "Sender",
    "SenderSettings",
    "TransportError",
    "TransportKind",
    "WinrmSender",
    "sender_for",
]

SUPPORTED_CONNECTIONS = ("ansible.builtin.winrm", "ansible.builtin.psrp")

# What the connection plugins of ansible-core 2.20 and 2.21 (meta/runtime.yml) must still have.
# The first entry of each is a method called before the others exist (it sets them).
WINRM_INTERNALS = (
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
PSRP_INTERNALS = ("_build_kwargs", "_psrp_conn_kwargs")

_UPGRADE_HINT = (
    "plugins/plugin_utils/wsman_transport.py of volact.kms (made for ansible-core 2.20 and 2.21)"
)


def connection_name(connection: Any) -> str:
    """The connection plugin's name as a user would write it (ansible.builtin.winrm)."""
    for attr in ("ansible_name", "_load_name"):
        value = getattr(connection, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(connection).__name__


def require(connection: Any, name: str, attributes: tuple[str, ...]) -> None:
    """Fail clearly when an ansible-core internal this file reads has gone."""
    missing = [attr for attr in attributes if not hasattr(connection, attr)]
    if missing:
        raise TransportError(
            TransportKind.INCOMPATIBLE,
            name,
            f"ansible-core changed the connection plugin: no {', '.join(missing)}",
            _UPGRADE_HINT,
        )


def winrm_endpoint(scheme: str, host: str, port: int, path: str) -> str:
    """The URL the winrm plugin would connect to (same IPv6 bracketing as its _winrm_connect)."""
    # Only an IPv6 address has a colon; skipping the parse (and its exception) for names and
    # IPv4 addresses saves every task a tenth of a millisecond (docs/performance.md).
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            pass
        else:
            host = f"[{host}]"
    return urlunsplit((scheme, f"{host}:{port}", path, "", ""))


def _password(connection: Any) -> str | None:
    try:
        value = connection.get_option("remote_password")
    except (AnsibleError, KeyError):
        return None
    return value if isinstance(value, str) else None


def _resolve(connection: Any, name: str, flavour: str, build: str) -> None:
    """Run the plugin's own option resolution; its errors are inventory errors."""
    exc = capture(getattr(connection, build))[1]
    if exc is None:
        return
    detail = scrub(f"{exc}", _password(connection))
    if isinstance(exc, (AnsibleError, KeyError, TypeError, ValueError)):
        check = CHECK[flavour][TransportKind.CONFIG]
        raise TransportError(TransportKind.CONFIG, name, detail, check)
    # Anything else means the plugin itself no longer behaves as this file expects.
    detail = f"{build}() failed: {type(exc).__name__}: {detail}"
    raise TransportError(TransportKind.INCOMPATIBLE, name, detail, _UPGRADE_HINT)


def winrm_sender(connection: Any, name: str) -> WinrmSender:
    """Build the pywinrm sender from ``_build_winrm_kwargs()`` without calling ``_connect()``."""
    require(connection, name, WINRM_INTERNALS[:1])
    _resolve(connection, name, "winrm", "_build_winrm_kwargs")
    require(connection, name, WINRM_INTERNALS)
    # Extras (ansible_winrm_<Protocol argument>) are already filtered into _winrm_kwargs.
    kwargs = dict(connection._winrm_kwargs)
    # The plugin applies connection_timeout inside _winrm_connect(), the step that also opens a
    # shell, so the same rule is repeated here.
    timeout = connection._winrm_connection_timeout
    if timeout:
        kwargs["operation_timeout_sec"] = timeout
        kwargs["read_timeout_sec"] = timeout + READ_TIMEOUT_MARGIN
    endpoint = winrm_endpoint(
        connection._winrm_scheme,
        connection._winrm_host,
        connection._winrm_port,
        connection._winrm_path,
    )
    kinit = connection._kerb_auth if connection._kerb_managed else None
    return WinrmSender(name, endpoint, list(connection._winrm_transport), kwargs, kinit)


def psrp_sender(connection: Any, name: str) -> PsrpSender:
    """Build the pypsrp sender from ``_build_kwargs()`` without opening a runspace."""
    require(connection, name, PSRP_INTERNALS[:1])
    _resolve(connection, name, "psrp", "_build_kwargs")
    require(connection, name, PSRP_INTERNALS)
    return PsrpSender(name, dict(connection._psrp_conn_kwargs))


def _missing_library(name: str, package: str) -> TransportError:
    return TransportError(
        TransportKind.CONFIG,
        name,
        f"the {package} Python package is not installed on the controller",
        f"that {package} is installed in the Python that runs ansible-playbook "
        f"(pip install {package})",
    )


def sender_for(connection: Any) -> Sender:
    """A sender for the task's connection (an action plugin's ``self._connection``).

    Nothing is sent until ``send``. Raises KmsInputError for a connection other than winrm or psrp,
    and TransportError when the settings or the installed libraries cannot be used.
    """
    name = connection_name(connection)
    # ``transport`` is the class attribute every connection plugin sets ('winrm', 'psrp', 'ssh').
    kind = getattr(connection, "transport", None)
    if kind == "winrm":
        if transport_senders.WinrmProtocol is None:
            raise _missing_library(name, "pywinrm")
        return winrm_sender(connection, name)
    if kind == "psrp":
        if transport_senders.WSMan is None:
            raise _missing_library(name, "pypsrp")
        return psrp_sender(connection, name)
    raise KmsInputError(
        "ansible_connection",
        f"the '{name}' connection cannot carry the WS-Management requests this module sends.",
        f"Set ansible_connection to {' or '.join(SUPPORTED_CONNECTIONS)} for this host, with "
        "ansible_user, ansible_password, ansible_port and the ansible_winrm_* or ansible_psrp_* "
        "settings your WinRM listener needs.",
    )
