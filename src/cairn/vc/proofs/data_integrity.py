"""W3C Data Integrity proofs: add one (alone, to a set, or chained) and verify every proof of a document.

::

    signed = add_proof(credential, key=key, verification_method=vm, cryptosuite="eddsa-rdfc-2022",
                       created="2026-05-04T09:30:00Z")
    checks = verify_proofs(signed, resolve_key=key_resolver())
    all(check.ok for check in checks)

Suites: eddsa-rdfc-2022, eddsa-jcs-2022 (Ed25519 keys), ecdsa-rdfc-2019 and ecdsa-jcs-2019 (P-256 keys with
SHA-256, P-384 keys with SHA-384), ecdsa-sd-2023 (selective disclosure, P-256; see
:mod:`cairn.vc.proofs.ecdsa_sd`), and the legacy Ed25519Signature2020 and Ed25519Signature2018 (a detached JWS;
verify only); see :mod:`cairn.vc.proofs.suites`.

- **Proof configuration**: the proof options (``type``, ``cryptosuite``, ``created``,
  ``verificationMethod``, ``proofPurpose``, ``challenge``, ``domain``, ``previousProof``...) with the
  document's ``@context``. A ``*-jcs-*`` proof carries that ``@context`` itself, as the W3C vectors
  do; on verification a proof ``@context`` must be the start of the document's, and it is the one
  hashed (Data Integrity's rule for contexts added after signing).
- **Proof sets**: :func:`add_proof` on a signed document appends a proof; each proof of a set signs
  the document without the other proofs.
- **Proof chains**: ``previous_proof`` names earlier proofs by ``id``; the new proof signs the
  document with those proofs (``proof: [matching proofs]``), and verification hashes the same.
- **Purposes**: ``assertionMethod`` (credentials) or ``authentication`` with ``challenge`` and
  ``domain`` (presentations); the verifier says which purpose, challenge and domain it expects.

Nothing reads a clock: ``created`` is passed in, and ``now`` (optional) checks a proof's ``expires``.
Verification never raises for a bad document: each proof gives a :class:`ProofCheck` with a reason.
Adding a proof raises :class:`~cairn.errors.CredentialError` (or a subclass) for bad input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cairn.errors import CredentialError, KeyFormatError
from cairn.phrases import Phrase
from cairn.vc.dids import RELATIONSHIPS
from cairn.vc.jsonld.documents import DocumentLoader
from cairn.vc.keys import KeyPair, PublicKey
from cairn.vc.multibase import b64url_decode
from cairn.vc.proofs import ecdsa_sd, verified
from cairn.vc.proofs.suites import (
    LEGACY_ED25519_2018,
    LEGACY_ED25519_2020,
    SUITES,
    KeyResolver,
    Suite,
    b58decode,
    b58encode,
    controller_of,
    curve_of,
    document_digest,
    format_datetime,
    hash_data,
    is_datetime_stamp,
    key_resolver,
    optimistic_jcs,
)

__all__ = [
    "MAX_PROOFS",
    "SUPPORTED_CRYPTOSUITES",
    "KeyResolver",
    "ProofCheck",
    "add_proof",
    "controller_of",
    "format_datetime",
    "key_resolver",
    "verify_proofs",
]

MAX_PROOFS: Final = 32
"""Most proofs one document may carry (each costs a canonicalisation and a signature check)."""
SUPPORTED_CRYPTOSUITES: Final = tuple(
    name for name, suite in SUITES.items() if suite.signs and name != ecdsa_sd.CRYPTOSUITE
)
"""The cryptosuites whose proofs :func:`add_proof` adds and :func:`verify_proofs` checks as added; it also adds
ecdsa-sd-2023 base proofs (verified once a holder derives from them) and verifies legacy ones (eddsa-2022)."""

_SIGNATURE_SIZE: Final = {"Ed25519": 64, "P-256": 64, "P-384": 96}
_MAX_PROOF_VALUE: Final = 300
_MAX_ID: Final = 2048


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The outcome of checking one proof: ``ok`` and a reason a person can read, with what the proof says.

    ``cryptosuite`` is the proof's cryptosuite (its ``type`` for a legacy proof such as
    ``Ed25519Signature2020``). The descriptive fields are None where the proof lacks them or holds
    something other than a string.
    """

    ok: bool
    reason: str
    cryptosuite: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    created: str | None = None
    proof_id: str | None = None


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:limit] + "...") if len(text) > limit else repr(text)


