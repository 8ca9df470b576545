"""The components of a composite (pathway) credential in its European Digital Credential: ELM ``hasPart``.

A composite's Open Badges 3.0 credential names its components (:mod:`cairn.formats.composite`: ``evidence`` with
the component's credential id, its achievement as ``name`` and who awarded it in ``description``;
``relatedResource`` with its digest). :func:`with_parts` adds one ``LearningAchievement`` per component to the
EDC's claim (``credentialSubject.hasClaim.hasPart``), each with what the EDC shapes require of one: a ``title`` and
one ``awardedBy`` AwardingProcess with an ``awardingBody``.

- A component that is an award of this instance (:class:`LocalPart`: the export service found it by credential id
  and its stored credential has the digest the composite pins) says what Cairn knows: the title of its achievement,
  its awarding date, and its issuing organisation as an ELM ``Organisation`` (the same node as the EDC's issuer
  when that organisation issued both).
- Any other component says only what the composite says: the evidence ``name`` as its title (else the credential
  id) and the awarder as an ELM ``Agent`` (the least an awarding body can be in the shapes: an ``Organisation``
  must have a location with a country, which the composite does not state), named by its identifier with the name
  the composite gives as ``prefLabel``; no awarding date.

Each part has the component's credential id as an ``identifier`` (schemeName "Open Badges 3.0 credential", as the
EDC's own). No ``isPartOf`` is set: it would only repeat ``hasPart`` backwards. Pure: nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.formats import annex
from cairn.formats.composite import ComponentRef, read_composite, text_of
from cairn.formats.edc import Ids, organisation_node, text_map
from cairn.model.definitions import Organisation
from cairn.vc.values import as_list

__all__ = ["LocalPart", "awarders_of", "with_parts"]

_AWARDED_BY: Final = ", awarded by "
_COMPONENT_OF: Final = ": a component of "


@dataclass(frozen=True, slots=True)
class LocalPart:
    """A component that is an award of this instance: its Open Badges credential, its issuer's identifier (the
    organisation's DID) and the organisation (None: read from the credential's issuer profile)."""

    credential: Mapping[str, Any]
    issuer_id: str
    organisation: Organisation | None = None


def awarders_of(composite: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Credential id -> (awarder's name, awarder's identifier) as the composite's evidence states them
    (``"<name>, awarded by <name> (<id>): a component of …"``; either may be ``""`` when not stated)."""
    out: dict[str, tuple[str, str]] = {}
    for item in as_list(composite.get("evidence")):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            continue
        name, said = text_of(item.get("name")) or "", text_of(item.get("description")) or ""
        lead = f"{name}{_AWARDED_BY}"
        if not name or not said.startswith(lead) or _COMPONENT_OF not in said:
            continue
        awarder = said[len(lead) :].rsplit(_COMPONENT_OF, 1)[0].strip()
        if awarder.endswith(")") and " (" in awarder:
            who, ident = awarder[:-1].rsplit(" (", 1)
            out[item["id"]] = (who.strip(), ident.strip())
        elif awarder and not any(ch.isspace() for ch in awarder) and ":" in awarder:
            out[item["id"]] = (awarder, awarder)  # the name is the identifier
        elif awarder:
            out[item["id"]] = (awarder, "")
    return out


def _iri(value: str) -> bool:
    return ":" in value and not any(ch.isspace() for ch in value) and len(value) <= 2048


