"""Compact JWS / JWT signing and verification for Verifiable Credentials.

Cairn signs with EdDSA, ES256 and ES384; it verifies those and the RSA algorithms other issuers use
(RS256/384/512, PS256/384/512; keys of 2048 bits or more). Envelopes:

- VC-JOSE ``application/vc+jwt`` (W3C "Securing Verifiable Credentials using JOSE and COSE"):
  header ``typ: vc+jwt``, ``cty: vc``; the VCDM 2.0 credential itself is the JWT payload
  (:func:`sign_vc_jwt`, :func:`verify_vc_jwt`).
- Open Badges 3.0 VC-JWT (OB 3.0 section 8.2): header ``typ: JWT``; claims ``iss`` (issuer id),
  ``sub`` (subject id), ``nbf`` (validFrom), ``exp`` (validUntil), ``jti`` (credential id) and
  ``vc`` holding the credential (:func:`ob3_claims`, :func:`sign_ob3_jwt`, :func:`verify_ob3_jwt`).
- The credential as the payload of a plain JWT (``typ: JWT`` or no ``typ``, which RFC 7519 makes optional),
  as several OB 3.0 issuers (and the 1EdTech validator's own samples) sign it.

:func:`verify_credential_jwt` reads all three. The key comes from the header's ``kid`` or from a ``jwk``
header (:func:`header_jwk`); a ``jwk`` key proves only that the token was signed by *that* key: whether it is
the issuer's key is for the caller to establish from the issuer's own documents.

Verification never raises for a bad token: it returns a :class:`JwtResult` whose ``reason`` says
what failed (``alg: none``, an algorithm that does not fit the key, truncated or malformed
segments, bad base64url, JSON that is huge, deeply nested or has duplicate members, a bad
signature, an expired token). The signature is checked before the payload is parsed. Time is
never read from a clock: pass ``now`` to check ``exp`` and ``nbf``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

import orjson

from cairn.errors import CredentialError
from cairn.vc.dids import resolve_verification_method
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.keys import RSA_ALGS, KeyPair, KeyType, PublicKey, RsaPublicKey
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.values import id_of

__all__ = [
    "MAX_TOKEN_LENGTH",
    "VC_CONTEXT_V2",
    "JwsKey",
    "JwtResult",
    "KeyResolver",
    "header_jwk",
    "is_compact_jws",
    "kid_resolver",
    "ob3_claims",
    "sign_jwt",
    "sign_ob3_jwt",
    "sign_vc_jwt",
    "verify_credential_jwt",
    "verify_jwt",
    "verify_ob3_jwt",
    "verify_vc_jwt",
]

MAX_TOKEN_LENGTH: Final = 1_000_000
"""Longest token :func:`verify_jwt` reads by default (characters)."""
VC_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
_MAX_HEADER_LENGTH: Final = 8192
_COMPACT: Final = re.compile(r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")


def is_compact_jws(text: str) -> bool:
    """Whether ``text`` (surrounding spaces aside) has the shape of a compact JWS / JWT: three base64url parts."""
    return bool(_COMPACT.fullmatch(text.strip()))


_ALGS: Final = {
    "EdDSA": KeyType.ED25519,
    "Ed25519": KeyType.ED25519,
    "ES256": KeyType.P256,
    "ES384": KeyType.P384,
}

JwsKey = PublicKey | RsaPublicKey
"""A key a JWS can be verified with: Ed25519 / P-256 / P-384, or RSA (verification only)."""
_SUPPORTED: Final = "EdDSA, ES256, ES384, RS256/384/512, PS256/384/512"

KeyResolver = Callable[[Mapping[str, Any]], JwsKey]
"""Given the verified-to-be-JSON protected header (``kid``, ``jwk``...), return the key to verify with.

