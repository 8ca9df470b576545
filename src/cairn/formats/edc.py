"""An award as a European Digital Credential (ELM 3 / EDC application profile 1.2.0), every Annex I element mapped.

:func:`build_edc` turns the award's Open Badges 3.0 credential (what Cairn issued and signed, read through
:func:`cairn.formats.annex.read_annex`) and the issuing organisation into an unsigned
``europass:EuropeanDigitalCredential``: VCDM 1.1 (``@context`` ``https://www.w3.org/2018/credentials/v1`` and
``http://data.europa.eu/snb/model/context/edc-ap``, both bundled in ``cairn/vc/contexts``), shaped like the EU's own
micro-credential sample (``Sample-MC-Annex1``): ``credentialSubject`` (Person) ``.hasClaim`` (LearningAchievement)
``.specifiedBy`` (Qualification, the ELM subclass of LearningAchievementSpecification that carries the EQF
level), ``.awardedBy.awardingBody`` and ``.provenBy`` (LearningAssessment). docs/edc.md has the table of every
Annex I element and where it goes. It conforms to the EDC SHACL shapes Cairn checks
(:mod:`cairn.vc.formats.elm_shacl`); :mod:`cairn.formats.elm_catalogue` exports definitions (learning
opportunities) with the same specification builder (:func:`specification`).

Where the EU vocabularies name a concept Cairn uses (EQF levels, ISCED-F fields, ECTS, languages, countries,
"Online" and "Blended" learning, "Unsupervised without ID verification") its IRI is used; Cairn's other codes are
concepts in Cairn's own schemes (``urn:cairn:vocabulary:...``), never made-up EU IRIs. Pure: nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cairn.formats import annex
from cairn.formats.badges import badge_png, default_design
from cairn.model.definitions import Organisation
from cairn.model.types import pick
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)

__all__ = [
    "EDC_CONTEXT",
    "EDC_CONTEXTS",
    "EDC_SCHEMA",
    "VC1_CONTEXT",
    "Ids",
    "SpecificationText",
    "build_edc",
    "concept",
    "language_concept",
    "organisation_node",
    "specification",
    "text_map",
]

VC1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
EDC_CONTEXT: Final = "http://data.europa.eu/snb/model/context/edc-ap"
EDC_CONTEXTS: Final = (VC1_CONTEXT, EDC_CONTEXT)
EDC_SCHEMA: Final = "http://data.europa.eu/snb/model/ap/edc-generic-full"
_SNB: Final = "http://data.europa.eu/snb"
_AUTHORITY: Final = "http://publications.europa.eu/resource/authority"
GENERIC_PROFILE: Final = f"{_SNB}/credential/e34929035b"
"""The EDC credential profile "Generic" (what the EU's own micro-credential sample uses; EDC 3.2 has no
micro-credential profile concept)."""
ECTS: Final = f"{_SNB}/education-credit/6fcec5c5af"
_MODES: Final = {
    "online": f"{_SNB}/learning-assessment/920fbb3cbe",
    "blended": f"{_SNB}/learning-assessment/e92d221e4d",
}
_MODE_LABELS: Final = {"online": "Online", "blended": "Blended"}
_UNSUPERVISED: Final = f"{_SNB}/supervision-verification/c598449d64"
SHORT_LEARNING_PROGRAMME: Final = f"{_SNB}/learning-opportunity/74a4a268e8"

# ISO 639-1 -> the EU language authority table (ISO 639-2/B-like codes the Publications Office uses).
LANGUAGES: Final = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA", "et": "EST",
    "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA", "lt": "LIT", "lv": "LAV",
    "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON", "sk": "SLK", "sl": "SLV", "sv": "SWE",
    "is": "ISL", "no": "NOR", "nb": "NOB", "nn": "NNO", "uk": "UKR", "ru": "RUS", "tr": "TUR", "sq": "SQI",
    "mk": "MKD", "sr": "SRP", "bs": "BOS", "ca": "CAT", "eu": "EUS", "gl": "GLG", "lb": "LTZ",
}  # fmt: skip
_LANGUAGE_NAMES: Final = {"en": "English", "pl": "Polish", "de": "German", "fr": "French", "es": "Spanish"}
# ISO 3166-1 alpha-2 -> alpha-3 (the EU country authority table's codes), Europe and the EHEA.
COUNTRIES: Final = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK", "EE": "EST",
    "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "EL": "GRC", "HU": "HUN", "IE": "IRL", "IT": "ITA",
    "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "NL": "NLD", "PL": "POL", "PT": "PRT", "RO": "ROU",
    "SK": "SVK", "SI": "SVN", "ES": "ESP", "SE": "SWE", "IS": "ISL", "LI": "LIE", "NO": "NOR", "CH": "CHE",
    "GB": "GBR", "UK": "GBR", "UA": "UKR", "RS": "SRB", "ME": "MNE", "MK": "MKD", "AL": "ALB", "BA": "BIH",
    "TR": "TUR", "MD": "MDA", "GE": "GEO", "AM": "ARM", "AZ": "AZE", "US": "USA", "CA": "CAN",
}  # fmt: skip
_ANNEX_SUBJECTS: Final = {
    "participation": "Form of participation in the learning activity",
    "schedule": "Participation schedule",
    "quality-assurance": "Type of quality assurance used",
    "level": "Level of the learning experience",
    "stackability": "Integration and stackability options",
    "further-information": "Further information",
    "grading": "Grading scheme",
}


class Ids:
    """Identifiers for the nodes of one document: ``urn:epass:KIND:BASE-N`` as the EDC issuer names them, unique
    per document (``base`` is a hash of what the document describes)."""

    def __init__(self, base: str) -> None:
        self.base = hashlib.sha256(base.encode("utf-8")).hexdigest()[:16]
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"urn:epass:{kind}:{self.base}-{self.counts[kind]}"


def text_map(texts: Mapping[str, str] | str | None, lang: str = "en") -> dict[str, str]:
    """An ELM language map (``{"en": "..."}``) from a multilingual text or a plain string (in ``lang``)."""
    if isinstance(texts, str):
        return {lang: texts} if texts.strip() else {}
    return {k.split("-")[0].lower(): v for k, v in (texts or {}).items() if isinstance(v, str) and v.strip()}


def concept(iri: str, scheme: str, label: Mapping[str, str] | str, *, notation: str | None = None) -> dict[str, Any]:
    """A skos:Concept of ``scheme`` with its preferred label."""
    node: dict[str, Any] = {
        "id": iri,
        "type": "Concept",
        "inScheme": {"id": scheme, "type": "ConceptScheme"},
        "prefLabel": text_map(label) or {"en": iri.rsplit("/", 1)[-1]},
    }
    if notation:
        node["notation"] = notation
    return node


def _cairn_concept(vocabulary: str, code: str, labels: Callable[[str, str], str]) -> dict[str, Any]:
    """A concept of Cairn's own vocabulary (no EU concept exists for it): ``urn:cairn:vocabulary:NAME:CODE``."""
    return concept(
        f"urn:cairn:vocabulary:{vocabulary}:{code}",
        f"urn:cairn:vocabulary:{vocabulary}",
        {lang: labels(code, lang) for lang in ("en", "pl")},
    )


