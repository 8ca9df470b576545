"""Ed25519, P-256 and P-384 keys: Multikey and JWK forms, raw signing and verification.

:class:`PublicKey` holds a public key alone (what a verifier resolves); :class:`KeyPair` adds the
secret (what an issuer signs with). Both are immutable and compare by value; a key pair's
``repr`` never shows its secret.

Forms:

- Multikey: ``publicKeyMultibase`` / ``secretKeyMultibase`` are base58btc multibase strings of a
  multicodec-prefixed key (Ed25519: ``ed 01`` + 32 bytes, ``80 26`` + 32-byte seed;
  P-256: ``80 24`` + 33-byte compressed point, ``86 26`` + 32-byte scalar;
  P-384: ``81 24`` + 49-byte compressed point, ``87 26`` + 48-byte scalar).
- JWK: RFC 8037 ``OKP``/``Ed25519`` and RFC 7518 ``EC``/``P-256`` or ``EC``/``P-384`` (public, or
  private with ``d``).

Signatures: Ed25519 (RFC 8032) over the message; ECDSA with SHA-256 on P-256 and SHA-384 on P-384,
written as the IEEE P1363 ``r || s`` form (64 or 96 bytes) that Data Integrity and JOSE use.
Verification accepts any valid signature (high or low S).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cairn.errors import KeyFormatError
from cairn.vc import multibase

__all__ = [
    "RSA_ALGS",
    "KeyPair",
    "KeyType",
    "PublicKey",
    "RsaPublicKey",
    "dump_key_pair",
    "load_key_pair",
]

_P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P384_ORDER: Final = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16
)
_MAX_MULTIKEY_CHARS: Final = 128


class KeyType(StrEnum):
    """The key types Cairn signs and verifies with."""

    ED25519 = "Ed25519"
    P256 = "P-256"
    P384 = "P-384"

    @property
    def jose_alg(self) -> str:
        """The JOSE ``alg`` for this key type (``EdDSA``, ``ES256`` or ``ES384``)."""
        return _JOSE_ALG[self]


@dataclass(frozen=True, slots=True)
class _Curve:
    """What an ECDSA key type needs: the curve, its order, the hash and the size of one number."""

    curve: ec.EllipticCurve
    order: int
    ecdsa: ec.ECDSA
    size: int  # bytes of a coordinate, a scalar, and each half of an r || s signature


_JOSE_ALG: Final = {KeyType.ED25519: "EdDSA", KeyType.P256: "ES256", KeyType.P384: "ES384"}
_EC: Final = {
    KeyType.P256: _Curve(ec.SECP256R1(), _P256_ORDER, ec.ECDSA(hashes.SHA256()), 32),
    KeyType.P384: _Curve(ec.SECP384R1(), _P384_ORDER, ec.ECDSA(hashes.SHA384()), 48),
}
_PUBLIC_CODEC: Final = {
    KeyType.ED25519: multibase.ED25519_PUB,
    KeyType.P256: multibase.P256_PUB,
    KeyType.P384: multibase.P384_PUB,
}
_SECRET_CODEC: Final = {
    KeyType.ED25519: multibase.ED25519_PRIV,
    KeyType.P256: multibase.P256_PRIV,
    KeyType.P384: multibase.P384_PRIV,
}
_PUBLIC_SIZE: Final = {KeyType.ED25519: 32, KeyType.P256: 33, KeyType.P384: 49}
_SECRET_SIZE: Final = {KeyType.ED25519: 32, KeyType.P256: 32, KeyType.P384: 48}
_SIGNATURE_SIZE: Final = {KeyType.ED25519: 64, KeyType.P256: 64, KeyType.P384: 96}
_JWK_CURVES: Final = {"P-256": KeyType.P256, "P-384": KeyType.P384}
_BY_PUBLIC_CODEC: Final = {code: kind for kind, code in _PUBLIC_CODEC.items()}
_BY_SECRET_CODEC: Final = {code: kind for kind, code in _SECRET_CODEC.items()}


def _decode_multikey(text: object, what: str) -> tuple[int, bytes]:
    if not isinstance(text, str):
        raise KeyFormatError(f"{what} is not a string")
    _, data = multibase.decode(text, expect=multibase.BASE58BTC, max_length=_MAX_MULTIKEY_CHARS)
    return multibase.split_multicodec(data)


def _jwk_bytes(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string")
    data = multibase.b64url_decode(value, max_length=64)  # 48 bytes at most (P-384)
    if len(data) != size:
        raise KeyFormatError(f"JWK member {name!r} must be {size} bytes, not {len(data)}")
    return data


def _jwk_kind(jwk: Mapping[str, Any]) -> KeyType:
    if not isinstance(jwk, Mapping):
        raise KeyFormatError("JWK is not a JSON object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        kind = KeyType.ED25519
    elif kty == "EC" and isinstance(crv, str) and crv in _JWK_CURVES:
        kind = _JWK_CURVES[crv]
    else:
        raise KeyFormatError(
            f"unsupported JWK key type kty={kty!r} crv={crv!r} (use OKP/Ed25519, EC/P-256 or EC/P-384)"
        )
    alg = jwk.get("alg")
    if alg is not None and alg != kind.jose_alg and not (kind is KeyType.ED25519 and alg == "Ed25519"):
        raise KeyFormatError(f"JWK alg {alg!r} does not fit a {kind.value} key")
    return kind


@dataclass(frozen=True, slots=True, repr=False)
class PublicKey:
    """An Ed25519, P-256 or P-384 public key; ``raw`` is 32 bytes (Ed25519) or a 33 / 49-byte compressed point."""

    kind: KeyType
    raw: bytes
    _key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind, raw = self.kind, self.raw
        if not isinstance(kind, KeyType):
            raise KeyFormatError(f"unsupported key type {kind!r}")
        if not isinstance(raw, bytes) or len(raw) != _PUBLIC_SIZE[kind]:
            raise KeyFormatError(f"a {kind.value} public key must be {_PUBLIC_SIZE[kind]} bytes")
        key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
        try:
            if kind is KeyType.ED25519:
                key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
            else:
                if raw[0] not in (2, 3):
                    raise KeyFormatError(f"a {kind.value} public key must be a compressed point (02/03 prefix)")
                key = ec.EllipticCurvePublicKey.from_encoded_point(_EC[kind].curve, raw)
        except ValueError:
            raise KeyFormatError(f"not a valid {kind.value} public key") from None
        object.__setattr__(self, "_key", key)

    def __repr__(self) -> str:
        return f"PublicKey({self.kind.value} {self.multibase})"

    @classmethod
    def from_multibase(cls, text: str) -> PublicKey:
        """Read a Multikey ``publicKeyMultibase`` value (``z6Mk...``, ``zDna...`` or ``z82L...``)."""
        code, data = _decode_multikey(text, "publicKeyMultibase")
        kind = _BY_PUBLIC_CODEC.get(code)
        if kind is None:
            if code in _BY_SECRET_CODEC:
                raise KeyFormatError("expected a public key but the multikey holds a secret key")
            raise KeyFormatError(f"unsupported multicodec 0x{code:x} for a public key")
        return cls(kind, data)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Read a public JWK (a ``d`` member, if present, is ignored)."""
        kind = _jwk_kind(jwk)
        if kind is KeyType.ED25519:
            return cls(kind, _jwk_bytes(jwk, "x", 32))
        curve = _EC[kind]
        x, y = _jwk_bytes(jwk, "x", curve.size), _jwk_bytes(jwk, "y", curve.size)
        try:
            point = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve.curve
            ).public_key()
        except ValueError:
            raise KeyFormatError(f"JWK x/y is not a point on {kind.value}") from None
        return cls(kind, point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))

    @property
    def multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` value."""
        return multibase.encode(multibase.add_multicodec(_PUBLIC_CODEC[self.kind], self.raw))

    @property
    def jose_alg(self) -> str:
        """The JOSE ``alg`` that signatures by this key carry (``EdDSA``, ``ES256`` or ``ES384``)."""
        return self.kind.jose_alg

    def to_jwk(self) -> dict[str, str]:
        """The public JWK (RFC 8037 OKP or RFC 7518 EC)."""
        if self.kind is KeyType.ED25519:
            return {"kty": "OKP", "crv": "Ed25519", "x": multibase.b64url_encode(self.raw)}
        assert isinstance(self._key, ec.EllipticCurvePublicKey)
        numbers = self._key.public_numbers()
        size = _EC[self.kind].size
        return {
            "kty": "EC",
            "crv": self.kind.value,
            "x": multibase.b64url_encode(numbers.x.to_bytes(size, "big")),
            "y": multibase.b64url_encode(numbers.y.to_bytes(size, "big")),
        }

    def jwk_thumbprint(self) -> str:
        """The RFC 7638 JWK thumbprint (SHA-256, base64url), usable as a ``kid``."""
        jwk = self.to_jwk()
        members = ("crv", "kty", "x") if self.kind is KeyType.ED25519 else ("crv", "kty", "x", "y")
        canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
        return multibase.b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Return whether ``signature`` (Ed25519, or ECDSA ``r || s``) is valid for ``message``."""
        if not isinstance(signature, bytes) or len(signature) != _SIGNATURE_SIZE[self.kind]:
            return False
        key = self._key
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, message)
                return True
            curve = _EC[self.kind]
            r = int.from_bytes(signature[: curve.size], "big")
            s = int.from_bytes(signature[curve.size :], "big")
            if not (0 < r < curve.order and 0 < s < curve.order):
                return False
            key.verify(encode_dss_signature(r, s), message, curve.ecdsa)
        except InvalidSignature:
            return False
        return True


_RSA_HASHES: Final[dict[str, Callable[[], hashes.HashAlgorithm]]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
RSA_ALGS: Final = frozenset(f"{scheme}{size}" for scheme in ("RS", "PS") for size in _RSA_HASHES)
"""The JOSE algorithms of RSA signatures (RFC 7518 section 3.3 PKCS #1 v1.5, section 3.5 PSS)."""
RSA_MIN_BITS: Final = 2048
"""Smallest RSA modulus accepted (RFC 7518 section 3.3: 2048 bits or larger MUST be used)."""
RSA_MAX_BITS: Final = 8192
"""Largest RSA modulus accepted: a bound on the work one signature check may cost."""


@dataclass(frozen=True, slots=True, repr=False)
class RsaPublicKey:
    """An RSA public key (modulus ``n``, exponent ``e``) for verifying JOSE RS256/384/512 and PS256/384/512
    signatures, the algorithms of JWTs other Open Badges 3.0 issuers sign. Cairn never signs with RSA.

    Keys under :data:`RSA_MIN_BITS` or over :data:`RSA_MAX_BITS` bits, and even or tiny exponents, are refused.
    """

    n: int
    e: int
    _key: rsa.RSAPublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n, e = self.n, self.e
        if not isinstance(n, int) or not isinstance(e, int) or isinstance(n, bool) or isinstance(e, bool):
            raise KeyFormatError("an RSA key needs integer n and e")
        bits = n.bit_length()
        if bits < RSA_MIN_BITS:
            raise KeyFormatError(f"an RSA key of {bits} bits is too weak (at least {RSA_MIN_BITS} are required)")
        if bits > RSA_MAX_BITS:
            raise KeyFormatError(f"an RSA key of {bits} bits is larger than the {RSA_MAX_BITS} accepted")
        if e < 3 or e % 2 == 0 or e >= n or n % 2 == 0:
            raise KeyFormatError("not a valid RSA public key (n and e must be odd, 3 <= e < n)")
        try:
            key = rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError:
            raise KeyFormatError("not a valid RSA public key") from None
        object.__setattr__(self, "_key", key)

    def __repr__(self) -> str:
        return f"RsaPublicKey({self.bits} bits, {self.jwk_thumbprint()})"

    @property
    def bits(self) -> int:
        """The size of the modulus in bits."""
        return self.n.bit_length()

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> RsaPublicKey:
        """Read a public RSA JWK (RFC 7518 section 6.3: ``kty: RSA``, base64url ``n`` and ``e``)."""
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "RSA":
            raise KeyFormatError("not an RSA JWK (kty must be RSA)")
        alg = jwk.get("alg")
        if alg is not None and alg not in RSA_ALGS:
            raise KeyFormatError(f"JWK alg {str(alg)[:20]!r} does not fit an RSA key")
        numbers = []
        for name, limit in (("n", RSA_MAX_BITS // 6 + 4), ("e", 16)):
            value = jwk.get(name)
            if not isinstance(value, str) or not value:
                raise KeyFormatError(f"RSA JWK member {name!r} is missing or not a string")
            numbers.append(int.from_bytes(multibase.b64url_decode(value, max_length=limit), "big"))
        return cls(numbers[0], numbers[1])

    def to_jwk(self) -> dict[str, str]:
        """The public JWK (RFC 7518 section 6.3)."""
        return {
            "kty": "RSA",
            "n": multibase.b64url_encode(self.n.to_bytes((self.n.bit_length() + 7) // 8, "big")),
            "e": multibase.b64url_encode(self.e.to_bytes((self.e.bit_length() + 7) // 8, "big")),
        }

    def jwk_thumbprint(self) -> str:
        """The RFC 7638 JWK thumbprint (SHA-256, base64url)."""
        jwk = self.to_jwk()
        canonical = json.dumps({m: jwk[m] for m in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        return multibase.b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())

    def verify_jws(self, alg: str, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is a valid ``alg`` (RS256/384/512, PS256/384/512) signature of ``message``."""
        if alg not in RSA_ALGS or not isinstance(signature, bytes) or len(signature) != (self.bits + 7) // 8:
            return False
        digest = _RSA_HASHES[alg[2:]]()
        scheme: padding.AsymmetricPadding = (
            padding.PKCS1v15()
            if alg.startswith("RS")
            else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)  # RFC 7518 section 3.5
        )
        try:
            self._key.verify(signature, message, scheme, digest)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True, repr=False)
class KeyPair:
    """A signing key pair; ``secret`` is the Ed25519 seed or the ECDSA scalar (32 bytes; 48 for P-384).

    Build one with :meth:`generate`, :meth:`from_secret`, :meth:`from_multikey` or :meth:`from_jwk`.
    """

    kind: KeyType
    secret: bytes = field(repr=False)
    public: PublicKey = field(init=False)
    _key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind, secret = self.kind, self.secret
        if not isinstance(kind, KeyType):
            raise KeyFormatError(f"unsupported key type {kind!r}")
        if not isinstance(secret, bytes) or len(secret) != _SECRET_SIZE[kind]:
            raise KeyFormatError(f"a {kind.value} secret key must be {_SECRET_SIZE[kind]} bytes")
        key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
        if kind is KeyType.ED25519:
            key = ed25519.Ed25519PrivateKey.from_private_bytes(secret)
            raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        else:
            curve = _EC[kind]
            scalar = int.from_bytes(secret, "big")
            if not 0 < scalar < curve.order:
                raise KeyFormatError(f"a {kind.value} secret key must be between 1 and the group order")
            key = ec.derive_private_key(scalar, curve.curve)
            raw = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "public", PublicKey(kind, raw))

    def __repr__(self) -> str:
        return f"KeyPair({self.kind.value} {self.public.multibase}, secret hidden)"

    @classmethod
    def generate(cls, kind: KeyType | str = KeyType.ED25519) -> KeyPair:
        """Make a fresh random key pair of ``kind`` (``"Ed25519"``, ``"P-256"`` or ``"P-384"``)."""
        kind = _kind(kind)
        if kind is KeyType.ED25519:
            seed = ed25519.Ed25519PrivateKey.generate().private_bytes_raw()
            return cls(kind, seed)
        curve = _EC[kind]
        scalar = ec.generate_private_key(curve.curve).private_numbers().private_value
        return cls(kind, scalar.to_bytes(curve.size, "big"))

    @classmethod
    def from_secret(cls, kind: KeyType | str, secret: bytes) -> KeyPair:
        """Build a key pair from a 32-byte Ed25519 seed or P-256 scalar, or a 48-byte P-384 scalar."""
        return cls(_kind(kind), secret)

    @classmethod
    def from_multikey(cls, secret_key_multibase: str, public_key_multibase: str | None = None) -> KeyPair:
        """Read a Multikey ``secretKeyMultibase``; a given public key must match it."""
        code, data = _decode_multikey(secret_key_multibase, "secretKeyMultibase")
        kind = _BY_SECRET_CODEC.get(code)
        if kind is None:
            if code in _BY_PUBLIC_CODEC:
                raise KeyFormatError("expected a secret key but the multikey holds a public key")
            raise KeyFormatError(f"unsupported multicodec 0x{code:x} for a secret key")
        pair = cls(kind, data)
        if public_key_multibase is not None:
            public = PublicKey.from_multibase(public_key_multibase)
            if public != pair.public:
                raise KeyFormatError("the public key does not belong to the secret key")
        return pair

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> KeyPair:
        """Read a private JWK (with ``d``); its public members must match the secret."""
        kind = _jwk_kind(jwk)
        if "d" not in jwk:
            raise KeyFormatError("the JWK has no private member 'd'")
        pair = cls(kind, _jwk_bytes(jwk, "d", _SECRET_SIZE[kind]))
        if PublicKey.from_jwk(jwk) != pair.public:
            raise KeyFormatError("the JWK public members do not belong to its private key")
        return pair

    @property
    def secret_multibase(self) -> str:
        """The Multikey ``secretKeyMultibase`` value (handle as a secret)."""
        return multibase.encode(multibase.add_multicodec(_SECRET_CODEC[self.kind], self.secret))

    @property
    def public_multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` value."""
        return self.public.multibase

    @property
    def jose_alg(self) -> str:
        """The JOSE ``alg`` of signatures made with this pair."""
        return self.kind.jose_alg

    def to_jwk(self, *, private: bool = False) -> dict[str, str]:
        """The JWK; with ``private=True`` it includes the secret ``d``."""
        jwk = self.public.to_jwk()
        if private:
            jwk["d"] = multibase.b64url_encode(self.secret)
        return jwk

    def sign(self, message: bytes, *, deterministic: bool = False) -> bytes:
        """Sign ``message``: a 64-byte Ed25519 signature, or ECDSA ``r || s`` (64 bytes P-256, 96 bytes P-384).

        ``deterministic`` makes ECDSA derive its nonce from the key and message (RFC 6979, in FIPS 186-5),
        as the W3C ecdsa-sd-2023 test vectors do; Ed25519 is always deterministic.
        """
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(message)
        curve = _EC[self.kind]
        algorithm = ec.ECDSA(curve.ecdsa.algorithm, deterministic_signing=True) if deterministic else curve.ecdsa
        r, s = decode_dss_signature(key.sign(message, algorithm))
        return r.to_bytes(curve.size, "big") + s.to_bytes(curve.size, "big")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Return whether ``signature`` is valid for ``message`` under the public key."""
        return self.public.verify(signature, message)


