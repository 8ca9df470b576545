"""Composite (stacked) credentials: an Open Badges 3.0 credential that names its components by digest, and a
CLR 2.0 credential that carries them.

A learner who meets a pathway's rules is awarded the pathway's target as a *composite* credential. This module is
its format side, pure (no database, no network, no clock):

- :func:`component_digest`: a ``digestSRI`` (``sha384-`` and base64) over the RFC 8785 (JCS) form of a component
  credential as it is held, its proof included (a component held as a JWT: over the token's bytes).
- :func:`composite_parts` and :func:`with_composite`: what the composite's OB 3.0 credential carries, in terms of
  the VC 2.0 and OB 3.0.3 contexts only (no private context: it expands in safe mode, and verifiers that bundle
  just those two contexts verify it):

  - ``evidence``: one OB 3.0 ``Evidence`` per component: its ``id`` is the component's credential id, its
    ``name`` the component's achievement, its ``description`` who awarded it;
  - ``relatedResource`` (VC 2.0): ``{id, digestSRI, mediaType}`` per component, so the signed composite pins the
    exact credential it was awarded for (``application/vc``; ``application/vc+jwt`` for a JWT);
  - one OB 3.0 ``Alignment`` of the composite's achievement naming the pathway: ``targetType`` ``ext:Pathway``,
    ``targetCode`` ``<pathway id>@<version>``, ``targetName`` its title, ``targetUrl`` its page. Of the OB 3.0
    terms, an alignment is the one that says what an achievement answers to (Cairn's awards already name what a
    definition stacks towards with one); ``Related`` would say the pathway *is* the achievement, ``criteria``
    belongs to the target's definition, and ``Evidence`` has no term for a version.

- :func:`read_composite`: the pathway and each component's (id, digest) back from any credential (None when it
  is no composite); :func:`match_components` pairs them with the credentials a holder presents.

The CLR 2.0 form, a ``ClrCredential`` carrying the components and the composite, is :mod:`cairn.formats.clr`.

Limits (a holder's input is untrusted): at most :data:`MAX_COMPONENTS` components, :data:`MAX_BYTES` bytes of them
in all, nested at most :data:`MAX_DEPTH` levels; more is refused with a :class:`~cairn.errors.CredentialError`
saying which limit. Readers never trust shapes: strings are taken where strings are expected, anything else is
left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.formats.annex import achievement_of, subject_of
from cairn.vc.datamodel import is_url
from cairn.vc.fetch import loads_json
from cairn.vc.multibase import b64url_decode
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.proofs.suites import fast_jcs
from cairn.vc.values import as_list, id_of, nests_deeper_than

__all__ = [
    "MAX_BYTES",
    "MAX_COMPONENTS",
    "MAX_DEPTH",
    "PATHWAY",
    "Component",
    "ComponentMatch",
    "ComponentRef",
    "CompositeRef",
    "Held",
    "canonical_bytes",
    "component_digest",
    "component_of",
    "components_of",
    "composite_parts",
    "credential_document",
    "digest_matches",
    "match_components",
    "read_composite",
    "text_of",
    "with_composite",
]

PATHWAY: Final = "ext:Pathway"
"""``targetType`` of the composite achievement's alignment that names the pathway (``targetCode``: id@version)."""
MAX_COMPONENTS: Final = 50
"""Most components one composite names, or one CLR carries (besides the composite itself)."""
MAX_BYTES: Final = 2_000_000
"""Most bytes (canonical JSON, or JWT text) of all components together: what the verifier reads in one input."""
MAX_DEPTH: Final = 64
"""Deepest nesting of objects and arrays in one component."""
VC_MEDIA_TYPE: Final = "application/vc"
JWT_MEDIA_TYPE: Final = "application/vc+jwt"
_SRI_ALGORITHMS: Final = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}

Held = Mapping[str, Any] | str
"""A credential as a holder keeps it: a JSON credential (with its proof) or a compact JWT."""


# -- digests ---------------------------------------------------------------------------------------------------


def canonical_bytes(credential: Held) -> bytes:
    """The bytes a component's digest is over: its RFC 8785 (JCS) form, or a JWT's text. Raises CredentialError for
    anything else, and for JSON nested deeper than :data:`MAX_DEPTH`."""
    if isinstance(credential, str):
        if not is_compact_jws(credential):
            raise CredentialError("a component is neither a JSON credential nor a JWT")
        return credential.encode("ascii")
    if nests_deeper_than(credential, MAX_DEPTH):
        raise CredentialError("a component nests deeper than %(most)s levels", most=MAX_DEPTH)
    return fast_jcs(credential)  # RFC 8785, the C encoder where it gives the same bytes