def language_concept(tag: str) -> dict[str, Any] | None:
    """The EU language authority concept of a BCP 47 tag (``en`` -> ``.../language/ENG``), None if unknown."""
    code = LANGUAGES.get(tag.split("-")[0].lower())
    if code is None:
        return None
    name = _LANGUAGE_NAMES.get(tag.split("-")[0].lower(), code)
    return concept(f"{_AUTHORITY}/language/{code}", f"{_AUTHORITY}/language", {"en": name}, notation="language")


def country_concept(code: str) -> dict[str, Any] | None:
    """The EU country authority concept of an ISO 3166-1 alpha-2 code (``PL`` -> ``.../country/POL``)."""
    alpha3 = COUNTRIES.get(code.split("-")[0].upper())
    if alpha3 is None:
        return None
    return concept(f"{_AUTHORITY}/country/{alpha3}", f"{_AUTHORITY}/country", {"en": alpha3}, notation="country")


def note(ids: Ids, texts: Mapping[str, str], subject: str | None = None) -> dict[str, Any]:
    """An ELM Note (free text), with the Annex I element it states as its subject."""
    node: dict[str, Any] = {"id": ids("note"), "type": "Note", "noteLiteral": dict(texts)}
    if subject:
        label = _ANNEX_SUBJECTS[subject]
        node["subject"] = concept(f"urn:cairn:annex-i:{subject}", "urn:cairn:annex-i", {"en": label})
    return node


