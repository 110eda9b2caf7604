#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage a KMS host's ``DnsDomainPublishList`` (domains, priority, weight) over WS-Management."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_publish_list
short_description: Manage the domains a KMS host publishes in, with priority and weight
version_added: 0.1.0
description:
  - Manages C(DnsDomainPublishList), the REG_MULTI_SZ value under
    C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform) that lists the
    extra DNS domains a KMS host publishes its C(_vlmcs._tcp) SRV record in, one
    C(domain_name, <priority>, <weight>) entry per domain.
  - Optionally manages C(DisableDnsPublishing) (REG_DWORD) next to it, which turns automatic
    publishing off altogether.
  - Talks WS-Management to WMI from the controller (C(StdRegProv) for the registry,
    C(Win32_Service) for the restart); no PowerShell and no C(slmgr.vbs). Use the host's usual
    C(winrm) or C(psrp) connection.
  - The Software Protection service (C(sppsvc)) reads the list when it starts, so after a change
    the module restarts it, and the host publishes its records with the new priorities and
    weights right away (O(restart_service)).
  - Entries are compared by meaning, not text (C(contoso.com) is C(contoso.com, 0, 0)), and their
    order is ignored; entries that stay keep their text as the host has it.
  - A run that changes nothing costs one WS-Man request (C(GetMultiStringValue)), two when
    O(disable_publishing) is given. A run that changes something also reads
    C(Win32_ComputerSystem) and C(SoftwareLicensingService) (one request each, for
    RV(srv_records)), and the keyed C(SoftwareLicensingProduct) rows when the service does not
    report the KMS host role (a host key installed but not yet started still makes a KMS host),
    writes each changed value (one request each) and restarts C(sppsvc) (stop, poll, start, poll;
    four requests or more). Diff mode reads those classes even when nothing changes.
  - Where C(StdRegProv) answers that a value is missing with code 2 (also the code of a missing
    key), one request more reads C(SoftwareLicensingService.Version). Windows Vista / Server 2008
    keep the values under C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SL) (Volume
    Activation 2.0 Operations Guide), have no priority and weight, and restart C(slsvc) (the
    repository's C(docs/windows-versions.md)).
  - If the restart (or a second write) fails, the values written are put back as they were, so
    the task can simply be run again once the cause is fixed.
author:
  - volact.kms contributors (@volact)
extends_documentation_fragment:
  - volact.kms.windows  # first: the shared attributes' values win over the generic ones
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads only; no write request reaches the host and C(sppsvc) is not restarted.
  diff_mode:
    support: full
    details:
      - Shows the raw C(DnsDomainPublishList) strings before and after (and
        C(DisableDnsPublishing) when O(disable_publishing) is given).
options:
  domains:
    description:
      - The domains to publish in. Each item is a domain name, or a mapping with C(name) and
        optional C(priority) and C(weight) (0-65535; Windows uses 0 for a missing number).
      - Priority and weight need Windows 7 / Server 2008 R2 or later; on Windows Vista / Server
        2008 an entry with either is refused before anything is written.
      - Names must be plain ASCII fully qualified domain names; internationalized names must be
        written in their C(xn--) form, and Unicode look-alike characters are refused.
      - A domain may appear once.
      - The KMS host always publishes in its own domain as well, at priority 0 and weight 0
        ("The KMS home domain is always used, so it is not necessary to include it here", says
        Microsoft's registry reference). Better not to list the home domain. If it is listed, the
        host publishes the listed record there; whether Windows also keeps the 0/0 record beside
        it or replaces it is unconfirmed, so RV(srv_records) marks that 0/0 record C(optional)
        and the C(kms_publish) role's DNS check accepts both.
      - When not given, the list is not changed (use O(disable_publishing) alone).
    type: list
    elements: raw
  state:
    description:
      - V(present) adds the listed domains and updates their priority and weight; other entries
        stay.
      - V(absent) removes the listed domains, whatever their numbers; other entries stay.
      - V(exact) makes the list exactly O(domains); V(domains=[]) removes the value. Entries on
        the host that Windows cannot parse (or a value of another type) are replaced too; with
        V(present) and V(absent) they make the task fail instead, naming them.
      - Removing a domain from the list does not delete the record the host already published
        there; remove that with M(volact.kms.kms_srv_record)
        (O(volact.kms.kms_srv_record#module:state=absent)).
    type: str
    choices: [present, absent, exact]
    default: present
  disable_publishing:
    description:
      - Set C(DisableDnsPublishing) to 1 (V(true), the host publishes no SRV record at all, like
        C(slmgr /cdns)) or 0 (V(false)).
      - Read and written only when given.
    type: bool
  restart_service:
    description:
      - V(auto) restarts C(sppsvc) after a change, so that the host reads the new values and
        publishes its records at once.
      - V(never) restarts nothing; RV(restart_required) says a restart is due (for example through
        a handler that restarts C(sppsvc) once per host).
      - V(always) restarts C(sppsvc) even when nothing changed; this is what such a handler runs.
    type: str
    choices: [auto, never, always]
    default: auto
  restart_timeout:
    description: Seconds to wait for C(sppsvc) to stop, and then to start.
    type: int
    default: 60
notes:
  - The host's account needs rights to change C(HKLM\...\SoftwareProtectionPlatform) and to
    control C(sppsvc), that is a member of the host's Administrators group.
  - Priority and weight need Windows 7 / Server 2008 R2 or later. Clients that cache their KMS
    host keep using it; Microsoft recommends turning host caching off on clients
    (C(slmgr /ckhc)) when priority and weight matter.
  - The host publishes by dynamic update, so the DNS zone of each listed domain must accept its
    updates.
  - RV(srv_records) comes from C(Win32_ComputerSystem) (host name and domain). Where the primary
    DNS suffix differs from the Active Directory domain (disjoint namespace), the host publishes
    its home record in the primary DNS suffix instead of the domain shown.
seealso:
  - module: volact.kms.kms_srv_record
"""

EXAMPLES = r"""
- name: Publish kms1 in two more domains, the branch as a fallback
  volact.kms.kms_publish_list:
    domains:
      - name: corp.contoso.com
        priority: 0
        weight: 60
      - name: branch.contoso.com
        priority: 10

- name: Exactly these domains, nothing else (also replaces entries Windows cannot parse)
  volact.kms.kms_publish_list:
    domains:
      - corp.contoso.com
      - {name: lab.contoso.com, priority: 20, weight: 10}
    state: exact

- name: Stop publishing in a domain, restart sppsvc later from a handler
  volact.kms.kms_publish_list:
    domains: [lab.contoso.com]
    state: absent
    restart_service: never
  register: publish
  notify: Restart sppsvc

- name: Clear the list and turn automatic publishing off (records are managed centrally)
  volact.kms.kms_publish_list:
    domains: []
    state: exact
    disable_publishing: true
"""

RETURN = r"""
publish_list:
  description:
    - C(DnsDomainPublishList) before and after the run (in check mode, as it would be).
    - C(before) and C(after) hold the entries as C(name), C(priority) and C(weight), with the
      numbers Windows uses (0 when the entry leaves them out).
    - C(before_raw) and C(after_raw) hold the strings of the REG_MULTI_SZ as the host has them;
      null when there is no value.
    - C(malformed) lists what the host held that Windows cannot use (C(index) null means the
      whole value, for example one of another type); V(state=exact) replaces it.
  returned: when O(domains) is given, when something changed, or in diff mode
  type: dict
  sample:
    before: [{name: corp.contoso.com, priority: 0, weight: 0}]
    after:
      - {name: corp.contoso.com, priority: 0, weight: 60}
      - {name: branch.contoso.com, priority: 10, weight: 0}
    before_raw: [corp.contoso.com]
    after_raw: ["corp.contoso.com, 0, 60", "branch.contoso.com, 10"]
    malformed: []
disable_publishing:
  description: C(DisableDnsPublishing) before and after (true when publishing is off).
  returned: when O(disable_publishing) is given
  type: dict
  sample: {before: false, after: true}
srv_records:
  description:
    - The C(_vlmcs._tcp) SRV records the host publishes once C(sppsvc) has started with the new
      values, its home domain first; targets without the trailing dot.
    - When the list names the home domain, the listed record comes first and the automatic 0/0
      record follows with C(optional=true), because Windows may publish it or not (unconfirmed).
      No other record has the C(optional) key.
    - Empty when the host is not a KMS host or publishing is off; null when the host's DNS name
      cannot be known (not a domain member), with a warning.
  returned: when something changed, or in diff mode
  type: list
  elements: dict
  sample:
    - {domain: contoso.com, target: kms1.contoso.com, port: 1688, priority: 0, weight: 0}
    - {domain: corp.contoso.com, target: kms1.contoso.com, port: 1688, priority: 0, weight: 60}
restarted:
  description: Whether C(sppsvc) was restarted.
  returned: success
  type: bool
  sample: true
restart_required:
  description:
    - True when a value was written but C(sppsvc) was not restarted (O(restart_service=never));
      the host publishes the new records only after C(sppsvc) restarts.
  returned: success
  type: bool
  sample: false
rolled_back:
  description:
    - On failure after a write, whether the values written were put back as they were.
  returned: failure after a write
  type: bool
  sample: true
wsman:
  description:
    - What the task cost on the wire. A run that changes nothing sends one request (two with
      O(disable_publishing)).
  returned: always
  type: dict
  sample: {requests: 1, bytes_sent: 1530, bytes_received: 1187}
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "domains": {"type": "list", "elements": "raw"},
    "state": {"type": "str", "choices": ["present", "absent", "exact"], "default": "present"},
    "disable_publishing": {"type": "bool"},
    "restart_service": {"type": "str", "choices": ["auto", "never", "always"], "default": "auto"},
    "restart_timeout": {"type": "int", "default": 60},
}

SPEC_OPTIONS = {"required_one_of": [("domains", "disable_publishing")]}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(msg="this module runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
