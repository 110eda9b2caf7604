#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Active Directory-Based Activation: an activation object in the forest as desired state."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_adba_object
short_description: Manage Active Directory-Based Activation objects (activate a forest with a CSVLK)
version_added: 0.1.0
description:
  - Makes sure the forest holds an Active Directory-Based Activation (ADBA) activation object for
    a KMS host key (CSVLK), or that an activation object of a given name is gone. Domain members
    running Windows 8 / Windows Server 2012 or later with a KMS client key (GVLK) then activate
    from it, with no KMS host, no count and no threshold.
  - Activation objects are C(msSPP-ActivationObject) entries under
    C(CN=Activation Objects,CN=Microsoft SPP,CN=Services) in the forest's configuration partition.
    They are read, listed and removed from the controller over LDAP (LDAPS, the domain
    controller's certificate validated; a Kerberos ticket or a user and password, never a bind in
    clear text), with the Python package C(ldap3) (and C(gssapi) for Kerberos) on the controller.
  - With O(state=present), when no activation object holds the key (compared by its last five
    characters, as the object keeps them), the task's Windows host activates the forest online
    with C(SoftwareLicensingService.DoActiveDirectoryOnlineActivation) (C(slmgr
    /ad-activation-online)) over the task's own C(winrm) or C(psrp) connection; Windows reaches
    Microsoft's activation servers and writes the object. It is then read back over LDAP.
  - The host must be a domain member running Windows 8 / Windows Server 2012 or later; on older
    Windows the task fails before anything is sent. Windows writes the object with the caller's
    own credentials, so the WS-Man logon must be able to reach a domain controller (the second
    hop); see the repository's C(docs/adba.md).
  - With O(state=absent), every activation object with that name is deleted over LDAP; the
    Windows host is not contacted.
  - An activation object cannot be renamed. A different key of the same product group (another
    CSVLK) gets an object of its own if Windows names objects by their name; if it names them by
    the CSVLK's SKU ID (not settled by any source), it collides with the first object
    (C(0x80071392)), and the task says so.
  - Creating and deleting activation objects needs an account in Enterprise Admins (or an account
    delegated on the container); reading needs any authenticated account.
author:
  - volact.kms contributors (@volact)