def _web(ids: Ids, url: str) -> dict[str, Any]:
    return {"id": ids("webResource"), "type": "WebResource", "contentURL": url}


def organisation_node(
    ids: Ids, *, node_id: str, names: Mapping[str, str], country: str, url: str = "", registration: str = "",
    scheme: str = "", region: str = "", legal_identifier: str = "",
) -> dict[str, Any]:  # fmt: skip
    """An ELM Organisation: legal name, location (country code), registration (legal identifier), homepage;
    ``legal_identifier`` (an issuer's: EDC requires one) is its eIDAS identifier, as its seal certificate's
    ``organizationIdentifier`` writes it (``VATPL-...``)."""
    org: dict[str, Any] = {"id": node_id, "type": "Organisation", "legalName": text_map(names) or {"en": node_id}}
    place = country_concept(country)
    if place is not None:
        address: dict[str, Any] = {"id": ids("address"), "type": "Address", "countryCode": place}
        if region:
            address["fullAddress"] = note(ids, {"en": region})
        org["location"] = {"id": ids("location"), "type": "Location", "address": address}
    if registration:
        legal: dict[str, Any] = {"id": ids("legalIdentifier"), "type": "LegalIdentifier", "notation": registration}
        if scheme:
            legal["schemeName"] = scheme
        if place is not None:
            legal["spatial"] = place
        org["registration"] = legal
    if legal_identifier:
        eidas: dict[str, Any] = {"id": ids("legalIdentifier"), "type": "LegalIdentifier", "notation": legal_identifier}
        if place is not None:
            eidas["spatial"] = place
        org["eIDASIdentifier"] = eidas
    if url:
        org["homepage"] = _web(ids, url)
    return org


def _issuer(
    ids: Ids, did: str, organisation: Organisation | None, credential: Mapping[str, Any], legal: str
) -> dict[str, Any]:
    if organisation is not None:
        return organisation_node(
            ids,
            node_id=did,
            names=organisation.legal_name,
            country=organisation.country,
            url=organisation.website,
            registration=organisation.registration.identifier,
            scheme=organisation.registration.scheme or "",
            region=organisation.region or "",
            legal_identifier=legal or organisation.registration.identifier,
        )
    issuer = credential.get("issuer")
    profile = issuer if isinstance(issuer, Mapping) else {}
    address = profile.get("address") if isinstance(profile.get("address"), Mapping) else {}
    assert isinstance(address, Mapping)
    other = [o for o in annex._list(profile.get("otherIdentifier")) if isinstance(o, Mapping)]
    registration = annex._str(other[0].get("identifier")) if other else ""
    return organisation_node(
        ids,
        node_id=did,
        names=text_map(annex._str(profile.get("name"))),
        country=annex._str(address.get("addressCountryCode")),
        url=annex._str(profile.get("url")),
        registration=registration,
        region=annex._str(address.get("addressRegion")),
        legal_identifier=legal or registration or did,
    )


@dataclass(frozen=True)
class SpecificationText:
    """What a specification says beyond the Annex: title, description, page, and ESCO labels (URI -> label)."""

    title: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    skill_labels: Mapping[str, str] = field(default_factory=dict)


def _label(vocabulary: Any, code: str) -> dict[str, str]:
    return {lang: vocabulary.label(code, lang) for lang in ("en", "pl")}


