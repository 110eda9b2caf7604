# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP authentication (Basic, Negotiate/NTLM) and WinRM message encryption for the lab.

Basic is checked against the machine's accounts. NTLM is accepted by pyspnego
(``spnego.server``); its NTLM acceptor reads users from the file named by the ``NTLM_USER_FILE``
environment variable (Heimdal ``DOMAIN:USER:PASSWORD`` lines, spnego/_ntlm.py
``_get_credential``). Each credential set gets its own file and the variable is pointed at it right
before every acceptor step: all steps run on the event loop thread, one at a time.

Message encryption is MS-WSMV 2.2.9.1.1 as pywinrm ``winrm/encryption.py`` and pypsrp
``encryption.py`` frame it: a ``multipart/encrypted`` body with two parts (the original content
type and length, then ``<uint32 LE signature length><signature><sealed data>``) and a closing
``--Encrypted Boundary--``. Kerberos and CredSSP are not simulated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import spnego
import spnego.exceptions

SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = "Encrypted Boundary"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{SPNEGO_PROTOCOL}";boundary="{BOUNDARY}"'
# What Windows offers in a 401 (brief: Negotiate, and Basic when the service allows it).
CHALLENGE_HEADERS = (("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", 'Basic realm="WSMAN"'))


@dataclass(frozen=True)
class Account:
    username: str
    password: str


class AuthError(Exception):
    """Credentials were rejected or the security context is broken: answer 401."""


class CredentialStore:
    """The accounts of one or more machines that share the same credentials."""

    def __init__(self, accounts: tuple[Account, ...], directory: Path) -> None:
        self.accounts = accounts
        lines = []
        for account in accounts:
            user = account.username.split("\\")[-1]
            # Bare user, ".\user" and "<any>\user" clients: spnego matches DOMAIN:USER exactly, so
            # write the forms clients send. Machine-qualified names are added by the server.
            lines.append(f":{user}:{account.password}")
            lines.append(f".:{user}:{account.password}")
        text = "\n".join(lines) + "\n"
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        self.path = directory / f"ntlm-users-{digest}.txt"
        self._text = text

    def add_domain(self, domain: str) -> None:
        """Also accept ``DOMAIN\\user`` for this domain (the machine's own name)."""
        extra = "".join(
            f"{domain}:{account.username.split(chr(92))[-1]}:{account.password}\n"
            for account in self.accounts
        )
        if extra not in self._text:
            self._text += extra
            self.path = self.path.with_name(
                f"ntlm-users-{hashlib.sha256(self._text.encode()).hexdigest()[:16]}.txt"
            )

    def write(self) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(self._text, encoding="utf-8")
            tmp.chmod(0o600)
            tmp.replace(self.path)

    def check_basic(self, header_value: str) -> bool:
        try:
            decoded = base64.b64decode(header_value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        if not sep:
            return False
        user = user.split("\\")[-1].casefold()
        return any(
            account.username.split("\\")[-1].casefold() == user and account.password == password
            for account in self.accounts
        )


class NtlmAcceptor:
    """One connection's Negotiate/NTLM context: NTLM authenticates a connection, not a request."""

    def __init__(self, store: CredentialStore) -> None:
        self._store = store
        self._context: spnego.ContextProxy | None = None

    @property
    def complete(self) -> bool:
        return self._context is not None and self._context.complete

    def step(self, token: bytes) -> bytes | None:
        """Feed one client token; returns the token to send back. Raises AuthError on failure."""
        self._store.write()
        os.environ["NTLM_USER_FILE"] = str(self._store.path)
        try:
            if self._context is None or self._context.complete:
                self._context = spnego.server(protocol="negotiate")
            return self._context.step(token)
        except (spnego.exceptions.SpnegoError, ValueError, struct.error) as error:
            self._context = None
            raise AuthError(str(error)) from None

    def unwrap(self, body: bytes, content_type: str) -> bytes:
        if not self.complete or self._context is None:
            raise AuthError("an encrypted message arrived before authentication completed")
        return unwrap_message(self._context, body, content_type)

    def wrap(self, plaintext: bytes) -> bytes:
        if not self.complete or self._context is None:
            raise AuthError("cannot encrypt without a security context")
        return wrap_message(self._context, plaintext)


def unwrap_message(context: spnego.ContextProxy, body: bytes, content_type: str) -> bytes:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    boundary = match.group(1) if match else BOUNDARY
    parts = [
        part for part in re.split(rb"--\s*" + re.escape(boundary.encode()) + rb"\r\n", body) if part
    ]
    if len(parts) < 2 or len(parts) % 2:
        raise AuthError("the encrypted body does not have header/payload part pairs")
    message = b""
    for header, payload in zip(parts[::2], parts[1::2], strict=True):
        length = re.search(rb"Length=(\d+)", header)
        if length is None:
            raise AuthError("the encrypted part has no OriginalContent length")
        end = rb"--\s*" + re.escape(boundary.encode()) + rb"--\r\n$"
        data = re.sub(end, b"", payload)
        data = data.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
        (signature_length,) = struct.unpack("<I", data[:4])
        signature = data[4 : 4 + signature_length]
        try:
            plain = context.unwrap_winrm(signature, data[4 + signature_length :])
        except spnego.exceptions.SpnegoError as error:
            raise AuthError(f"cannot decrypt the message: {error}") from None
        if len(plain) != int(length.group(1)):
            raise AuthError("the decrypted length does not match OriginalContent")
        message += plain
    return message


def wrap_message(context: spnego.ContextProxy, plaintext: bytes) -> bytes:
    result = context.wrap_winrm(plaintext)
    length = len(plaintext) + result.padding_length
    return (
        (
            f"--{BOUNDARY}\r\n\tContent-Type: {SPNEGO_PROTOCOL}\r\n"
            f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={length}\r\n"
            f"--{BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n"
        ).encode()
        + struct.pack("<I", len(result.header))
        + result.header
        + result.data
        + f"--{BOUNDARY}--\r\n".encode()
    )