def _sri(algorithm: str, data: bytes) -> str:
    return f"{algorithm}-{base64.b64encode(_SRI_ALGORITHMS[algorithm](data).digest()).decode('ascii')}"


def component_digest(credential: Held) -> str:
    """The ``digestSRI`` of ``credential`` as held: ``sha384-`` and the base64 SHA-384 of its RFC 8785 (JCS) form,
    proof included (of a JWT: of the token's ASCII bytes). One changed byte of the credential changes it."""
    return _sri("sha384", canonical_bytes(credential))


def digest_matches(credential: Held, digest: str) -> bool:
    """Whether ``credential`` has the ``digestSRI`` ``digest`` (sha256, sha384 or sha512; of several, separated by
    spaces, the strongest must match, as Subresource Integrity says). False for anything unreadable."""
    tokens = [t.split("-", 1) for t in digest.split() if "-" in t] if isinstance(digest, str) else []
    known = [(alg, value) for alg, value in tokens if alg in _SRI_ALGORITHMS]
    if not known:
        return False
    strongest = max(known, key=lambda t: list(_SRI_ALGORITHMS).index(t[0]))[0]
    try:
        data = canonical_bytes(credential)
    except CredentialError:
        return False
    expected = _sri(strongest, data)
    return any(hmac.compare_digest(f"{alg}-{value}", expected) for alg, value in known if alg == strongest)


# -- components ------------------------------------------------------------------------------------------------


def credential_document(credential: Held) -> dict[str, Any]:
    """The credential object of ``credential``: itself, or what its JWT carries (the ``vc`` claim of an OB 3.0
    JWT, else the payload). Not verified: read it only to name things, verify it apart."""
    if isinstance(credential, Mapping):
        return dict(credential)
    if not isinstance(credential, str) or not is_compact_jws(credential):
        raise CredentialError("a component is neither a JSON credential nor a JWT")
    payload = loads_json(b64url_decode(credential.split(".")[1], max_length=MAX_BYTES), what="JWT payload")
    document = payload.get("vc", payload) if isinstance(payload, dict) else None
    if not isinstance(document, dict):
        raise CredentialError("the JWT carries no credential")
    return document


