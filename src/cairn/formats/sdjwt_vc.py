"""An award as the claims of an EUDI Learning Credential (``urn:eu.europa.ec.eudi:learning:credential:1``).

The type (the EUDI reference issuer's Learning Credential, SD-JWT VC) names the learner (``family_name``,
``given_name``, ``learner_identification``), the issuer (``issuing_authority``, ``issuing_country``), the dates
(``date_of_issuance``, ``date_of_expiry``) and the achievement (``achievement_title``, ``achievement_description``,
``learning_outcomes``, ``assessment_grade``, ``language_of_classes``, ``expected_study_time``,
``level_of_learning_experience`` (the EQF level), ``types_of_quality_assurance``, ``prerequisites_to_enroll``,
``integration_stackability_options``). Each EU Annex I element the type has no claim for goes under a claim of
its own, named after the element (:data:`ANNEX_CLAIMS`): ``credit_framework``/``credit_points`` (as an earlier
version of the type had them), ``field_of_education``, ``form_of_participation``... docs/wallets.md has the table.

Pure: :func:`learning_claims` reads the award's Open Badges 3.0 credential through
:func:`cairn.formats.annex.read_annex`; the JWT claims (``iss``, ``iat``, ``exp``, ``status``, ``cnf``) are the
issuing service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from cairn.formats.annex import achievement_of, read_annex, subject_of

__all__ = ["ANNEX_CLAIMS", "CLAIM_NAMES", "TYPE_CLAIMS", "VCT", "learning_claims", "split_name"]

VCT: Final = "urn:eu.europa.ec.eudi:learning:credential:1"

TYPE_CLAIMS: Final = {
    "issuing_authority": ("Issuing authority", "Organ wydający"),
    "issuing_country": ("Issuing country", "Państwo wydania"),
    "date_of_issuance": ("Date of issuance", "Data wydania"),
    "date_of_expiry": ("Date of expiry", "Data ważności"),
    "family_name": ("Family name(s)", "Nazwisko"),
    "given_name": ("Given name(s)", "Imię (imiona)"),
    "learner_identification": ("Learner identification", "Identyfikator uczącego się"),
    "achievement_title": ("Achievement title", "Tytuł osiągnięcia"),
    "achievement_description": ("Achievement description", "Opis osiągnięcia"),
    "learning_outcomes": ("Learning outcomes", "Efekty uczenia się"),
    "assessment_grade": ("Assessment grade", "Ocena"),
    "language_of_classes": ("Language of classes", "Język zajęć"),
    "expected_study_time": ("Expected study time", "Przewidywany nakład pracy"),
    "level_of_learning_experience": ("Level of learning experience (EQF)", "Poziom (EQF)"),
    "types_of_quality_assurance": ("Types of quality assurance", "Rodzaje zapewniania jakości"),
    "prerequisites_to_enroll": ("Prerequisites to enroll", "Wymagania wstępne"),
    "integration_stackability_options": ("Integration or stackability options", "Możliwość łączenia"),
}
"""The Learning Credential's own claims: English and Polish display names."""

ANNEX_CLAIMS: Final = {
    "credit_framework": ("Credit framework", "System punktów"),
    "credit_points": ("Credit points", "Punkty"),
    "field_of_education": ("Field of education (ISCED-F)", "Dziedzina kształcenia (ISCED-F)"),
    "qf_ehea_cycle": ("QF-EHEA cycle", "Cykl QF-EHEA"),
    "nqf_level": ("National qualifications framework level", "Poziom krajowej ramy kwalifikacji"),
    "types_of_assessment": ("Types of assessment", "Rodzaje oceniania"),
    "form_of_participation": ("Form of participation", "Forma udziału"),
    "participation_schedule": ("Participation schedule", "Tryb udziału"),
    "supervision_and_identity_verification": (
        "Supervision and identity verification",
        "Nadzór i weryfikacja tożsamości",
    ),
    "quality_assurance_body": ("Quality assurance body", "Instytucja zapewniająca jakość"),
    "grading_scheme": ("Grading scheme", "Skala ocen"),
    "stacks_towards": ("Stacks towards", "Prowadzi do"),
    "awarding_bodies": ("Awarding bodies", "Instytucje przyznające"),
    "skills": ("Skills (ESCO)", "Umiejętności (ESCO)"),
    "further_information": ("Further information", "Dodatkowe informacje"),
}
"""Annex I elements the Learning Credential type has no claim for, under claims of their own."""

