"""Open Badges 3.0 credentials for EU micro-credentials: every Annex I element, machine-readable.

:func:`build_credential` turns a definition version, its awarding bodies and an award into an unsigned
``OpenBadgeCredential`` (VCDM 2.0), valid against the 1EdTech JSON Schema. It uses only the contexts every
verifier bundles (``CONTEXTS``: VC 2.0 and Open Badges 3.0), so Digital Bazaar's ``vc``, the DCC's
``verifier-core`` or ``openbadgeslib`` verify it as they are. Open Badges 3.0 terms carry what they can; the
rest are plain names the VC 2.0 context maps through its ``@vocab``
(``https://www.w3.org/ns/credentials/issuer-dependent#``), as docs/credentials.md lists:

==  ==========================================  ====================================================
 #  Annex I element                             where in the credential
==  ==========================================  ====================================================
 1  Identification of the learner               credentialSubject.id (DID) and/or .identifier
                                                (IdentityObject: salted SHA-256 of the email; name)
 2  Title of the micro-credential               achievement.name (and the credential's name)
 3  Country(ies)/Region(s) of the issuer        issuer.address.addressCountryCode / addressRegion
 4  Awarding body(ies)                          issuer (Profile, with otherIdentifier registration),
                                                achievement.creator; awardingBody lists joint awarders
 5  Date of issuing                             validFrom and awardedDate
 6  Learning outcomes                           achievement.alignment[] (ESCO) and learningOutcome[]
                                                (outcomeStatement, relatedESCOSkill)
 7  Notional workload                           achievement.creditsAvailable (ECTS), volumeOfLearning
                                                (ISO 8601 duration of the hours)
 8  Level (and cycle)                           achievement.alignment[] (EQF, EU vocabulary URI);
                                                qfEheaCycle; nqfLevel; levelNotApplicable
 9  Type of assessment                          achievement.assessmentType[], criteria.narrative
10  Form of participation                       achievement.participationMode / participationSchedule
11  Type of quality assurance                   achievement.qualityAssurance
==  ==========================================  ====================================================

Awards issued before issue #12 carried a private context (``CAIRN_CONTEXT``, still bundled so they keep
verifying) with ``eqfLevel``, ``ectsCredits``, ``iscedFieldCode``, ``gradingScheme`` and ``credentialSubject.grade``;
:mod:`cairn.formats.annex` reads both shapes. Pure: the award carries its time; the salt is passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.formats import annex
from cairn.model.awards import Award
from cairn.model.definitions import MicroCredentialDefinition, Organisation
from cairn.model.types import pick
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    EQF_LEVELS,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)

__all__ = [
    "CAIRN_CONTEXT",
    "CONTEXTS",
    "OB3_CONTEXT",
    "VC2_CONTEXT",
    "build_credential",
    "edition_id",
    "identity_hash",
    "iso_hours",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CAIRN_CONTEXT = "https://w3id.org/cairn/contexts/microcredential/v1"
"""The private context of awards issued before issue #12: read and verified, never issued with."""
CONTEXTS = (VC2_CONTEXT, OB3_CONTEXT)
EQF_URI = "http://data.europa.eu/snb/eqf/{level}"
ISCED_F_URI = "http://data.europa.eu/snb/isced-f/{code}"
GRADING_FRAGMENT = "#grading"


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` and the hex SHA-256 of the UTF-8 value with the salt appended."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def iso_hours(hours: int) -> str:
    """An ISO 8601 duration of ``hours`` hours (``PT125H``)."""
    return f"PT{hours}H"


def _iso(award: Award) -> str:
    return award.issued_at.isoformat().replace("+00:00", "Z")


def _profile(org: Organisation, did: str, lang: str) -> dict[str, Any]:
    address: dict[str, Any] = {"type": ["Address"], "addressCountryCode": org.country}
    if org.region:
        address["addressRegion"] = org.region
    identifier_type = "ext:" + "".join(
        ch for ch in (org.registration.scheme or "registration").split(" ")[0] if ch.isalnum()
    )
    return {
        "id": did,
        "type": ["Profile"],
        "name": pick(org.legal_name, lang)[1],
        "url": org.website,
        "address": address,
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": org.registration.identifier, "identifierType": identifier_type}
        ],
    }


def _text(value: Mapping[str, str] | None, lang: str) -> str:
    return pick(value, lang)[1]


def _criteria(definition: MicroCredentialDefinition, lang: str) -> str:
    kinds = ", ".join(ASSESSMENT_TYPES.label(t, lang) for t in definition.assessment.types)
    described = _text(definition.assessment.description, lang)
    return f"{kinds}. {described}" if described else f"Assessed by: {kinds}."


def _align(target_type: str, name: str, url: str, **fields: str | None) -> dict[str, Any]:
    """An ``Alignment`` of the element ``target_type`` (:data:`cairn.formats.annex.ELEMENTS`); empty fields left out."""
    out: dict[str, Any] = {"type": ["Alignment"], "targetType": target_type, "targetName": name, "targetUrl": url}
    out.update({f"target{k[0].upper()}{k[1:]}": v for k, v in fields.items() if v})
    return out


def edition_id(achievement_id: str, tag: str) -> str:
    """The id of the achievement's edition in language ``tag``: its page in that language (``?lang=pl``)."""
    return f"{achievement_id}{'&' if '?' in achievement_id else '?'}lang={tag}"


def _editions(
    definition: MicroCredentialDefinition, *, achievement_id: str, version: int, lang: str
) -> list[dict[str, Any]]:
    """One OB 3.0 ``Related`` per other language the issuer wrote: the achievement's edition in that language
    (``inLanguage``), with its ``name`` and ``description`` as VCDM 2.0 language value objects. The schema types
    the achievement's own ``name`` and ``description`` as plain strings, so the texts in other languages go here
    (docs/decisions.md)."""
    tags = [tag for tag in (*definition.title, *(definition.description or {})) if tag != lang]
    out: list[dict[str, Any]] = []
    for tag in dict.fromkeys(tags):
        edition: dict[str, Any] = {
            "id": edition_id(achievement_id, tag),
            "type": ["Related"],
            "inLanguage": tag,
            "version": str(version),
        }
        if title := definition.title.get(tag):
            edition["name"] = {"@value": title, "@language": tag}
        if description := (definition.description or {}).get(tag):
            edition["description"] = {"@value": description, "@language": tag}
        out.append(edition)
    return out


def _achievement(
    definition: MicroCredentialDefinition,
    *,
    achievement_id: str,
    version: int,
    lang: str,
    awarders: Sequence[str],
    creator: Mapping[str, Any],
    skill_labels: Mapping[str, str],
) -> dict[str, Any]:
    """The Achievement: Open Badges 3.0 terms only. Elements Open Badges has no term for are alignments whose
    ``targetType`` names the element; ``targetUrl`` is the official page where one exists (EU vocabularies, ESCO,
    the quality assurance body, the stacking target), else the achievement's own page (its id) at a fragment."""
    d = definition

    def here(fragment: str) -> str:
        return f"{achievement_id}#{fragment}"

    alignment: list[dict[str, Any]] = []
    for i, outcome in enumerate(d.learning_outcomes, 1):
        statement = _text(outcome.text, lang)
        alignment.append(_align(annex.LEARNING_OUTCOME, statement, here(f"learning-outcome-{i}")))
        for uri in outcome.esco_skills:
            name = skill_labels.get(uri, statement)
            alignment.append(_align(annex.ESCO_SKILL, name, uri, framework="ESCO", description=statement))
    level = d.level
    if level.eqf is not None:
        eqf = EQF_URI.format(level=level.eqf)
        name = EQF_LEVELS.label(str(level.eqf), "en")
        alignment.append(
            _align(annex.EQF_LEVEL, name, eqf, code=str(level.eqf), framework="European Qualifications Framework")
        )
    if level.qf_ehea:
        name = f"QF-EHEA: {QF_EHEA_CYCLES.label(level.qf_ehea, lang)}"
        alignment.append(_align(annex.QF_EHEA_CYCLE, name, here("level"), code=level.qf_ehea, framework="QF-EHEA"))
    if level.nqf:
        framework = f"NQF {level.nqf.framework}"
        name = f"{framework} level {level.nqf.level}"
        alignment.append(_align(annex.NQF_LEVEL, name, here("level"), code=str(level.nqf.level), framework=framework))
    if level.not_applicable:
        alignment.append(_align(annex.LEVEL_NOT_APPLICABLE, "Level not applicable", here("level")))
    if d.isced_f:
        url = ISCED_F_URI.format(code=d.isced_f)
        name = f"ISCED-F 2013 field {d.isced_f}"
        alignment.append(_align(annex.ISCED_F, name, url, code=d.isced_f, framework="ISCED-F 2013"))
    if d.workload.hours is not None:
        hours = iso_hours(d.workload.hours)
        name = f"{d.workload.hours} hours of learning"
        alignment.append(_align(annex.NOTIONAL_WORKLOAD, name, here("workload"), code=hours, framework="ISO 8601"))
    described = _text(d.assessment.description, lang)
    for i, kind in enumerate(d.assessment.types):
        alignment.append(
            _align(
                annex.ASSESSMENT_TYPE,
                ASSESSMENT_TYPES.label(kind, lang),
                here("assessment"),
                code=kind,
                description=described if i == 0 else None,
            )
        )
    participation = d.participation
    alignment.append(
        _align(
            annex.PARTICIPATION_MODE,
            PARTICIPATION_FORMS.label(participation.mode, lang),
            here("participation"),
            code=participation.mode,
            description=_text(participation.description, lang),
        )
    )
    if participation.schedule:
        name = SCHEDULES.label(participation.schedule, lang)
        alignment.append(_align(annex.PARTICIPATION_SCHEDULE, name, here("participation"), code=participation.schedule))
    qa = d.quality_assurance
    for kind in qa.types:
        name = QUALITY_ASSURANCE_TYPES.label(kind, lang)
        alignment.append(_align(annex.QUALITY_ASSURANCE, name, here("quality-assurance"), code=kind))
    if qa.body or qa.description or qa.url:
        alignment.append(
            _align(
                annex.QUALITY_ASSURANCE_BODY,
                qa.body or "Quality assurance",
                qa.url or here("quality-assurance"),
                description=_text(qa.description, lang),
            )
        )
    if prerequisites := _text(d.prerequisites, lang):
        alignment.append(
            _align(annex.ENTRY_REQUIREMENT, "Prerequisites", here("prerequisites"), description=prerequisites)
        )
    if d.supervision:
        name = SUPERVISION.label(d.supervision, lang)
        alignment.append(_align(annex.SUPERVISION, name, here("supervision"), code=d.supervision))
    stackability = d.integration.stackability
    alignment.append(
        _align(annex.STACKABILITY, STACKABILITY.label(stackability, lang), here("integration"), code=stackability)
    )
    for target in d.integration.towards:
        title = _text(target.title, lang)
        alignment.append(_align(annex.STACKS_TOWARDS, title, target.url or here("integration"), code=target.identifier))
    if further := _text(d.further_information, lang):
        name = "Further information"
        alignment.append(_align(annex.FURTHER_INFORMATION, name, here("further-information"), description=further))
    for language in d.languages:
        alignment.append(_align(annex.LANGUAGE_OF_INSTRUCTION, language, here("languages"), code=language))
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": _text(d.title, lang),
        "description": _text(d.description, lang) or _text(d.title, lang),
        "criteria": {"id": here("criteria"), "narrative": _criteria(d, lang)},
        "humanCode": d.id,
        "version": str(version),
        "inLanguage": lang,
        "creator": {"id": creator["id"], "type": ["Profile"], "name": creator["name"]},
    }
    if d.workload.ects is not None:
        ects = d.workload.ects
        achievement["creditsAvailable"] = int(ects) if float(ects).is_integer() else ects  # 5, not 5.0
    if len(awarders) > 1:
        achievement["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": awarder, "identifierType": annex.AWARDING_BODY}
            for awarder in awarders
        ]
    if grading := _text(d.grading, lang):
        achievement["resultDescription"] = [
            {
                "id": achievement_id + GRADING_FRAGMENT,
                "type": ["ResultDescription"],
                "name": grading,
                "resultType": "Result",
            }
        ]
    if related := _editions(d, achievement_id=achievement_id, version=version, lang=lang):
        achievement["related"] = related
    for i, item in enumerate(alignment, 1):  # named nodes: RDFC labels no blank node for them, so signing stays fast
        item["id"] = here(f"alignment-{i}")
    achievement["alignment"] = alignment
    return achievement


def build_credential(
    *,
    definition: MicroCredentialDefinition,
    version: int,
    organisations: Sequence[Organisation],
    issuer_ids: Mapping[str, str],
    award: Award,
    credential_id: str,
    achievement_id: str,
    salt: str,
    lang: str | None = None,
    skill_labels: Mapping[str, str] | None = None,
    credential_status: Sequence[Mapping[str, Any]] = (),
    badge_image: str | None = None,
    issuer_image: str | None = None,
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential carrying every Annex I element.

    ``organisations`` are the awarding bodies in the definition's order (the first issues);
    ``issuer_ids`` maps each organisation id to its DID (or URL). ``salt`` salts the learner's email hash
    (pass a fresh random value per award). ``lang`` picks the language of texts (default: the first
    language of the title). ``skill_labels`` maps ESCO URIs to their preferred labels.
    """
    if not organisations or organisations[0].id != definition.awarding_bodies[0]:
        raise ValueError("organisations must start with the definition's first awarding body")
    language = lang or next(iter(definition.title))
    lead = organisations[0]
    recipient = award.recipient
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if recipient.did:
        subject["id"] = recipient.did
    identifiers: list[dict[str, Any]] = []
    if recipient.email:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(recipient.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        )
    if recipient.name:
        identifiers.append(
            {"type": "IdentityObject", "identityHash": recipient.name, "identityType": "name", "hashed": False}
        )
    if identifiers:
        subject["identifier"] = identifiers
    issuer = _profile(lead, issuer_ids[lead.id], language)
    if issuer_image:
        issuer["image"] = {"id": issuer_image, "type": "Image", "caption": issuer["name"]}
    achievement = _achievement(
        definition,
        achievement_id=achievement_id,
        version=version,
        lang=language,
        awarders=[issuer_ids[o.id] for o in organisations],
        creator=issuer,
        skill_labels=skill_labels or {},
    )
    if len(organisations) > 1:  # each joint awarding body's name, website and country, not its DID alone
        achievement.setdefault("alignment", []).extend(
            _align(
                annex.AWARDING_BODY,
                pick(o.legal_name, language)[1],
                o.website,
                code=issuer_ids[o.id],
                description=o.region or o.country,
            )
            for o in organisations[1:]
        )
    if badge_image:
        achievement["image"] = {"id": badge_image, "type": "Image", "caption": achievement["name"]}
    subject["achievement"] = achievement
    if award.grade:
        result: dict[str, Any] = {"type": ["Result"], "value": award.grade}
        if "resultDescription" in achievement:
            result["resultDescription"] = achievement["resultDescription"][0]["id"]
        subject["result"] = [result]
    if award.narrative:
        subject["narrative"] = award.narrative
    issued = _iso(award)
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": _text(definition.title, language),
        "issuer": issuer,
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": subject,
    }
    if award.valid_until is not None:
        credential["validUntil"] = award.valid_until.isoformat().replace("+00:00", "Z")
    if award.evidence:
        credential["evidence"] = [e.to_ob3() for e in award.evidence]
    if credential_status:
        statuses = [dict(s) for s in credential_status]
        credential["credentialStatus"] = statuses[0] if len(statuses) == 1 else statuses
    return credential
