# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No password in clear text unless the inventory says so.

HTTP Basic authentication puts the user name and password in every request, only base64-encoded.
Over ``https`` TLS hides them; over plain ``http`` anyone on the path reads them. pywinrm sends
Basic over http when ``ansible_winrm_message_encryption`` is left at ``auto`` (its ``auto`` only
encrypts for NTLM, Kerberos and CredSSP: ``winrm.transport.Transport.build_session``), so the
adapter refuses that combination unless the inventory sets ``never`` explicitly, the one value
that says "I accept clear text on this network". pypsrp already refuses Basic over http unless
``encryption='never'`` (``pypsrp.wsman._TransportHTTP.__init__``); the same rule is applied to
psrp here so both connections fail with the same explanation before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# pywinrm: "plaintext" is Basic by another name, and "ssl" without a client certificate falls back
# to Basic as well (winrm.transport.Transport.build_session).
WINRM_CLEARTEXT = ("basic", "plaintext")
PSRP_CLEARTEXT = ("basic",)
ACCEPT = "never"


@dataclass(frozen=True)
class Refusal:
    """Why the request is not sent, and what the inventory can do instead."""

    detail: str
    check: str


def _refusal(method: str, variables: Mapping[str, str]) -> Refusal:
    detail = (
        f"{method} authentication over http would send the password in clear text, only "
        "base64-encoded, and it cannot use message encryption"
    )
    check = (
        f"{variables['scheme']}: use https; or {variables['auth']}: ntlm or kerberos, which "
        f"encrypt every message over http; or, to accept clear text on a network you trust, set "
        f"{variables['encryption']}: never"
    )
    return Refusal(detail, check)


_WINRM_VARIABLES = {
    "scheme": "ansible_winrm_scheme",
    "auth": "ansible_winrm_transport",
    "encryption": "ansible_winrm_message_encryption",
}
_PSRP_VARIABLES = {
    "scheme": "ansible_psrp_protocol",
    "auth": "ansible_psrp_auth",
    "encryption": "ansible_psrp_message_encryption",
}


def winrm_refusal(endpoint: str, transport: str, kwargs: Mapping[str, Any]) -> Refusal | None:
    """The refusal for one pywinrm authentication method, or None when it may be used.

    ``kwargs`` are the ``Protocol()`` keyword arguments the winrm plugin built; its
    ``message_encryption`` is there only when the inventory set it.
    """
    if urlsplit(endpoint).scheme.lower() != "http":
        return None
    cleartext = transport in WINRM_CLEARTEXT or (
        transport == "ssl" and not kwargs.get("cert_pem") and not kwargs.get("cert_key_pem")
    )
    if not cleartext or kwargs.get("message_encryption") == ACCEPT:
        return None
    return _refusal(transport, _WINRM_VARIABLES)


def psrp_refusal(kwargs: Mapping[str, Any]) -> Refusal | None:
    """The refusal for the psrp plugin's ``WSMan()`` keyword arguments, or None."""
    if kwargs.get("ssl") or str(kwargs.get("auth", "")).lower() not in PSRP_CLEARTEXT:
        return None
    if kwargs.get("encryption") == ACCEPT:
        return None
    return _refusal(str(kwargs.get("auth")), _PSRP_VARIABLES)