def text_of(value: object) -> str | None:
    """A plain string, or the first string of a language value (``{"@value": ...}``) or a list of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return text_of(value.get("@value"))
    if isinstance(value, list) and value:
        return text_of(value[0])
    return None


@dataclass(frozen=True, slots=True)
class Component:
    """One component credential, as a composite names it."""

    credential_id: str
    achievement_id: str | None
    achievement_name: str
    issuer_id: str
    issuer_name: str
    digest: str
    """Its ``digestSRI`` (:func:`component_digest`)."""
    media_type: str = VC_MEDIA_TYPE
    """``application/vc`` (a JSON credential) or ``application/vc+jwt``."""
    subject_id: str | None = None
    credential: Held | None = field(default=None, repr=False, compare=False)
    """The credential itself, as held (None where only its description is known)."""


def component_of(credential: Held) -> Component:
    """The :class:`Component` of a held credential. Raises CredentialError where it cannot be named in a composite
    (no credential id, no issuer), or is over the limits."""
    return _component(credential, canonical_bytes(credential))


def _component(credential: Held, data: bytes) -> Component:
    """:func:`component_of`, its canonical bytes ``data`` already computed (each credential is hashed once)."""
    document = credential_document(credential)
    credential_id = document.get("id")
    if not is_url(credential_id):
        raise CredentialError("a component credential needs an id (a URL) to be named in a composite")
    assert isinstance(credential_id, str)
    issuer = document.get("issuer")
    issuer_id = id_of(issuer)
    if not issuer_id:
        raise CredentialError("the component %(id)s names no issuer", id=credential_id[:200])
    achievement = achievement_of(document)
    achievement_id = achievement.get("id") if isinstance(achievement.get("id"), str) else None
    name = text_of(achievement.get("name")) or text_of(document.get("name")) or credential_id
    issuer_name = (text_of(issuer.get("name")) if isinstance(issuer, Mapping) else None) or issuer_id
    subject_id = subject_of(document).get("id")
    return Component(
        credential_id=credential_id,
        achievement_id=achievement_id,
        achievement_name=name,
        issuer_id=issuer_id,
        issuer_name=issuer_name,
        digest=_sri("sha384", data),
        media_type=JWT_MEDIA_TYPE if isinstance(credential, str) else VC_MEDIA_TYPE,
        subject_id=subject_id if isinstance(subject_id, str) else None,
        credential=credential,
    )


def components_of(given: Sequence[Component | Held], *, most: int = MAX_COMPONENTS) -> list[Component]:
    """``given`` (held credentials or components) as components: at least one, at most ``most``
    (:data:`MAX_COMPONENTS`), :data:`MAX_BYTES` in all, each named once; else CredentialError. Each held credential
    is canonicalised once."""
    if not given:
        raise CredentialError("a composite needs at least one component")
    if len(given) > most:
        raise CredentialError("a composite holds at most %(most)s components, not %(n)s", most=most, n=len(given))
    total = 0
    out: list[Component] = []
    seen: set[str] = set()
    for item in given:
        if not isinstance(item, Component):
            data = canonical_bytes(item)
            total += len(data)
            if total > MAX_BYTES:
                raise CredentialError("the components are larger than %(most)s bytes together", most=f"{MAX_BYTES:,}")
            item = _component(item, data)
        if item.credential_id in seen:
            raise CredentialError("the component %(id)s is listed twice", id=item.credential_id[:200])
        seen.add(item.credential_id)
        out.append(item)
    return out


# -- the composite's OB 3.0 credential ---------------------------------------------------------------------------


def _awarder(component: Component) -> str:
    name, ident = component.issuer_name, component.issuer_id
    return name if name == ident else f"{name} ({ident})"


def _issuers(components: Sequence[Component]) -> int:
    return len({c.issuer_id for c in components})


def composite_parts(
    components: Sequence[Component | Held],
    *,
    pathway_id: str,
    pathway_version: int,
    pathway_url: str,
    pathway_title: str,
) -> dict[str, list[dict[str, Any]]]:
    """What the composite's OB 3.0 credential carries for its ``components`` (held credentials or
    :class:`Component`), awarded under version ``pathway_version`` of the pathway ``pathway_id``:

    - ``evidence`` and ``relatedResource``: for the credential's top level;
    - ``alignment``: for ``credentialSubject.achievement.alignment`` (one ``Alignment``, :data:`PATHWAY`).

    :func:`with_composite` puts them in place. ``pathway_url`` is the pathway's page (best: the page of that
    version). Raises CredentialError for no components, more than :data:`MAX_COMPONENTS`, one listed twice, or
    one that cannot be named.
    """
    if not pathway_id or any(ch.isspace() for ch in pathway_id):
        raise CredentialError("a pathway id is a word without spaces")
    if isinstance(pathway_version, bool) or not isinstance(pathway_version, int) or pathway_version < 1:
        raise CredentialError("a pathway version is a whole number from 1")
    if not is_url(pathway_url):
        raise CredentialError("the pathway's address must be a URL")
    if not pathway_title.strip():
        raise CredentialError("a pathway needs a title")
    parts = components_of(components)
    where = f"the pathway “{pathway_title}” (version {pathway_version})"
    evidence = [
        {
            "id": c.credential_id,
            "type": ["Evidence"],
            "name": c.achievement_name,
            "description": f"{c.achievement_name}, awarded by {_awarder(c)}: a component of {where}.",
        }
        for c in parts
    ]
    related = [{"id": c.credential_id, "digestSRI": c.digest, "mediaType": c.media_type} for c in parts]
    n, issuers = len(parts), _issuers(parts)
    stacked = (
        f"Stacked from {n} credential{'s' if n != 1 else ''} by {issuers} issuer{'s' if issuers != 1 else ''}, "
        f"meeting the rules of {where}."
    )
    alignment = {
        "type": ["Alignment"],
        "targetType": PATHWAY,
        "targetName": pathway_title,
        "targetUrl": pathway_url,
        "targetCode": f"{pathway_id}@{pathway_version}",
        "targetFramework": "Pathway",
        "targetDescription": stacked,
    }
    return {"evidence": evidence, "relatedResource": related, "alignment": [alignment]}


def with_composite(credential: Mapping[str, Any], parts: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """A copy of the unsigned OB 3.0 ``credential`` (the target's award) with ``parts`` (:func:`composite_parts`)
    added after what it already has; the pathway alignment gets the id ``<achievement id>#alignment-pathway``."""
    if "proof" in credential:
        raise CredentialError("a composite is put together before it is signed")
    subject = subject_of(credential)
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping):
        raise CredentialError("the composite credential has no achievement")
    alignments = [dict(a) for a in parts.get("alignment", ())]
    if isinstance(achievement.get("id"), str):
        for item in alignments:
            item.setdefault("id", f"{achievement['id']}#alignment-pathway")
    out = dict(credential)
    for name in ("evidence", "relatedResource"):
        added = [dict(item) for item in parts.get(name, ())]
        if added:
            out[name] = [*as_list(credential.get(name)), *added]
    new_achievement = {**achievement, "alignment": [*as_list(achievement.get("alignment")), *alignments]}
    new_subject = {**subject, "achievement": new_achievement}
    subjects = credential.get("credentialSubject")
    out["credentialSubject"] = [new_subject, *subjects[1:]] if isinstance(subjects, list) else new_subject
    return out


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """A component as a composite names it: its credential id and digest (and its name, as evidence)."""

    credential_id: str
    digest: str
    name: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeRef:
    """What a composite credential says it was awarded for: version ``pathway_version`` of ``pathway_id``'s rules,
    met by ``components``."""

    pathway_id: str
    pathway_version: int
    pathway_url: str | None
    pathway_title: str | None
    components: tuple[ComponentRef, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.credential_id for c in self.components)


