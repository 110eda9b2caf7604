# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the ADBA modules reach the forest's directory from the controller (LDAPS only): the
options of kms_adba_object and kms_adba_object_info, written once (module_utils/adba/spec.py
holds their argument spec)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
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
"""
