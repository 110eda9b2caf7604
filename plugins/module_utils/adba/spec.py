# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LDAP options both ADBA modules take (their text: doc_fragments/adba_ldap.py)."""

from __future__ import annotations

from typing import Any

LDAP_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "ldap_server": {"type": "str", "required": True},
    "ldap_server_fqdn": {"type": "str"},
    "ldap_port": {"type": "int", "default": 636},
    "ldap_auth": {"type": "str", "choices": ["kerberos", "simple"], "default": "kerberos"},
    "ldap_user": {"type": "str"},
    "ldap_password": {"type": "str", "no_log": True},
    "ldap_ca_path": {"type": "path"},
    "ldap_timeout": {"type": "int", "default": 30},
}
LDAP_REQUIRED_IF: list[tuple[str, str, tuple[str, ...]]] = [
    ("ldap_auth", "simple", ("ldap_user", "ldap_password")),
]