def specification(
    ids: Ids, data: annex.Annex, text: SpecificationText, *, node_id: str | None = None, qualification: bool = True
) -> dict[str, Any]:
    """The ELM Qualification (a LearningAchievementSpecification with levels) of a micro-credential; with
    ``qualification`` False a plain LearningAchievementSpecification (the learning-opportunity profile's, where
    the EQF level is its ``educationLevel``)."""
    spec: dict[str, Any] = {
        "id": node_id or ids("qualification" if qualification else "learningAchievementSpec"),
        "type": "Qualification" if qualification else "LearningAchievementSpecification",
        "title": text_map(text.title),
        "dcType": concept(SHORT_LEARNING_PROGRAMME, f"{_SNB}/learning-opportunity/25831c2", "Short learning programme"),
    }
    if text.description:
        spec["description"] = text_map(text.description)
    if text.url:
        spec["homepage"] = _web(ids, text.url)
    outcomes = []
    for item in data.outcomes:
        outcome: dict[str, Any] = {
            "id": ids("learningOutcome"),
            "type": "LearningOutcome",
            "title": {"en": item.statement},
        }
        if item.skills:
            outcome["relatedESCOSkill"] = [
                concept(uri, "http://data.europa.eu/esco/concept-scheme/skills", text.skill_labels.get(uri) or uri)
                for uri in item.skills
            ]
        outcomes.append(outcome)
    if outcomes:
        spec["learningOutcome"] = outcomes
    if data.volume:
        spec["volumeOfLearning"] = data.volume
    if data.ects is not None:
        points = f"{data.ects:g}"
        spec["creditPoint"] = {
            "id": ids("creditPoint"),
            "type": "CreditPoint",
            "framework": concept(ECTS, f"{_SNB}/education-credit/25831c2", "European Credit Transfer System"),
            "point": points,
        }
    if data.eqf is not None:
        spec["eqfLevel" if qualification else "educationLevel"] = concept(
            f"{_SNB}/eqf/{data.eqf}", f"{_SNB}/eqf/25831c2", f"Level {data.eqf}"
        )
    if data.isced:
        spec["thematicArea"] = concept(f"{_SNB}/isced-f/{data.isced}", f"{_SNB}/isced-f/25831c2", data.isced)
    languages = [c for c in (language_concept(tag) for tag in data.languages) if c is not None]
    if languages:
        spec["language"] = languages
    if data.participation_mode:
        if data.participation_mode in _MODES:
            spec["mode"] = concept(
                _MODES[data.participation_mode],
                f"{_SNB}/learning-assessment/25831c2",
                _MODE_LABELS[data.participation_mode],
            )
        else:
            spec["mode"] = _cairn_concept("participation-form", data.participation_mode, PARTICIPATION_FORMS.label)
    if data.prerequisites:
        spec["entryRequirement"] = note(ids, {"en": data.prerequisites})
    if qualification:
        spec["isPartialQualification"] = data.stackability == "stackable"
    notes = _notes(ids, data)
    if notes:
        spec["additionalNote"] = notes
    if data.towards:
        spec["isPartOf"] = [
            {
                "id": t.url if t.url.startswith(("http://", "https://")) else ids("qualification"),
                "type": "Qualification" if qualification else "LearningAchievementSpecification",
                "title": {"en": t.title or t.identifier},
            }
            for t in data.towards
        ]
    return spec


def _notes(ids: Ids, data: annex.Annex) -> list[dict[str, Any]]:
    """Annex I elements ELM has no property for (or whose EU concepts do not exist): Notes naming the element."""
    notes: list[dict[str, Any]] = []
    participation = [PARTICIPATION_FORMS.label(data.participation_mode)] if data.participation_mode else []
    if data.participation_schedule:
        participation.append(SCHEDULES.label(data.participation_schedule))
    if data.participation_description:
        participation.append(data.participation_description)
    if participation:
        notes.append(note(ids, {"en": "; ".join(participation)}, "participation"))
    quality = [QUALITY_ASSURANCE_TYPES.label(code) for code in data.quality_assurance_types]
    quality += [x for x in (data.quality_assurance_body, data.quality_assurance_description) if x]
    if data.quality_assurance_url:
        quality.append(data.quality_assurance_url)
    if quality:
        notes.append(note(ids, {"en": "; ".join(quality)}, "quality-assurance"))
    levels = []
    if data.qf_ehea:
        levels.append(f"QF-EHEA: {QF_EHEA_CYCLES.label(data.qf_ehea)}")
    if data.nqf_level is not None:
        levels.append(f"National qualifications framework ({data.nqf_framework or 'national'}): level {data.nqf_level}")
    if data.level_not_applicable:
        levels.append("No level of a qualifications framework applies")
    if levels:
        notes.append(note(ids, {"en": "; ".join(levels)}, "level"))
    stack = [STACKABILITY.label(data.stackability)] if data.stackability else []
    stack += [f"towards {t.title or t.identifier}" for t in data.towards]
    if stack:
        notes.append(note(ids, {"en": "; ".join(stack)}, "stackability"))
    if data.further_information:
        notes.append(note(ids, {"en": data.further_information}, "further-information"))
    return notes


