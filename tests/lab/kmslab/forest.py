"""The lab's Active Directory forest for Active Directory-Based Activation (ADBA).

A real Samba AD DC (``samba.py``), provisioned with Samba's default Windows Server 2012 R2 schema
(which defines msSPP-ActivationObject and msSPP-ActivationObjectsContainer: Samba's
``setup/ad-schema/AD_DS_Classes__Windows_Server_2012_R2.ldf``), its forest prepared as adprep
does it (forest-wide updates 91 and 92 create the Activation Objects container), and LDAPS with a
certificate from the lab CA. Its LDAP, LDAPS and Kerberos ports are relayed to loopback here, so
the lab's Windows model (``model/directory.py``) and ``ansible-playbook`` both reach it.

Two domain accounts: Administrator (Enterprise Admins, Domain Admins: may create activation
objects, as the container's ACL from operation 92 grants Enterprise Admins) and ``kmsreader``, an
ordinary user who may only read them (the container grants Authenticated Users read and list).
"""

from __future__ import annotations

import os
import secrets
import ssl
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import ldap3
import yaml

from kmslab.model.directory import Caller
from kmslab.samba import SambaDC
from kmslab.wsman.tlsca import LabCA

LISTEN = "127.0.0.1"
READER = "kmsreader"
_SERIAL = count()


@dataclass
class LabForest:
    domain: str
    ca: LabCA
    dc: SambaDC = field(init=False)
    ports: dict[int, int] = field(default_factory=dict)
    reader_password: str = field(default_factory=lambda: f"Rd-{secrets.token_hex(6)}-Lab9")
    # Member machines' computer accounts, made on first use: short name -> (DN, password)
    computers: dict[str, tuple[str, str]] = field(default_factory=dict)

    def start(self) -> LabForest:
        chain = self.ca.server_cert_path(self.fqdn, LISTEN)
        self.dc = SambaDC(
            realm=self.domain.upper(),
            netbios_domain=self.domain.split(".")[0].upper()[:15],
            namespace=f"kmslab-ad-{os.getpid()}-{next(_SERIAL)}",
            forest_prep=True,
            tls_files=(chain, self.ca.leaf_key_path),
        )
        self.dc.start()
        try:
            self.dc._run(
                self.dc.command([
                    "samba-tool", "user", "create", READER, self.reader_password,
                    "-H", str(self.dc.workdir / "private" / "sam.ldb"),
                ])
            )  # fmt: skip
            self.ports = self.dc.expose(LISTEN)
        except BaseException:
            self.dc.stop()
            raise
        return self

    def default_acl(self, dn: str) -> None:
        """The schema's default security descriptor of msSPP-ActivationObject grants
        Authenticated Users read (``(A;;RPLCLORC;;;AU)``, older-windows-office-adba.md §4.2), so
        any domain account can list activation objects on Windows. Samba 4.17 does not apply
        that class's defaultSecurityDescriptor (its LDF writes a blank after ``D:``; a new
        object carries only the container's inherited ACEs), so the lab adds the ACE itself."""
        self.dc._run(
            self.dc.command([
                "samba-tool", "dsacl", "set", f"--objectdn={dn}", "--sddl=(A;;RPLCLORC;;;AU)",
                "-H", str(self.dc.workdir / "private" / "sam.ldb"),
            ])
        )  # fmt: skip

    def stop(self) -> None:
        self.dc.stop()

    @property
    def fqdn(self) -> str:
        return f"dc1.{self.domain}"

    @property
    def ldaps_port(self) -> int:
        return self.ports[636]

    def tls(self) -> ldap3.Tls:
        return ldap3.Tls(
            validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca.ca_path), valid_names=[self.fqdn]
        )

    def account(self, caller: Caller) -> tuple[str, str]:
        if caller is Caller.ENTERPRISE_ADMIN:
            return f"administrator@{self.dc.realm}", self.dc.password
        return f"{READER}@{self.dc.realm}", self.reader_password

    def connect(self, caller: Caller) -> ldap3.Connection:
        """A connection bound (simple bind, inside TLS) as ``caller``; errors raise."""
        return self._bind(*self.account(caller))

    def _bind(self, user: str, password: str) -> ldap3.Connection:
        server = ldap3.Server(
            LISTEN, port=self.ldaps_port, use_ssl=True, tls=self.tls(), get_info=ldap3.NONE
        )
        return ldap3.Connection(
            server, user=user, password=password, auto_bind=True, raise_exceptions=True
        )

    def computer_account(self, host: str) -> tuple[str, str]:
        """The member machine's computer account (``CN=<NAME>,CN=Computers``, sAMAccountName
        ``<NAME>$``, userAccountControl WORKSTATION_TRUST_ACCOUNT), made over LDAPS the first
        time it is asked for; one per machine, as each domain member has its own. Creating one
        costs one LDAP add (milliseconds), so no account is shared."""
        name = host.split(".", 1)[0].upper()[:15]  # the NetBIOS computer name
        if name not in self.computers:
            dn = f"CN={name},CN=Computers,{self.dc.base_dn}"
            password = f"Pc-{secrets.token_hex(12)}-Lab9"
            connection = self.connect(Caller.ENTERPRISE_ADMIN)
            try:
                connection.add(
                    dn,
                    ["top", "person", "organizationalPerson", "user", "computer"],
                    {
                        "sAMAccountName": f"{name}$",
                        "userAccountControl": 0x1000,  # WORKSTATION_TRUST_ACCOUNT
                        "dNSHostName": host,
                        "unicodePwd": f'"{password}"'.encode("utf-16-le"),
                    },
                )
            finally:
                connection.unbind()
            self.computers[name] = (dn, password)
        return self.computers[name]

    def connect_computer(self, host: str) -> ldap3.Connection:
        """A connection bound as the member machine's computer account (``host``: its FQDN)."""
        return self._bind(*self.computer_account(host))

    def settings(self) -> dict[str, Any]:
        """What a playbook needs to reach the forest (``active-directory.yml``)."""
        return {
            "kmslab_ad_domain": self.domain,
            "kmslab_ad_server": LISTEN,
            "kmslab_ad_server_fqdn": self.fqdn,
            "kmslab_ad_ldaps_port": self.ldaps_port,
            "kmslab_ad_ldap_port": self.ports[389],
            "kmslab_ad_ca": str(self.ca.ca_path),
            "kmslab_ad_krb5_conf": str(self.dc.krb5_conf_outside),
            "kmslab_ad_admin": f"administrator@{self.dc.realm}",
            "kmslab_ad_admin_password": self.dc.password,
            "kmslab_ad_reader": f"{READER}@{self.dc.realm}",
            "kmslab_ad_reader_password": self.reader_password,
        }

    def write_settings(self, path: Path) -> None:
        # Created 0600: the passwords are never readable by others, not even for a moment.
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(yaml.safe_dump(self.settings(), sort_keys=False))
