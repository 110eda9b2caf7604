# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of ``kms_client_setup_key``, checked and normalised before anything is sent.

Every refusal names the option as the user wrote it and says what to write instead; a product key
appears only masked (``keys.mask_key``), even a public GVLK, because the same option may carry a
key Microsoft has not published.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.dns.names import normalize_domain
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey

_DOCS = "https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys"
_SHORT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


# slmgr /act-type 0-3 (older-windows-office-adba.md §4.4); client/activation_type.py
ACTIVATION_TYPES = {"all": 0, "ad": 1, "kms": 2, "token": 3}


class Scope(Enum):
    """Which products the task converts (option ``product``)."""

    WINDOWS = "windows"
    OFFICE = "office"
    ALL = "all"

    @property
    def windows(self) -> bool:
        return self in (Scope.WINDOWS, Scope.ALL)

    @property
    def office(self) -> bool:
        return self in (Scope.OFFICE, Scope.ALL)


class BelowThreshold(Enum):
    """What 0xC004F038 (the KMS host's count is below its threshold) does to the task."""

    FAIL = "fail"
    WARN = "warn"
    IGNORE = "ignore"


@dataclass(frozen=True)
class ClientRequest:
    """What the task asks for. ``None`` means "leave alone" unless said otherwise."""

    scope: Scope = Scope.WINDOWS
    key: ProductKey | None = None
    key_entry: gvlk.Gvlk | None = None  # the catalog row of ``key`` when Microsoft publishes it
    kms_host: str | None = None  # canonical form; an IPv6 literal is written in brackets
    kms_port: int | None = None  # with kms_host: None clears a pinned port (slmgr /skms name)
    discovery: bool = False  # clear a pinned host and port: find hosts in DNS again
    lookup_domain: str | None = None
    clear_lookup_domain: bool = False
    host_caching: bool | None = None
    # VLActivationTypeEnabled of the Windows product (client/activation_type.py): 0 any, 1 AD,
    # 2 KMS, 3 token; None: not managed
    activation_type: int | None = None
    activate: bool = True
    below_threshold: BelowThreshold = BelowThreshold.WARN
    # Check mode only: the DNS server asked for the _vlmcs._tcp records of a client that finds
    # hosts in DNS (None: the controller's resolver). An IPv6 address is kept without brackets.
    dns_server: str | None = None
    dns_port: int = 53

    @property
    def manages_host(self) -> bool:
        return self.kms_host is not None or self.discovery

    @property
    def manages_lookup_domain(self) -> bool:
        return self.lookup_domain is not None or self.clear_lookup_domain


def normalize_kms_host(text: object, field: str = "kms_host") -> str:
    """A KMS host as SetKeyManagementServiceMachine takes it: a DNS name (a short name too), an
    IPv4 address, or an IPv6 address in brackets (slmgr.vbs SetKmsMachineName passes the
    bracketed literal through unchanged). Names keep their case; compare with :func:`same_host`.
    """
    if not isinstance(text, str):
        raise KmsInputError(field, f"expected a host name or address, got {type(text).__name__}.")
    name = text.strip()
    if not name:
        raise KmsInputError(
            field,
            "is empty.",
            "To clear a pinned KMS host and let the client find hosts in DNS again, leave "
            "kms_host out and set discovery: true.",
        )
    literal = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        address = None
    if address is not None:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    if ":" in name:
        raise KmsInputError(
            field,
            f"{name!r} is neither a host name nor an IP address.",
            "Write the port in kms_port, not after the host name; write an IPv6 address on its "
            "own (2001:db8::10) or in brackets ([2001:db8::10]).",
        )
    name = name.removesuffix(".")
    if "." in name or not name.isascii():
        return normalize_domain(name, field)
    if not _SHORT_NAME.fullmatch(name):
        raise KmsInputError(
            field,
            f"{name!r} is not a valid host name.",
            "Use the letters a-z, the digits 0-9 and inner hyphens, or the host's FQDN.",
        )
    return name


def same_host(a: str | None, b: str | None) -> bool:
    """Whether two KMS host values name the same host (case, trailing dot and address form)."""
    if not a or not b:
        return not a and not b
    try:
        return normalize_kms_host(a).casefold() == normalize_kms_host(b).casefold()
    except KmsInputError:
        return a.strip().casefold() == b.strip().casefold()


