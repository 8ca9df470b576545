"""SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): issue, present with key binding, verify.

The compact form is ``<issuer-signed JWT>~<Disclosure>~...~<Disclosure>~[<KB-JWT>]``. A Disclosure is the
base64url of the JSON array ``[salt, name, value]`` (an object property) or ``[salt, value]`` (an array element);
the issuer-signed payload holds the SHA-256 digest of each (``_sd: [...]`` in an object, ``{"...": digest}`` in an
array) with ``_sd_alg: "sha-256"``. A holder drops the Disclosures it does not want to show and may add a Key
Binding JWT (``typ: kb+jwt``; ``iat``, ``aud``, ``nonce`` and ``sd_hash``, the digest of everything before it),
signed with the key the issuer bound into ``cnf.jwk``.

Signing and JWS verification are :mod:`cairn.vc.proofs.jose` (EdDSA, ES256, ES384; ``alg: none`` and HMAC are
refused there); this module adds the SD-JWT layer and refuses what RFC 9901 section 7 says to refuse: a
Disclosure that is not base64url of a JSON array of the right shape, two Disclosures with one digest, a digest met
twice in the payload, a Disclosure no digest references, a disclosed name that is ``_sd`` or ``...`` or is
already in its object, an ``_sd_alg`` other than ``sha-256``, and (SD-JWT VC) ``iss``, ``nbf``, ``exp``, ``cnf``,
``vct`` or ``status`` made selectively disclosable. Input is bounded (:data:`MAX_LENGTH`,
:data:`MAX_DISCLOSURES`). Verification never raises: :func:`verify_sd_jwt` returns an :class:`SdJwtResult`. No
clock is read: pass ``now``.

Written here rather than taken from a library: see docs/wallets.md (the Python ``sd-jwt`` package reads an
environment variable for its ``typ``, does not check ``exp``/``nbf`` or the KB-JWT's ``iat``, and would bring
``jwcrypto`` and ``pyyaml`` beside the JOSE code Cairn already has).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.vc.fetch import loads_json
from cairn.vc.keys import KeyPair
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.proofs.jose import JwsKey, KeyResolver, header_jwk, sign_jwt, verify_jwt

__all__ = [
    "KB_TYP",
    "MAX_DISCLOSURES",
    "MAX_LENGTH",
    "SD_ALG",
    "SD_JWT_VC_TYPES",
    "Disclosure",
    "KeyBinding",
    "SdJwtResult",
    "add_key_binding",
    "digest_of",
    "issue_sd_jwt",
    "looks_like_sd_jwt",
    "make_disclosure",
    "present",
    "present_claims",
    "sd_hash",
    "split_sd_jwt",
    "verify_sd_jwt",
]

SD_JWT_VC_TYPES: Final = ("dc+sd-jwt", "vc+sd-jwt")
"""``typ`` of an SD-JWT VC: ``dc+sd-jwt`` (draft 06 on), and the earlier ``vc+sd-jwt`` still read."""
KB_TYP: Final = "kb+jwt"
SD_ALG: Final = "sha-256"
MAX_LENGTH: Final = 1_000_000
"""Longest compact SD-JWT read (characters)."""
MAX_DISCLOSURES: Final = 1000
MAX_DISCLOSURE_LENGTH: Final = 65_536
MAX_DEPTH: Final = 32
KB_MAX_AGE: Final = 300
"""How old (seconds) a KB-JWT's ``iat`` may be."""
NOT_DISCLOSABLE: Final = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
"""Claims SD-JWT VC forbids to make selectively disclosable."""
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]+")
_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+~")


