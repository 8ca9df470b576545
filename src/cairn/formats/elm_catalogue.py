"""Published micro-credentials as ELM learning opportunities: what Europass's Qualification Dataset Register takes.

The QDR takes datasets in ELM, in the Learning Opportunities and Qualifications (LOQ) application profile. Each
definition becomes an ELM ``LearningOpportunity`` (its page, its provider, its default language, its mode of
learning) whose ``learningAchievementSpecification`` is a ``LearningAchievementSpecification`` with the Annex I
elements (:func:`cairn.formats.edc.specification`: title, description, learning outcomes with ESCO skills, volume
of learning, ECTS credit points, the EQF level as ``educationLevel``, ISCED-F, languages, mode, prerequisites, and
Notes for what ELM has no property for). The shapes of the LOQ profile (``LOQ-constraints.ttl``, ELM 3.2 LTS,
bundled in ``cairn/vc/shapes``) check it (:func:`cairn.vc.formats.elm_shacl.check_loq_shapes`).

A document is JSON-LD with the contexts of the EU's samples (VCDM 1.1 and the EDC application profile's, which
defines every ELM term but ``defaultLanguage``, written as its full IRI) and an ``@graph`` of learning
opportunities. Pure: URLs are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from cairn.formats import annex
from cairn.formats.edc import (
    EDC_CONTEXTS,
    Ids,
    SpecificationText,
    language_concept,
    organisation_node,
    specification,
    text_map,
)
from cairn.model.definitions import MicroCredentialDefinition, Organisation

__all__ = ["CATALOGUE_CONTEXT", "annex_of", "catalogue_document", "learning_opportunity"]

CATALOGUE_CONTEXT: Final = EDC_CONTEXTS
"""The contexts of the EU's samples: VCDM 1.1 (for ``id`` and ``type``) and the EDC application profile's."""
DEFAULT_LANGUAGE: Final = "http://data.europa.eu/snb/model/elm/defaultLanguage"
"""A LearningOpportunity's default language: the EDC context has no term for it, so its full IRI is the key."""


def annex_of(definition: MicroCredentialDefinition, lang: str | None = None) -> annex.Annex:
    """The Annex I elements of a definition, as :func:`cairn.formats.annex.read_annex` reads them from an award."""
    language = lang or next(iter(definition.title))

    def text(value: Mapping[str, str] | None) -> str:
        if not value:
            return ""
        return value.get(language) or value.get("en") or next(iter(value.values()))

    level, workload = definition.level, definition.workload
    return annex.Annex(
        outcomes=tuple(annex.Outcome(text(o.text), tuple(o.esco_skills)) for o in definition.learning_outcomes),
        skills=tuple(s for o in definition.learning_outcomes for s in o.esco_skills),
        ects=workload.ects,
        volume=f"PT{workload.hours}H" if workload.hours else "",
        eqf=level.eqf,
        qf_ehea=level.qf_ehea or "",
        nqf_framework=level.nqf.framework if level.nqf else "",
        nqf_level=level.nqf.level if level.nqf else None,
        level_not_applicable=level.not_applicable,
        assessment_types=tuple(definition.assessment.types),
        assessment_description=text(definition.assessment.description),
        participation_mode=definition.participation.mode,
        participation_schedule=definition.participation.schedule or "",
        participation_description=text(definition.participation.description),
        quality_assurance_types=tuple(definition.quality_assurance.types),
        quality_assurance_body=definition.quality_assurance.body or "",
        quality_assurance_description=text(definition.quality_assurance.description),
        quality_assurance_url=definition.quality_assurance.url or "",
        prerequisites=text(definition.prerequisites),
        supervision=definition.supervision or "",
        grading_scheme=text(definition.grading),
        stackability=definition.integration.stackability,
        towards=tuple(
            annex.Target(text(t.title), t.identifier or "", t.url or "") for t in definition.integration.towards
        ),
        further_information=text(definition.further_information),
        languages=tuple(definition.languages),
        isced=definition.isced_f or "",
    )


def _organisation(ids: Ids, organisation: Organisation, node_id: str) -> dict[str, Any]:
    return organisation_node(
        ids,
        node_id=node_id,
        names=organisation.legal_name,
        country=organisation.country,
        url=organisation.website,
        registration=organisation.registration.identifier,
        scheme=organisation.registration.scheme or "",
        region=organisation.region or "",
    )


def learning_opportunity(
    definition: MicroCredentialDefinition,
    organisations: Sequence[Organisation],
    *,
    page_url: str,
    specification_id: str,
    organisation_ids: Mapping[str, str],
    skill_labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A published definition as an ELM LearningOpportunity (LOQ profile).

    ``page_url``: its page in the catalogue (the opportunity's id and homepage); ``specification_id``: its
    specification's id (the versioned achievement id Cairn's awards name); ``organisation_ids``: organisation id ->
    identifier (DID); ``organisations``: its awarding bodies, the provider first.
    """
    ids = Ids(page_url)
    data = annex_of(definition)
    text = SpecificationText(
        title=definition.title,
        description=definition.description or {},
        url=definition.url or page_url,
        skill_labels=skill_labels or {},
    )
    spec = specification(ids, data, text, node_id=specification_id, qualification=False)
    if "language" not in spec:  # the profile requires one: the languages the definition is written in
        found = [c for c in (language_concept(tag) for tag in definition.title) if c is not None]
        if found:
            spec["language"] = found
    providers = [_organisation(ids, o, organisation_ids[o.id]) for o in organisations]
    default = language_concept(definition.languages[0] if definition.languages else next(iter(definition.title)))
    opportunity: dict[str, Any] = {
        "id": f"{page_url}#learning-opportunity",
        "type": "LearningOpportunity",
        "title": text_map(definition.title),
        "homepage": {"id": ids("webResource"), "type": "WebResource", "contentURL": page_url},
        "providedBy": providers if len(providers) > 1 else providers[0],
        "learningAchievementSpecification": spec,
    }
    if definition.description:
        opportunity["description"] = text_map(definition.description)
    if default is not None:
        opportunity[DEFAULT_LANGUAGE] = default
    if "mode" in spec:
        opportunity["mode"] = spec["mode"]
    return opportunity


def catalogue_document(opportunities: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A JSON-LD document of learning opportunities (``@graph``); paging is said by the HTTP ``Link`` header."""
    return {"@context": list(CATALOGUE_CONTEXT), "@graph": [dict(o) for o in opportunities]}