CLAIM_NAMES: Final = {**TYPE_CLAIMS, **ANNEX_CLAIMS}


def split_name(name: str) -> tuple[str, str]:
    """``(given_name, family_name)`` of a full name as Cairn stores it (one text): the last word is taken as the
    family name; a one-word name is all family name (the type requires ``family_name``)."""
    words = name.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    return " ".join(words[:-1]), words[-1]


def _date(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return ""


def _learner_name(subject: Mapping[str, Any]) -> str:
    for identifier in subject.get("identifier") or []:
        if (
            isinstance(identifier, Mapping)
            and identifier.get("identityType") == "name"
            and identifier.get("hashed") is False
            and isinstance(identifier.get("identityHash"), str)
        ):
            return str(identifier["identityHash"])
    return ""


def learning_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The Learning Credential claims an award's Open Badges 3.0 ``credential`` states (no JWT claims; claims
    without a value are left out)."""
    annex = read_annex(credential)
    subject = subject_of(credential)
    achievement = achievement_of(credential)
    issuer = credential.get("issuer")
    issuer = issuer if isinstance(issuer, Mapping) else {}
    address = issuer.get("address") if isinstance(issuer.get("address"), Mapping) else {}
    given, family = split_name(_learner_name(subject))
    description = achievement.get("description")
    claims: dict[str, Any] = {
        "issuing_authority": issuer.get("name") if isinstance(issuer.get("name"), str) else "",
        "issuing_country": address.get("addressCountryCode") if isinstance(address, Mapping) else "",
        "date_of_issuance": _date(credential.get("awardedDate") or credential.get("validFrom")),
        "date_of_expiry": _date(credential.get("validUntil")),
        "family_name": family,
        "given_name": given,
        "learner_identification": subject.get("id") if isinstance(subject.get("id"), str) else "",
        "achievement_title": achievement.get("name") or credential.get("name") or "",
        "achievement_description": description if isinstance(description, str) else "",
        "learning_outcomes": [o.statement for o in annex.outcomes if o.statement],
        "assessment_grade": annex.grade,
        "language_of_classes": list(annex.languages),
        "expected_study_time": annex.volume,
        "level_of_learning_experience": annex.eqf,
        "types_of_quality_assurance": list(annex.quality_assurance_types),
        "prerequisites_to_enroll": [annex.prerequisites] if annex.prerequisites else [],
        "integration_stackability_options": {"stackable": True, "stand-alone": False}.get(annex.stackability),
        "credit_framework": "ECTS" if annex.ects is not None else "",
        "credit_points": annex.ects,
        "field_of_education": annex.isced,
        "qf_ehea_cycle": annex.qf_ehea,
        "nqf_level": annex.nqf,
        "types_of_assessment": list(annex.assessment_types),
        "form_of_participation": annex.participation_mode,
        "participation_schedule": annex.participation_schedule,
        "supervision_and_identity_verification": annex.supervision,
        "quality_assurance_body": annex.quality_assurance_body,
        "grading_scheme": annex.grading_scheme,
        "stacks_towards": [t.title or t.identifier for t in annex.towards],
        "awarding_bodies": list(annex.awarding_bodies),
        "skills": list(annex.skills),
        "further_information": annex.further_information,
    }
    return {k: v for k, v in claims.items() if v not in (None, "", [])}