def digest_of(encoded: str) -> str:
    """The base64url SHA-256 digest of a Disclosure (of its ASCII text, as RFC 9901 section 4.2.3 says)."""
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One Disclosure: its claim ``name`` (None for an array element), ``value``, ``salt``, the ``encoded`` text
    and its ``digest``."""

    name: str | None
    value: Any
    salt: str
    encoded: str
    digest: str


def make_disclosure(name: str | None, value: Any, *, salt: str | None = None) -> Disclosure:
    """A new Disclosure of ``name: value`` (``name`` None: an array element) with a fresh 128-bit salt."""
    import json

    salt = salt if salt is not None else b64url_encode(secrets.token_bytes(16))
    array = [salt, value] if name is None else [salt, name, value]
    text = json.dumps(array, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    encoded = b64url_encode(text.encode("utf-8"))
    return Disclosure(name, value, salt, encoded, digest_of(encoded))


def issue_sd_jwt(
    claims: Mapping[str, Any],
    *,
    key: KeyPair,
    kid: str | None,
    disclosable: Collection[str] | None = None,
    array_elements: Collection[str] = (),
    decoys: int = 0,
    typ: str = "dc+sd-jwt",
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``claims`` as an SD-JWT (``<JWT>~<Disclosure>~...~``, no key binding).

    Each top-level claim named in ``disclosable`` (None: every claim SD-JWT VC allows but ``iat``) becomes a
    Disclosure; a list-valued claim named in ``array_elements`` also has each element disclosable on its own.
    ``decoys`` random digests hide how many claims there are; ``extra_header`` goes into the JWT's header
    (``x5c``). ``cnf`` (the holder's key), ``iss``, ``vct`` and
    the other claims of :data:`NOT_DISCLOSABLE` stay in the clear. Raises :class:`CredentialError` for bad claims.
    """
    if "_sd" in claims or "_sd_alg" in claims:
        raise CredentialError("the claims may not use the names _sd or _sd_alg")
    chosen = set(claims) - NOT_DISCLOSABLE - {"iat"} if disclosable is None else set(disclosable)
    wrong = chosen & NOT_DISCLOSABLE
    if wrong:
        raise CredentialError(f"SD-JWT VC forbids making {sorted(wrong)} selectively disclosable")
    payload: dict[str, Any] = {}
    digests: list[str] = []
    disclosures: list[Disclosure] = []
    for name, value in claims.items():
        if name in array_elements and isinstance(value, list):
            elements = [make_disclosure(None, item) for item in value]
            disclosures.extend(elements)
            value = [{"...": d.digest} for d in elements]
        if name in chosen:
            disclosure = make_disclosure(name, value)
            disclosures.append(disclosure)
            digests.append(disclosure.digest)
        else:
            payload[name] = value
    digests.extend(b64url_encode(secrets.token_bytes(32)) for _ in range(max(0, decoys)))
    if digests:
        payload["_sd"] = sorted(digests)  # sorted: their order reveals nothing of the claims' order
    payload["_sd_alg"] = SD_ALG
    jwt = sign_jwt(payload, key=key, kid=kid, typ=typ, extra_header=extra_header)
    return jwt + "~" + "".join(d.encoded + "~" for d in disclosures)


def split_sd_jwt(text: str) -> tuple[str, list[str], str | None]:
    """``(issuer-signed JWT, encoded Disclosures, KB-JWT or None)``; raises :class:`CredentialError` when ``text``
    is not a compact SD-JWT."""
    if not isinstance(text, str) or not text.isascii():
        raise CredentialError("an SD-JWT is ASCII text")
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise CredentialError(f"the SD-JWT is longer than {MAX_LENGTH:,} characters")
    parts = text.split("~")
    if len(parts) < 2:
        raise CredentialError("an SD-JWT has a ~ after its issuer-signed JWT")
    jwt, middle, last = parts[0], parts[1:-1], parts[-1]
    if len(middle) > MAX_DISCLOSURES:
        raise CredentialError(f"the SD-JWT has more than {MAX_DISCLOSURES} Disclosures")
    for encoded in middle:
        if not encoded:
            raise CredentialError("the SD-JWT has an empty Disclosure (~~)")
        if len(encoded) > MAX_DISCLOSURE_LENGTH or not _B64URL.fullmatch(encoded):
            raise CredentialError("a Disclosure is not base64url text")
    return jwt, middle, (last or None)


def looks_like_sd_jwt(source: object) -> bool:
    """Whether ``source`` (text) has the shape of a compact SD-JWT: a JWS followed by ``~``."""
    return isinstance(source, str) and "~" in source and bool(_SHAPE.match(source.lstrip()))


def present(sd_jwt: str, *, keep: Callable[[Disclosure], bool]) -> str:
    """The holder's presentation of ``sd_jwt`` with only the Disclosures ``keep`` accepts (no key binding; an
    object kept whose value holds digests needs the Disclosures of those too)."""
    jwt, encoded, _ = split_sd_jwt(sd_jwt)
    kept = [e for e in encoded if keep(_decode(e))]
    return jwt + "~" + "".join(e + "~" for e in kept)


