"""Verifiable Presentations (VCDM 2.0): a holder shows credentials to a verifier, bound to its challenge.

Two forms:

- **Data Integrity**: :func:`create_presentation` builds a ``VerifiablePresentation`` and signs it with
  a proof of purpose ``authentication`` carrying the verifier's ``challenge`` and ``domain``;
  :func:`verify_presentation` checks that proof, the challenge, the domain and that the signing key
  belongs to the ``holder``.
- **JWT** (VC-JOSE ``application/vp+jwt``): :func:`create_presentation_jwt` signs the presentation as
  the JWT payload with ``nonce`` = challenge and ``aud`` = domain; :func:`verify_presentation_jwt`
  checks the same bindings (its key resolver is the JOSE one, header in, key out).

The holder binding: the verification method (or JWT ``kid``) must be a key of the holder, meaning its
URL without the fragment is the holder's id (``did:key:z6Mk...#z6Mk...`` belongs to
``did:key:z6Mk...``); the key must be resolved for the ``authentication`` relationship (the Data
Integrity resolver is called with that purpose; the JOSE resolver of the JWT form is built for it, for
example ``kid_resolver(purpose="authentication")``).

A verifier passes its own ``challenge`` and ``domain``; passing None (deliberately: the arguments have
no default) skips that check, for inspecting a presentation outside a live exchange.

A presentation need not name a ``holder`` (VCDM 2.0): its proofs still verify, and the result says which
key signed; only a presentation that names its holder is bound to the holder's keys. The JWT form is read
both as VC-JOSE (``typ: vp+jwt``, the presentation is the payload) and in the older JWT form with the
presentation in a ``vp`` claim (``typ: JWT`` or none, ``iss`` the holder), as the W3C suites send it.

Credentials travel as they are: JSON objects with their own proofs, or VC-JWT strings wrapped as
``EnvelopedVerifiableCredential`` (``data:application/vc+jwt,<token>``). A signed ``vp+jwt`` travels in turn as an
``EnvelopedVerifiablePresentation`` (:func:`envelop_presentation`); :func:`read_envelope` opens either kind of
envelope (``data:`` URLs of a JWT or of JSON-LD). Verifying a presentation does not verify the credentials
inside; :attr:`PresentationCheck.credentials` hands them to the caller. Verification never raises for a bad
presentation.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import unquote_to_bytes

from cairn.errors import CredentialError
from cairn.vc.fetch import loads_json
from cairn.vc.jsonld.documents import DocumentLoader
from cairn.vc.keys import KeyPair, PublicKey
from cairn.vc.proofs.data_integrity import ProofCheck, add_proof, controller_of, verify_proofs
from cairn.vc.proofs.jose import KeyResolver as JwtKeyResolver
from cairn.vc.proofs.jose import is_compact_jws, sign_jwt, verify_jwt
from cairn.vc.proofs.suites import KeyResolver

__all__ = [
    "ENVELOPED_CREDENTIAL",
    "ENVELOPED_PRESENTATION",
    "PRESENTATION_TYPE",
    "VC_JWT_PREFIX",
    "VP_JWT_PREFIX",
    "Envelope",
    "PresentationCheck",
    "build_presentation",
    "create_presentation",
    "create_presentation_jwt",
    "envelop_presentation",
    "presentation_problem",
    "read_envelope",
    "verify_presentation",
    "verify_presentation_jwt",
]

VC_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
PRESENTATION_TYPE: Final = "VerifiablePresentation"
ENVELOPED_CREDENTIAL: Final = "EnvelopedVerifiableCredential"
ENVELOPED_PRESENTATION: Final = "EnvelopedVerifiablePresentation"
VC_JWT_PREFIX: Final = "data:application/vc+jwt,"
"""The data: URL prefix of an enveloped VC-JWT credential."""
VP_JWT_PREFIX: Final = "data:application/vp+jwt,"
"""The data: URL prefix of an enveloped VP-JWT presentation."""
_MAX_CREDENTIALS: Final = 100
_MAX_ENVELOPE: Final = 2_000_000
_JWT_MEDIA: Final = {
    ENVELOPED_CREDENTIAL: ("vc+jwt", "vc-ld+jwt", "jwt"),
    ENVELOPED_PRESENTATION: ("vp+jwt", "vp-ld+jwt", "jwt"),
}
_JSON_MEDIA: Final = {
    ENVELOPED_CREDENTIAL: ("vc", "vc+ld+json", "ld+json", "json"),
    ENVELOPED_PRESENTATION: ("vp", "vp+ld+json", "ld+json", "json"),
}


@dataclass(frozen=True, slots=True)
class PresentationCheck:
    """The outcome of verifying a presentation.

    ``ok`` and a plain-language ``reason``; the ``holder`` it names; the proof checks (Data Integrity
    form); and the ``credentials`` it carries (JSON objects, enveloped ones included), still to be
    verified by the caller. ``form`` is ``"data-integrity"`` or ``"jwt"``.
    """

    ok: bool
    reason: str
    form: Literal["data-integrity", "jwt"]
    holder: str | None = None
    proofs: tuple[ProofCheck, ...] = ()
    credentials: tuple[Any, ...] = ()


def _envelope(credential: Mapping[str, Any] | str) -> Any:
    if isinstance(credential, str):
        if credential.count(".") != 2:
            raise CredentialError("a credential given as a string must be a compact VC-JWT")
        return {"@context": VC_CONTEXT_V2, "id": VC_JWT_PREFIX + credential, "type": ENVELOPED_CREDENTIAL}
    if not isinstance(credential, Mapping):
        raise CredentialError("each credential must be a JSON object or a VC-JWT string")
    return credential


def envelop_presentation(token: str) -> dict[str, Any]:
    """An ``EnvelopedVerifiablePresentation`` carrying a signed ``vp+jwt`` (VCDM 2.0 section 4.13.2)."""
    if not isinstance(token, str) or not is_compact_jws(token):
        raise CredentialError("an enveloped presentation carries a compact vp+jwt")
    return {"@context": [VC_CONTEXT_V2], "id": VP_JWT_PREFIX + token.strip(), "type": ENVELOPED_PRESENTATION}


@dataclass(frozen=True, slots=True)
class Envelope:
    """What an enveloped credential or presentation holds: a compact JWT (``token``) or a JSON-LD document
    (``document``), with the ``media_type`` its data: URL declares; or the ``problem`` that keeps it closed."""

    media_type: str = ""
    token: str | None = None
    document: Any = None
    problem: str | None = None


def _contexts_problem(value: Mapping[str, Any], what: str) -> str | None:
    """Why the ``@context`` of ``value`` is not a VCDM 2.0 one (missing, empty, first not v2, bad entries)."""
    if "@context" not in value:
        return f"the {what} has no @context (VCDM 2.0 requires one, starting with {VC_CONTEXT_V2})"
    contexts = value["@context"]
    items = contexts if isinstance(contexts, list) else [contexts]
    if not items:
        return f"the {what}'s @context is empty (it must start with {VC_CONTEXT_V2})"
    if items[0] != VC_CONTEXT_V2:
        return f"the {what}'s first @context is not {VC_CONTEXT_V2}"
    for item in items[1:]:
        if isinstance(item, Mapping):
            continue
        if not isinstance(item, str) or ":" not in item or any(c.isspace() for c in item):
            return f"the {what}'s @context entries must be URLs or context objects, not {str(item)[:60]!r}"
    return None


def read_envelope(envelope: Mapping[str, Any], kind: str) -> Envelope:
    """Open an enveloped credential (``kind`` ENVELOPED_CREDENTIAL) or presentation (ENVELOPED_PRESENTATION).

    The envelope needs a VCDM 2.0 ``@context``, the ``type`` ``kind`` and an ``id`` that is a ``data:`` URL
    (RFC 2397) of a JWT (``application/vc+jwt``, ``vp+jwt`` or ``jwt``) or of a JSON-LD document
    (``application/vc``, ``vp``, ``vc+ld+json``..., plain or ``;base64``). Never raises."""
    what = "enveloped credential" if kind == ENVELOPED_CREDENTIAL else "enveloped presentation"
    problem = _contexts_problem(envelope, what)
    if problem:
        return Envelope(problem=problem)
    types = envelope.get("type")
    if not (types == kind or (isinstance(types, list) and kind in types)):
        return Envelope(problem=f"the {what}'s type must be {kind}")
    url = envelope.get("id")
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        return Envelope(problem=f"the {what}'s id must be a data: URL holding the secured document")
    if len(url) > _MAX_ENVELOPE:
        return Envelope(problem=f"the {what} is larger than {_MAX_ENVELOPE:,} characters")
    header, _, data = url[len("data:") :].partition(",")
    media, *parameters = (part.strip().lower() for part in header.split(";"))
    subtype = media.removeprefix("application/")
    try:
        raw = unquote_to_bytes(data)
        if "base64" in parameters:
            raw = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
        text = raw.decode("utf-8").strip()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Envelope(media, problem=f"the {what}'s data: URL cannot be decoded")
    if subtype in _JWT_MEDIA[kind]:
        if not is_compact_jws(text):
            return Envelope(media, problem=f"the {what}'s data: URL does not hold a compact JWT")
        return Envelope(media, token=text)
    if subtype in _JSON_MEDIA[kind]:
        try:
            document = loads_json(text, what=what)
        except CredentialError as exc:
            return Envelope(media, problem=exc.message)
        except RecursionError:
            return Envelope(media, problem=f"the {what} nests too deeply")
        if not isinstance(document, dict):
            return Envelope(media, problem=f"the {what}'s data: URL does not hold a JSON object")
        return Envelope(media, document=document)
    expected = ", ".join(f"application/{m}" for m in (*_JWT_MEDIA[kind], *_JSON_MEDIA[kind][:2]))
    return Envelope(media, problem=f"the {what}'s media type {media[:60]!r} is not one of {expected}")


def build_presentation(
    credentials: Sequence[Mapping[str, Any] | str], *, holder: str | None, presentation_id: str | None = None
) -> dict[str, Any]:
    """An unsigned VCDM 2.0 presentation by ``holder`` of ``credentials`` (VC-JWT strings are enveloped);
    ``holder=None`` (deliberately) leaves the holder out, as VCDM 2.0 allows."""
    if holder is not None and (not isinstance(holder, str) or not holder):
        raise CredentialError("a presentation needs a holder id (or None, deliberately, for none)")
    if isinstance(credentials, str | Mapping) or len(credentials) > _MAX_CREDENTIALS:
        raise CredentialError(f"credentials must be a list of at most {_MAX_CREDENTIALS} credentials")
    presentation: dict[str, Any] = {"@context": [VC_CONTEXT_V2], "type": [PRESENTATION_TYPE]}
    if presentation_id is not None:
        presentation["id"] = presentation_id
    if holder is not None:
        presentation["holder"] = holder
    if credentials:
        presentation["verifiableCredential"] = [_envelope(c) for c in credentials]
    return presentation


def _check_binding_args(holder: str, method: str, challenge: str, domain: str) -> None:
    if not isinstance(method, str) or controller_of(method) != holder:
        raise CredentialError(f"the verification method {str(method)[:80]!r} is not a key of the holder {holder!r}")
    if not isinstance(challenge, str) or not challenge:
        raise CredentialError("a presentation needs the verifier's challenge")
    if not isinstance(domain, str) or not domain:
        raise CredentialError("a presentation needs the verifier's domain")


def create_presentation(
    credentials: Sequence[Mapping[str, Any] | str],
    *,
    holder: str,
    key: KeyPair,
    verification_method: str,
    challenge: str,
    domain: str,
    created: str | datetime,
    cryptosuite: str = "eddsa-rdfc-2022",
    presentation_id: str | None = None,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """A presentation of ``credentials`` by ``holder``, signed for the verifier's ``challenge`` and ``domain``.

    ``verification_method`` must be a key of the holder (its URL without fragment is ``holder``).
    The proof has purpose ``authentication``; ``created`` is passed in, never read from a clock.
    Raises :class:`CredentialError` for bad arguments (see :func:`cairn.vc.proofs.data_integrity.add_proof`).
    """
    _check_binding_args(holder, verification_method, challenge, domain)
    presentation = build_presentation(credentials, holder=holder, presentation_id=presentation_id)
    return add_proof(
        presentation,
        key=key,
        verification_method=verification_method,
        cryptosuite=cryptosuite,
        created=created,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        loader=loader,
    )


def _holder_of(presentation: Mapping[str, Any]) -> str | None:
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    return holder if isinstance(holder, str) and holder else None


def presentation_problem(presentation: Any) -> str | None:
    """Why ``presentation`` is not a VCDM 2.0 presentation, or None.

    A ``@context`` starting with the VCDM 2.0 one, the type VerifiablePresentation, a ``holder`` (when there
    is one) that is a URL or an object with an id, and credentials that are objects (enveloped or not)."""
    if not isinstance(presentation, Mapping):
        return "the presentation is not a JSON object"
    problem = _contexts_problem(presentation, "presentation")
    if problem:
        return problem
    types = presentation.get("type")
    if not (types == PRESENTATION_TYPE or (isinstance(types, list) and PRESENTATION_TYPE in types)):
        return "the presentation's type does not include VerifiablePresentation"
    if "holder" in presentation and _holder_of(presentation) is None:
        return "the presentation's holder must be a URL or an object with an id"
    carried = presentation.get("verifiableCredential", [])
    items = carried if isinstance(carried, list) else [carried]
    if len(items) > _MAX_CREDENTIALS:
        return f"the presentation carries more than {_MAX_CREDENTIALS} credentials"
    if not all(isinstance(item, Mapping) for item in items):
        return "a verifiableCredential entry is not a JSON object (a credential or an enveloped credential)"
    return None


def _credentials_of(presentation: Mapping[str, Any]) -> tuple[Any, ...]:
    carried = presentation.get("verifiableCredential", [])
    return tuple(carried) if isinstance(carried, list) else (carried,)


def _expected_problem(challenge: object, domain: object) -> str | None:
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is not None and (not isinstance(value, str) or not value):
            return f"the expected {name} must be a non-empty string (or None, deliberately, to skip the check)"
    return None


def _success(
    kind: str, holder: str | None, signers: Sequence[str], challenge: str | None, domain: str | None, count: int
) -> str:
    bound = [name for name, value in (("challenge", challenge), ("domain", domain)) if value is not None]
    unchecked = [name for name, value in (("challenge", challenge), ("domain", domain)) if value is None]
    if holder is not None:
        text = f"the {kind} is signed by its holder {holder}"
    else:
        keys = ", ".join(dict.fromkeys(signers)) or "an unnamed key"
        text = f"the {kind} is signed with {keys}; it names no holder, so the key is not tied to anyone"
    if bound:
        text += f" (for this {' and '.join(bound)})" if holder is None else f" for this {' and '.join(bound)}"
    if unchecked:
        text += f" ({' and '.join(unchecked)} not checked: a replayed presentation would pass)"
    return f"{text}; it carries {count} credential{'s' if count != 1 else ''} (verify each separately)"


def verify_presentation(
    presentation: Any,
    *,
    resolve_key: KeyResolver,
    challenge: str | None,
    domain: str | None,
    loader: DocumentLoader | None = None,
    now: datetime | None = None,
) -> PresentationCheck:
    """Verify a Data Integrity presentation: its proofs, the ``challenge``, the ``domain`` and the holder.

    Every proof must verify with purpose ``authentication`` and carry the expected ``challenge`` and
    ``domain``; when the presentation names a ``holder``, every proof must be made by a key of the holder
    (without one, the result names the keys that signed). ``challenge`` and ``domain`` must be passed; None
    skips that check (only for inspecting a presentation outside a live exchange: the reason then says a
    replay would pass). ``resolve_key(verification_method, "authentication")`` returns the key. The
    credentials inside are returned unverified.
    """
    form: Literal["data-integrity"] = "data-integrity"
    problem = _expected_problem(challenge, domain) or presentation_problem(presentation)
    if problem:
        return PresentationCheck(False, problem, form)
    holder = _holder_of(presentation)
    credentials = _credentials_of(presentation)
    if "proof" not in presentation:
        reason = "the presentation has no proof, so nothing shows who presented it"
        if challenge is not None or domain is not None:
            reason += " or that it answers this challenge"
        return PresentationCheck(False, reason, form, holder, (), credentials)
    checks = tuple(
        verify_proofs(
            presentation,
            resolve_key=resolve_key,
            loader=loader,
            expected_purpose="authentication",
            challenge=challenge,
            domain=domain,
            now=now,
        )
    )
    for number, check in enumerate(checks, 1):
        label = "the presentation proof" if len(checks) == 1 else f"presentation proof {number}"
        if not check.ok:
            return PresentationCheck(False, f"{label}: {check.reason}", form, holder, checks, credentials)
        method = check.verification_method or ""
        if holder is not None and controller_of(method) != holder:
            reason = f"{label} was made by {method}, which is not a key of the holder {holder}"
            return PresentationCheck(False, reason, form, holder, checks, credentials)
    signers = [c.verification_method or "" for c in checks]
    reason = _success("presentation", holder, signers, challenge, domain, len(credentials))
    return PresentationCheck(True, reason, form, holder, checks, credentials)


# -- JWT -------------------------------------------------------------------------------------


def create_presentation_jwt(
    credentials: Sequence[Mapping[str, Any] | str],
    *,
    holder: str,
    key: KeyPair,
    kid: str,
    challenge: str,
    domain: str,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    presentation_id: str | None = None,
) -> str:
    """A VC-JOSE ``vp+jwt``: the presentation as payload, with ``nonce`` = challenge and ``aud`` = domain.

    ``kid`` names the holder's key (its URL without fragment must be ``holder``); ``issued_at`` and
    ``expires_at`` (timezone-aware, never read from a clock) become ``iat`` and ``exp``.
    """
    _check_binding_args(holder, kid, challenge, domain)
    payload = build_presentation(credentials, holder=holder, presentation_id=presentation_id)
    payload["nonce"] = challenge
    payload["aud"] = domain
    for claim, moment in (("iat", issued_at), ("exp", expires_at)):
        if moment is not None:
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise CredentialError(f"the {claim} time must be a timezone-aware datetime")
            payload[claim] = int(moment.timestamp())
    return sign_jwt(payload, key=key, kid=kid, typ="vp+jwt", cty="vp")


def verify_presentation_jwt(
    token: str | bytes,
    *,
    resolve_key: JwtKeyResolver,
    challenge: str | None,
    domain: str | None,
    now: datetime | float | None = None,
    leeway: float = 0,
) -> PresentationCheck:
    """Verify a presentation JWT: signature (by a key of the holder, when it names one), ``nonce`` and ``aud``,
    ``exp``/``nbf``.

    Two forms: VC-JOSE ``vp+jwt`` (the presentation is the payload, no ``vp``/``vc`` claims) and the JWT form
    with the presentation in a ``vp`` claim (``typ`` ``JWT`` or none; ``iss``, when present, is the holder).
    ``resolve_key`` is a :data:`cairn.vc.proofs.jose.KeyResolver` (protected header in, Ed25519 or P-256 key
    out), for example ``kid_resolver(purpose="authentication")``; the header must name the key in
    ``kid``. ``challenge`` / ``domain`` as in :func:`verify_presentation`. The credentials inside are
    returned unverified.
    """
    form: Literal["jwt"] = "jwt"
    problem = _expected_problem(challenge, domain)
    if problem:
        return PresentationCheck(False, problem, form)

    def header_key(header: Mapping[str, Any]) -> PublicKey:
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise CredentialError("the header has no kid naming the holder's key")
        try:
            key = resolve_key(header)
        except CredentialError:
            raise
        except Exception as exc:  # a failing resolver gives a failed check, not a crash
            raise CredentialError(f"the key resolver failed ({type(exc).__name__})") from None
        if not isinstance(key, PublicKey):
            raise CredentialError("the holder's key is not an Ed25519 or P-256 key")
        return key

    result = verify_jwt(token, resolve_key=header_key, now=now, leeway=leeway)
    if not result.ok or result.payload is None or result.header is None:
        return PresentationCheck(False, f"the presentation token does not verify: {result.reason}", form)
    header, payload = result.header, result.payload
    typ = header.get("typ")
    media = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
    legacy = "vp" in payload and media in (None, "jwt")
    if not legacy and media != "vp+jwt":
        return PresentationCheck(False, f"the token's typ {str(typ)[:30]!r} is not 'vp+jwt'", form)
    cty = header.get("cty")
    if (
        not legacy
        and cty is not None
        and (not isinstance(cty, str) or cty.lower().removeprefix("application/") != "vp")
    ):
        return PresentationCheck(False, "the token's cty is not 'vp'", form)
    if not legacy and ("vp" in payload or "vc" in payload):
        return PresentationCheck(False, "a vp+jwt payload must not carry vp or vc claims", form)
    presentation = payload["vp"] if legacy else payload
    problem = presentation_problem(presentation)
    if problem:
        return PresentationCheck(False, problem, form)
    holder = _holder_of(presentation)
    if legacy and holder is None and isinstance(payload.get("iss"), str):
        holder = payload["iss"]
    credentials = _credentials_of(presentation)
    nonce, audience = payload.get("nonce"), payload.get("aud")
    if challenge is not None and nonce != challenge:
        reason = "the token has no nonce" if nonce is None else "the token's nonce is not the challenge (a replay?)"
        return PresentationCheck(False, reason, form, holder, (), credentials)
    if domain is not None and audience != domain and not (isinstance(audience, list) and domain in audience):
        return PresentationCheck(False, "the token's aud is not the expected domain", form, holder, (), credentials)
    kid = header["kid"]
    if holder is not None and controller_of(kid) != holder:
        reason = f"the token was signed by {kid}, which is not a key of the holder {holder}"
        return PresentationCheck(False, reason, form, holder, (), credentials)
    if "iss" in payload and holder is not None and payload["iss"] != holder:
        return PresentationCheck(False, "the token's iss is not the holder", form, holder, (), credentials)
    reason = _success("presentation token", holder, [kid], challenge, domain, len(credentials))
    return PresentationCheck(True, reason, form, holder, (), credentials)