class _Parts:
    """Builds the parts of one document, one awarding-body node per identifier."""

    def __init__(self, ids: Ids, issuer: Mapping[str, Any], language: str) -> None:
        self.ids, self.language = ids, language
        self.bodies: dict[str, dict[str, Any]] = {}
        if isinstance(issuer.get("id"), str):
            self.bodies[issuer["id"]] = dict(issuer)

    def _identifier(self, credential_id: str) -> dict[str, Any]:
        return {
            "id": self.ids("identifier"),
            "type": "Identifier",
            "schemeName": "Open Badges 3.0 credential",
            "notation": credential_id,
        }

    def _part(self, ref: ComponentRef, title: Mapping[str, str], body: dict[str, Any], date: str) -> dict[str, Any]:
        process: dict[str, Any] = {"id": self.ids("awardingProcess"), "type": "AwardingProcess", "awardingBody": body}
        if date:
            process["awardingDate"] = date
        return {
            "id": self.ids("learningAchievement"),
            "type": "LearningAchievement",
            "title": dict(title) or {self.language: ref.credential_id},
            "identifier": self._identifier(ref.credential_id),
            "awardedBy": process,
        }

    def local(self, ref: ComponentRef, part: LocalPart) -> dict[str, Any]:
        credential = part.credential
        achievement = annex.achievement_of(credential)
        title = annex.editions(achievement, "name") or text_map(annex._str(credential.get("name")), self.language)
        date = annex._str(credential.get("awardedDate")) or annex._str(credential.get("validFrom"))
        return self._part(ref, title or text_map(ref.name, self.language), self._organisation(part), date)

    def _organisation(self, part: LocalPart) -> dict[str, Any]:
        known = self.bodies.get(part.issuer_id)
        if known is not None:
            return known
        org = part.organisation
        if org is not None:
            node = organisation_node(
                self.ids,
                node_id=part.issuer_id,
                names=org.legal_name,
                country=org.country,
                url=org.website,
                registration=org.registration.identifier,
                scheme=org.registration.scheme or "",
                region=org.region or "",
            )
        else:  # no catalogue entry: the credential's issuer profile
            issuer = part.credential.get("issuer")
            profile = issuer if isinstance(issuer, Mapping) else {}
            address = profile.get("address")
            country = annex._str(address.get("addressCountryCode")) if isinstance(address, Mapping) else ""
            name = annex._str(profile.get("name"))
            node = organisation_node(
                self.ids, node_id=part.issuer_id, names=text_map(name, self.language), country=country
            )
            if "location" not in node:  # an Organisation needs a location: without a country, only its name
                node = self._agent(part.issuer_id, name)
        self.bodies[part.issuer_id] = node
        return node

    def _agent(self, ident: str, name: str) -> dict[str, Any]:
        node: dict[str, Any] = {"id": ident if _iri(ident) else self.ids("agent"), "type": "Agent"}
        if name:
            node["prefLabel"] = {self.language: name}
        return node

    def foreign(self, ref: ComponentRef, awarder: tuple[str, str]) -> dict[str, Any]:
        name, ident = awarder
        body = self.bodies.get(ident) if _iri(ident) else None
        if body is None:
            body = self._agent(ident, name)
            if _iri(ident):
                self.bodies[ident] = body
        return self._part(ref, text_map(ref.name, self.language), body, "")


def with_parts(
    edc: Mapping[str, Any],
    composite: Mapping[str, Any],
    *,
    local: Mapping[str, LocalPart],
    language: str = "en",
) -> dict[str, Any]:
    """``edc`` (what :func:`cairn.formats.edc.build_edc` made of ``composite``) with the composite's components as
    ``credentialSubject.hasClaim.hasPart``; ``local``: credential id -> :class:`LocalPart` for the components that
    are awards of this instance. A credential that is no composite (or names no component) is returned as it is."""
    try:
        ref = read_composite(composite)
    except CredentialError:
        ref = None  # more components than a composite may name: none is said
    person = edc.get("credentialSubject")
    claim = person.get("hasClaim") if isinstance(person, Mapping) else None
    if ref is None or not ref.components or not isinstance(person, Mapping) or not isinstance(claim, Mapping):
        return dict(edc)
    issuer = edc.get("issuer")
    builder = _Parts(Ids(f"{edc.get('id')}#parts"), issuer if isinstance(issuer, Mapping) else {}, language)
    awarders = awarders_of(composite)
    parts = [
        builder.local(c, local[c.credential_id])
        if c.credential_id in local
        else builder.foreign(c, awarders.get(c.credential_id, ("", "")))
        for c in ref.components
    ]
    return {**edc, "credentialSubject": {**person, "hasClaim": {**claim, "hasPart": parts}}}
