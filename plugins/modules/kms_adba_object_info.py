#!/usr/bin/python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Active Directory-Based Activation: the forest's activation objects, read over LDAP."""

# E402 is wrong for Ansible modules: validate-modules demands DOCUMENTATION, EXAMPLES and RETURN
# before any import (import-before-documentation).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_adba_object_info
short_description: List the forest's Active Directory-Based Activation objects
version_added: 0.1.0
description:
  - Lists the forest's Active Directory-Based Activation (ADBA) activation objects
    (C(msSPP-ActivationObject) under
    C(CN=Activation Objects,CN=Microsoft SPP,CN=Services) in the configuration partition), as
    C(slmgr /ao-list) shows them, from the controller over LDAP (LDAPS, the domain controller's
    certificate validated; a Kerberos ticket or a user and password), with the Python package
    C(ldap3) (and C(gssapi) for Kerberos) on the controller.
  - Runs on the controller and needs no Windows host and no WS-Management connection - use it in a
    play on C(localhost), or with C(delegate_to) C(localhost). Reading needs any authenticated
    account.
  - A forest not prepared for ADBA (no Activation Objects container) is not a failure - the list
    is empty and RV(container_present) is false.
author:
  - volact.kms contributors (@volact)
extends_documentation_fragment:
  - volact.kms.adba_ldap
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads only, so check mode returns exactly what a normal run returns.
  diff_mode:
    support: none
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  platform:
    support: full
    platforms: posix
    details: The controller; no connection to the task's host is opened.
  action_group:
    support: full
    membership:
      - volact.kms.kms
options:
  name:
    description:
      - Only the activation objects with this name (C(displayName), or the RDN's value when the
        object has none), compared without regard to case as Active Directory compares names.
      - Without it, every activation object of the forest.
    type: str
seealso:
  - module: volact.kms.kms_adba_object
"""

EXAMPLES = r"""
- name: List the forest's activation objects
  volact.kms.kms_adba_object_info:
    ldap_server: dc1.contoso.com
    ldap_ca_path: /etc/pki/contoso-root-ca.pem
  delegate_to: localhost
  register: adba

- name: Is the Windows Server 2022 CSVLK's object there?
  volact.kms.kms_adba_object_info:
    name: WS2022 CSVLK
    ldap_server: dc1.contoso.com
    ldap_auth: simple
    ldap_user: reader@CONTOSO.COM
    ldap_password: "{{ vault_reader_password }}"
  delegate_to: localhost
  register: ws2022
"""

RETURN = r"""
objects:
  description:
    - The forest's activation objects (only those named O(name) when it is given), ordered by
      name. Each has the same keys as the items of M(volact.kms.kms_adba_object)'s RV(objects);
      this shape is stable.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Its name (C(displayName), else the RDN's value), what C(slmgr /ao-list) shows.
      type: str
      sample: WS2022 CSVLK
    dn:
      description: Its distinguished name, as the directory returns it.
      type: str
      sample: CN=WS2022,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=x
    activation_id:
      description:
        - The CSVLK's SKU ID (C(msSPP-CSVLKSkuId), decoded as Active Directory stores a GUID),
          what C(slmgr /ao-list) calls the activation ID. Null if the object has none.
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
      description: The KMS IDs the object activates (C(msSPP-KMSIds)), as GUIDs.
      type: list
      elements: str
    created:
      description: When the object was created (C(whenCreated)), as the directory gives it.
      type: str
      sample: "2026-12-07 00:22:43+00:00"
container:
  description: The distinguished name of the forest's Activation Objects container (present or not).
  returned: success
  type: str
  sample: CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=contoso,DC=com
container_present:
  description:
    - Whether the forest has the container. False means the forest was never prepared for ADBA
      (C(adprep /forestprep) of Windows Server 2012 or later); RV(objects) is then empty.
  returned: success
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.volact.kms.plugins.module_utils.adba.spec import (
    LDAP_ARGUMENT_SPEC,
    LDAP_REQUIRED_IF,
)

ARGUMENT_SPEC = {"name": {"type": "str"}, **LDAP_ARGUMENT_SPEC}
SPEC_OPTIONS = {"required_if": LDAP_REQUIRED_IF}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_OPTIONS)
    module.fail_json(msg="this module runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