It may raise a :class:`~cairn.errors.CredentialError` (unknown key, fetch failure), which
becomes a failed result."""


@dataclass(frozen=True, slots=True)
class JwtResult:
    """The outcome of verifying a token: ``ok``, else a ``reason``; header and payload when parsed."""

    ok: bool
    reason: str | None = None
    header: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    key: JwsKey | None = None

    def failed(self, reason: str) -> JwtResult:
        """The same result turned into a failure with ``reason``."""
        return JwtResult(False, reason, self.header, self.payload, self.key)


def _fail(reason: str, header: dict[str, Any] | None = None) -> JwtResult:
    return JwtResult(False, reason, header)


@lru_cache(maxsize=256)
def _encoded_header(alg: str, typ: str | None, cty: str | None, kid: str | None) -> str:
    header: dict[str, str] = {"alg": alg}
    if typ is not None:
        header["typ"] = typ
    if cty is not None:
        header["cty"] = cty
    if kid is not None:
        header["kid"] = kid
    return b64url_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))


def sign_jwt(
    payload: Mapping[str, Any],
    *,
    key: KeyPair,
    kid: str | None,
    typ: str | None = "JWT",
    cty: str | None = None,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``payload`` (a JSON object) as a compact JWS with ``key`` (EdDSA, ES256 or ES384).

    ``kid`` names the verification method (a DID URL or HTTPS URL); ``typ``/``cty`` go into the
    protected header, as do the members of ``extra_header`` (which cannot override ``alg``).
    Raises :class:`CredentialError` when the payload is not JSON-serialisable.
    """
    if not isinstance(payload, Mapping):
        raise CredentialError("a JWT payload must be a JSON object")
    alg = key.jose_alg
    if alg not in _ALGS:
        raise CredentialError(f"JWTs are signed with Ed25519, P-256 or P-384 keys, not {key.kind.value}")
    if extra_header:
        header: dict[str, Any] = {"alg": alg}
        for name, value in (("typ", typ), ("cty", cty), ("kid", kid)):
            if value is not None:
                header[name] = value
        for name, value in extra_header.items():
            if name in header or name == "alg":
                raise CredentialError(f"extra_header cannot set {name!r}")
            header[name] = value
        encoded_header = b64url_encode(_dumps(header, "JWT header"))
    else:
        encoded_header = _encoded_header(alg, typ, cty, kid)
    signing_input = encoded_header + "." + b64url_encode(_dumps(payload, "JWT payload"))
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))


_ORJSON_STRICT: Final = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _dumps(value: Mapping[str, Any], what: str) -> bytes:
    try:  # orjson writes the same compact JSON about 15x faster; anything it declines goes to json
        fast = orjson.dumps(value, option=_ORJSON_STRICT)
    except (TypeError, orjson.JSONEncodeError):
        pass
    else:
        if b"null" not in fast:  # orjson writes NaN and infinity as null: let json refuse them
            return fast
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as exc:
        raise CredentialError(f"the {what} is not JSON-serialisable: {str(exc)[:100]}") from None


def _numeric_now(now: datetime | float | None) -> float | None:
    if now is None or isinstance(now, int | float):
        return now
    if now.tzinfo is None:
        raise CredentialError("now must be a timezone-aware datetime")
    return now.timestamp()