def assessment_specification(ids: Ids, data: annex.Annex) -> dict[str, Any]:
    """The LearningAssessmentSpecification: the type(s) of assessment (Annex I element 9)."""
    types = data.assessment_types or ("assessment",)
    title = "; ".join(ASSESSMENT_TYPES.label(code) for code in types)
    spec: dict[str, Any] = {
        "id": ids("learningAssessmentSpec"),
        "type": "LearningAssessmentSpecification",
        "title": {"en": title},
    }
    if data.assessment_types:  # one type per specification in ELM: the first; the title names them all
        spec["dcType"] = _cairn_concept("assessment-type", data.assessment_types[0], ASSESSMENT_TYPES.label)
    if data.assessment_description:
        spec["description"] = {"en": data.assessment_description}
    if data.grading_scheme:
        spec["gradingScheme"] = {
            "id": ids("gradingScheme"),
            "type": "GradingScheme",
            "title": {"en": data.grading_scheme},
        }
    return spec


def _supervision(code: str) -> dict[str, Any]:
    if code == "unsupervised-no-id":
        return concept(
            _UNSUPERVISED, f"{_SNB}/supervision-verification/25831c2", "Unsupervised without ID Verification"
        )
    return _cairn_concept("supervision", code, SUPERVISION.label)


def _iso(value: Any) -> str:
    return value if isinstance(value, str) else ""