def same_domain(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    return a.strip().removesuffix(".").casefold() == b.strip().removesuffix(".").casefold()


def _port(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise KmsInputError(field, f"{value!r} is not a TCP port.", "Use a number from 1 to 65535.")
    return value


def _key(args: Mapping[str, Any], scope: Scope) -> tuple[ProductKey | None, gvlk.Gvlk | None]:
    text = args.get("key")
    if text is None:
        return None, None
    key = ProductKey.parse(text, "key")
    if scope is Scope.ALL:
        raise KmsInputError(
            "key",
            "one key cannot be the GVLK of both Windows and Office.",
            "Use product: windows or product: office with key, or leave key out so that each "
            "product's GVLK is chosen from Microsoft's table.",
        )
    entry = gvlk.find_by_key(key.value)
    if entry is None:
        if not args.get("allow_unpublished_key"):
            raise KmsInputError(
                "key",
                f"{key.masked} is not one of the KMS client setup keys (GVLKs) Microsoft "
                "publishes; MAK, retail and KMS host keys do not belong in this module.",
                f"Leave key out to pick the GVLK from the machine's edition, copy it from {_DOCS}, "
                "or set allow_unpublished_key: true for a GVLK that is not in that table yet.",
            )
        return key, None
    wanted = gvlk.OFFICE if scope is Scope.OFFICE else gvlk.WINDOWS
    if entry.product != wanted:
        raise KmsInputError(
            "key",
            f"{key.masked} is the GVLK of {entry.label}, not a {wanted.title()} GVLK.",
            f"Use product: {entry.product} for this key, or give a {wanted.title()} GVLK.",
        )
    return key, entry


def parse_request(args: Mapping[str, Any]) -> ClientRequest:
    """The task's options (after Ansible's argument spec) as a :class:`ClientRequest`."""
    scope = Scope(args.get("product") or "windows")
    key, entry = _key(args, scope)
    discovery = bool(args.get("discovery"))
    raw_host = args.get("kms_host")
    if discovery and raw_host is not None:
        raise KmsInputError(
            "discovery",
            "discovery: true clears the pinned KMS host, and kms_host pins one.",
            "Give either kms_host (and kms_port) or discovery: true, not both.",
        )
    host = None if raw_host is None else normalize_kms_host(raw_host)
    port = _port(args.get("kms_port"), "kms_port")
    if port is not None and host is None:
        raise KmsInputError(
            "kms_port",
            "a port is only used with a pinned host.",
            "Give kms_host too; clients that find hosts in DNS take the port from the SRV record.",
        )
    raw_domain = args.get("lookup_domain")
    clear_domain = isinstance(raw_domain, str) and not raw_domain.strip()
    domain = None
    if raw_domain is not None and not clear_domain:
        domain = normalize_domain(raw_domain, "lookup_domain")
    caching = args.get("host_caching")
    dns_server, dns_port = _dns_server(args)
    raw_type = args.get("activation_type")
    if raw_type is not None and not scope.windows:
        raise KmsInputError(
            "activation_type",
            "applies to the Windows product, and product is office.",
            "Leave activation_type out, or use product: windows or all.",
        )
    if raw_type is not None and raw_type not in ACTIVATION_TYPES:
        raise KmsInputError(
            "activation_type",
            f"{raw_type!r} is not an activation type.",
            f"Give one of {', '.join(ACTIVATION_TYPES)}.",
        )
    return ClientRequest(
        scope=scope,
        key=key,
        key_entry=entry,
        kms_host=host,
        kms_port=port,
        discovery=discovery,
        lookup_domain=domain,
        clear_lookup_domain=clear_domain,
        host_caching=None if caching is None else bool(caching),
        activation_type=None if raw_type is None else ACTIVATION_TYPES[raw_type],
        activate=args.get("activate", True) is not False,
        below_threshold=BelowThreshold(args.get("below_threshold") or "warn"),
        dns_server=dns_server,
        dns_port=dns_port,
    )


def _dns_server(args: Mapping[str, Any]) -> tuple[str | None, int]:
    raw = args.get("dns_server")
    port = _port(args.get("dns_port"), "dns_port")
    server = raw.strip() if isinstance(raw, str) else None
    if not server:
        if port is not None:
            raise KmsInputError(
                "dns_port",
                "a port is only used with dns_server.",
                "Give dns_server too, or leave dns_port out to ask the controller's resolver.",
            )
        return None, 53
    literal = server[1:-1] if server.startswith("[") and server.endswith("]") else server
    try:
        server = ipaddress.ip_address(literal).compressed
    except ValueError:
        server = normalize_domain(server, "dns_server")
    return server, 53 if port is None else port