def verify_jwt(
    token: str | bytes,
    *,
    resolve_key: KeyResolver,
    typ: str | Collection[str] | None = None,
    now: datetime | float | None = None,
    leeway: float = 0,
    max_length: int = MAX_TOKEN_LENGTH,
    typ_optional: bool = False,
) -> JwtResult:
    """Verify a compact JWS (EdDSA, ES256, ES384, RS256/384/512 or PS256/384/512) and return a :class:`JwtResult`.

    ``typ`` (a value or several) must match the header's ``typ`` when given (compared without
    case and without an ``application/`` prefix); with ``typ_optional`` a header without ``typ`` is
    accepted too. The algorithm must fit the resolved key (no HMAC, no ``none``). With ``now`` (a
    timezone-aware datetime or seconds since the epoch), ``exp`` and ``nbf`` are checked with
    ``leeway`` seconds of slack.
    """
    if isinstance(token, bytes | bytearray):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return _fail("the token is not ASCII")
    if not isinstance(token, str):
        return _fail("the token is not a string")
    if not token.isascii():
        return _fail("the token is not ASCII")
    token = token.strip()
    if len(token) > max_length:
        return _fail(f"the token is longer than {max_length} characters")
    parts = token.split(".")
    if len(parts) != 3:
        return _fail(f"a compact JWS has 3 segments, this token has {len(parts)}")
    h64, p64, s64 = parts
    if not h64 or not p64 or not s64:
        return _fail("the token has an empty segment (truncated or detached)")
    try:
        header = loads_json(b64url_decode(h64, max_length=_MAX_HEADER_LENGTH), what="JWT header")
    except CredentialError as exc:
        return _fail(f"bad header: {exc.message}")
    if not isinstance(header, dict):
        return _fail("the JWT header is not a JSON object")
    problem = _check_header(header, typ, typ_optional)
    if problem:
        return _fail(problem, header)
    try:
        key = resolve_key(header)
    except CredentialError as exc:
        return _fail(f"the key cannot be resolved: {exc.message}", header)
    alg = header["alg"]
    if isinstance(key, RsaPublicKey):
        if alg not in RSA_ALGS:
            return _fail(f"alg {alg} does not fit the RSA key", header)
    elif not isinstance(key, PublicKey):
        return _fail("the key resolver returned no public key", header)
    elif _ALGS.get(alg) is not key.kind:
        return _fail(f"alg {alg} does not fit the {key.kind.value} key", header)
    try:
        signature = b64url_decode(s64, max_length=1400)  # an 8192-bit RSA signature is 1366 characters
    except CredentialError as exc:
        return _fail(f"bad signature encoding: {exc.message}", header)
    signed = (h64 + "." + p64).encode("ascii")
    valid = key.verify_jws(alg, signature, signed) if isinstance(key, RsaPublicKey) else key.verify(signature, signed)
    if not valid:
        return _fail("the signature does not verify", header)
    try:
        payload = loads_json(b64url_decode(p64), what="JWT payload")
    except CredentialError as exc:
        return _fail(f"bad payload: {exc.message}", header)
    if not isinstance(payload, dict):
        return _fail("the JWT payload is not a JSON object", header)
    result = JwtResult(True, None, header, payload, key)
    try:
        numeric_now = _numeric_now(now)
    except CredentialError as exc:
        return result.failed(exc.message)
    if numeric_now is not None:
        problem = _check_times(payload, numeric_now, leeway)
        if problem:
            return result.failed(problem)
    return result


def _check_header(header: dict[str, Any], typ: str | Collection[str] | None, typ_optional: bool = False) -> str | None:
    alg = header.get("alg")
    if not isinstance(alg, str):
        return "the header has no alg"
    if alg.lower() == "none":
        return "alg 'none' (an unsigned token) is refused"
    if alg.upper().startswith("HS"):
        return f"alg {alg[:20]!r} (a shared secret, which anyone holding the public key could forge) is refused"
    if alg not in _ALGS and alg not in RSA_ALGS:
        return f"unsupported alg {alg[:20]!r} (supported: {_SUPPORTED})"
    if "crit" in header:  # no extension is understood, so any critical one is refused
        return "the header has critical extensions this verifier does not understand"
    if "b64" in header:
        return "unencoded payloads (b64) are refused"
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        return "the header kid is not a string"
    if typ is not None:
        wanted = {_media(t) for t in ([typ] if isinstance(typ, str) else typ)}
        got = header.get("typ")
        if got is None and typ_optional:
            return None
        if not isinstance(got, str) or _media(got) not in wanted:
            return f"typ {str(got)[:30]!r} is not the expected {sorted(wanted)[0]!r}"
    return None


def _media(value: str) -> str:
    value = value.lower()
    return value[len("application/") :] if value.startswith("application/") else value


