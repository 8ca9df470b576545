"""Make a JAdES baseline-B seal (ETSI TS 119 182-1) over a European Digital Credential, as the EU's EDC issuer does.

:func:`seal_jades` signs the credential's JSON text with an X.509 certificate's key and returns the JWS JSON
serialization ``{"payload", "signatures": [{"protected", "signature"}]}`` that the EU's issuer writes (its sealed
samples in ``data/elm``): the payload is the credential JSON itself (``b64: false``, RFC 7797), and the protected
header carries

- ``alg``: ``RS256`` (RSA, as the EU issuer; ``PS256`` on request), ``ES256`` / ``ES384`` / ``ES512`` (EC);
- ``typ`` ``jose+json`` and ``cty`` ``octet-stream`` (the EU issuer's values);
- ``kid``: the base64 DER ``IssuerSerial`` of the signing certificate (its issuer's name and serial), as JAdES says;
- ``x5t#S256``: the SHA-256 thumbprint of the signing certificate;
- ``x5c``: the certificate chain, signing certificate first (base64 DER);
- ``sigT``: the claimed signing time (UTC, seconds);
- ``crit``: ``["b64", "sigT"]``.

Baseline B only: no timestamp (``adoTst``, B-T) and no validation data (B-LT/LTA). :mod:`cairn.vc.formats.jades`
verifies what this makes. :func:`load_seal_key` and :func:`load_chain` read PEM input and check that the key
belongs to the certificate.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cairn.errors import KeyFormatError

__all__ = [
    "SEAL_ALGS",
    "SealKey",
    "alg_for",
    "issuer_serial",
    "key_matches",
    "load_chain",
    "load_seal_key",
    "seal_header",
    "seal_jades",
]

SealKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
SEAL_ALGS: Final = ("RS256", "PS256", "ES256", "ES384", "ES512")
_EC_ALGS: Final = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_HASHES: Final[dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_MAX_PEM: Final = 100_000
_MAX_CERTS: Final = 10


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def issuer_serial(cert: x509.Certificate) -> bytes:
    """DER of ``IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }`` (RFC 5035), with the
    issuer as one ``directoryName`` ([4] EXPLICIT Name): what a JAdES ``kid`` encodes."""
    name = cert.issuer.public_bytes()
    general_names = _tlv(0x30, _tlv(0xA4, name))
    serial = cert.serial_number
    serial_bytes = serial.to_bytes(serial.bit_length() // 8 + 1, "big")  # one leading zero bit: positive
    return _tlv(0x30, general_names + _tlv(0x02, serial_bytes))


def alg_for(key: SealKey, preferred: str | None = None) -> str:
    """The JOSE algorithm for ``key``: RS256 (or PS256 when ``preferred``) for RSA, ES256/384/512 by curve.
    KeyFormatError for a key Cairn does not seal with (RSA under 2048 bits, another curve, another type)."""
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise KeyFormatError(f"an RSA seal key needs at least 2048 bits (this one has {key.key_size})")
        return preferred if preferred in ("RS256", "PS256") else "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = _EC_ALGS.get(key.curve.name)
        if alg is None:
            raise KeyFormatError(f"the curve {key.curve.name} is not used for seals (P-256, P-384 or P-521)")
        return alg
    raise KeyFormatError("a seal key must be RSA or EC (P-256, P-384, P-521)")


def load_seal_key(pem: bytes, passphrase: bytes | None = None) -> SealKey:
    """A private key from PEM (PKCS#8 or traditional, encrypted when ``passphrase`` is given); KeyFormatError."""
    if len(pem) > _MAX_PEM:
        raise KeyFormatError("the private key file is too large")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError:
        raise KeyFormatError(
            "the private key is encrypted: give its passphrase" if not passphrase else "the key is not encrypted"
        ) from None
    except ValueError:
        raise KeyFormatError("the private key cannot be read (not PEM, or a wrong passphrase)") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyFormatError("a seal key must be RSA or EC (P-256, P-384, P-521)")
    alg_for(key)
    return key


def load_chain(pem: bytes) -> list[x509.Certificate]:
    """The certificates of a PEM bundle, in the order given; KeyFormatError when there is none or too many."""
    if len(pem) > _MAX_PEM:
        raise KeyFormatError("the certificate file is too large")
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise KeyFormatError("the certificate chain cannot be read (PEM certificates expected)") from None
    if not certs:
        raise KeyFormatError("the file holds no certificate")
    if len(certs) > _MAX_CERTS:
        raise KeyFormatError(f"a chain of more than {_MAX_CERTS} certificates is not accepted")
    return certs


def key_matches(key: SealKey, cert: x509.Certificate) -> bool:
    """Whether ``key`` is the private half of ``cert``'s public key."""
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(*spki) == cert.public_key().public_bytes(*spki)


def seal_header(chain: Sequence[x509.Certificate], *, alg: str, signing_time: datetime) -> dict[str, Any]:
    """The protected header of a seal made with ``chain[0]``'s key at ``signing_time``."""
    leaf_der = chain[0].public_bytes(serialization.Encoding.DER)
    return {
        "alg": alg,
        "cty": "octet-stream",
        "kid": base64.b64encode(issuer_serial(chain[0])).decode("ascii"),
        "x5t#S256": _b64url(hashlib.sha256(leaf_der).digest()),
        "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain],
        "typ": "jose+json",
        "b64": False,
        "sigT": signing_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "crit": ["b64", "sigT"],
    }


def _sign(key: SealKey, alg: str, data: bytes) -> bytes:
    digest = _HASHES[alg[2:]]()
    if isinstance(key, rsa.RSAPrivateKey):
        pad: padding.AsymmetricPadding = (
            padding.PKCS1v15()
            if alg.startswith("RS")
            else padding.PSS(padding.MGF1(_HASHES[alg[2:]]()), padding.PSS.DIGEST_LENGTH)
        )
        return key.sign(data, pad, digest)
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def seal_jades(
    payload: bytes | str,
    *,
    key: SealKey,
    chain: Sequence[x509.Certificate],
    signing_time: datetime,
    alg: str | None = None,
) -> dict[str, Any]:
    """Seal ``payload`` (the credential's JSON text) with ``key``, whose certificate is ``chain[0]``: a JAdES
    baseline-B JWS in the JSON serialization (see the module's text). KeyFormatError when the key does not
    belong to the certificate or cannot seal."""
    if not chain:
        raise KeyFormatError("a seal needs the signing certificate")
    chosen = alg_for(key, alg)
    if not key_matches(key, chain[0]):
        raise KeyFormatError("the private key does not belong to the signing certificate")
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    header = seal_header(chain, alg=chosen, signing_time=signing_time)
    protected = _b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    signature = _sign(key, chosen, protected.encode("ascii") + b"." + text.encode("utf-8"))
    return {"payload": text, "signatures": [{"protected": protected, "signature": _b64url(signature)}]}
