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
    CSVLK) gets an object of its own, as with C(slmgr).
  - Creating and deleting activation objects needs an account in Enterprise Admins (or an account
    delegated on the container); reading needs any authenticated account.
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
  state:
    description:
      - V(present) activates the forest when no activation object holds the key.
      - V(absent) deletes the activation objects named O(name).
    type: str
    choices: [present, absent]
    default: present
  ldap_server:
    description:
      - A domain controller of the forest, reachable from the controller on LDAPS, as an address
        or DNS name. The forest's configuration partition is the same on every domain controller;
        replication may delay an object Windows wrote elsewhere.
    type: str
    required: true
  ldap_server_fqdn:
    description:
      - The domain controller's DNS name as its LDAPS certificate names it, and for Kerberos its
        service name C(ldap/<fqdn>). Defaults to O(ldap_server).
    type: str
  ldap_port:
    description: The LDAPS port of O(ldap_server).
    type: int
    default: 636
  ldap_auth:
    description:
      - V(kerberos) binds with the controller's Kerberos ticket (C(kinit) first; C(KRB5CCNAME) and
        C(krb5.conf) as usual), inside TLS. Needs the Python package C(gssapi).
      - V(simple) binds with O(ldap_user) and O(ldap_password), inside TLS.
    type: str
    choices: [kerberos, simple]
    default: kerberos
  ldap_user:
    description: With O(ldap_auth=simple), the account, as C(user@REALM) or C(DOMAIN\\user).
    type: str
  ldap_password:
    description: With O(ldap_auth=simple), its password.
    type: str
  ldap_ca_path:
    description:
      - A PEM file with the CA certificate(s) that issued the domain controller's LDAPS
        certificate. Without it, the controller's system trust store is used. Certificate
        validation cannot be turned off.
    type: path
  ldap_timeout:
    description: Seconds to wait for the domain controller to connect and to answer.
    type: int
    default: 30
notes:
  - The online activation needs the Windows host to reach Microsoft's activation servers. The
    offline (phone) path (C(GenerateActiveDirectoryOfflineActivationId),
    C(DepositActiveDirectoryOfflineActivationConfirmation)) is not implemented yet.
seealso:
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

- name: Remove an activation object
  volact.kms.kms_adba_object:
    name: Old Office 2016 CSVLK
    state: absent
    ldap_server: dc1.contoso.com
"""

RETURN = r"""
object:
  description: The activation object that holds the key (in check mode, null when it would be made).
  returned: with state=present
  type: dict
  contains:
    name:
      description: Its name (C(displayName)).
      type: str
      sample: WS2022 CSVLK
    dn:
      description: Its distinguished name.
      type: str
      sample: CN=WS2022 CSVLK,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration
    activation_id:
      description:
        - The CSVLK's SKU ID (C(msSPP-CSVLKSkuId)), what C(slmgr /ao-list) calls the activation
          ID.
      type: str
      sample: 54ac6616-19df-59f9-a669-bada29951728
    partial_product_key:
      description: The key's last five characters.
      type: str
      sample: G6TCJ
    extended_pid:
      description: The key's extended PID (C(msSPP-CSVLKPid)).
      type: str
    kms_ids:
      description: The KMS IDs the object enables (C(msSPP-KMSIds)), as GUIDs.
      type: list
      elements: str
    created:
      description: When the object was created (C(whenCreated)).
      type: str
objects:
  description:
    - Every activation object of the forest after the task, ordered by name, each as RV(object).
  returned: success
  type: list
  elements: dict
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
hresult:
  description: When C(DoActiveDirectoryOnlineActivation) failed, its HRESULT as hex.
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

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "product_key": {"type": "str", "no_log": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "ldap_server": {"type": "str", "required": True},
    "ldap_server_fqdn": {"type": "str"},
    "ldap_port": {"type": "int", "default": 636},
    "ldap_auth": {"type": "str", "choices": ["kerberos", "simple"], "default": "kerberos"},
    "ldap_user": {"type": "str"},
    "ldap_password": {"type": "str", "no_log": True},
    "ldap_ca_path": {"type": "path"},
    "ldap_timeout": {"type": "int", "default": 30},
}
SPEC_OPTIONS = {
    "required_if": [
        ("state", "present", ("product_key",)),
        ("ldap_auth", "simple", ("ldap_user", "ldap_password")),
    ]
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(msg="this module runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