# -- adding ----------------------------------------------------------------------------------


def _existing_proofs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        return []
    if isinstance(proof, Mapping):
        return [proof]
    if isinstance(proof, list) and all(isinstance(p, Mapping) for p in proof):
        return list(proof)
    raise CredentialError("the document's proof is not a JSON object or a list of them")


def _matching_proofs(ids: Sequence[str], proofs: Sequence[Any], exclude: object = None) -> list[Any]:
    """The proofs named by ``ids`` in that order; raises CredentialError for a missing or ambiguous id."""
    found: list[Any] = []
    for wanted in ids:
        hits = [p for p in proofs if p is not exclude and isinstance(p, Mapping) and p.get("id") == wanted]
        if not hits:
            raise CredentialError(f"the previous proof {_short(wanted)} is not in the document")
        if len(hits) > 1:
            raise CredentialError(f"more than one proof has the id {_short(wanted)}")
        found.append(hits[0])
    return found


def _previous_ids(value: object) -> list[str]:
    ids = [value] if isinstance(value, str) else value
    if (
        not isinstance(ids, list | tuple)
        or not ids
        or len(ids) > MAX_PROOFS
        or not all(isinstance(i, str) and i for i in ids)
    ):
        raise CredentialError("previousProof must be a proof id or a list of proof ids")
    return list(ids)


