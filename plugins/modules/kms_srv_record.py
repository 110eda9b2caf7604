#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage ``_vlmcs._tcp`` SRV records with RFC 2136 dynamic updates (TSIG or GSS-TSIG)."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_srv_record
short_description: Manage the C(_vlmcs._tcp) SRV records that KMS clients use to find KMS hosts
version_added: 0.1.0
description:
  - Adds, updates or removes the C(_vlmcs._tcp.<domain>) SRV records through which Windows and
    Office KMS clients discover KMS hosts, with RFC 2136 dynamic updates sent to a DNS server.
  - Use it where KMS hosts cannot publish themselves (no dynamic update rights, a DNS server other
    than Active Directory, disjoint namespaces), and turn automatic publishing off on those hosts
    (C(slmgr /cdns)) so that the two do not fight over the records.
  - With O(target) it manages one KMS host's record and never touches the records of other hosts.
    With O(records) and O(exclusive=true) the record set becomes exactly that list.
  - The current record set is read with a plain DNS query to O(server). Each change is sent as one
    UPDATE guarded by prerequisites on what was read (compare-and-swap), retried when another
    writer changed the set in between, and read back afterwards to confirm it.
  - Check mode sends no UPDATE at all, only queries.
  - The TTL belongs to the whole record set (RFC 2181); when O(ttl) differs from the set's TTL,
    every record of the set is written again with the new TTL.
  - Runs where the task is delegated, usually the controller (C(delegate_to=localhost)).
author:
  - volact.kms contributors (@volact)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the record set before and after as zone-file lines.
  platform:
    support: full
    platforms: posix
  action_group:
    support: full
    membership:
      - volact.kms.kms