def _check_times(payload: Mapping[str, Any], now: float, leeway: float) -> str | None:
    for claim in ("exp", "nbf", "iat"):
        value = payload.get(claim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"the {claim} claim is not a number"
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if exp is not None and now >= exp + leeway:
        return "the token has expired (exp)"
    if nbf is not None and now + leeway < nbf:
        return "the token is not yet valid (nbf)"
    return None


def kid_resolver(*, fetcher: Fetcher | None = None, purpose: str | None = "assertionMethod") -> KeyResolver:
    """A :data:`KeyResolver` that resolves the header ``kid`` (did:key, did:web or HTTPS URL).

    An embedded ``jwk`` header is not used (see :func:`header_jwk`); a token without ``kid`` fails.
    """

    def resolve(header: Mapping[str, Any]) -> PublicKey:
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise CredentialError("the header has no kid naming the signing key")
        return resolve_verification_method(kid, fetcher=fetcher, purpose=purpose)

    return resolve


def header_jwk(header: Mapping[str, Any]) -> JwsKey | None:
    """The public key in the header's ``jwk`` member (RFC 7515 section 4.1.3), or None when there is none.

    Raises :class:`CredentialError` for a malformed key, a weak RSA key or a JWK that holds a private key.
    Such a key proves only that whoever holds it signed: the caller must tie it to the issuer.
    """
    jwk = header.get("jwk")
    if jwk is None:
        return None
    if not isinstance(jwk, Mapping):
        raise CredentialError("the jwk header is not a JSON object")
    if any(name in jwk for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise CredentialError("the jwk header holds private key material")
    if jwk.get("kty") == "RSA":
        return RsaPublicKey.from_jwk(jwk)
    return PublicKey.from_jwk(jwk)


# -- VC-JOSE (application/vc+jwt) ----------------------------------------------------------------


def sign_vc_jwt(credential: Mapping[str, Any], *, key: KeyPair, kid: str | None) -> str:
    """Secure a VCDM 2.0 credential as ``application/vc+jwt`` (typ ``vc+jwt``, cty ``vc``)."""
    contexts = credential.get("@context") if isinstance(credential, Mapping) else None
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_CONTEXT_V2:
        raise CredentialError(f"a vc+jwt payload must be a VCDM 2.0 credential (@context {VC_CONTEXT_V2})")
    return sign_jwt(credential, key=key, kid=kid, typ="vc+jwt", cty="vc")


def verify_vc_jwt(
    token: str | bytes,
    *,
    resolve_key: KeyResolver,
    now: datetime | float | None = None,
    leeway: float = 0,
) -> JwtResult:
    """Verify an ``application/vc+jwt`` token; the credential is ``result.payload``.

    Checks the envelope (typ, cty, signature, ``exp``/``nbf`` when ``now`` is given), that the
    payload is a VCDM 2.0 credential without ``vc``/``vp`` claims, and that an ``iss`` claim,
    if present, names the credential's issuer. The credential's own validity period, status and
    schema are left to the credential verifier.
    """
    result = verify_jwt(token, resolve_key=resolve_key, typ="vc+jwt", now=now, leeway=leeway)
    if not result.ok or result.payload is None or result.header is None:
        return result
    problem = _vc_jwt_problem(result.header, result.payload)
    return result.failed(problem) if problem else result


def _vc_jwt_problem(header: Mapping[str, Any], payload: Mapping[str, Any]) -> str | None:
    cty = header.get("cty")
    if cty is not None and (not isinstance(cty, str) or _media(cty) not in ("vc", "vc+ld+json")):
        return f"cty {str(cty)[:30]!r} is not 'vc'"
    if "vc" in payload or "vp" in payload:
        return "a vc+jwt payload must not carry vc or vp claims"
    contexts = payload.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_CONTEXT_V2:
        return "the payload is not a VCDM 2.0 credential (first @context)"
    return _payload_credential_problem(payload)


def _payload_credential_problem(payload: Mapping[str, Any]) -> str | None:
    """The checks of a JWT whose payload is the credential itself: its type, and claims that agree with it."""
    types = payload.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return "the payload type does not include VerifiableCredential"
    if "iss" in payload and payload["iss"] != id_of(payload.get("issuer")):
        return "the iss claim does not match the credential issuer"
    for claim, expected in (("jti", payload.get("id")), ("sub", _subject_id(payload))):
        if claim in payload and expected is not None and payload[claim] != expected:
            return f"the {claim} claim does not match the credential"
    return None


# -- Open Badges 3.0 VC-JWT -------------------------------------------------------------------


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    value = subject.get("id") if isinstance(subject, Mapping) else None
    return value if isinstance(value, str) else None


def _epoch(value: object, name: str) -> int:
    if not isinstance(value, str):
        raise CredentialError(f"{name} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CredentialError(f"{name} {value[:40]!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise CredentialError(f"{name} {value[:40]!r} has no time zone")
    return int(moment.timestamp() // 1)


def ob3_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The OB 3.0 VC-JWT claims for ``credential``: iss, sub, nbf, exp, jti and vc.

    ``nbf`` comes from ``validFrom`` (``issuanceDate`` in VCDM 1.1), ``exp`` from
    ``validUntil`` (``expirationDate``); ``sub`` and ``jti`` are left out when the subject or
    the credential has no id. Raises :class:`CredentialError` without an issuer id or start date.
    """
    if not isinstance(credential, Mapping):
        raise CredentialError("the credential is not a JSON object")
    issuer = id_of(credential.get("issuer"))
    if issuer is None:
        raise CredentialError("the credential has no issuer id (needed for iss)")
    start = credential.get("validFrom", credential.get("issuanceDate"))
    if start is None:
        raise CredentialError("the credential has no validFrom (needed for nbf)")
    claims: dict[str, Any] = {"iss": issuer}
    subject = _subject_id(credential)
    if subject is not None:
        claims["sub"] = subject
    claims["nbf"] = _epoch(start, "validFrom")
    end = credential.get("validUntil", credential.get("expirationDate"))
    if end is not None:
        claims["exp"] = _epoch(end, "validUntil")
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    claims["vc"] = credential
    return claims


def sign_ob3_jwt(credential: Mapping[str, Any], *, key: KeyPair, kid: str | None) -> str:
    """Sign an Open Badges 3.0 credential in the OB 3.0 VC-JWT form (typ ``JWT``, ``vc`` claim)."""
    return sign_jwt(ob3_claims(credential), key=key, kid=kid, typ="JWT")


def verify_ob3_jwt(
    token: str | bytes,
    *,
    resolve_key: KeyResolver,
    now: datetime | float | None = None,
    leeway: float = 0,
) -> JwtResult:
    """Verify an OB 3.0 VC-JWT; the credential is ``result.payload["vc"]``.

    Checks the signature, ``exp``/``nbf`` when ``now`` is given, and that ``iss``, ``jti`` and
    ``sub`` agree with the credential's issuer id, id and subject id. ``typ`` may be absent (RFC 7519).
    """
    result = verify_jwt(token, resolve_key=resolve_key, typ="JWT", typ_optional=True, now=now, leeway=leeway)
    if not result.ok or result.payload is None:
        return result
    problem = _ob3_problem(result.payload)
    return result.failed(problem) if problem else result


def _ob3_problem(payload: Mapping[str, Any]) -> str | None:
    credential = payload.get("vc")
    if not isinstance(credential, dict):
        return "the vc claim is missing or not a JSON object"
    issuer = id_of(credential.get("issuer"))
    if issuer is None or payload.get("iss") != issuer:
        return "the iss claim does not match the credential issuer id"
    for claim, expected in (("jti", credential.get("id")), ("sub", _subject_id(credential))):
        if claim in payload and expected is not None and payload[claim] != expected:
            return f"the {claim} claim does not match the credential"
    return None


def verify_credential_jwt(
    token: str | bytes,
    *,
    resolve_key: KeyResolver,
    now: datetime | float | None = None,
    leeway: float = 0,
) -> JwtResult:
    """Verify a credential JWT in any of the forms peers issue (the credential: the payload, or its ``vc`` claim).

    ``typ: vc+jwt`` (or the draft ``vc+ld+jwt``) follows VC-JOSE (:func:`verify_vc_jwt`); otherwise (``typ:
    JWT`` or none) a ``vc`` claim is the OB 3.0 form (:func:`verify_ob3_jwt`), and without one the payload is the
    credential.
    """
    result = verify_jwt(
        token, resolve_key=resolve_key, typ=("JWT", "vc+jwt", "vc+ld+jwt"), typ_optional=True, now=now, leeway=leeway
    )
    if not result.ok or result.payload is None or result.header is None:
        return result
    payload = result.payload
    typ = result.header.get("typ")
    if isinstance(typ, str) and _media(typ) in ("vc+jwt", "vc+ld+jwt"):
        problem = _vc_jwt_problem(result.header, payload)
    elif "vc" in payload:
        problem = _ob3_problem(payload)
    elif "vp" in payload:
        problem = "the token carries a presentation, not a credential"
    else:
        problem = _payload_credential_problem(payload)
    return result.failed(problem) if problem else result