def add_proof(
    document: Mapping[str, Any],
    *,
    key: KeyPair,
    verification_method: str,
    cryptosuite: str,
    created: str | datetime | None,
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    proof_id: str | None = None,
    previous_proof: str | Sequence[str] | None = None,
    expires: str | datetime | None = None,
    proof_as_list: bool = False,
    loader: DocumentLoader | None = None,
    mandatory_pointers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return a new document: ``document`` with a Data Integrity proof by ``key`` added.

    ``ecdsa-sd-2023`` adds a selective disclosure *base proof* (for the holder, who derives from it with
    :func:`cairn.vc.proofs.ecdsa_sd.derive`); ``mandatory_pointers`` (JSON Pointers) name what every
    derived credential discloses. It takes no proof set, chain, challenge or domain.

    ``cryptosuite`` is one of :data:`SUPPORTED_CRYPTOSUITES` and must fit the key (eddsa: Ed25519,
    ecdsa: P-256 or P-384). ``verification_method`` is the URL of the public key (``did:key:z..#z..``, a did:web
    or HTTPS URL). ``created`` (a timezone-aware datetime or an ISO 8601 string with a zone; None
    leaves it out) is never read from a clock. ``proof_purpose`` is ``assertionMethod`` for a
    credential and ``authentication`` for a presentation (with ``challenge`` and ``domain``).

    A document that already has proofs gets a proof set (``proof`` becomes a list). With
    ``previous_proof`` (an id or ids of existing proofs) the proof is chained: it signs the document
    together with those proofs. ``proof_id`` gives the new proof an ``id`` (needed for a later
    proof to chain to it). ``proof_as_list`` writes even a lone proof as a one-element list (the
    1EdTech Open Badges 3.0 JSON Schema wants ``proof`` to be an array; JSON-LD reads both the same).
    The input is not modified; the result shares its nested values.

    Raises :class:`CredentialError` for bad arguments, :class:`KeyFormatError` for a key that does not
    fit the suite, and DocumentLoadError / CanonicalizationError for a document that cannot be
    canonicalised.
    """
    if not isinstance(document, Mapping):
        raise CredentialError("the document to sign is not a JSON object")
    suite = SUITES.get(cryptosuite) if isinstance(cryptosuite, str) else None
    if suite is None or not suite.signs:
        supported = ", ".join(SUPPORTED_CRYPTOSUITES)
        raise CredentialError(f"unsupported cryptosuite {_short(cryptosuite)} (supported: {supported})")
    if not isinstance(key, KeyPair):
        raise KeyFormatError("the signing key is not a KeyPair")
    curve = key.kind.value
    if curve not in suite.curves:
        raise KeyFormatError(f"{suite.name} needs a {' or '.join(sorted(suite.curves))} key, not {curve}")
    if not isinstance(verification_method, str) or not verification_method or len(verification_method) > _MAX_ID:
        raise CredentialError("verification_method must be a non-empty URL")
    if proof_purpose not in RELATIONSHIPS:
        raise CredentialError(f"proof_purpose must be one of {', '.join(RELATIONSHIPS)}")
    for name, value in (("challenge", challenge), ("domain", domain), ("proof_id", proof_id)):
        if value is not None and (not isinstance(value, str) or not value):
            raise CredentialError(f"{name} must be a non-empty string")

    existing = _existing_proofs(document)
    if suite.name == ecdsa_sd.CRYPTOSUITE:
        if existing or previous_proof is not None or challenge is not None or domain is not None:
            raise CredentialError("an ecdsa-sd-2023 base proof must be the only proof (no set, chain or challenge)")
        return ecdsa_sd.add_base_proof(
            document,
            key=key,
            verification_method=verification_method,
            created=created,
            mandatory_pointers=mandatory_pointers or (),
            proof_purpose=proof_purpose,
            loader=loader,
        )
    if mandatory_pointers:
        raise CredentialError("mandatory pointers belong to ecdsa-sd-2023 proofs")
    if proof_id is not None and any(p.get("id") == proof_id for p in existing):
        raise CredentialError(f"the document already has a proof with the id {_short(proof_id)}")
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    previous: str | list[str] | None = None
    if previous_proof is not None:
        ids = _previous_ids(previous_proof if isinstance(previous_proof, str) else list(previous_proof))
        unsecured["proof"] = _matching_proofs(ids, existing)
        previous = previous_proof if isinstance(previous_proof, str) else ids

    proof: dict[str, Any] = {"type": suite.proof_type}
    if proof_id is not None:
        proof["id"] = proof_id
    proof["cryptosuite"] = suite.name
    if created is not None:
        proof["created"] = format_datetime(created, "created")
    if expires is not None:
        proof["expires"] = format_datetime(expires, "expires")
    proof["verificationMethod"] = verification_method
    proof["proofPurpose"] = proof_purpose
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    if previous is not None:
        proof["previousProof"] = previous
    context = document.get("@context")
    if suite.canonicalization == "jcs" and context is not None:
        proof["@context"] = list(context) if isinstance(context, list) else context
        config = proof
    else:
        config = dict(proof)
        if context is not None:
            config["@context"] = context
    signature = key.sign(hash_data(suite, config, unsecured, curve=curve, loader=loader))
    proof["proofValue"] = "z" + b58encode(signature)

    secured = dict(document)
    secured["proof"] = [*existing, proof] if existing or proof_as_list else proof
    return secured


# -- verifying -------------------------------------------------------------------------------


def _fail(reason: str, proof: Mapping[str, Any] | None = None) -> ProofCheck:
    if proof is None:
        return ProofCheck(False, reason)
    return ProofCheck(False, reason, *_described(proof))


def _described(proof: Mapping[str, Any]) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    def text(name: str) -> str | None:
        value = proof.get(name)
        return value if isinstance(value, str) else None

    suite = text("cryptosuite") if proof.get("type") == "DataIntegrityProof" else text("type")
    return suite, text("verificationMethod"), text("proofPurpose"), text("created"), text("id")


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


class _Refused(Exception):
    """A proof fails a check; ``reason`` says which (internal control flow only)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _suite_of(proof: Mapping[str, Any]) -> Suite:
    proof_type = proof.get("type")
    if proof_type == "DataIntegrityProof":
        name = proof.get("cryptosuite")
        if not isinstance(name, str):
            raise _Refused("the proof names no cryptosuite")
        suite = SUITES.get(name)
        if suite is None:
            raise _Refused(
                Phrase(
                    "the cryptosuite %(name)s is not supported (supported: %(known)s)",
                    name=_short(name),
                    known=", ".join(SUITES),
                )
            )
        return suite
    if proof_type == LEGACY_ED25519_2020.proof_type:
        return LEGACY_ED25519_2020
    if proof_type == LEGACY_ED25519_2018.proof_type:
        return LEGACY_ED25519_2018
    if proof_type is None:
        raise _Refused("the proof has no type")
    raise _Refused(
        f"the proof type {_short(proof_type)} is not supported "
        "(DataIntegrityProof, Ed25519Signature2020 or Ed25519Signature2018)"
    )


_JWS_2018_HEADER: Final = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


def _detached_jws(value: str) -> tuple[bytes, bytes]:
    """The protected header (as signed, ASCII) and the signature of an Ed25519Signature2018 ``jws``."""
    parts = value.split(".")
    if len(parts) != 3 or parts[1] or not parts[0] or not parts[2] or len(value) > _MAX_PROOF_VALUE:
        raise _Refused("the jws is not a detached compact JWS ('<header>..<signature>')")
    try:
        header = json.loads(b64url_decode(parts[0], max_length=200))
        signature = b64url_decode(parts[2], max_length=100)
    except (CredentialError, ValueError, UnicodeDecodeError):
        raise _Refused("the jws is not valid base64url JSON") from None
    if header != _JWS_2018_HEADER:
        raise _Refused('the jws header must be {"alg":"EdDSA","b64":false,"crit":["b64"]}')
    return parts[0].encode("ascii"), signature


def _check_options(
    proof: Mapping[str, Any],
    *,
    expected_purpose: str,
    challenge: str | None,
    domain: str | None,
    now: datetime | None,
    value_name: str = "proofValue",
) -> None:
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str) or not vm or len(vm) > _MAX_ID:
        raise _Refused("the proof has no verificationMethod URL")
    purpose = proof.get("proofPurpose")
    if not isinstance(purpose, str):
        raise _Refused("the proof has no proofPurpose")
    if purpose != expected_purpose:
        raise _Refused(
            Phrase(
                "the proof purpose is %(got)s, but %(expected)s was expected",
                got=_short(purpose),
                expected=expected_purpose,
            )
        )
    if not isinstance(proof.get(value_name), str):
        raise _Refused(f"the proof has no {value_name}")
    for name in ("created", "expires"):
        value = proof.get(name)
        if value is not None and not is_datetime_stamp(value):
            raise _Refused(f"the proof's {name} is not a date-time with a time zone")
    expires = proof.get("expires")
    if now is not None and isinstance(expires, str):
        try:
            if now >= datetime.fromisoformat(expires):
                raise _Refused(Phrase("the proof expired at %(time)s", time=expires[:40]))
        except (ValueError, TypeError):
            raise _Refused("the proof's expires cannot be compared with the time given") from None
    if challenge is not None:
        got = proof.get("challenge")
        if got is None:
            raise _Refused(Phrase("the proof has no challenge, but one was expected"))
        if got != challenge:
            raise _Refused(Phrase("the proof's challenge does not match the one expected (a replay?)"))
    if domain is not None:
        got = proof.get("domain")
        if got is None:
            raise _Refused(Phrase("the proof has no domain, but one was expected"))
        if got != domain and not (isinstance(got, list) and domain in got):
            raise _Refused(
                Phrase(
                    "the proof's domain %(got)s is not the expected %(expected)s",
                    got=_short(got),
                    expected=_short(domain),
                )
            )