def _kind(kind: KeyType | str) -> KeyType:
    try:
        return KeyType(kind)
    except ValueError:
        raise KeyFormatError(f"unsupported key type {kind!r} (use 'Ed25519', 'P-256' or 'P-384')") from None


def dump_key_pair(
    pair: KeyPair,
    *,
    secret_field: Literal["privateKeyMultibase", "secretKeyMultibase"] = "privateKeyMultibase",  # noqa: S107 (a JSON field name)
    indent: int = 4,
    trailing_newline: bool = False,
) -> str:
    """Dump a key pair as JSON in the W3C test-vector form.

    The defaults give exactly the ``vc-di-eddsa`` ``keyPair.json`` layout
    (``publicKeyMultibase`` then ``privateKeyMultibase``, four-space indent, no final newline);
    ``secret_field="secretKeyMultibase", indent=2, trailing_newline=True`` gives the
    ``vc-di-ecdsa`` ``p256KeyPair.json`` layout. The output holds the secret key.
    """
    text = json.dumps({"publicKeyMultibase": pair.public_multibase, secret_field: pair.secret_multibase}, indent=indent)
    return text + "\n" if trailing_newline else text


def load_key_pair(text: str | bytes) -> KeyPair:
    """Read a key pair from the JSON that :func:`dump_key_pair` writes (either secret field name)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise KeyFormatError("the key pair is not valid JSON") from None
    if not isinstance(data, dict):
        raise KeyFormatError("the key pair JSON is not an object")
    secret = data.get("secretKeyMultibase", data.get("privateKeyMultibase"))
    if secret is None:
        raise KeyFormatError("the key pair JSON has no secretKeyMultibase or privateKeyMultibase")
    public = data.get("publicKeyMultibase")
    if public is not None and not isinstance(public, str):
        raise KeyFormatError("publicKeyMultibase is not a string")
    return KeyPair.from_multikey(secret, public)
