"""Data Integrity cryptosuites: canonical forms, hashes and signatures of one proof.

Each suite turns a document and a proof configuration into the bytes that are signed::

    hashData = H(canonical proof configuration) || H(canonical document)

where the canonical form is RDFC-1.0 N-Quads (``*-rdfc-*`` and the legacy ``Ed25519Signature2018/2020``)
or RFC 8785 JSON (``*-jcs-*``), and ``H`` is SHA-256 (SHA-384 for ECDSA over P-384). Ed25519 signs
the 64 bytes of ``hashData``; ECDSA signs them with SHA-256 (P-256) or SHA-384 (P-384), written as
the IEEE P1363 ``r || s`` form. ``proofValue`` is the signature in base58btc multibase (``z...``).

Supported suites (:data:`SUITES`):

========================  ==============  ================  =====================
name                      canonical form  keys              add / verify
========================  ==============  ================  =====================
eddsa-rdfc-2022           RDFC-1.0        Ed25519           add and verify
eddsa-jcs-2022            JCS             Ed25519           add and verify
ecdsa-rdfc-2019           RDFC-1.0        P-256, P-384      add and verify
ecdsa-jcs-2019            JCS             P-256, P-384      add and verify
ecdsa-sd-2023             RDFC-1.0 + HMAC P-256             base proof, derive, verify
Ed25519Signature2020      RDFC-1.0        Ed25519           verify only (legacy)
Ed25519Signature2018      RDFC-1.0        Ed25519           verify only (legacy)
========================  ==============  ================  =====================

``Ed25519Signature2018`` signs the same ``hashData`` (URDNA2015 = RDFC-1.0, SHA-256), but as a detached JWS
with an unencoded payload (RFC 7797): its ``jws`` is ``<header>..<signature>`` with the header
``{"alg":"EdDSA","b64":false,"crit":["b64"]}``, and the signature covers ``ASCII(<header>) || "." || hashData``.

Keys of all three curves are :class:`cairn.vc.keys.PublicKey`; :class:`P384PublicKey` is the older
verify-only P-384 key, kept for callers that build one (it equals the ``PublicKey`` of the same point).
:func:`key_resolver` resolves did:key (all three curves), did:web and HTTPS verification methods.
:func:`fast_jcs` is an RFC 8785 serialiser that takes the C JSON encoder where its output is provably
identical (strings, integers in the safe range, booleans, null, keys below U+D800, most floats) and
:func:`cairn.vc.canon.forms.jcs` everywhere else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Final, Literal
from urllib.parse import urldefrag

import orjson

from cairn.errors import CanonicalizationError, CredentialError, KeyFormatError
from cairn.vc import multibase
from cairn.vc.canon.forms import jcs, rdfc
from cairn.vc.dids import RELATIONSHIPS, resolve_verification_method
from cairn.vc.fetch import Fetcher
from cairn.vc.jsonld.documents import DEFAULT_LOADER, DocumentLoader
from cairn.vc.keys import KeyType, PublicKey

__all__ = [
    "LEGACY_ED25519_2018",
    "LEGACY_ED25519_2020",
    "P384_PUB",
    "SUITES",
    "KeyResolver",
    "P384PublicKey",
    "Suite",
    "VerificationKey",
    "b58decode",
    "b58encode",
    "controller_of",
    "curve_of",
    "document_digest",
    "fast_jcs",
    "format_datetime",
    "hash_data",
    "is_datetime_stamp",
    "key_resolver",
    "optimistic_jcs",
    "rdfc_config",
]

P384_PUB: Final = multibase.P384_PUB
"""Multicodec p384-pub: 49-byte SEC1 compressed point (varint bytes ``81 24``)."""


@dataclass(frozen=True, slots=True)
class Suite:
    """One cryptosuite: how it canonicalises, which key curves it takes, whether Cairn adds it."""

    name: str
    proof_type: str
    canonicalization: Literal["rdfc", "jcs"]
    curves: frozenset[str]
    signs: bool = True


SUITES: Final[Mapping[str, Suite]] = {
    "eddsa-rdfc-2022": Suite("eddsa-rdfc-2022", "DataIntegrityProof", "rdfc", frozenset({"Ed25519"})),
    "eddsa-jcs-2022": Suite("eddsa-jcs-2022", "DataIntegrityProof", "jcs", frozenset({"Ed25519"})),
    "ecdsa-rdfc-2019": Suite("ecdsa-rdfc-2019", "DataIntegrityProof", "rdfc", frozenset({"P-256", "P-384"})),
    "ecdsa-jcs-2019": Suite("ecdsa-jcs-2019", "DataIntegrityProof", "jcs", frozenset({"P-256", "P-384"})),
    # Selective disclosure (cairn.vc.proofs.ecdsa_sd): issuers add base proofs, holders derive, verifiers
    # check derived proofs. P-256 only: the specification's derived proof holds a 64-byte base signature.
    "ecdsa-sd-2023": Suite("ecdsa-sd-2023", "DataIntegrityProof", "rdfc", frozenset({"P-256"})),
    # The draft name of eddsa-rdfc-2022 (same algorithm), still met in Open Badges 3.0 credentials: verify only.
    "eddsa-2022": Suite("eddsa-2022", "DataIntegrityProof", "rdfc", frozenset({"Ed25519"}), signs=False),
}
"""The Data Integrity cryptosuites (``type: DataIntegrityProof``) by ``cryptosuite`` name."""

LEGACY_ED25519_2020: Final = Suite(
    "Ed25519Signature2020", "Ed25519Signature2020", "rdfc", frozenset({"Ed25519"}), signs=False
)
"""The legacy ``Ed25519Signature2020`` proof type (verify only)."""
LEGACY_ED25519_2018: Final = Suite(
    "Ed25519Signature2018", "Ed25519Signature2018", "rdfc", frozenset({"Ed25519"}), signs=False
)
"""The legacy ``Ed25519Signature2018`` proof type: a detached ``jws`` (verify only)."""


# -- P-384 (the older verify-only key) ---------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class P384PublicKey:
    """A P-384 public key (49-byte compressed point) that verifies ECDSA-SHA-384 ``r || s`` signatures.

    Kept for callers that build one; :class:`cairn.vc.keys.PublicKey` with ``KeyType.P384`` does the
    same and more (JWK, did:key, signing pairs), and the resolvers return that. The two compare equal
    for the same point.
    """

    raw: bytes
    _key: PublicKey = field(init=False, repr=False)
    curve: ClassVar[str] = "P-384"

    def __post_init__(self) -> None:
        raw = self.raw
        if not isinstance(raw, bytes) or len(raw) != 49 or raw[0] not in (2, 3):
            raise KeyFormatError("a P-384 public key must be a 49-byte compressed point")
        try:
            key = PublicKey(KeyType.P384, raw)
        except KeyFormatError:
            raise KeyFormatError("not a valid P-384 public key") from None
        object.__setattr__(self, "_key", key)

    def __repr__(self) -> str:
        return f"P384PublicKey({self.multibase})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, P384PublicKey):
            return self.raw == other.raw
        if isinstance(other, PublicKey):
            return other.kind is KeyType.P384 and other.raw == self.raw
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    @classmethod
    def from_multibase(cls, text: str) -> P384PublicKey:
        """Read a Multikey ``publicKeyMultibase`` (``z82L...``)."""
        if not isinstance(text, str):
            raise KeyFormatError("publicKeyMultibase is not a string")
        _, data = multibase.decode(text, expect=multibase.BASE58BTC, max_length=128)
        code, raw = multibase.split_multicodec(data)
        if code != P384_PUB:
            raise KeyFormatError(f"multicodec 0x{code:x} is not a P-384 public key")
        return cls(raw)

    @property
    def public_key(self) -> PublicKey:
        """The same key as a :class:`cairn.vc.keys.PublicKey`."""
        return self._key

    @property
    def multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` value."""
        return self._key.multibase

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Return whether the 96-byte ``r || s`` ``signature`` is valid for ``message`` (ECDSA SHA-384)."""
        return self._key.verify(signature, message)


VerificationKey = PublicKey | P384PublicKey
"""A public key a proof can be verified with."""

KeyResolver = Callable[[str, str], VerificationKey]
"""``resolve_key(verification_method_url, proof_purpose) -> key``; may raise a CredentialError."""


def curve_of(key: object) -> str | None:
    """The curve name of a verification key (``Ed25519``, ``P-256``, ``P-384``), None for anything else."""
    if isinstance(key, PublicKey):
        return key.kind.value
    if isinstance(key, P384PublicKey):
        return key.curve
    return None


@lru_cache(maxsize=1024)
def _did_key(url: str) -> VerificationKey:
    # did:key resolution is a pure function of the URL (every relationship holds the one key): cached.
    return resolve_verification_method(url)


def key_resolver(*, fetcher: Fetcher | None = None) -> KeyResolver:
    """A resolver for did:key (Ed25519, P-256 and P-384), did:web and HTTPS verification methods.

    did:web and HTTPS go through ``fetcher`` (see :func:`cairn.vc.dids.resolve_verification_method`,
    which also checks that the method is authorised for the proof purpose); did:key needs no fetch.
    """

    def resolve(url: str, purpose: str) -> VerificationKey:
        if isinstance(url, str) and url.startswith("did:key:") and len(url) <= 300 and purpose in RELATIONSHIPS:
            return _did_key(url)
        return resolve_verification_method(url, fetcher=fetcher, purpose=purpose)

    return resolve


# -- proof option values -----------------------------------------------------------------------

_DATETIME: Final = re.compile(
    r"-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"(\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))",
    re.ASCII,
)


def is_datetime_stamp(value: object) -> bool:
    """Whether ``value`` is an XML Schema ``dateTimeStamp`` string (a date-time with a time zone)."""
    return isinstance(value, str) and _DATETIME.fullmatch(value) is not None


def format_datetime(value: str | datetime, name: str = "created") -> str:
    """An XML Schema ``dateTimeStamp`` string: a datetime in UTC with ``Z``, or a string checked as one.

    Raises :class:`CredentialError` for a naive datetime or a string that is not a date-time with a
    time zone.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CredentialError(f"{name} must be a timezone-aware datetime")
        moment = value.astimezone(UTC)
        text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
        return text.removesuffix("+00:00") + "Z"
    if isinstance(value, str) and is_datetime_stamp(value):
        return value
    raise CredentialError(f"{name} must be a date-time with a time zone, like 2026-05-04T09:30:00Z")