def _context_for_hashing(proof: Mapping[str, Any], document: Mapping[str, Any]) -> Any:
    """The @context to hash the document with: the proof's, when it has one and it starts the document's."""
    if "@context" not in proof:
        return document.get("@context")
    proof_context = proof["@context"]
    wanted = _as_list(proof_context)
    have = _as_list(document.get("@context")) if "@context" in document else []
    if not wanted or len(wanted) > len(have) or have[: len(wanted)] != wanted:
        raise _Refused("the proof's @context does not match the start of the document's @context")
    return proof_context


def _quick_jcs_verifies(key: Any, signature: bytes, config: Any, document: Any, curve: str) -> bool:
    """The signature over orjson's sorted compact JSON (see :func:`cairn.vc.proofs.suites.optimistic_jcs`)."""
    quick_config, quick_document = optimistic_jcs(config), optimistic_jcs(document)
    if quick_config is None or quick_document is None:
        return False
    digest = hashlib.sha384 if curve == "P-384" else hashlib.sha256
    return bool(key.verify(signature, digest(quick_config).digest() + digest(quick_document).digest()))


def _verify_one(
    proof: Any,
    proofs: list[Any],
    unsecured: dict[str, Any],
    *,
    resolve_key: KeyResolver,
    loader: DocumentLoader | None,
    expected_purpose: str,
    challenge: str | None,
    domain: str | None,
    now: datetime | None,
    digests: dict[tuple[Any, ...], bytes],
) -> ProofCheck:
    if not isinstance(proof, Mapping):
        return _fail("the proof is not a JSON object")
    try:
        suite = _suite_of(proof)
        value_name = "jws" if suite is LEGACY_ED25519_2018 else "proofValue"
        _check_options(
            proof, expected_purpose=expected_purpose, challenge=challenge, domain=domain, now=now, value_name=value_name
        )
        vm: str = proof["verificationMethod"]
        purpose: str = proof["proofPurpose"]
        value: str = proof[value_name]

        document = unsecured
        context = _context_for_hashing(proof, unsecured)
        previous_ids: tuple[str, ...] = ()
        if "previousProof" in proof:
            try:
                previous_ids = tuple(_previous_ids(proof["previousProof"]))
                matching = _matching_proofs(previous_ids, proofs, exclude=proof)
            except CredentialError as exc:
                raise _Refused(Phrase("the proof chain is broken: %(error)s", error=exc.message)) from None
            document = dict(document)
            document["proof"] = matching
        if context is not unsecured.get("@context") and context != unsecured.get("@context"):
            document = dict(document)
            document["@context"] = context

        try:
            key = resolve_key(vm, purpose)
        except CredentialError as exc:
            raise _Refused(
                Phrase("the verification method cannot be resolved: %(error)s", error=exc.message[:200])
            ) from None
        curve = curve_of(key)
        if curve is None:
            raise _Refused("the key resolver returned no public key")
        if curve not in suite.curves:
            raise _Refused(f"{suite.name} needs a {' or '.join(sorted(suite.curves))} key, but {vm} is {curve}")

        if suite.name == ecdsa_sd.CRYPTOSUITE:
            if not isinstance(key, PublicKey):
                raise _Refused("the key resolver returned no public key")
            try:
                ecdsa_sd.verify_derived(document, proof, key, loader=loader)
            except CredentialError as exc:
                raise _Refused(f"the ecdsa-sd-2023 proof does not verify: {exc.message[:300]}") from None
            return ProofCheck(True, f"the {suite.name} proof by {vm} verifies", *_described(proof))
        jws_header = b""
        if suite is LEGACY_ED25519_2018:
            jws_header, signature = _detached_jws(value)
        elif not value.startswith("z") or len(value) > _MAX_PROOF_VALUE:
            raise _Refused("the proofValue is not a base58btc multibase string ('z...')")
        else:
            try:
                signature = b58decode(value[1:])
            except KeyFormatError as exc:
                raise _Refused(f"the proofValue is not valid base58btc: {exc.message}") from None
        if len(signature) != _SIGNATURE_SIZE[curve]:
            raise _Refused(f"the signature is {len(signature)} bytes, a {curve} signature has {_SIGNATURE_SIZE[curve]}")

        config = {name: item for name, item in proof.items() if name != value_name}
        if context is not None:
            config["@context"] = context
        if suite.canonicalization == "jcs" and _quick_jcs_verifies(key, signature, config, document, curve):
            return ProofCheck(True, f"the {suite.name} proof by {vm} verifies", *_described(proof))
        already = (
            verified.fingerprint(suite.name, key, jws_header + signature, config, document) if not loader else None
        )
        if verified.seen(already):
            return ProofCheck(True, f"the {suite.name} proof by {vm} verifies", *_described(proof))
        cache_key = (suite.canonicalization, curve, previous_ids, repr(context))
        try:
            digest = digests.get(cache_key)
            if digest is None:
                digest = digests[cache_key] = document_digest(suite, document, curve=curve, loader=loader)
            signed = hash_data(suite, config, document, curve=curve, loader=loader, document_hash=digest)
        except CredentialError as exc:
            raise _Refused(f"the signed data cannot be canonicalised: {exc.message[:200]}") from None
        if jws_header:  # RFC 7797: the JWS signing input is ASCII(header) "." payload, the payload unencoded
            signed = jws_header + b"." + signed
        if not key.verify(signature, signed):
            raise _Refused(
                Phrase(
                    "the signature does not verify: the document or proof was changed after signing, "
                    "or another key signed it"
                )
            )
        verified.remember(already)
    except _Refused as refused:
        return _fail(refused.reason, proof)
    return ProofCheck(True, f"the {suite.name} proof by {vm} verifies", *_described(proof))