def build_edc(
    credential: Mapping[str, Any],
    *,
    credential_id: str,
    issuer_id: str,
    organisation: Organisation | None = None,
    awarders: Sequence[dict[str, Any]] = (),
    language: str = "en",
    skill_labels: Mapping[str, str] | None = None,
    legal_identifier: str = "",
    image: bytes | None = None,
) -> dict[str, Any]:
    """The award's Open Badges 3.0 ``credential`` as an unsigned European Digital Credential.

    ``credential_id``: the EDC's id (a URI); ``issuer_id``: the organisation's identifier (its DID);
    ``organisation``: the issuing organisation (legal name, country, registration, website; read from the
    credential's issuer profile when None); ``awarders``: ELM Organisation nodes of the joint awarding bodies;
    ``skill_labels``: ESCO URI -> preferred label (else the alignment's name); ``legal_identifier``: the issuer's
    eIDAS legal identifier (its seal certificate's ``organizationIdentifier``; default: its registration number);
    ``image``: the PNG the EDC viewer shows (default: the badge, generated).
    """
    ids = Ids(credential_id)
    data = annex.read_annex(credential)
    achievement = annex.achievement_of(credential)
    subject = annex.subject_of(credential)
    labels = dict(skill_labels or {})
    for item in annex.alignments(achievement, annex.ESCO_SKILL):
        uri, name = annex._str(item.get("targetUrl")), annex._str(item.get("targetName"))
        if uri and name:
            labels.setdefault(uri, name)
    title = annex.editions(achievement, "name") or text_map(annex._str(credential.get("name")), language)
    description = annex.editions(achievement, "description")
    url = annex._str(achievement.get("id")) if annex._str(achievement.get("id")).startswith("http") else ""
    text = SpecificationText(title=title, description=description, url=url, skill_labels=labels)
    issuer = _issuer(ids, issuer_id, organisation, credential, legal_identifier)
    spec = specification(ids, data, text)
    assessment: dict[str, Any] = {
        "id": ids("learningAssessment"),
        "type": "LearningAssessment",
        "title": {"en": spec_title(title, language)},
        "specifiedBy": assessment_specification(ids, data),
    }
    awarding_process: dict[str, Any] = {"id": ids("awardingProcess"), "type": "AwardingProcess"}
    assessment["awardedBy"] = awarding_process
    # EDC requires a grade: the one awarded, else "passed" (an award says the learner passed the assessment)
    assessment["grade"] = note(ids, {"en": data.grade} if data.grade else {"en": "Passed", "pl": "Zaliczone"})
    if data.supervision:
        assessment["idVerification"] = _supervision(data.supervision)
    joint = list(awarders) or [
        organisation_node(ids, node_id=a.id, names={language: a.name or a.id}, country=a.place[:2], url=a.url)
        for a in data.awarders
    ]
    bodies = [issuer, *joint]
    issued = _iso(credential.get("awardedDate")) or _iso(credential.get("validFrom"))
    claim: dict[str, Any] = {
        "id": ids("learningAchievement"),
        "type": "LearningAchievement",
        "title": text_map(title),
        "awardedBy": awarding_process,
        "provenBy": assessment,
        "specifiedBy": spec,
    }
    awarding_process["awardingBody"] = bodies if len(bodies) > 1 else bodies[0]
    if issued:
        awarding_process["awardingDate"] = issued
    if description:
        claim["description"] = text_map(description)
    person: dict[str, Any] = {"id": _person_id(subject, ids), "type": "Person", "hasClaim": claim}
    name = _learner_name(subject)
    if name:
        person["fullName"] = {language: name}
    identifiers = _learner_identifiers(ids, subject)
    if identifiers:
        person["identifier"] = identifiers
    edc: dict[str, Any] = {
        "@context": list(EDC_CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": concept(GENERIC_PROFILE, f"{_SNB}/credential/25831c2", "Generic"),
        "credentialSchema": {"id": EDC_SCHEMA, "type": "ShaclValidator2017"},
        "displayParameter": _display(ids, title, language, image or _badge(title, issuer, language)),
        "issuer": issuer,
        "credentialSubject": person,
    }
    if issued:
        edc["validFrom"] = issued
        edc["issued"] = issued
        edc["issuanceDate"] = issued
    until = _iso(credential.get("validUntil"))
    if until:
        edc["expirationDate"] = until
    source = annex._str(credential.get("id"))
    if source:
        edc["identifier"] = {
            "id": ids("identifier"),
            "type": "Identifier",
            "schemeName": "Open Badges 3.0 credential",
            "notation": source,
        }
    return edc


def spec_title(title: Mapping[str, str], language: str) -> str:
    """The title in ``language`` (or the best other)."""
    return pick(title, language)[1]


def _person_id(subject: Mapping[str, Any], ids: Ids) -> str:
    did = annex._str(subject.get("id"))
    return did if did.startswith("did:") else ids("person")


def _learner_name(subject: Mapping[str, Any]) -> str:
    for item in annex._list(subject.get("identifier")):
        if isinstance(item, Mapping) and item.get("identityType") == "name" and item.get("hashed") is False:
            return annex._str(item.get("identityHash"))
    return ""


def _learner_identifiers(ids: Ids, subject: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The learner's salted email hash, as the Open Badges credential states it (Cairn keeps no email in clear)."""
    out = []
    for item in annex._list(subject.get("identifier")):
        if isinstance(item, Mapping) and item.get("identityType") == "emailAddress" and item.get("hashed") is True:
            out.append(
                {
                    "id": ids("identifier"),
                    "type": "Identifier",
                    "schemeName": f"salted SHA-256 of the email address (salt {annex._str(item.get('salt'))})",
                    "notation": annex._str(item.get("identityHash")),
                }
            )
    return out


def _badge(title: Mapping[str, str], issuer: Mapping[str, Any], language: str) -> bytes:
    colour, shape = default_design(spec_title(title, language))
    name = spec_title(issuer.get("legalName") or {}, language)
    return badge_png(title=spec_title(title, language), issuer=name, colour=colour, shape=shape, size=256)


def _display(ids: Ids, title: Mapping[str, str], language: str, image: bytes) -> dict[str, Any]:
    """The DisplayParameter EDC requires: title, languages, one individual display with its image (a PNG)."""
    lang = language_concept(language) or language_concept("en")
    assert lang is not None
    return {
        "id": ids("displayParameter"),
        "type": "DisplayParameter",
        "title": text_map(title),
        "primaryLanguage": lang,
        "language": lang,
        "individualDisplay": {
            "id": ids("individualDisplay"),
            "type": "IndividualDisplay",
            "language": lang,
            "displayDetail": {
                "id": ids("displayDetail"),
                "type": "DisplayDetail",
                "image": {
                    "id": ids("mediaObject"),
                    "type": "MediaObject",
                    "content": base64.b64encode(image).decode("ascii"),
                    "contentEncoding": concept(f"{_SNB}/encoding/6146cde7dd", f"{_SNB}/encoding/25831c2", "base64"),
                    "contentType": concept(
                        f"{_AUTHORITY}/file-type/PNG", f"{_AUTHORITY}/file-type", "PNG", notation="file-type"
                    ),
                },
                "page": 1,
            },
        },
    }