def present_claims(sd_jwt: str, paths: Iterable[Sequence[str | int | None]]) -> str:
    """The holder's presentation of ``sd_jwt`` disclosing only what the claim ``paths`` reach (DCQL claims paths:
    a name, ``None`` for every element of an array, an index): the Disclosure of each step on a path and every
    Disclosure under the value it ends at; claims in the clear stay as they are. No key binding."""
    jwt, encoded, _ = split_sd_jwt(sd_jwt)
    decoded = [_decode(e) for e in encoded]
    by_digest = {d.digest: d for d in decoded}
    payload = loads_json(b64url_decode(jwt.split(".")[1] if jwt.count(".") == 2 else ""), what="SD-JWT payload")
    kept: set[str] = set()

    def elements(value: list[Any]) -> list[tuple[str | None, Any]]:
        out: list[tuple[str | None, Any]] = []
        for item in value:
            if isinstance(item, dict) and len(item) == 1 and isinstance(item.get("..."), str):
                found = by_digest.get(item["..."])
                if found is not None:
                    out.append((found.digest, found.value))
            else:
                out.append((None, item))
        return out

    def follow(value: Any, path: Sequence[str | int | None], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        head, rest = (path[0], path[1:]) if path else (None, ())
        named: list[tuple[str | None, Any]]
        if isinstance(value, dict):
            named = [(None, v) for k, v in value.items() if k not in ("_sd", "_sd_alg") and (not path or k == head)]
            listed = value.get("_sd")
            found = [by_digest.get(d) for d in (listed if isinstance(listed, list) else []) if isinstance(d, str)]
            named += [(d.digest, d.value) for d in found if d is not None and (not path or d.name == head)]
        elif isinstance(value, list):
            named = elements(value)
            if path and isinstance(head, int) and not isinstance(head, bool):
                named = named[head : head + 1]
            elif path and head is not None:
                return
        else:
            return
        for digest, inner in named:
            if digest is not None:
                kept.add(digest)
            follow(inner, rest, depth + 1)

    for path in paths:
        if path:
            follow(payload, list(path), 0)
    return jwt + "~" + "".join(d.encoded + "~" for d in decoded if d.digest in kept)


def sd_hash(presentation: str) -> str:
    """The ``sd_hash`` of a KB-JWT: the digest of the presentation up to and including its last ``~``."""
    return digest_of(presentation[: presentation.rindex("~") + 1])


def add_key_binding(presentation: str, *, holder_key: KeyPair, aud: str, nonce: str, iat: int) -> str:
    """Append a Key Binding JWT signed by ``holder_key`` (the key in the SD-JWT's ``cnf.jwk``)."""
    if not presentation.endswith("~"):
        raise CredentialError("the presentation already has a key binding (it does not end with ~)")
    payload = {"iat": int(iat), "aud": aud, "nonce": nonce, "sd_hash": sd_hash(presentation)}
    return presentation + sign_jwt(payload, key=holder_key, kid=None, typ=KB_TYP)


# -- verification -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyBinding:
    """What the Key Binding JWT came to: ``present`` (one was given), ``ok`` and the ``reason`` when not."""

    present: bool
    ok: bool
    reason: str = ""
    aud: str | None = None


@dataclass(frozen=True, slots=True)
class SdJwtResult:
    """The outcome of :func:`verify_sd_jwt`: ``ok`` (signature and Disclosures), else ``reason``; the ``claims``
    with every disclosed value in place (``_sd``/``_sd_alg`` gone), the ``disclosed`` names and the ``key_binding``.
    ``time_problem`` says when ``exp``/``nbf`` rule the token out at ``now`` (kept apart from ``ok``)."""

    ok: bool
    reason: str = ""
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    disclosures: tuple[Disclosure, ...] = ()
    key: JwsKey | None = None
    key_binding: KeyBinding = field(default_factory=lambda: KeyBinding(False, False, "no key binding JWT"))
    time_problem: str | None = None


def _decode(encoded: str) -> Disclosure:
    try:
        data = loads_json(b64url_decode(encoded, max_length=MAX_DISCLOSURE_LENGTH), what="Disclosure")
    except CredentialError as exc:
        raise CredentialError(f"a Disclosure is not base64url JSON: {exc.message}") from None
    if not isinstance(data, list) or len(data) not in (2, 3):
        raise CredentialError("a Disclosure is not a JSON array of 2 or 3 elements")
    salt = data[0]
    if not isinstance(salt, str):
        raise CredentialError("a Disclosure's salt is not a string")
    if len(data) == 2:
        return Disclosure(None, data[1], salt, encoded, digest_of(encoded))
    name = data[1]
    if not isinstance(name, str):
        raise CredentialError("a Disclosure's claim name is not a string")
    if name in ("_sd", "..."):
        raise CredentialError(f"a Disclosure may not disclose the name {name!r}")
    return Disclosure(name, data[2], salt, encoded, digest_of(encoded))


class _Unpacker:
    """RFC 9901 section 7.1 steps 3-5: put each disclosed value in place of its digest."""

    def __init__(self, disclosures: list[Disclosure]) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        for d in disclosures:
            if d.digest in self.by_digest:
                raise CredentialError("two Disclosures are the same (one digest)")
            self.by_digest[d.digest] = d
        self.seen: set[str] = set()
        self.used: set[str] = set()
        self.top_level: set[str] = set()

    def _digest(self, value: object) -> str:
        if not isinstance(value, str):
            raise CredentialError("a digest is not a string")
        if value in self.seen:
            raise CredentialError("a digest appears twice in the SD-JWT")
        self.seen.add(value)
        return value

    def walk(self, value: Any, depth: int, top: bool = False) -> Any:
        if depth > MAX_DEPTH:
            raise CredentialError(f"the disclosed claims nest deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            return self._object(value, depth, top)
        if isinstance(value, list):
            return self._array(value, depth)
        return value

    def _object(self, value: dict[str, Any], depth: int, top: bool) -> dict[str, Any]:
        out = {k: self.walk(v, depth + 1) for k, v in value.items() if k != "_sd" and not (top and k == "_sd_alg")}
        digests = value.get("_sd", [])
        if not isinstance(digests, list):
            raise CredentialError("_sd is not an array")
        for item in digests:
            found = self.by_digest.get(self._digest(item))
            if found is None:
                continue  # a decoy, or a claim the holder did not disclose
            if found.name is None:
                raise CredentialError("an array element's Disclosure is referenced from _sd")
            if found.name in out:
                raise CredentialError(f"the disclosed claim {found.name[:60]!r} is already in its object")
            self.used.add(found.digest)
            if top:
                self.top_level.add(found.name)
            out[found.name] = self.walk(found.value, depth + 1)
        return out

    def _array(self, value: list[Any], depth: int) -> list[Any]:
        out: list[Any] = []
        for item in value:
            if isinstance(item, dict) and "..." in item:
                if len(item) != 1:
                    raise CredentialError("an array element with ... has other members")
                found = self.by_digest.get(self._digest(item["..."]))
                if found is None:
                    continue
                if found.name is not None:
                    raise CredentialError("an object property's Disclosure is referenced as an array element")
                self.used.add(found.digest)
                out.append(self.walk(found.value, depth + 1))
            else:
                out.append(self.walk(item, depth + 1))
        return out


def _numeric(now: datetime | float) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise CredentialError("now must be a timezone-aware datetime")
        return now.timestamp()
    return float(now)


def _time_problem(claims: Mapping[str, Any], now: float, leeway: float) -> str | None:
    for claim in ("exp", "nbf", "iat"):
        value = claims.get(claim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"the {claim} claim is not a number"
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None and now >= exp + leeway:
        return "the credential has expired (exp)"
    if nbf is not None and now + leeway < nbf:
        return "the credential is not yet valid (nbf)"
    return None


def verify_sd_jwt(
    text: str | bytes,
    *,
    resolve_key: KeyResolver,
    now: datetime | float,
    aud: str | None = None,
    nonce: str | None = None,
    leeway: float = 60,
    kb_max_age: float = KB_MAX_AGE,
    types: Collection[str] = SD_JWT_VC_TYPES,
) -> SdJwtResult:
    """Verify a compact SD-JWT (VC): the issuer's signature (key from ``resolve_key``), every Disclosure, and the
    KB-JWT when there is one (signed by ``cnf.jwk``, ``sd_hash`` right, ``iat`` within ``kb_max_age`` seconds,
    and ``aud``/``nonce`` equal to those given). ``exp``/``nbf`` against ``now`` go to ``time_problem``."""
    try:
        if isinstance(text, bytes | bytearray):
            text = bytes(text).decode("ascii")
        jwt, encoded, kb = split_sd_jwt(text)
        disclosures = [_decode(e) for e in encoded]
        numeric_now = _numeric(now)
    except (CredentialError, UnicodeDecodeError) as exc:
        reason = exc.message if isinstance(exc, CredentialError) else "an SD-JWT is ASCII text"
        return SdJwtResult(False, reason)
    result = verify_jwt(jwt, resolve_key=resolve_key, typ=tuple(types))
    if not result.ok or result.payload is None:
        return SdJwtResult(False, result.reason or "the signature does not verify", result.header, key=result.key)
    header, payload = result.header, result.payload
    alg = payload.get("_sd_alg", SD_ALG)
    if alg != SD_ALG:
        return SdJwtResult(False, f"_sd_alg {str(alg)[:20]!r} is not sha-256", header, key=result.key)
    try:
        unpacker = _Unpacker(disclosures)
        claims = unpacker.walk(payload, 0, top=True)
        if len(unpacker.used) != len(disclosures):
            raise CredentialError("a Disclosure is referenced by no digest in the SD-JWT")
        hidden = unpacker.top_level & NOT_DISCLOSABLE
        if hidden:
            raise CredentialError(f"SD-JWT VC forbids {sorted(hidden)[0]!r} to be selectively disclosable")
    except CredentialError as exc:
        return SdJwtResult(False, exc.message, header, key=result.key)
    binding = _key_binding(text.strip(), kb, claims, numeric_now, aud, nonce, leeway, kb_max_age)
    return SdJwtResult(
        True,
        "",
        header,
        claims,
        tuple(disclosures),
        result.key,
        binding,
        _time_problem(claims, numeric_now, leeway),
    )


def _key_binding(
    text: str,
    kb: str | None,
    claims: Mapping[str, Any],
    now: float,
    aud: str | None,
    nonce: str | None,
    leeway: float,
    max_age: float,
) -> KeyBinding:
    cnf = claims.get("cnf")
    if kb is None:
        reason = "no key binding JWT" if cnf is not None else "the credential binds no holder key (no cnf)"
        return KeyBinding(False, False, reason)
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if not isinstance(jwk, Mapping):
        return KeyBinding(True, False, "a key binding JWT, but the credential names no holder key (cnf.jwk)")
    try:
        holder = header_jwk({"jwk": jwk})
    except CredentialError as exc:
        return KeyBinding(True, False, f"the holder key (cnf.jwk) cannot be read: {exc.message}")
    assert holder is not None
    result = verify_jwt(kb, resolve_key=lambda _: holder, typ=KB_TYP)
    if not result.ok or result.payload is None:
        return KeyBinding(True, False, f"the key binding JWT does not verify with the holder key: {result.reason}")
    payload = result.payload
    iat = payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return KeyBinding(True, False, "the key binding JWT has no iat")
    if iat > now + leeway:
        return KeyBinding(True, False, "the key binding JWT was made in the future (iat)")
    if iat < now - max_age - leeway:
        return KeyBinding(True, False, "the key binding JWT is too old (iat): it may be replayed")
    if payload.get("sd_hash") != sd_hash(text[: len(text) - len(kb)]):
        return KeyBinding(True, False, "the key binding JWT's sd_hash does not match the presentation")
    said_aud, said_nonce = payload.get("aud"), payload.get("nonce")
    if not isinstance(said_aud, str) or not isinstance(said_nonce, str):
        return KeyBinding(True, False, "the key binding JWT lacks aud or nonce")
    if aud is not None and said_aud != aud:
        return KeyBinding(True, False, "the key binding JWT is for another audience (aud)")
    if nonce is not None and said_nonce != nonce:
        return KeyBinding(True, False, "the key binding JWT answers another nonce")
    return KeyBinding(True, True, "", said_aud)