def verify_proofs(
    document: Any,
    *,
    resolve_key: KeyResolver,
    loader: DocumentLoader | None = None,
    expected_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    now: datetime | None = None,
) -> list[ProofCheck]:
    """Check every proof of ``document``; one :class:`ProofCheck` per proof (or one failure), never raising.

    ``resolve_key(verification_method, proof_purpose)`` returns the public key (for example
    :func:`cairn.vc.proofs.suites.key_resolver`); a :class:`CredentialError` it raises becomes a failed check.
    Each proof must have ``expected_purpose``; with ``challenge`` / ``domain`` it must carry them
    (a proof ``domain`` may be a list containing the expected one). ``now`` (timezone-aware) checks
    ``expires``. Proofs of a set are checked independently; a chained proof is checked over the
    document with the proofs it names in ``previousProof``, each of which gets its own check.
    The document is valid when the list is non-empty and every check is ok.
    """
    try:
        if not isinstance(document, Mapping):
            return [_fail("the document is not a JSON object")]
        raw = document.get("proof")
        if raw is None:
            return [_fail("the document has no proof")]
        proofs = [raw] if isinstance(raw, Mapping) else raw
        if not isinstance(proofs, list):
            return [_fail("the proof is not a JSON object or a list of them")]
        if not proofs:
            return [_fail("the document's proof list is empty")]
        if len(proofs) > MAX_PROOFS:
            return [_fail(f"the document has {len(proofs)} proofs, more than the {MAX_PROOFS} checked")]
        if now is not None and (not isinstance(now, datetime) or now.tzinfo is None):
            return [_fail("now must be a timezone-aware datetime")]
        unsecured = {name: value for name, value in document.items() if name != "proof"}
        digests: dict[tuple[Any, ...], bytes] = {}
        checks = []
        for proof in proofs:
            try:
                check = _verify_one(
                    proof,
                    proofs,
                    unsecured,
                    resolve_key=resolve_key,
                    loader=loader,
                    expected_purpose=expected_purpose,
                    challenge=challenge,
                    domain=domain,
                    now=now,
                    digests=digests,
                )
            except RecursionError:
                check = _fail(
                    "the document is nested too deeply to check", proof if isinstance(proof, Mapping) else None
                )
            except Exception as exc:  # a hostile document must yield a report, not a crash
                described = proof if isinstance(proof, Mapping) else None
                check = _fail(Phrase("the proof could not be checked (%(error)s)", error=type(exc).__name__), described)
            checks.append(check)
        return checks
    except Exception as exc:  # pragma: no cover - last line of defence for exotic mappings
        return [_fail(f"the document could not be read ({type(exc).__name__})")]