def controller_of(verification_method: str) -> str:
    """The controller a verification method URL names: the URL without its fragment."""
    return urldefrag(verification_method)[0]


# -- base58btc for signatures ------------------------------------------------------------------

_B58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_PAIRS: Final = tuple(a + b for a in _B58 for b in _B58)
_B58_PAIR_VALUE: Final = {pair: i for i, pair in enumerate(_B58_PAIRS)}
_B58_VALUE: Final = {c: i for i, c in enumerate(_B58)}
_B58_TEN: Final = 58**10


def b58encode(data: bytes) -> str:
    """Base58btc (Bitcoin alphabet) text of ``data``, without the multibase prefix.

    The same output as :func:`cairn.vc.multibase.encode` (less its ``z``), about six times faster on
    the 64 and 96 byte signatures of proofs.
    """
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    pairs: list[str] = []
    while number:
        number, pair = divmod(number, 3364)
        pairs.append(_B58_PAIRS[pair])
    text = "".join(reversed(pairs)).lstrip("1")
    return "1" * zeros + text


def b58decode(text: str) -> bytes:
    """Bytes of base58btc ``text`` (no multibase prefix); raises KeyFormatError for a bad character.

    The same result as :func:`cairn.vc.multibase.decode` for proof values, in ten-character steps.
    """
    if not isinstance(text, str) or len(text) > 512:
        raise KeyFormatError("base58btc text is not a string of at most 512 characters")
    ones = len(text) - len(text.lstrip("1"))
    number = 0
    pair = _B58_PAIR_VALUE
    try:
        head = len(text) % 10
        for char in text[:head]:
            number = number * 58 + _B58_VALUE[char]
        for i in range(head, len(text), 10):
            number = number * _B58_TEN + (
                (
                    ((pair[text[i : i + 2]] * 3364 + pair[text[i + 2 : i + 4]]) * 3364 + pair[text[i + 4 : i + 6]])
                    * 3364
                    + pair[text[i + 6 : i + 8]]
                )
                * 3364
                + pair[text[i + 8 : i + 10]]
            )
    except KeyError:
        raise KeyFormatError("base58btc text holds a character outside the Bitcoin alphabet") from None
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * ones + body