def _pathway(code: object) -> tuple[str, int] | None:
    if not isinstance(code, str) or "@" not in code or len(code) > 2048:
        return None
    ident, _, version = code.rpartition("@")
    if not ident or not version.isdigit() or len(version) > 9 or int(version) < 1:
        return None
    return ident, int(version)


def read_composite(credential: Held) -> CompositeRef | None:
    """The pathway and components a composite credential names (see the module's text); None when
    ``credential`` is not one (or cannot be read). Raises CredentialError when it names more than
    :data:`MAX_COMPONENTS` components."""
    try:
        document = credential_document(credential)
    except CredentialError:
        return None
    found = None
    for alignment in as_list(achievement_of(document).get("alignment")):
        if isinstance(alignment, Mapping) and alignment.get("targetType") == PATHWAY:
            found = _pathway(alignment.get("targetCode"))
            if found is not None:
                break
    if found is None:
        return None
    evidence = {
        e["id"]: text_of(e.get("name"))
        for e in as_list(document.get("evidence"))
        if isinstance(e, Mapping) and isinstance(e.get("id"), str)
    }
    components: list[ComponentRef] = []
    for related in as_list(document.get("relatedResource")):
        if not isinstance(related, Mapping):
            continue
        ident, digest = related.get("id"), related.get("digestSRI")
        if isinstance(ident, str) and ident in evidence and isinstance(digest, str):
            if len(components) == MAX_COMPONENTS:
                raise CredentialError("a composite names at most %(most)s components", most=MAX_COMPONENTS)
            media = related.get("mediaType")
            components.append(ComponentRef(ident, digest, evidence[ident], media if isinstance(media, str) else None))
    url = alignment.get("targetUrl")
    return CompositeRef(
        pathway_id=found[0],
        pathway_version=found[1],
        pathway_url=url if isinstance(url, str) else None,
        pathway_title=text_of(alignment.get("targetName")),
        components=tuple(components),
    )


@dataclass(frozen=True, slots=True)
class ComponentMatch:
    """The components a composite names against the credentials at hand."""

    found: tuple[tuple[ComponentRef, Held], ...]
    """Each named component with the held credential of its id and digest."""
    missing: tuple[ComponentRef, ...]
    """Named, but no credential of that id is at hand."""
    altered: tuple[ComponentRef, ...]
    """A credential of that id is at hand, but not the one named: its digest differs."""

    @property
    def complete(self) -> bool:
        return not self.missing and not self.altered


def _id_of_held(credential: Held) -> str | None:
    try:
        ident = credential_document(credential).get("id")
    except CredentialError:
        return None
    return ident if isinstance(ident, str) else None


def match_components(composite: CompositeRef, credentials: Iterable[Held | Component]) -> ComponentMatch:
    """Pair each component ``composite`` names with one of ``credentials`` of the same id and digest. A
    :class:`Component` (from :func:`components_of` or a CLR's bundle) is matched by the digest it carries, and
    stands for its ``credential``; a held credential is hashed here."""
    by_id: dict[str, list[Held | Component]] = {}
    for item in credentials:
        ident = item.credential_id if isinstance(item, Component) else _id_of_held(item)
        if ident is not None:
            by_id.setdefault(ident, []).append(item)
    found: list[tuple[ComponentRef, Held]] = []
    missing: list[ComponentRef] = []
    altered: list[ComponentRef] = []
    for ref in composite.components:
        candidates = by_id.get(ref.credential_id, [])
        match = next((c for c in candidates if _matches(c, ref.digest)), None)
        held: Held | None = match.credential if isinstance(match, Component) else match
        if held is not None:
            found.append((ref, held))
        elif candidates:
            altered.append(ref)
        else:
            missing.append(ref)
    return ComponentMatch(tuple(found), tuple(missing), tuple(altered))


def _matches(candidate: Held | Component, digest: str) -> bool:
    if not isinstance(candidate, Component):
        return digest_matches(candidate, digest)
    if candidate.credential is None:
        return False
    return hmac.compare_digest(candidate.digest, digest) or digest_matches(candidate.credential, digest)
