# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS failures of kms_srv_record, in plain words and with the fix.

Pure: the dnspython glue (``dns_client``) maps rcodes, TSIG exceptions and socket errors to the
codes used here. Which error each case raises was observed against BIND 9.18 and Samba 4.17
(dns-and-tooling §2.3, §2.6). No message ever carries a TSIG secret: only the key's name is known
here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError


class DnsUpdateError(KmsError):
    """A DNS server's refusal or a network failure; ``code`` is the rcode or failure name."""

    def __init__(self, code: str, problem: str, fix: str) -> None:
        self.code = code
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.problem} {self.fix}".strip()

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Where:
    """What the failing request was about, to name it in the message."""

    server: str
    owner: str
    zone: str | None = None
    key_name: str | None = None
    auth: str = "none"
    timeout: float = 10.0
    protocol: str = "tcp"

    @property
    def signer(self) -> str:
        if self.auth == "gss-tsig":
            return "the Kerberos (GSS-TSIG) identity"
        if self.key_name:
            return f'the key "{self.key_name}"'
        return "an unsigned request"


def _rights_fix(where: Where) -> str:
    if where.auth == "none":
        return (
            "The server takes no unsigned updates: give key_name and key_secret (or key_file), "
            "or gss_tsig: true for Active Directory."
        )
    return (
        f"Grant {where.signer} update rights on {where.owner} (BIND: update-policy "
        f"{{ grant <key> name {where.owner} SRV; }}; Active Directory: rights on the "
        "_vlmcs record or its zone, see docs/kms_srv_record.md), or use an identity that has them."
    )


def update_rcode_error(rcode: str, where: Where) -> DnsUpdateError:
    """The error for an UPDATE answered with ``rcode`` (anything but NOERROR/NXRRSET/YXRRSET)."""
    zone = where.zone or "?"
    cases = {
        "REFUSED": (
            f"{where.server} refused the update of {where.owner} (REFUSED): {where.signer} has no "
            f"update rights for this name, or the zone {zone} accepts no dynamic updates.",
            _rights_fix(where),
        ),
        "NOTAUTH": (
            f"{where.server} is not authoritative for the zone {zone} (NOTAUTH), or did not accept "
            f"{where.signer}.",
            "Point server at the zone's primary server, check zone (or leave it out to have it "
            "found from the SOA), and check the key.",
        ),
        "NOTZONE": (
            f"{where.owner} is not inside the zone {zone} (NOTZONE).",
            "Set zone to the zone that holds domain, or leave zone out to have it found.",
        ),
        "SERVFAIL": (
            f"{where.server} failed to process the update (SERVFAIL): the zone may have failed "
            "to load, its file or journal may not be writable, or (Active Directory) the "
            "directory backend failed.",
            "Look at the DNS server's log and run the task again once it is healthy.",
        ),
        "NOTIMP": (
            f"{where.server} does not implement dynamic updates (NOTIMP).",
            "Send the update to the zone's primary server, which takes RFC 2136 updates.",
        ),
        "FORMERR": (
            f"{where.server} could not parse the update (FORMERR).",
            "Check that the server takes RFC 2136 updates and the TSIG algorithm in use.",
        ),
    }
    problem, fix = cases.get(
        rcode,
        (
            f"{where.server} answered the update of {where.owner} with {rcode}.",
            "Look at the DNS server's log for the reason.",
        ),
    )
    return DnsUpdateError(rcode, problem, fix)


def query_rcode_error(rcode: str, name: str, where: Where) -> DnsUpdateError:
    """The error for a query (reading the set, finding the zone) answered with ``rcode``."""
    if rcode == "REFUSED":
        return DnsUpdateError(
            rcode,
            f"{where.server} refused to answer for {name} (REFUSED): it does not serve a zone that "
            "holds this name, or does not answer this host.",
            "Point server at the primary server of the zone that holds domain, and check the "
            "spelling of domain and zone.",
        )
    if rcode == "NOTAUTH":
        return DnsUpdateError(
            rcode,
            f"{where.server} did not accept {where.signer} for a query about {name} (NOTAUTH).",
            "Check key_name, key_secret and key_algorithm against the server's key statement.",
        )
    return DnsUpdateError(
        rcode,
        f"{where.server} answered a query for {name} with {rcode}.",
        "Look at the DNS server's log; SERVFAIL often means the zone did not load.",
    )


def not_authoritative_error(name: str, where: Where) -> DnsUpdateError:
    return DnsUpdateError(
        "NOT_AUTHORITATIVE",
        f"{where.server} answered for {name} without authority: it is a resolver or a server "
        "that does not hold the zone, so its answer may be stale.",
        "Point server at the zone's primary server (the SOA's MNAME, or any Active Directory DNS "
        "server for AD-integrated zones).",
    )


