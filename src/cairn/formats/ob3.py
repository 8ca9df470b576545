"""Open Badges 3.0 credentials for EU micro-credentials: every Annex I element, machine-readable.

:func:`build_credential` turns a definition version, its awarding bodies and an award into an unsigned
``OpenBadgeCredential`` (VCDM 2.0), valid against the 1EdTech JSON Schema. OB 3.0 fields carry what they
can; the Cairn micro-credential context (``CAIRN_CONTEXT``, bundled, documented in docs/credentials.md)
carries the rest, reusing European Learning Model terms where ELM has them:

==  ==========================================  ====================================================
 #  Annex I element                             where in the credential
==  ==========================================  ====================================================
 1  Identification of the learner               credentialSubject.id (DID) and/or .identifier
                                                (IdentityObject: salted SHA-256 of the email; name)
 2  Title of the micro-credential               achievement.name (and the credential's name)
 3  Country(ies)/Region(s) of the issuer        issuer.address.addressCountryCode / addressRegion
 4  Awarding body(ies)                          issuer (Profile, with otherIdentifier registration);
                                                achievement.awardingBody lists joint awarders
 5  Date of issuing                             validFrom and awardedDate
 6  Learning outcomes                           achievement.learningOutcome[] (outcomeStatement,
                                                relatedESCOSkill) and achievement.alignment[] (ESCO)
 7  Notional workload                           achievement.creditsAvailable (ECTS), ectsCredits,
                                                volumeOfLearning (ISO 8601 duration of the hours)
 8  Level (and cycle)                           achievement.eqfLevel (EU EQF concept URI) and an EQF
                                                alignment; qfEheaCycle; nqfLevel; levelNotApplicable
 9  Type of assessment                          achievement.assessmentType[], criteria.narrative
10  Form of participation                       achievement.participationMode / participationSchedule
11  Type of quality assurance                   achievement.qualityAssurance
==  ==========================================  ====================================================

Pure: the award carries its time; the salt is passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.model.awards import Award
from cairn.model.definitions import MicroCredentialDefinition, Organisation
from cairn.model.types import pick
from cairn.model.vocabularies import ASSESSMENT_TYPES, EQF_LEVELS

__all__ = [
    "CAIRN_CONTEXT",
    "CONTEXTS",
    "OB3_CONTEXT",
    "VC2_CONTEXT",
    "build_credential",
    "identity_hash",
    "iso_hours",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CAIRN_CONTEXT = "https://w3id.org/cairn/contexts/microcredential/v1"
CONTEXTS = (VC2_CONTEXT, OB3_CONTEXT, CAIRN_CONTEXT)
EQF_URI = "http://data.europa.eu/snb/eqf/{level}"


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


def _achievement(
    definition: MicroCredentialDefinition,
    *,
    achievement_id: str,
    version: int,
    lang: str,
    awarders: Sequence[str],
    skill_labels: Mapping[str, str],
) -> dict[str, Any]:
    d = definition
    alignment: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    for outcome in d.learning_outcomes:
        statement = _text(outcome.text, lang)
        outcomes.append(
            {"type": ["LearningOutcome"], "outcomeStatement": statement, "relatedESCOSkill": list(outcome.esco_skills)}
        )
        for uri in outcome.esco_skills:
            alignment.append(
                {
                    "type": ["Alignment"],
                    "targetName": skill_labels.get(uri, statement),
                    "targetUrl": uri,
                    "targetCode": uri,
                    "targetFramework": "ESCO",
                    "targetType": "ext:ESCOSkill",
                }
            )
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": _text(d.title, lang),
        "description": _text(d.description, lang) or _text(d.title, lang),
        "criteria": {"narrative": _criteria(d, lang)},
        "humanCode": d.id,
        "version": str(version),
        "inLanguage": lang,
        "learningOutcome": outcomes,
        "assessmentType": list(d.assessment.types),
        "participationMode": d.participation.mode,
        "qualityAssurance": _quality(d, lang),
        "stackability": d.integration.stackability,
        "awardingBody": list(awarders),
    }
    if d.level.eqf is not None:
        eqf = EQF_URI.format(level=d.level.eqf)
        achievement["eqfLevel"] = eqf
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": EQF_LEVELS.label(str(d.level.eqf), "en"),
                "targetUrl": eqf,
                "targetCode": str(d.level.eqf),
                "targetFramework": "European Qualifications Framework",
                "targetType": "ext:EQFLevel",
            }
        )
    if d.level.qf_ehea:
        achievement["qfEheaCycle"] = d.level.qf_ehea
    if d.level.nqf:
        achievement["nqfLevel"] = {
            "type": ["NationalQualificationsLevel"],
            "nqfFramework": d.level.nqf.framework,
            "nqfLevelNumber": d.level.nqf.level,
        }
    if d.level.not_applicable:
        achievement["levelNotApplicable"] = True
    if alignment:
        achievement["alignment"] = alignment
    if d.workload.ects is not None:
        ects = d.workload.ects
        credits: int | float = int(ects) if float(ects).is_integer() else ects  # 5, not 5.0: as JSON writes it
        achievement["creditsAvailable"] = credits
        achievement["ectsCredits"] = credits
    if d.workload.hours is not None:
        achievement["volumeOfLearning"] = iso_hours(d.workload.hours)
    optional = {
        "assessmentDescription": _text(d.assessment.description, lang),
        "participationSchedule": d.participation.schedule,
        "participationDescription": _text(d.participation.description, lang),
        "entryRequirement": _text(d.prerequisites, lang),
        "supervisionAndIdentityVerification": d.supervision,
        "gradingScheme": _text(d.grading, lang),
        "furtherInformation": _text(d.further_information, lang),
        "iscedFieldCode": d.isced_f,
    }
    achievement.update({k: v for k, v in optional.items() if v})
    if d.languages:
        achievement["languageOfInstruction"] = list(d.languages)
    if d.integration.towards:
        achievement["stacksTowards"] = [_target(t, lang) for t in d.integration.towards]
    return achievement


def _quality(d: MicroCredentialDefinition, lang: str) -> dict[str, Any]:
    qa: dict[str, Any] = {"type": ["QualityAssurance"], "qualityAssuranceType": list(d.quality_assurance.types)}
    if d.quality_assurance.body:
        qa["qualityAssuranceBody"] = d.quality_assurance.body
    if d.quality_assurance.description:
        qa["qualityAssuranceDescription"] = _text(d.quality_assurance.description, lang)
    if d.quality_assurance.url:
        qa["qualityAssuranceUrl"] = d.quality_assurance.url
    return qa


def _target(target: Any, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["StackingTarget"], "targetTitle": _text(target.title, lang)}
    if target.identifier:
        out["targetIdentifier"] = target.identifier
    if target.url:
        out["targetPage"] = target.url
    return out


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
    subject["achievement"] = _achievement(
        definition,
        achievement_id=achievement_id,
        version=version,
        lang=language,
        awarders=[issuer_ids[o.id] for o in organisations],
        skill_labels=skill_labels or {},
    )
    if award.grade:
        subject["grade"] = award.grade
    issued = _iso(award)
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": _text(definition.title, language),
        "issuer": _profile(lead, issuer_ids[lead.id], language),
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": subject,
    }
    if award.evidence:
        credential["evidence"] = [e.to_ob3() for e in award.evidence]
    if credential_status:
        statuses = [dict(s) for s in credential_status]
        credential["credentialStatus"] = statuses[0] if len(statuses) == 1 else statuses
    return credential
