"""CLR 2.0 credentials that bundle a composite with its components, and what is inside one.

:func:`clr_credential` builds an unsigned ``ClrCredential`` (VC 2.0; contexts VC 2.0, CLR 2.0.1 and OB 3.0.3, in the
order CLR 2.0 lists them) whose ``ClrSubject`` carries:

- ``verifiableCredential``: the component credentials as held (with their proofs, or as JWTs), then the composite
  (:mod:`cairn.formats.composite`);
- ``achievement``: their achievements, the composite's first;
- ``association``: one CLR 2.0 ``Association`` per component achievement, ``isParentOf`` from the composite's
  achievement (``sourceId``) to the component's (``targetId``): the four properties the type requires
  (``type`` is the string ``"Association"``; the CLR 2.0 schema allows nothing else there).

Signing and verifying it are :mod:`cairn.vc`'s: :func:`cairn.vc.verify` checks the CLR's own proof, then every
credential inside on its own (the ``nested`` check). :func:`read_clr` gives the bundle back for what comes after
(matching the composite's digests, re-evaluating the pathway), within :mod:`cairn.formats.composite`'s limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.formats.annex import achievement_of, subject_of
from cairn.formats.composite import (
    MAX_COMPONENTS,
    Component,
    CompositeRef,
    Held,
    component_of,
    components_of,
    credential_document,
    match_components,
    read_composite,
    text_of,
)
from cairn.formats.ob3 import OB3_CONTEXT, VC2_CONTEXT
from cairn.vc.datamodel import is_url
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.values import as_list, id_of

__all__ = ["CLR_CONTEXT", "CLR_CONTEXTS", "PARENT", "Association", "ClrBundle", "clr_credential", "read_clr"]

CLR_CONTEXT: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_CONTEXTS: Final = (VC2_CONTEXT, CLR_CONTEXT, OB3_CONTEXT)
"""The contexts of a ClrCredential, in the order CLR 2.0 lists them."""
PARENT: Final = "isParentOf"


@dataclass(frozen=True, slots=True)
class Association:
    """A CLR 2.0 ``Association``: ``source_id`` (an achievement) ``association_type`` ``target_id``."""

    association_type: str
    source_id: str
    target_id: str


@dataclass(frozen=True, slots=True)
class ClrBundle:
    """What a ClrCredential carries (:func:`read_clr`). Nothing in it is verified: verify the CLR (which checks
    every credential inside) before trusting it."""

    id: str | None
    issuer_id: str | None
    holder_id: str | None
    name: str | None
    credentials: tuple[Held, ...]
    """Every credential inside, in order, as embedded."""
    composite: Held | None
    """The composite among them (the credential naming a pathway whose achievement is the parent), if any."""
    composite_ref: CompositeRef | None
    components: tuple[Component, ...]
    """The credentials inside other than the composite."""
    achievements: tuple[Mapping[str, Any], ...]
    associations: tuple[Association, ...]


def clr_credential(
    *,
    issuer: Mapping[str, Any],
    holder_id: str,
    name: str,
    components: Sequence[Held],
    composite: Held | None,
    valid_from: str,
    id: str,
    description: str | None = None,
) -> dict[str, Any]:
    """An unsigned CLR 2.0 ``ClrCredential`` from ``issuer`` (an OB 3.0 ``Profile``: id, name, ...) about
    ``holder_id``, carrying the signed ``components`` and the signed ``composite`` (or None: a plain bundle).

    Its ``ClrSubject`` lists the credentials (components first, the composite last), their achievements (the
    composite's first) and, with a composite, one ``Association`` ``isParentOf`` from the composite's achievement
    to each component's. Raises CredentialError for more than :data:`MAX_COMPONENTS` components, one listed twice,
    one about someone other than ``holder_id``, and a composite that does not name exactly these components (by
    id and digest).
    """
    if id_of(issuer) is None or not is_url(id_of(issuer)):
        raise CredentialError("the CLR's issuer needs an id (a URL)")
    parts = components_of(components)
    for part in parts:
        if part.subject_id is not None and part.subject_id != holder_id:
            raise CredentialError("the component %(id)s is about someone else", id=part.credential_id[:200])
    achievements: list[Mapping[str, Any]] = []
    associations: list[dict[str, Any]] = []
    held: list[Held] = [p.credential for p in parts if p.credential is not None]
    if composite is not None:
        top = component_of(composite)
        ref = read_composite(composite)
        if ref is None or top.achievement_id is None:
            raise CredentialError("the composite credential names no pathway")
        if top.subject_id is not None and top.subject_id != holder_id:
            raise CredentialError("the component %(id)s is about someone else", id=top.credential_id[:200])
        match = match_components(ref, parts)
        if match.altered or match.missing:
            odd = (match.altered or match.missing)[0].credential_id
            raise CredentialError("the composite names %(id)s, which is not among the components", id=odd[:200])
        extra = {p.credential_id for p in parts} - set(ref.ids)
        if extra:
            raise CredentialError("the composite does not name the component %(id)s", id=min(extra)[:200])
        achievements.append(achievement_of(credential_document(composite)))
        held.append(composite)
    for part in parts:
        assert part.credential is not None
        achievements.append(achievement_of(credential_document(part.credential)))
    unique: dict[str, Mapping[str, Any]] = {}
    for achievement in achievements:
        if isinstance(achievement.get("id"), str):
            unique.setdefault(achievement["id"], achievement)
    if composite is not None:
        parent = top.achievement_id
        associations = [
            {"type": "Association", "associationType": PARENT, "sourceId": parent, "targetId": child}
            for child in dict.fromkeys(p.achievement_id for p in parts if p.achievement_id)
            if child != parent
        ]
    subject: dict[str, Any] = {
        "id": holder_id,
        "type": ["ClrSubject"],
        "verifiableCredential": [dict(c) if isinstance(c, Mapping) else c for c in held],
    }
    if unique:
        subject["achievement"] = [dict(a) for a in unique.values()]
    if associations:
        subject["association"] = associations
    profile = dict(issuer)
    profile.setdefault("type", ["Profile"])
    credential: dict[str, Any] = {
        "@context": list(CLR_CONTEXTS),
        "id": id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": profile,
        "validFrom": valid_from,
        "name": name,
        "credentialSubject": subject,
    }
    if description:
        credential["description"] = description
    return credential


_TOO_MANY: Final = {
    "credentials": "the CLR holds %(n)s credentials; at most %(most)s are read",
    "associations": "the CLR holds %(n)s associations; at most %(most)s are read",
    "achievements": "the CLR holds %(n)s achievements; at most %(most)s are read",
}


def _bounded(values: object, what: str, most: int) -> list[Any]:
    items = as_list(values)
    if len(items) > most:
        raise CredentialError(_TOO_MANY[what], n=len(items), most=most)
    return items


def read_clr(credential: Held) -> ClrBundle | None:
    """The credentials, achievements and associations a CLR 2.0 credential carries; None when ``credential`` is
    not a ClrCredential. Raises CredentialError for a CLR over the limits of :mod:`cairn.formats.composite` (more
    than ``MAX_COMPONENTS`` credentials besides a composite, more than ``MAX_BYTES`` of them, one listed twice) or
    with something inside that is no credential, or cannot be named. Each credential inside is canonicalised once:
    match the composite against ``components`` (:func:`~cairn.formats.composite.match_components`) without
    hashing again."""
    try:
        document = credential_document(credential)
    except CredentialError:
        return None
    if "ClrCredential" not in as_list(document.get("type")):
        return None
    subject = subject_of(document)
    most = MAX_COMPONENTS + 1
    items = _bounded(subject.get("verifiableCredential"), "credentials", most)
    held: list[Held] = []
    for index, item in enumerate(items, 1):
        if not isinstance(item, Mapping | str) or (isinstance(item, str) and not is_compact_jws(item)):
            raise CredentialError("credential %(n)s inside the CLR is neither a JSON credential nor a JWT", n=index)
        held.append(item)
    associations = tuple(
        Association(a["associationType"], a["sourceId"], a["targetId"])
        for a in _bounded(subject.get("association"), "associations", most * most)
        if isinstance(a, Mapping)
        and all(isinstance(a.get(k), str) for k in ("associationType", "sourceId", "targetId"))
    )
    achievements = tuple(
        a for a in _bounded(subject.get("achievement"), "achievements", most * 4) if isinstance(a, Mapping)
    )
    everything = components_of(held, most=most) if held else []
    refs = [read_composite(item) for item in held]
    composite_at = _composite_index(everything, refs, associations)
    if composite_at is None and len(everything) > MAX_COMPONENTS:
        raise CredentialError(
            "the CLR holds %(n)s credentials and no composite; at most %(most)s are read",
            n=len(everything),
            most=MAX_COMPONENTS,
        )
    issuer_id = id_of(document.get("issuer"))
    holder = subject.get("id")
    return ClrBundle(
        id=document["id"] if isinstance(document.get("id"), str) else None,
        issuer_id=issuer_id,
        holder_id=holder if isinstance(holder, str) else None,
        name=text_of(document.get("name")),
        credentials=tuple(held),
        composite=held[composite_at] if composite_at is not None else None,
        composite_ref=refs[composite_at] if composite_at is not None else None,
        components=tuple(c for i, c in enumerate(everything) if i != composite_at),
        achievements=achievements,
        associations=associations,
    )


def _composite_index(
    components: Sequence[Component], refs: Sequence[CompositeRef | None], associations: Sequence[Association]
) -> int | None:
    """Which credential is the composite: of those naming a pathway, the one whose achievement is a parent and no
    child (a composite may itself be a component of a larger one), else the only one."""
    candidates = [i for i, ref in enumerate(refs) if ref is not None]
    parents = {a.source_id for a in associations if a.association_type == PARENT}
    children = {a.target_id for a in associations if a.association_type == PARENT}
    top = [i for i in candidates if components[i].achievement_id in parents - children]
    if len(top) == 1:
        return top[0]
    return candidates[0] if len(candidates) == 1 else None
