"""Certificates for the mutual-TLS tests, made with ``cryptography``: a CA, a server certificate
for 127.0.0.1, and client certificates (valid, expired, from another CA, with an encrypted key)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Authority:
    """A CA that signs server and client certificates."""

    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, common_name: str = "QBank Test CA") -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(common_name)
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(name, key, certificate)

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        common_name: str,
        *,
        server: bool = False,
        key: PrivateKey | None = None,
        expired: bool = False,
    ) -> tuple[x509.Certificate, PrivateKey]:
        key = key or ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            start, end = now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)
        else:
            start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        issuer_key: CertificateIssuerPrivateKeyTypes = self.key
        return builder.sign(issuer_key, hashes.SHA256()), key


def key_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if password is None
        else serialization.BestAvailableEncryption(password)
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class ClientFiles:
    """A client certificate on disk: ``combined`` holds both, ``cert``/``key`` one each."""

    certificate: x509.Certificate
    cert: Path
    key: Path
    combined: Path

    def pem(self) -> str:
        return cert_pem(self.certificate).decode()

    def thumbprint(self) -> str:
        """``x5t#S256`` (RFC 8705 section 3.1), computed here independently of the sandbox."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def write_client(
    folder: Path,
    authority: Authority,
    name: str,
    *,
    expired: bool = False,
    password: bytes | None = None,
) -> ClientFiles:
    certificate, key = authority.issue(name, expired=expired)
    cert, key_file, combined = (
        folder / f"{name}.crt",
        folder / f"{name}.key",
        folder / f"{name}.pem",
    )
    cert.write_bytes(cert_pem(certificate))
    key_file.write_bytes(key_pem(key, password))
    combined.write_bytes(cert_pem(certificate) + key_pem(key, password))
    return ClientFiles(certificate, cert, key_file, combined)


def server_context(folder: Path, authority: Authority, *, client_ca: bool = True) -> ssl.SSLContext:
    """A server context for 127.0.0.1 that requires a client certificate from ``authority``."""
    certificate, key = authority.issue("127.0.0.1", server=True)
    (folder / "server.crt").write_bytes(cert_pem(certificate))
    (folder / "server.key").write_bytes(key_pem(key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.crt", folder / "server.key")
    if client_ca:
        context.load_verify_locations(cadata=authority.pem().decode())
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(authority: Authority, client: ClientFiles | None = None) -> ssl.SSLContext:
    """A client context trusting ``authority``, presenting ``client`` when given."""
    context = ssl.create_default_context(cadata=authority.pem().decode())
    if client is not None:
        context.load_cert_chain(client.cert, client.key)
    return context


@dataclass
class PKI:
    """Everything the mutual-TLS tests need, on disk under ``folder``.

    ``good`` and ``successor`` are registered for ``tls_client_auth``; ``unregistered`` is
    issued by the same CA but registered for no client; ``stranger`` comes from another CA;
    ``expired`` expired yesterday; ``locked`` has a key encrypted with ``PASSWORD``."""

    folder: Path
    authority: Authority
    ca_file: Path
    good: ClientFiles
    successor: ClientFiles
    unregistered: ClientFiles
    stranger: ClientFiles
    expired: ClientFiles
    locked: ClientFiles

    PASSWORD = "c0rrect horse"

    @classmethod
    def create(cls, folder: Path) -> PKI:
        authority, other = Authority.create(), Authority.create("Another CA")
        ca_file = folder / "ca.pem"
        ca_file.write_bytes(authority.pem())
        return cls(
            folder,
            authority,
            ca_file,
            good=write_client(folder, authority, "good"),
            successor=write_client(folder, authority, "successor"),
            unregistered=write_client(folder, authority, "unregistered"),
            stranger=write_client(folder, other, "stranger"),
            expired=write_client(folder, authority, "expired", expired=True),
            locked=write_client(folder, authority, "locked", password=cls.PASSWORD.encode()),
        )

    def server_context(self) -> ssl.SSLContext:
        return server_context(self.folder, self.authority)

    def client_context(self, client: ClientFiles | None = None) -> ssl.SSLContext:
        return client_context(self.authority, client)