options:
  domain:
    description:
      - The DNS domain KMS clients search, for example V(contoso.com); the records live at
        C(_vlmcs._tcp.<domain>).
    type: str
    required: true
  zone:
    description:
      - The zone that holds C(_vlmcs._tcp.<domain>).
      - When not given, it is found from the SOA that O(server) names for that name.
    type: str
  ttl:
    description:
      - TTL in seconds of the whole record set.
      - Not applied when O(state=absent) removes records from a set that keeps others.
    type: int
    default: 3600
  server:
    description:
      - Address or FQDN of the DNS server that takes the updates (the zone's primary, or any
        domain controller for an Active Directory-integrated zone).
      - The current records are read from this server too.
    type: str
    required: true
  server_port:
    description: The DNS port of O(server).
    type: int
    default: 53
  protocol:
    description:
      - Transport for queries and updates. GSS-TSIG always uses TCP.
      - With V(udp), a truncated answer is asked again over TCP.
    type: str
    choices: [tcp, udp]
    default: tcp
  timeout:
    description: Seconds to wait for each answer from O(server).
    type: float
    default: 10
  max_retries:
    description:
      - How many times to start again when another writer changed the record set between
        reading and updating it, or when the change is not visible when read back.
      - Attempts are spread with random, growing pauses. With 52 writers adding their own record
        to one set at once, one writer needed 12 attempts (docs/reliability.md); the default
        leaves room for that.
    type: int
    default: 30
  target:
    description:
      - FQDN of one KMS host; its record is added, updated or removed and other hosts' records stay.
      - All records of this host are replaced by the one described by O(port), O(priority) and
        O(weight).
      - Mutually exclusive with O(records).
    type: str
  port:
    description: TCP port of the KMS host given in O(target).
    type: int
    default: 1688
  priority:
    description:
      - Priority of O(target)'s record; clients try the lowest value first (RFC 2782).
    type: int
    default: 0
  weight:
    description:
      - Weight of O(target)'s record among records of the same priority (RFC 2782).
    type: int
    default: 0
  records:
    description:
      - A list of KMS hosts' records to manage together. Each target may appear once.
      - With O(state=present), each listed host's records are replaced by its entry; other hosts'
        records stay unless O(exclusive=true).
      - With O(state=absent), every record of each listed target is removed.
      - Mutually exclusive with O(target).
    type: list
    elements: dict
    suboptions:
      target:
        description: FQDN of the KMS host.
        type: str
        required: true
      port:
        description: TCP port of the KMS host.
        type: int
        default: 1688
      priority:
        description: Priority of the record (RFC 2782).
        type: int
        default: 0
      weight:
        description: Weight of the record (RFC 2782).
        type: int
        default: 0
  exclusive:
    description:
      - With O(records), make the record set exactly the list; records of other hosts are removed.
      - V(records=[]) with O(exclusive=true) removes every record.
    type: bool
    default: false
  state:
    description: Whether the records should be there.
    type: str
    choices: [present, absent]
    default: present
  key_name:
    description:
      - Name of the TSIG key the server grants update rights to.
      - With O(key_file), picks one key from a file that holds several.
    type: str
  key_secret:
    description:
      - Base64 secret of the TSIG key (as C(tsig-keygen) prints it). Requires O(key_name).
      - Never shown in any output.
    type: str
  key_algorithm:
    description:
      - HMAC algorithm of the TSIG key. When not given, V(hmac-sha256), or the algorithm named in
        O(key_file).
      - V(hmac-md5) is used only when named here.
    type: str
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
  key_file:
    description:
      - Path to a key file in the format C(tsig-keygen) writes (C(key "name" { algorithm ...;
        secret "..."; };)), read where the module runs.
      - Mutually exclusive with O(key_secret).
    type: path
  gss_tsig:
    description:
      - Sign updates with GSS-TSIG (Kerberos), as Active Directory and Samba DNS require.
      - Uses the Kerberos ticket of the user the module runs as (C(kinit), or C(KRB5CCNAME) and
        C(KRB5_CLIENT_KTNAME) in the task's C(environment)). Needs the Python C(gssapi) library.
      - Queries stay unsigned.
    type: bool
    default: false
  server_fqdn:
    description:
      - The DNS server's own FQDN, for the Kerberos service name C(DNS@<server_fqdn>).
      - Defaults to O(server) when that is a name; required when O(server) is an address.
    type: str
  gss_accept_unverified_reply:
    description:
      - Accept a reply to a GSS-TSIG update whose signature cannot be verified. Samba signs replies
        in a non-standard way that never verifies (and Windows DNS reportedly sometimes does too).
      - The outcome is then confirmed by reading the record set again, and the result says
        RV(reply_verified=false).
    type: bool
    default: false
notes:
  - The account or key needs update rights on C(_vlmcs._tcp.<domain>); see C(docs/kms_srv_record.md)
    for BIND C(update-policy) and Active Directory permissions.
  - Servers disagree on prerequisite semantics (Samba accepts a subset of the set), which is why
    every applied change is read back and compared.
requirements:
  - dnspython >= 2.6.0
  - gssapi (only for O(gss_tsig=true))
seealso:
  - name: RFC 2136 (DNS UPDATE)
    description: Dynamic updates and their prerequisites.
    link: https://www.rfc-editor.org/rfc/rfc2136
  - name: RFC 2782 (DNS SRV)
    description: Priority, weight and target of SRV records.
    link: https://www.rfc-editor.org/rfc/rfc2782
"""

EXAMPLES = r"""
- name: Publish kms1 for contoso.com, leaving other KMS hosts' records alone
  volact.kms.kms_srv_record:
    domain: contoso.com
    server: 192.0.2.53
    key_name: kms-update
    key_secret: "{{ vault_kms_update_secret }}"
    target: kms1.contoso.com
    priority: 0
    weight: 60
  delegate_to: localhost

- name: Take kms2 out of DNS
  volact.kms.kms_srv_record:
    domain: contoso.com
    server: ns1.contoso.com
    key_file: /etc/bind/kms-update.key
    target: kms2.contoso.com
    state: absent
  delegate_to: localhost

- name: The whole set, exactly, with a short TTL
  volact.kms.kms_srv_record:
    domain: branch.contoso.com
    zone: contoso.com
    server: 192.0.2.53
    key_file: /etc/bind/kms-update.key
    ttl: 600
    records:
      - target: kms1.contoso.com
        priority: 0
      - target: kms-dr.contoso.com
        priority: 10
    exclusive: true
  delegate_to: localhost

- name: Active Directory DNS, signed with the controller's Kerberos ticket
  volact.kms.kms_srv_record:
    domain: corp.contoso.com
    server: dc1.corp.contoso.com
    gss_tsig: true
    target: kms1.corp.contoso.com
  delegate_to: localhost
  environment:
    KRB5CCNAME: FILE:/run/ansible/krb5cc_kms
"""

RETURN = r"""
records:
  description:
    - The SRV records at C(_vlmcs._tcp.<domain>) afterwards (in check mode, as they would be),
      targets in lower case without the trailing dot, lowest priority first.
  returned: success
  type: list
  elements: dict
  sample:
    - {target: kms1.contoso.com, port: 1688, priority: 0, weight: 60}
    - {target: kms2.contoso.com, port: 1688, priority: 10, weight: 0}
owner:
  description: The owner name of the records.
  returned: success
  type: str
  sample: _vlmcs._tcp.contoso.com.
zone:
  description: The zone that was updated (as given, or found from the SOA).
  returned: success
  type: str
  sample: contoso.com.
ttl:
  description: TTL of the record set afterwards; null when no record is left.
  returned: success
  type: int
  sample: 3600
retries:
  description:
    - How many times the task started again because another writer changed the record set
      (NXRRSET/YXRRSET) or the change was not visible when read back.
  returned: success
  type: int
  sample: 0
reply_verified:
  description:
    - False when a GSS-TSIG reply was accepted without a verified signature
      (O(gss_accept_unverified_reply)); the outcome was then confirmed by reading the record set.
  returned: success
  type: bool
  sample: true
dns_error:
  description:
    - On failure, the DNS response code or failure (V(REFUSED), V(NOTAUTH), V(NOTZONE),
      V(SERVFAIL), V(BADSIG), V(BADKEY), V(BADTIME), V(TIMEOUT), V(CONNECTION_REFUSED),
      V(CONFLICT), ...).
  returned: failure
  type: str
  sample: REFUSED
"""

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.volact.kms.plugins.module_utils.dns.client import (
    DNSPYTHON_IMPORT_ERROR,
    HAS_DNSPYTHON,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.errors import DnsUpdateError
from ansible_collections.volact.kms.plugins.module_utils.dns.gss import (
    GSSAPI_IMPORT_ERROR,
    HAS_GSSAPI,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_apply import (
    read_key_file,
    run,
)
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import (
    build_auth,
    build_connection,
    build_request,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.number_guard import (
    as_raw,
    unusable_number,
)

ARGUMENT_SPEC = {
    "domain": {"type": "str", "required": True},
    "zone": {"type": "str"},
    "ttl": {"type": "int", "default": 3600},
    "server": {"type": "str", "required": True},
    "server_port": {"type": "int", "default": 53},
    "protocol": {"type": "str", "choices": ["tcp", "udp"], "default": "tcp"},
    "timeout": {"type": "float", "default": 10},
    "max_retries": {"type": "int", "default": 30},
    "target": {"type": "str"},
    "port": {"type": "int", "default": 1688},
    "priority": {"type": "int", "default": 0},
    "weight": {"type": "int", "default": 0},
    "records": {
        "type": "list",
        "elements": "dict",
        "options": {
            "target": {"type": "str", "required": True},
            "port": {"type": "int", "default": 1688},
            "priority": {"type": "int", "default": 0},
            "weight": {"type": "int", "default": 0},
        },
    },
    "exclusive": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "key_name": {"type": "str"},
    "key_secret": {"type": "str", "no_log": True},
    "key_algorithm": {
        "type": "str",
        "choices": [
            "hmac-md5",
            "hmac-sha1",
            "hmac-sha224",
            "hmac-sha256",
            "hmac-sha384",
            "hmac-sha512",
        ],
    },
    "key_file": {"type": "path"},
    "gss_tsig": {"type": "bool", "default": False},
    "server_fqdn": {"type": "str"},
    "gss_accept_unverified_reply": {"type": "bool", "default": False},
}


SPEC_OPTIONS = {
    "mutually_exclusive": [("target", "records"), ("key_secret", "key_file")],
    "required_one_of": [("target", "records")],
    "required_by": {"key_secret": "key_name"},
}


def main() -> None:
    # Numbers ansible-core's own int check would crash or spin on ("inf", "1e2000000"):
    # refused first, naming the option (module_utils/number_guard.py).
    refused = unusable_number(ARGUMENT_SPEC, basic._load_params())
    if refused is not None:
        raw = AnsibleModule(argument_spec=as_raw(ARGUMENT_SPEC), supports_check_mode=True)
        raw.fail_json(msg=str(refused), field=refused.field)
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython"), exception=DNSPYTHON_IMPORT_ERROR)
    try:
        request = build_request(module.params)
        connection = build_connection(module.params)
        auth = build_auth(module.params, read_key_file(module.params["key_file"]))
    except KmsInputError as error:
        module.fail_json(msg=str(error), field=error.field)
    if auth.key is not None:
        # A secret read from key_file is no module option, so no_log does not cover it by itself.
        module.no_log_values.add(auth.key.secret)
    if auth.gss and not HAS_GSSAPI:
        module.fail_json(msg=missing_required_lib("gssapi"), exception=GSSAPI_IMPORT_ERROR)
    try:
        result = run(
            request, connection, auth, check_mode=module.check_mode, want_diff=module._diff
        )
    except DnsUpdateError as error:
        module.fail_json(msg=str(error), dns_error=error.code, owner=request.owner)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