extends_documentation_fragment:
  - volact.kms.windows  # first: the shared attributes' values win over the generic ones
  - volact.kms.adba_ldap
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads the directory (and, for a missing object, the host's licensing service) only.
  diff_mode:
    support: full
    details: Shows the activation object (name and the key's last group) before and after.
options:
  name:
    description:
      - The activation object's name (its C(displayName), what C(slmgr /ao-list) shows), 1 to 40
        characters.
      - Not allowed, as in any Active Directory name without escaping - a comma, C(=), C(+),
        C(<), C(>), the number sign, a semicolon, a double quote, a backslash and control
        characters. Names are compared without regard to case, as Active Directory compares them.
    type: str
    required: true
  product_key:
    description:
      - The KMS host key (CSVLK) to activate the forest with, five groups of five characters.
        Typographic dashes, blanks and lower case are accepted. A published KMS client key (GVLK)
        is refused before anything is sent.
      - Never shown in output, diff or logs; results show only its last group.
      - Required with O(state=present); not used with O(state=absent).
      - An Office CSVLK needs that Office version's volume license pack installed on the host.
    type: str
  activation:
    description:
      - How the forest is activated when no activation object holds the key.
      - V(online) - the host reaches Microsoft's activation servers
        (C(DoActiveDirectoryOnlineActivation), C(slmgr /ad-activation-online)).
      - V(offline) - by phone, in two runs. Without O(confirmation_id) the task fails before
        anything changes and returns RV(installation_id)
        (C(GenerateActiveDirectoryOfflineActivationId), C(slmgr /ad-activation-get-iid)); give
        it to Microsoft's licensing activation centre, then run the task again on the same host
        with the O(confirmation_id) it gives
        (C(DepositActiveDirectoryOfflineActivationConfirmation),
        C(slmgr /ad-activation-apply-cid)), which makes the object.
      - Either way an object that already holds the key means nothing to do.
    type: str
    choices: [online, offline]
    default: online
  confirmation_id:
    description:
      - With O(activation=offline), the confirmation ID Microsoft gave for RV(installation_id),
        digits in groups (blanks and dashes between them are ignored). It fits only the
        installation ID of this key on this host.
    type: str
  state:
    description:
      - V(present) activates the forest when no activation object holds the key.
      - V(absent) deletes the activation objects named O(name).
    type: str
    choices: [present, absent]
    default: present
notes:
  - The online activation needs the Windows host to reach Microsoft's activation servers; without
    that, use O(activation=offline).
  - A CSVLK has a limited number of activations, and each online activation uses one, so a
    success Windows reported is never followed by a second call. Windows writes the object on the
    domain controller its locator names (C(Win32_NTDomain), one WS-Man request, read only when no
    object holds the key); when that is not O(ldap_server), the task reads that domain controller
    too (same LDAP options), and stops before anything is sent if the controller cannot reach it.
    After the activation the object is read back for up to 7 seconds; if it does not show, the
    task reports the change with a warning. When the call times out and no object shows, the task
    fails saying the outcome is unknown and how to check (C(slmgr /ao-list),
    M(volact.kms.kms_adba_object_info)); do not simply run it again.
seealso:
  - module: volact.kms.kms_adba_object_info
  - name: Activate using Active Directory-based activation
    description: Microsoft's guide to ADBA.
    link: https://learn.microsoft.com/windows/deployment/volume-activation/activate-using-active-directory-based-activation-client
"""

EXAMPLES = r"""
- name: Activate the forest with the Windows Server 2022 CSVLK (run on a domain member)
  volact.kms.kms_adba_object:
    name: WS2022 CSVLK
    product_key: "{{ vault_ws2022_csvlk }}"
    ldap_server: dc1.contoso.com
    ldap_ca_path: /etc/pki/contoso-root-ca.pem

- name: The same with a user and password instead of a Kerberos ticket
  volact.kms.kms_adba_object:
    name: WS2022 CSVLK
    product_key: "{{ vault_ws2022_csvlk }}"
    ldap_server: dc1.contoso.com
    ldap_auth: simple
    ldap_user: adbaadmin@CONTOSO.COM
    ldap_password: "{{ vault_adba_password }}"

- name: Activate the forest by phone, step 1 - the task fails and returns installation_id
  volact.kms.kms_adba_object:
    name: WS2022 CSVLK
    product_key: "{{ vault_ws2022_csvlk }}"
    activation: offline
    ldap_server: dc1.contoso.com
  register: adba
  ignore_errors: true

- name: Step 2, with the confirmation ID Microsoft gave for that installation ID
  volact.kms.kms_adba_object:
    name: WS2022 CSVLK
    product_key: "{{ vault_ws2022_csvlk }}"
    activation: offline
    confirmation_id: "{{ ws2022_adba_cid }}"
    ldap_server: dc1.contoso.com

- name: Remove an activation object
  volact.kms.kms_adba_object:
    name: Old Office 2016 CSVLK
    state: absent
    ldap_server: dc1.contoso.com
"""

RETURN = r"""
object:
  description:
    - With O(state=present), the activation object that holds the key. In check mode, null when
      it would be made.
    - When Windows reported the activation but no domain controller the controller reads shows
      the object yet, the object as Windows was asked to make it (name and the key's last group;
      the other keys null or empty), with a warning.
  returned: with state=present
  type: dict
  contains:
    name:
      description: Its name (C(displayName), else the RDN's value), what C(slmgr /ao-list) shows.
      type: str
      sample: WS2022 CSVLK
    dn:
      description:
        - Its distinguished name, as the directory returns it (which RDN Windows gives an object
          is not settled; see the repository's C(docs/adba.md)).
        - Null in RV(object) when Windows reported the activation but no domain controller the
          controller reads shows the object yet (replication; the task warns).
      type: str
      sample: CN=WS2022,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=x
    activation_id:
      description:
        - The CSVLK's SKU ID (C(msSPP-CSVLKSkuId), 16 bytes decoded as Active Directory stores a
          GUID), what C(slmgr /ao-list) calls the activation ID. Null until the object is read.
      type: str
      sample: 54ac6616-19df-59f9-a669-bada29951728
    partial_product_key:
      description: The CSVLK's last five characters (C(msSPP-CSVLKPartialProductKey)).
      type: str
      sample: G6TCJ
    extended_pid:
      description:
        - The CSVLK's extended PID (C(msSPP-CSVLKPid)), what C(slmgr /ao-list) calls the AO
          extended PID. Null until the object is read.
      type: str
      sample: 03612-03858-000-000000-03-1033-20348.0000-0012026
    kms_ids:
      description:
        - The KMS IDs the object activates (C(msSPP-KMSIds)), as GUIDs; empty until the object is
          read.
      type: list
      elements: str
    created:
      description: When the object was created (C(whenCreated)), as the directory gives it.
      type: str
      sample: "2026-12-07 00:22:43+00:00"
objects:
  description:
    - Every activation object of the forest after the task, ordered by name, as the domain
      controller read shows it (the one Windows writes on, when the task read that one).
    - Each item has the keys of the items M(volact.kms.kms_adba_object_info) lists.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Its name (C(displayName), else the RDN's value), what C(slmgr /ao-list) shows.
      type: str
      sample: WS2022 CSVLK
    dn:
      description:
        - Its distinguished name, as the directory returns it (which RDN Windows gives an object
          is not settled; see the repository's C(docs/adba.md)).
      type: str
      sample: CN=WS2022,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=x
    activation_id:
      description:
        - The CSVLK's SKU ID (C(msSPP-CSVLKSkuId), 16 bytes decoded as Active Directory stores a
          GUID), what C(slmgr /ao-list) calls the activation ID.
      type: str
      sample: 54ac6616-19df-59f9-a669-bada29951728
    partial_product_key:
      description: The CSVLK's last five characters (C(msSPP-CSVLKPartialProductKey)).
      type: str
      sample: G6TCJ
    extended_pid:
      description:
        - The CSVLK's extended PID (C(msSPP-CSVLKPid)), what C(slmgr /ao-list) calls the AO
          extended PID.
      type: str
      sample: 03612-03858-000-000000-03-1033-20348.0000-0012026
    kms_ids:
      description:
        - The KMS IDs the object activates (C(msSPP-KMSIds)), as GUIDs.
      type: list
      elements: str
    created:
      description: When the object was created (C(whenCreated)), as the directory gives it.
      type: str
      sample: "2026-12-07 00:22:43+00:00"
container:
  description: The distinguished name of the forest's Activation Objects container.
  returned: success
  type: str
  sample: CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com
changes:
  description: What was done (in check mode, what would be done).
  returned: success
  type: list
  elements: str
  sample:
    - activate the forest online with XXXXX-XXXXX-XXXXX-XXXXX-G6TCJ as activation object
      'WS2022 CSVLK'
diff:
  description:
    - The activation object (name and the key's last group) before and after, with C(--diff).
  returned: with --diff
  type: dict
installation_id:
  description:
    - With O(activation=offline) and no O(confirmation_id), when no object holds the key - the
      installation ID to give Microsoft's licensing activation centre (the task fails, nothing
      changed). The same key on the same host gives the same one.
  returned: failure, in that case
  type: str
  sample: 1234567-1234567-1234567-1234567-1234567-1234567-1234567-1234567-1234567
hresult:
  description: When the activation method failed, its HRESULT as hex.
  returned: failure, when Windows gave one
  type: str
  sample: "0x80072020"
wsman:
  description: Wire cost of the task on the Windows host (0 requests when it is not needed).
  returned: always
  type: dict
  sample: {requests: 2, bytes_sent: 3914, bytes_received: 6210}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.volact.kms.plugins.module_utils.adba.spec import (
    LDAP_ARGUMENT_SPEC,
    LDAP_REQUIRED_IF,
)

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "product_key": {"type": "str", "no_log": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "activation": {"type": "str", "choices": ["online", "offline"], "default": "online"},
    "confirmation_id": {"type": "str"},
    **LDAP_ARGUMENT_SPEC,
}
SPEC_OPTIONS = {"required_if": [("state", "present", ("product_key",)), *LDAP_REQUIRED_IF]}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(msg="this module runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
