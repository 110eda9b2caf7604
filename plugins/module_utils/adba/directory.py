# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The forest's activation objects over LDAP, from the controller (ldap3).

Always inside TLS (LDAPS), with the domain controller's certificate validated and its name
checked: a simple bind (user and password) is never sent in clear text, and a Kerberos (SASL
GSSAPI) bind needs TLS too, because ldap3 has no SASL signing and a domain controller that
requires LDAP signing takes unsigned SASL binds only inside TLS ([MS-ADTS] 5.1.2.1; "Domain
controller: LDAP server signing requirements").

The configuration naming context comes from the rootDSE (as slmgr.vbs ``/ao-list`` reads
``configurationNamingContext``, older-windows-office-adba.md §4.3); a missing container means
the forest was never prepared for ADBA (the schema of Windows Server 2012 or later, and adprep's
forest updates 91 and 92, §4.2), which is told apart from a schema without the class.
"""

from __future__ import annotations

import contextlib
import ssl
import traceback
from dataclasses import dataclass, replace
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.adba.objects import (
    ATTRIBUTES,
    CONTAINER_RDN,
    OBJECT_CLASS,
    ActivationObject,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError

try:
    import ldap3
    from ldap3.core import exceptions as ldap_errors
except ImportError:
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR = None

KERBEROS = "kerberos"
SIMPLE = "simple"
_PREPARE = (
    "Prepare the forest for ADBA: run adprep /forestprep from Windows Server 2012 or later (or "
    "promote a Windows Server 2012 or later domain controller; on Samba, samba-tool domain "
    "functionalprep --forest-prep --function-level=2012_R2)."
)


class AdbaError(KmsError):
    """A failure talking to the forest: what happened, and what to do (naming the option)."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem} {fix}")


@dataclass(frozen=True)
class LdapSettings:
    server: str
    server_fqdn: str  # the name in the DC's certificate, and its Kerberos service name
    port: int
    auth: str
    user: str | None
    password: str | None
    ca_path: str | None
    timeout: int

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> LdapSettings:
        server = args.get("ldap_server")
        if not server:
            raise KmsInputError(
                "ldap_server",
                "is required.",
                "Give a domain controller of the forest (of any of its domains).",
            )
        auth = str(args.get("ldap_auth") or KERBEROS)
        user, password = args.get("ldap_user"), args.get("ldap_password")
        if auth == SIMPLE and not (user and password):
            raise KmsInputError(
                "ldap_user",
                "and ldap_password are both needed with ldap_auth=simple.",
                "Give them, or use ldap_auth=kerberos with a ticket from kinit.",
            )
        port = int(args.get("ldap_port") or 636)
        if not 1 <= port <= 65535:
            raise KmsInputError(
                "ldap_port", f"{port} is not a TCP port.", "Give 1 to 65535 (LDAPS: 636)."
            )
        return cls(
            server=str(server),
            server_fqdn=str(args.get("ldap_server_fqdn") or server),
            port=port,
            auth=auth,
            user=user,
            password=password,
            ca_path=args.get("ldap_ca_path"),
            timeout=int(args.get("ldap_timeout") or 30),
        )

    def for_dc(self, fqdn: str) -> LdapSettings:
        """The same options, aimed at another domain controller of the forest (by DNS name)."""
        return replace(self, server=fqdn, server_fqdn=fqdn)


