# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GSS-TSIG (RFC 3645): a Kerberos-signed UPDATE, as Active Directory and Samba DNS require.

The flow was verified against Samba 4.17 (dns-and-tooling §2.5): a TKEY exchange over TCP builds a
GSS-API security context for the service ``DNS@<server fqdn>``; UPDATEs are then signed with it.
Two Samba quirks shape this file:

- the key name must share no suffix with any name in the message, because dnspython compresses
  the TSIG owner name and Samba then cuts the packet in the wrong place (BADSIG);
  ``<uuid>.sig-nocompress.`` shares nothing with a zone;
- Samba signs its replies over the request MAC without its length prefix, so they never verify;
  ``gss_accept_unverified_reply`` accepts them and the result is confirmed by reading back.
"""

from __future__ import annotations

import time
import traceback
import uuid
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.dns.errors import (
    DnsUpdateError,
    gss_error,
)

try:
    import gssapi
    import gssapi.exceptions
except ImportError:
    HAS_GSSAPI = False
    GSSAPI_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_GSSAPI = True
    GSSAPI_IMPORT_ERROR = None

try:
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TKEY
    import dns.rrset
    import dns.tsig
except ImportError:
    pass  # dns_client reports the missing library

KEY_SUFFIX = "sig-nocompress."
TKEY_MODE_GSSAPI = 3  # RFC 2930 §2.5: "GSS-API negotiation"
MAX_ROUNDS = 5


def key_name() -> str:
    """A fresh TSIG key name that compresses against nothing in an UPDATE (Samba, §2.5)."""
    return f"{uuid.uuid4()}.{KEY_SUFFIX}"


class GssSigner:
    """Signs UPDATEs with an established GSS-API context; queries stay unsigned."""

    sign_queries = False

    def __init__(self, name: Any, keyring: Any) -> None:
        self.name = name
        self._keyring = keyring

    def __repr__(self) -> str:
        return f"GssSigner({self.name})"

    def apply(self, message: Any) -> None:
        message.use_tsig(self._keyring, keyname=self.name, algorithm=dns.tsig.GSS_TSIG)


def _tkey_query(name: Any, token: bytes, keyring: Any) -> Any:
    now = int(time.time())
    tkey = dns.rdtypes.ANY.TKEY.TKEY(
        dns.rdataclass.ANY,
        dns.rdatatype.TKEY,
        dns.tsig.GSS_TSIG,
        now,
        now + 3600,
        TKEY_MODE_GSSAPI,
        0,
        token,
        b"",
    )
    query = dns.message.make_query(name, dns.rdatatype.TKEY, dns.rdataclass.ANY)
    query.additional.append(dns.rrset.from_rdata(name, 0, tkey))
    # With the keyring set, dnspython hands the signed TKEY answer to GSSTSigAdapter, which steps
    # the context with the server's token before it checks the answer's signature.
    query.keyring = keyring
    return query


def negotiate(client: Any, server_fqdn: str) -> GssSigner:
    """Build the security context with TKEY over TCP; ``client`` is a ``DnsClient``."""
    name = dns.name.from_text(key_name())
    try:
        context = gssapi.SecurityContext(
            name=gssapi.Name(f"DNS@{server_fqdn}", gssapi.NameType.hostbased_service),
            usage="initiate",
        )
        keyring = dns.tsig.GSSTSigAdapter({name: dns.tsig.Key(name, context, dns.tsig.GSS_TSIG)})
        token = context.step()
        for _round in range(MAX_ROUNDS):
            reply = client.exchange(_tkey_query(name, token, keyring), tcp=True)
            rcode = dns.rcode.to_text(reply.rcode())
            answers = [
                rr for rrset in reply.answer if rrset.rdtype == dns.rdatatype.TKEY for rr in rrset
            ]
            if rcode != "NOERROR" or not answers or answers[0].error != 0:
                error = answers[0].error if answers else None
                detail = f"the server answered the TKEY exchange with {rcode}"
                if error:
                    detail += f" and TKEY error {dns.rcode.to_text(error)}"
                raise gss_error("negotiating the key (TKEY)", f"{detail}.", server_fqdn)
            if context.complete:
                return GssSigner(name, keyring)
            token = context.step(answers[0].key)
            if context.complete:
                return GssSigner(name, keyring)
    except gssapi.exceptions.GSSError as error:
        raise gss_error("building the security context", str(error), server_fqdn) from None
    raise DnsUpdateError(
        "GSS",
        f"The GSS-TSIG negotiation with {server_fqdn} did not finish in {MAX_ROUNDS} rounds.",
        "Check the server's Kerberos setup (its DNS/<fqdn> service principal).",
    )
