# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_srv_record's run, from checked options to the task result (the module only orchestrates).

Order of work: resolve the server, find the zone (SOA) when it is not given, reconcile the record
set (``dns_update``), and describe the outcome. GSS-TSIG negotiates its key only when an UPDATE is
about to be sent, so check mode and unchanged runs send nothing but queries.
"""

from __future__ import annotations

import dataclasses

from ansible_collections.volact.kms.plugins.module_utils.dns.client import (
    DnsClient,
    HmacSigner,
    resolve_server,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.errors import Where
from ansible_collections.volact.kms.plugins.module_utils.dns.gss import negotiate
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_plan import Request, diff_text
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import Auth, Connection
from ansible_collections.volact.kms.plugins.module_utils.dns.update import Outcome, reconcile
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

UNVERIFIED_WARNING = (
    "The server's signed reply to the GSS-TSIG update could not be verified "
    "(gss_accept_unverified_reply); the outcome was confirmed by reading the record set again."
)


def read_key_file(path: str | None) -> str | None:
    """The text of ``key_file``; a file that cannot be read is the task's input error."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise KmsInputError(
            "key_file",
            f"cannot read {path}: {reason}.",
            "Give the path of the key file on the host the task runs on (usually the controller).",
        ) from None


def result_of(outcome: Outcome, request: Request, zone: str, want_diff: bool) -> dict[str, object]:
    """The task result: what is there afterwards, and optionally the diff."""
    result: dict[str, object] = {
        "changed": outcome.changed,
        "owner": request.owner,
        "zone": zone,
        "records": [rr.as_dict() for rr in outcome.after.sorted()],
        "ttl": outcome.after.ttl,
        "retries": outcome.retries,
        "reply_verified": outcome.reply_verified,
    }
    if want_diff:
        plan = dataclasses.replace(outcome.plan, after=outcome.after)
        result["diff"] = diff_text(plan, request.owner)
    if not outcome.reply_verified:
        result["warnings"] = [UNVERIFIED_WARNING]
    return result


def run(
    request: Request,
    connection: Connection,
    auth: Auth,
    *,
    check_mode: bool,
    want_diff: bool,
) -> dict[str, object]:
    """Reconcile the record set; raises ``DnsUpdateError`` with the reason on failure."""
    where = Where(
        server=f"{connection.server}:{connection.port}",
        owner=request.owner,
        zone=request.zone,
        key_name=auth.key.name if auth.key is not None else None,
        auth=auth.kind,
        timeout=connection.timeout,
        # GSS-TSIG negotiates over TCP and keeps to it (§2.5).
        protocol="tcp" if auth.gss else connection.protocol,
    )
    if auth.gss:
        connection = dataclasses.replace(connection, protocol="tcp")
    address = resolve_server(connection, where)
    fqdn = auth.server_fqdn or ""
    client = DnsClient(
        connection,
        address,
        where,
        signer=HmacSigner(auth.key) if auth.key is not None else None,
        negotiate=(lambda dns_client: negotiate(dns_client, fqdn)) if auth.gss else None,
    )
    zone = request.zone or client.find_zone(request.owner)
    client.where = dataclasses.replace(where, zone=zone)
    outcome = reconcile(
        client,
        request,
        zone,
        check_mode=check_mode,
        max_retries=connection.max_retries,
        accept_unverified=auth.accept_unverified_reply,
    )
    return result_of(outcome, request, zone, want_diff)
