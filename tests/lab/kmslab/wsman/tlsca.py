# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab certificate authority: one CA, one server certificate per machine (name + IP SANs).

Point an inventory's ``ansible_winrm_ca_trust_path`` (or pypsrp ``cert_validation``) at
``LabCA.ca_path``. Keys are EC P-256 and every machine certificate shares one leaf key, so issuing
a certificate costs a signature (about a millisecond), not a key generation: 1,000 machines stay
cheap. Certificates are made lazily, on a machine's first HTTPS connection, and kept on disk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=825)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} is not an EC private key")
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    return key


class LabCA:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._ca_key = _load_or_create_key(directory / "ca.key")
        self.leaf_key_path = directory / "leaf.key"
        self._leaf_key = _load_or_create_key(self.leaf_key_path)
        self.ca_path = directory / "ca.pem"
        if self.ca_path.exists():
            self._ca_cert = x509.load_pem_x509_certificate(self.ca_path.read_bytes())
        else:
            self._ca_cert = self._make_ca()
            self.ca_path.write_bytes(self._ca_cert.public_bytes(serialization.Encoding.PEM))
        self._contexts: dict[tuple[str, str], ssl.SSLContext] = {}

    def _make_ca(self) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "volact.kms lab CA")])
        now = dt.datetime.now(dt.UTC)
        public = self._ca_key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + VALIDITY * 4)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )

    def server_cert_path(self, name: str, address: str) -> Path:
        """The PEM file (certificate + CA) for one machine, issued on first use."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{name}_{address}")
        path = self.directory / "servers" / f"{safe}.pem"
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        public = self._leaf_key.public_key()
        ca_public = self._ca_key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._ca_cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + VALIDITY)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address(address))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        chain = cert.public_bytes(serialization.Encoding.PEM) + self._ca_cert.public_bytes(
            serialization.Encoding.PEM
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(chain)
        tmp.replace(path)
        return path

    def server_context(self, name: str, address: str) -> ssl.SSLContext:
        key = (name, address)
        context = self._contexts.get(key)
        if context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(self.server_cert_path(name, address), self.leaf_key_path)
            self._contexts[key] = context
        return context
