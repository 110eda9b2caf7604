# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kms_srv_record task's options, checked before anything is sent to a DNS server.

Everything a user can get wrong (a target that is not a FQDN, numbers out of range, the same target
twice, a domain outside the zone, a key half given) is refused here with the option's name and the
fix, so a bad task never reaches the server.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.dns.names import (
    absolute,
    in_zone,
    normalize_domain,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.srv import (
    MAX_TTL,
    SrvRecord,
    SrvSet,
    normalize_target,
    owner_name,
    parse_u16,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import Request, State
from ansible_collections.volact.kms.plugins.module_utils.dns.tsig import (
    TsigKey,
    choose_key,
    make_key,
    parse_key_file,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

MAX_RETRIES = 100
PROTOCOLS = ("tcp", "udp")


def _ttl(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TTL:
        raise KmsInputError("ttl", f"{value!r} is not a valid TTL.", f"Use 0 to {MAX_TTL} seconds.")
    return value


def _number(params: Mapping[str, object], name: str, default: int, minimum: int) -> int:
    value = params.get(name)
    return default if value is None else parse_u16(value, name, minimum)


def build_request(params: Mapping[str, object]) -> Request:
    """A :class:`Request` from the module's parameters (names as in the argument spec)."""
    domain = normalize_domain(params.get("domain"), "domain")
    owner = owner_name(domain)
    zone = params.get("zone")
    if zone is not None:
        zone = absolute(normalize_domain(zone, "zone"))
        if not in_zone(owner, zone):
            raise KmsInputError(
                "zone",
                f'"{owner}" is not inside the zone "{zone}"; the server would refuse the update '
                "(NOTZONE).",
                "Give the zone that holds the domain, or leave zone out to have it found.",
            )
    state = State(params.get("state") or "present")
    exclusive = bool(params.get("exclusive"))
    target = params.get("target")
    if target is not None:
        if exclusive:
            raise KmsInputError(
                "exclusive",
                "applies to a list of records, not to one target.",
                "Use records: [...] with exclusive: true, or drop exclusive.",
            )
        record = SrvRecord(
            normalize_target(target, "target"),
            _number(params, "port", 1688, 1),
            _number(params, "priority", 0, 0),
            _number(params, "weight", 0, 0),
        )
        records: tuple[SrvRecord, ...] = (record,)
        single = True
    elif params.get("records") is not None:
        if state is State.ABSENT and exclusive:
            raise KmsInputError(
                "exclusive",
                "cannot be combined with state=absent.",
                "To remove every record, use state=present, exclusive=true and records: [].",
            )
        records = SrvSet.build(params["records"], "records").records
        single = False
    else:
        raise KmsInputError("target", "neither target nor records is given.", "Give one of them.")
    return Request(owner, zone, _ttl(params.get("ttl", 3600)), state, records, single, exclusive)


@dataclass(frozen=True)
class Auth:
    """How updates are signed: a TSIG key, GSS-TSIG (Kerberos), or nothing."""

    key: TsigKey | None = None
    gss: bool = False
    server_fqdn: str | None = None
    accept_unverified_reply: bool = False

    @property
    def kind(self) -> str:
        if self.gss:
            return "gss-tsig"
        return self.key.algorithm if self.key is not None else "none"


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def build_auth(params: Mapping[str, object], key_file_text: str | None = None) -> Auth:
    """An :class:`Auth` from the options; ``key_file_text`` is the key file's content, if any."""
    gss = bool(params.get("gss_tsig"))
    accept = bool(params.get("gss_accept_unverified_reply"))
    if accept and not gss:
        raise KmsInputError(
            "gss_accept_unverified_reply",
            "only applies to GSS-TSIG.",
            "Set gss_tsig: true, or drop gss_accept_unverified_reply.",
        )
    if gss:
        for name in ("key_name", "key_secret", "key_file", "key_algorithm"):
            if params.get(name) is not None:
                raise KmsInputError(
                    name,
                    "cannot be combined with gss_tsig (the Kerberos ticket signs the update).",
                    f"Drop {name}, or drop gss_tsig to use a TSIG key.",
                )
        fqdn = params.get("server_fqdn")
        if fqdn is None:
            server = str(params.get("server") or "")
            if is_address(server):
                raise KmsInputError(
                    "server_fqdn",
                    f"is needed: server {server} is an address, and Kerberos names the DNS "
                    "service by host name (DNS@<fqdn>).",
                    "Set server_fqdn to the DNS server's (domain controller's) FQDN.",
                )
            fqdn = server
        return Auth(
            gss=True,
            server_fqdn=normalize_domain(fqdn, "server_fqdn"),
            accept_unverified_reply=accept,
        )
    if params.get("server_fqdn") is not None:
        raise KmsInputError(
            "server_fqdn", "only applies to GSS-TSIG.", "Drop it, or set gss_tsig: true."
        )
    if key_file_text is not None:
        keys = parse_key_file(key_file_text)
        return Auth(key=choose_key(keys, params.get("key_name"), params.get("key_algorithm")))
    if params.get("key_secret") is not None:
        if params.get("key_name") is None:
            raise KmsInputError(
                "key_secret",
                "is given without key_name.",
                "Set key_name to the name of the key on the server.",
            )
        return Auth(
            key=make_key(params["key_name"], params["key_secret"], params.get("key_algorithm"))
        )
    if params.get("key_name") is not None:
        raise KmsInputError(
            "key_name",
            "is given without key_secret or key_file.",
            "Give the key's secret (key_secret) or its file (key_file).",
        )
    if params.get("key_algorithm") is not None:
        raise KmsInputError(
            "key_algorithm", "is given without a key.", "Give key_name and key_secret, or key_file."
        )
    return Auth()


@dataclass(frozen=True)
class Connection:
    """Where and how to talk to the DNS server."""

    server: str
    port: int = 53
    protocol: str = "tcp"
    timeout: float = 10.0
    max_retries: int = 30


def build_connection(params: Mapping[str, object]) -> Connection:
    server = params.get("server")
    if not isinstance(server, str) or not server.strip():
        raise KmsInputError(
            "server", "is empty.", "Give the address or FQDN of the zone's primary DNS server."
        )
    server = server.strip()
    if not is_address(server):
        server = normalize_domain(server, "server")
    port = parse_u16(params.get("server_port", 53), "server_port", 1)
    protocol = params.get("protocol") or "tcp"
    if protocol not in PROTOCOLS:
        raise KmsInputError("protocol", f'"{protocol}" is not tcp or udp.', "Use tcp or udp.")
    timeout = params.get("timeout", 10.0)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout <= 3600
    ):
        raise KmsInputError(
            "timeout", f"{timeout!r} is not a number of seconds.", "Use a number above 0, e.g. 10."
        )
    retries = params.get("max_retries", 30)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise KmsInputError(
            "max_retries", f"{retries!r} is out of range.", f"Use 0 to {MAX_RETRIES}."
        )
    return Connection(server, port, str(protocol), float(timeout), retries)