def no_zone_error(name: str, where: Where) -> DnsUpdateError:
    return DnsUpdateError(
        "NO_ZONE",
        f"{where.server} named no zone that holds {name} (no SOA in its answers).",
        "Set zone explicitly, and check that server serves it.",
    )


def tsig_error(kind: str, where: Where) -> DnsUpdateError:
    """``kind`` is the dnspython exception's class name (dns-and-tooling §2.3)."""
    gss = where.auth == "gss-tsig"
    cases = {
        "PeerBadSignature": (
            "BADSIG",
            f"{where.server} rejected the request's signature (BADSIG): "
            + (
                "it could not verify the GSS-TSIG signature."
                if gss
                else f"the secret of {where.signer} does not match the server's."
            ),
            "Renew the Kerberos ticket (kinit) and check server_fqdn."
            if gss
            else "Copy the secret again from the server's key statement and check that "
            "key_algorithm is the algorithm named there.",
        ),
        "PeerBadKey": (
            "BADKEY",
            f"{where.server} does not know {where.signer} with this algorithm (BADKEY).",
            "Use the key's name and algorithm exactly as in the server's configuration. Samba "
            "and Active Directory take only Kerberos: set gss_tsig: true.",
        ),
        "PeerBadTime": (
            "BADTIME",
            f"{where.server} rejected the request's time stamp (BADTIME): this host's clock and "
            "the server's differ by more than 5 minutes.",
            "Synchronise both clocks (NTP) and run the task again.",
        ),
        "BadTime": (
            "BADTIME",
            f"The time stamp of {where.server}'s signed reply is more than 5 minutes off this "
            "host's clock.",
            "Synchronise both clocks (NTP) and run the task again.",
        ),
        "PeerBadTruncation": (
            "BADTRUNC",
            f"{where.server} rejected the request's truncated signature (BADTRUNC).",
            "Use a key algorithm without truncation, such as hmac-sha256.",
        ),
        "BadSignature": (
            "REPLY_UNVERIFIED",
            f"The signature of {where.server}'s reply could not be verified, so its answer "
            "cannot be trusted; an update may nevertheless have been applied.",
            "Samba (and, reportedly, Windows) sign GSS-TSIG replies in a non-standard way: set "
            "gss_accept_unverified_reply: true to accept the reply unverified and confirm the "
            "outcome by reading the record set again."
            if gss
            else "Check that nothing between this host and the server alters DNS messages, and "
            "that the server's key has the same secret.",
        ),
        "UnknownTSIGKey": (
            "UNKNOWN_KEY",
            f"{where.server} signed its reply with a key this task does not have.",
            "Use the same key for the task as the server's policy expects.",
        ),
    }
    code, problem, fix = cases.get(
        kind,
        ("TSIG", f"TSIG failure talking to {where.server} ({kind}).", "Check the key settings."),
    )
    return DnsUpdateError(code, problem, fix)


def network_error(kind: str, where: Where, detail: str = "") -> DnsUpdateError:
    """``kind`` is ``timeout``, ``refused`` or ``unreachable``."""
    if kind == "timeout":
        return DnsUpdateError(
            "TIMEOUT",
            f"No answer from {where.server} within {where.timeout:g} s.",
            "Check server and server_port, and that a firewall lets DNS through "
            f"({where.protocol.upper()}); raise timeout for a slow server.",
        )
    if kind == "refused":
        return DnsUpdateError(
            "CONNECTION_REFUSED",
            f"{where.server} refused the connection: no DNS server listens there.",
            "Check server and server_port; the DNS service may be stopped.",
        )
    return DnsUpdateError(
        "UNREACHABLE",
        f"Cannot reach {where.server}: {detail or 'network error'}.",
        "Check server, server_port and the network path to the server.",
    )


def conflict_error(attempts: int, where: Where) -> DnsUpdateError:
    return DnsUpdateError(
        "CONFLICT",
        f"The record set {where.owner} kept changing while this task updated it: {attempts} "
        "attempts each found it changed by someone else (NXRRSET/YXRRSET), or the change was not "
        "visible when read back.",
        "Run the task again; raise max_retries if many writers update it at once. KMS hosts "
        "that publish themselves also write it (slmgr /cdns turns that off).",
    )


def gss_error(step: str, detail: str, fqdn: str) -> DnsUpdateError:
    return DnsUpdateError(
        "GSS",
        f"Kerberos (GSS-TSIG) failed while {step} for DNS@{fqdn}: {detail.strip().rstrip('.')}.",
        "Get a ticket first (kinit, or a keytab through KRB5_CLIENT_KTNAME), check that "
        "server_fqdn is the DNS server's own name and that krb5.conf maps its domain to the realm.",
    )