# -- JCS ---------------------------------------------------------------------------------------

_MAX_SAFE_INTEGER: Final = 2**53 - 1
_MAX_FAST_DEPTH: Final = 64
_ENCODER: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)  # no cycle can reach it: _fast bounds the depth first
_UNSUPPORTED: Final[Any] = object()


def _fast(value: Any, depth: int) -> Any:
    """``value`` made ready for the C encoder to write exactly as RFC 8785 does, or ``_UNSUPPORTED``.

    The value comes back itself when nothing needs changing; integral floats below 2**53 become ints
    (RFC 8785 writes 5.0 as ``5``), and only the containers on their path are copied.
    """
    kind = type(value)
    if kind is dict:
        if depth > _MAX_FAST_DEPTH:
            return _UNSUPPORTED
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) >= "\ud800"):
                return _UNSUPPORTED
            item_kind = type(item)
            if item_kind is str:
                continue
            if item_kind is list:  # a list of strings ("type", "@context"...) needs no call
                for element in item:
                    if type(element) is not str:
                        break
                else:
                    continue
            ready = _fast(item, depth + 1)
            if ready is not item:
                if ready is _UNSUPPORTED:
                    return _UNSUPPORTED
                if changed is None:
                    changed = dict(value)
                changed[key] = ready
        return value if changed is None else changed
    if kind is list:
        if depth > _MAX_FAST_DEPTH:
            return _UNSUPPORTED
        copied: list[Any] | None = None
        for index, item in enumerate(value):
            if type(item) is str:
                continue
            ready = _fast(item, depth + 1)
            if ready is not item:
                if ready is _UNSUPPORTED:
                    return _UNSUPPORTED
                if copied is None:
                    copied = list(value)
                copied[index] = ready
        return value if copied is None else copied
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER else _UNSUPPORTED
    if kind is float:
        magnitude = abs(value)
        if value.is_integer():
            return int(value) if magnitude <= _MAX_SAFE_INTEGER else _UNSUPPORTED
        # Python's repr and ECMAScript agree on the shortest digits; both write them without an
        # exponent in this range (Python from 1e-4 to 1e16, ECMAScript from 1e-6 to 1e21).
        return value if 1e-4 <= magnitude < 1e16 else _UNSUPPORTED
    return _UNSUPPORTED