class Directory:
    """One bound LDAPS connection to a domain controller of the forest."""

    def __init__(self, settings: LdapSettings) -> None:
        if not HAS_LDAP3:
            last = (LDAP3_IMPORT_ERROR or "").strip().splitlines()[-1:]
            raise KmsError(
                "kms_adba_object needs the Python package ldap3 on the controller: "
                f"pip install ldap3 ({last[0] if last else 'not installed'})."
            )
        self.settings = settings
        self._connection = self._bind()
        self.configuration_dn, self.schema_dn = self._root_dse()

    @property
    def container_dn(self) -> str:
        return f"{CONTAINER_RDN},{self.configuration_dn}"

    def _bind(self) -> Any:
        s = self.settings
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=s.ca_path,
            valid_names=[s.server_fqdn],
            sni=s.server_fqdn,
        )
        server = ldap3.Server(
            s.server,
            port=s.port,
            use_ssl=True,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=s.timeout,
        )
        options: dict[str, Any] = {"raise_exceptions": True, "receive_timeout": s.timeout}
        if s.auth == SIMPLE:
            options |= {"user": s.user, "password": s.password, "authentication": ldap3.SIMPLE}
        else:
            options |= {
                "authentication": ldap3.SASL,
                "sasl_mechanism": ldap3.KERBEROS,
                "sasl_credentials": (s.server_fqdn,),
            }
        connection = ldap3.Connection(server, **options)
        try:
            connection.open()
        except ldap_errors.LDAPException as error:
            raise self._unreachable(error) from None
        try:
            connection.bind()
        except ldap_errors.LDAPInvalidCredentialsResult:
            raise AdbaError(
                "ldap_user",
                f"the domain controller {s.server} refused {s.user} and its password.",
                "Check ldap_user (user@REALM or DOMAIN\\user) and ldap_password.",
            ) from None
        except ldap_errors.LDAPException as error:
            raise self._unreachable(error) from None
        except Exception as error:  # gssapi raises its own errors (GSSError)
            raise self._kerberos_failed(error) from None
        return connection

    def _unreachable(self, error: Exception) -> AdbaError:
        s = self.settings
        text = str(error)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return AdbaError(
                "ldap_ca_path",
                f"the certificate of {s.server}:{s.port} did not validate ({text}).",
                "Give the CA certificate (PEM) that issued the domain controller's LDAPS "
                "certificate in ldap_ca_path; validation cannot be turned off.",
            )
        if "hostname" in text.lower() or "certificate" in text.lower():
            return AdbaError(
                "ldap_server_fqdn",
                f"the certificate of {s.server} is not for {s.server_fqdn} ({text}).",
                "Give the domain controller's DNS name as its certificate names it.",
            )
        return AdbaError(
            "ldap_server",
            f"the forest cannot be reached on LDAPS at {s.server}:{s.port} ({text}).",
            "Give a domain controller the controller can reach on TCP 636 with LDAPS enabled "
            "(a certificate installed), or set ldap_port.",
        )

    def _kerberos_failed(self, error: Exception) -> AdbaError:
        s = self.settings
        text = str(error)
        if isinstance(error, ImportError):
            return AdbaError(
                "ldap_auth",
                f"kerberos needs the Python package gssapi on the controller ({text}).",
                "pip install gssapi (it builds against the system's Kerberos libraries), or use "
                "ldap_auth=simple with ldap_user and ldap_password.",
            )
        if "not found in Kerberos database" in text:
            return AdbaError(
                "ldap_server_fqdn",
                f"the realm has no service ldap/{s.server_fqdn} ({text}).",
                "Give the domain controller's own DNS name (its SPN ldap/<fqdn>).",
            )
        return AdbaError(
            "ldap_auth",
            f"the Kerberos bind to {s.server_fqdn} failed ({text}).",
            "Get a ticket on the controller first (kinit user@REALM), check KRB5CCNAME and "
            "krb5.conf, or use ldap_auth=simple with ldap_user and ldap_password.",
        )

    def _root_dse(self) -> tuple[str, str]:
        names = ("configurationNamingContext", "schemaNamingContext")
        self._connection.search(
            "", "(objectClass=*)", search_scope=ldap3.BASE, attributes=list(names)
        )
        entry = self._connection.response[0]["attributes"] if self._connection.response else {}
        found = [entry.get(name) for name in names]
        found = [value[0] if isinstance(value, list) and value else value for value in found]
        if not all(found):
            raise AdbaError(
                "ldap_server",
                f"{self.settings.server} is not an Active Directory domain controller (its "
                "rootDSE has no configurationNamingContext).",
                "Give a domain controller of the forest.",
            )
        return str(found[0]), str(found[1])

    def objects(self) -> list[ActivationObject]:
        """Every activation object of the forest, ordered by name."""
        found = self.listing()
        if found is None:
            raise self._no_container()
        return found

    def listing(self) -> list[ActivationObject] | None:
        """Every activation object, ordered by name; None when the forest has no container
        (never prepared for ADBA)."""
        try:
            self._connection.search(
                self.container_dn,
                f"(objectClass={OBJECT_CLASS})",
                search_scope=ldap3.LEVEL,
                attributes=list(ATTRIBUTES),
            )
        except ldap_errors.LDAPNoSuchObjectResult:
            return None
        found = [
            ActivationObject.from_entry(item["dn"], item["attributes"], item.get("raw_attributes"))
            for item in self._connection.response
            if item.get("type") == "searchResEntry"
        ]
        return sorted(found, key=lambda entry: entry.name.casefold())

    def _no_container(self) -> AdbaError:
        has_class = False
        try:
            self._connection.search(
                self.schema_dn,
                f"(lDAPDisplayName={OBJECT_CLASS})",
                search_scope=ldap3.LEVEL,
                attributes=["cn"],
            )
            has_class = bool(self._connection.response)
        except ldap_errors.LDAPException:
            pass
        if not has_class:
            return AdbaError(
                "ldap_server",
                f"the forest's schema has no {OBJECT_CLASS}: Active Directory-Based Activation "
                "needs the Windows Server 2012 schema or later.",
                _PREPARE,
            )
        return AdbaError(
            "ldap_server",
            f"the schema knows {OBJECT_CLASS}, but the forest has no {self.container_dn}.",
            _PREPARE,
        )

    def delete(self, entry: ActivationObject) -> None:
        try:
            self._connection.delete(entry.dn)
        except ldap_errors.LDAPNoSuchObjectResult:
            return  # removed meanwhile: the state wanted
        except ldap_errors.LDAPInsufficientAccessRightsResult:
            who = self.settings.user or "the Kerberos principal"
            raise AdbaError(
                "ldap_user",
                f"{who} may not delete {entry.dn}.",
                "Use an account in Enterprise Admins (or Domain Admins of the forest root domain), "
                "as activation objects grant them and not others by default.",
            ) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not hide the task's outcome
            self._connection.unbind()
