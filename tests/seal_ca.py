"""A test CA for seal certificates (tests only): a root CA and an organisation's seal certificate, as PEM, made
with ``cryptography``. Production uses an operator's qualified seal certificate instead (docs/edc.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

__all__ = ["SealCa", "make_seal_ca"]

SealKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SealCa:
    """A root CA and one organisation certificate it issued."""

    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    leaf: x509.Certificate
    leaf_key: SealKey

    @property
    def root_fingerprint(self) -> str:
        """The root's SHA-256 (hex), as a trust list names a trusted certificate."""
        return hashlib.sha256(self.root.public_bytes(serialization.Encoding.DER)).hexdigest()

    def chain_pem(self, *, with_root: bool = True) -> bytes:
        """The chain as PEM, signing certificate first."""
        certs = [self.leaf, self.root] if with_root else [self.leaf]
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    def key_pem(self, passphrase: str | None = None) -> bytes:
        """The organisation certificate's private key as PKCS#8 PEM (encrypted with ``passphrase`` if given)."""
        protection: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
        )
        return self.leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection)

    def issue(self, key: SealKey, *, start: datetime, days: int = 365, identifier: str = "") -> x509.Certificate:
        """Another organisation certificate for ``key`` from this CA."""
        return _leaf(self.root_key, self.root, key, start=start, days=days, identifier=identifier)


def _name(cn: str, org: str | None = None, identifier: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if identifier:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, identifier))
    return x509.Name(attrs)


def _leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    key: SealKey,
    *,
    start: datetime,
    days: int,
    identifier: str,
) -> x509.Certificate:
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(_name("Cairn Test Seal", "Uniwersytet Mazowiecki", identifier))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )


def make_seal_ca(
    now: datetime, *, rsa_key: bool = True, days: int = 365, identifier: str = "VATPL-5250000000"
) -> SealCa:
    """A root CA (P-256, valid ten years around ``now``) and a seal certificate (RSA 2048 or P-256) valid from a
    month before ``now`` for ``days`` days, naming the organisation ``identifier`` (eIDAS style)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Cairn Test Root CA", "Cairn Test CA"))
        .issuer_name(_name("Cairn Test Root CA", "Cairn Test CA"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1000))
        .not_valid_after(now + timedelta(days=3000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key: SealKey = rsa.generate_private_key(65537, 2048) if rsa_key else ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf(root_key, root, key, start=now - timedelta(days=30), days=days, identifier=identifier)
    return SealCa(root, root_key, leaf, key)