def optimistic_jcs(value: Any) -> bytes | None:
    """Compact JSON with sorted keys from orjson, or None when orjson declines the value.

    For *verifying* jcs proofs only: where these bytes equal the signer's canonical bytes the signature
    checks out, and two JSON texts that are equal bytes parse to the same value, so nothing unsigned can
    pass. Where they differ from RFC 8785 (floats such as 1.0, keys beyond U+D7FF) the signature simply
    fails here and the exact :func:`fast_jcs` path decides. Never use it to sign.
    """
    strict = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
    try:
        quick = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | strict)
    except (TypeError, orjson.JSONEncodeError):
        return None
    return None if b"null" in quick else quick  # orjson writes NaN as null: the exact path decides


def fast_jcs(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``: the same result (or error) as :func:`cairn.vc.canon.forms.jcs`, faster.

    JSON made of objects with keys below U+D800, arrays, strings, integers within +-(2**53 - 1),
    booleans, null, integral floats below 2**53 (written as integers) and other floats from 1e-4 to
    1e16 is written by the C encoder with sorted keys: for these RFC 8785 and Python agree (code point
    order equals UTF-16 order below U+D800; both escape exactly ``"``, ``\\`` and the C0 controls, with
    the short forms and lowercase ``\\u00xx``; both write the shortest round-trip digits of a float).
    Anything else goes to :func:`cairn.vc.canon.forms.jcs`. Raises :class:`CanonicalizationError`.
    """
    try:
        ready = _fast(value, 0)
        if ready is not _UNSUPPORTED:
            try:
                return _ENCODER.encode(ready).encode("utf-8")
            except UnicodeEncodeError:
                pass  # a lone surrogate: the reference refuses it with its own message
        return jcs(value)
    except RecursionError:
        raise CanonicalizationError("the JSON value is nested too deeply to canonicalise") from None


# -- hashing -----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _cached_rdfc(config_json: str, algorithm: str) -> str:
    # Proof configurations repeat (same key, purpose and second): a pure function of the JSON text
    # under the default offline loader, so the canonical form is cached.
    return rdfc(json.loads(config_json), hash_algorithm=algorithm)


def _rdfc_bytes(document: Mapping[str, Any], loader: DocumentLoader | None, algorithm: str) -> bytes:
    try:
        return rdfc(document, loader=loader, hash_algorithm=algorithm).encode("utf-8")
    except UnicodeEncodeError:  # canon.rdfc lets this escape for a lone surrogate
        raise CanonicalizationError("the document holds text that is not valid Unicode (a lone surrogate)") from None


def _rdfc_config(config: Mapping[str, Any], loader: DocumentLoader | None, algorithm: str) -> bytes:
    if (loader is None or loader is DEFAULT_LOADER) and _fast(config, 0) is config:
        try:
            return _cached_rdfc(_ENCODER.encode(config), algorithm).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: refused below with the reason
    return _rdfc_bytes(config, loader, algorithm)


def rdfc_config(config: Mapping[str, Any], loader: DocumentLoader | None, algorithm: str) -> bytes:
    """The RDFC-1.0 canonical N-Quads (UTF-8) of a proof configuration, cached under the offline loader."""
    return _rdfc_config(config, loader, algorithm)


def hash_data(
    suite: Suite,
    config: Mapping[str, Any],
    document: Mapping[str, Any],
    *,
    curve: str,
    loader: DocumentLoader | None = None,
    document_hash: bytes | None = None,
) -> bytes:
    """``H(canonical config) || H(canonical document)`` for ``suite`` and a key on ``curve``.

    ``config`` is the proof configuration (proof options with ``@context`` set as the suite requires,
    no ``proofValue``); ``document`` is the unsecured document (with the previous proofs of a chain).
    ``document_hash``, when known, is reused. Raises DocumentLoadError or CanonicalizationError.
    """
    algorithm = "sha384" if curve == "P-384" else "sha256"
    digest = hashlib.sha384 if algorithm == "sha384" else hashlib.sha256
    jcs_suite = suite.canonicalization == "jcs"
    config_bytes = fast_jcs(config) if jcs_suite else _rdfc_config(config, loader, algorithm)
    if document_hash is None:
        document_hash = document_digest(suite, document, curve=curve, loader=loader)
    return digest(config_bytes).digest() + document_hash


def document_digest(
    suite: Suite, document: Mapping[str, Any], *, curve: str, loader: DocumentLoader | None = None
) -> bytes:
    """``H(canonical document)`` for ``suite`` and a key on ``curve`` (see :func:`hash_data`)."""
    if curve == "P-384":
        if suite.canonicalization == "jcs":
            return hashlib.sha384(fast_jcs(document)).digest()
        return hashlib.sha384(_rdfc_bytes(document, loader, "sha384")).digest()
    if suite.canonicalization == "jcs":
        return hashlib.sha256(fast_jcs(document)).digest()
    return hashlib.sha256(_rdfc_bytes(document, loader, "sha256")).digest()
