"""What a pathway's rules may ask of one held credential, read once from whatever shape it came in.

A :class:`Facts` is flat and comparable: the credential's and its achievement's ids, the issuer, the title, the
ESCO skills, levels, workload, award date and grade, plus what the caller found when verifying it (``valid``, why
not, the trust scopes its issuer is accredited for). :func:`facts_of` reads an Open Badges 3.0 / VC credential
through :func:`cairn.formats.annex.read_annex` and a European Digital Credential (ELM v3) from its claim's
specification; :func:`facts_of_definition` describes the credential a catalogue definition would give (to find
which micro-credentials would close a gap).

Pure, and the credential is untrusted: nothing here raises for bad input; what cannot be read is left empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cairn.formats.annex import Annex, achievement_of, language_texts, localized, read_annex, subject_of
from cairn.model.definitions import MicroCredentialDefinition
from cairn.model.trust import Scope
from cairn.model.types import pick
from cairn.model.vocabularies import PARTICIPATION_FORMS, SUPERVISION
from cairn.vc.formats.jades import parse_jws

__all__ = ["Facts", "facts_of", "facts_of_definition"]

_EQF = re.compile(r"^https?://data\.europa\.eu/snb/eqf/([1-8])/?$")
_ISCED = re.compile(r"/isced-f/(\d{2,4})/?$")
_ESCO = "http://data.europa.eu/esco/skill/"
_ECTS_FRAMEWORK = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_NUMBER = re.compile(r"^\s*(\d{1,4}(?:[.,]\d+)?)\s*$")
_MAX = 200
_FEW = 20
"""Codes kept of one Annex I element (a vocabulary has about ten)."""
_SUPERVISION = frozenset(SUPERVISION.codes())
_PARTICIPATION = frozenset(PARTICIPATION_FORMS.codes())


@dataclass(frozen=True, slots=True)
class Facts:
    """One held credential as a pathway's rules see it."""

    credential_id: str
    achievement_id: str = ""
    """The Open Badges achievement id, or the ELM claim's ``specifiedBy`` id."""
    definition: str = ""
    """The definition's slug when this instance issued it, else ''."""
    issuer_id: str = ""
    issuer_name: str = ""
    title: str = ""
    skills: tuple[str, ...] = ()
    """ESCO skill URIs."""
    eqf: int | None = None
    nqf_framework: str = ""
    nqf_level: int | None = None
    ects: float | None = None
    hours: float | None = None
    awarded_at: datetime | None = None
    grade: str = ""
    valid: bool = True
    """The verification outcome (signature, status, holder, validity), set by the caller."""
    trusted_scopes: tuple[Scope, ...] = ()
    """The scopes the issuer is accredited for through a chain this instance trusts; () for none."""
    holder: str = ""
    """The subject's id (a DID), or ''."""
    invalid_reason: str = ""
    """Why it is not valid (a :class:`cairn.phrases.Phrase` where the caller has one: "revoked on ..."), or ''."""
    valid_until: datetime | None = None
    """When the credential expires, if it says."""
    isced: str = ""
    """Its ISCED-F field code, if it states one."""
    assessment_types: tuple[str, ...] = ()
    """Annex I "type of assessment" codes it states (``written-exam``, ``project``, ...)."""
    assessed: bool | None = None
    """True when it states how the learning was assessed (a type of assessment; for ELM, an assessment that proves
    the claim); None when it does not say (nothing here ever reads "not assessed")."""
    supervision: str = ""
    """Annex I "supervision and identity verification during assessment": ``unsupervised-no-id``,
    ``supervised-no-id``, ``supervised-with-id``, or '' when not stated."""
    participation: str = ""
    """Annex I "form of participation": ``online``, ``onsite``, ``blended``, or ''."""
    quality_assurance: tuple[str, ...] = ()
    """Annex I "type of quality assurance" codes it states (``internal``, ``programme-accreditation``, ...)."""

    @property
    def identity_checked(self) -> bool | None:
        """Whether the holder's identity was verified at the assessment: True, False, or None when not stated."""
        if self.supervision == "supervised-with-id":
            return True
        return False if self.supervision in ("supervised-no-id", "unsupervised-no-id") else None


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value[:_MAX]
    return [] if value is None else [value]


def _when(value: Any) -> datetime | None:
    text = _str(value)
    if not text or len(text) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _id(value: Any) -> str:
    return _str(_map(value).get("id")) or _str(value)


def _text(value: Any, lang: str = "en") -> str:
    return pick(language_texts(value), lang)[1].strip()


def _is_elm(credential: Mapping[str, Any]) -> bool:
    types = [t for t in _list(credential.get("type")) if isinstance(t, str)]
    return "EuropeanDigitalCredential" in types or "hasClaim" in subject_of(credential)


def facts_of(
    credential: Mapping[str, Any],
    *,
    valid: bool,
    trusted_scopes: Sequence[Scope] = (),
    definition: str = "",
    invalid_reason: str = "",
) -> Facts:
    """The facts of an Open Badges 3.0 / VC credential (or a decoded VC-JWT payload) or an ELM European Digital
    Credential (as it is, or sealed: a JWS in JSON serialisation). ``valid``, ``trusted_scopes``, ``definition``
    and ``invalid_reason`` are the caller's findings."""
    if not isinstance(credential, Mapping):
        credential = {}
    if isinstance(credential.get("payload"), str) and "credentialSubject" not in credential:
        credential = _payload(credential)
    if isinstance(credential.get("vc"), Mapping) and "credentialSubject" not in credential:
        credential = credential["vc"]
    read = _elm if _is_elm(credential) else _ob3
    return read(credential, valid, tuple(trusted_scopes), definition, invalid_reason)


def _payload(jws: Mapping[str, Any]) -> Mapping[str, Any]:
    """The credential a JWS in JSON serialisation carries (how a sealed European Digital Credential comes), or {}:
    the seal was checked by whoever verified it; here only its content is read."""
    try:
        payload = json.loads(parse_jws(jws)[1])
    except (ValueError, TypeError, RecursionError):
        return {}
    return payload if isinstance(payload, Mapping) else {}


def _common(credential: Mapping[str, Any]) -> dict[str, Any]:
    issuer = credential.get("issuer")
    return {
        "credential_id": _str(credential.get("id")),
        "issuer_id": _id(issuer),
        "holder": _str(subject_of(credential).get("id")),
        "valid_until": _when(credential.get("validUntil")) or _when(credential.get("expirationDate")),
    }


def _ob3(credential: Mapping[str, Any], valid: bool, scopes: tuple[Scope, ...], definition: str, reason: str) -> Facts:
    annex = read_annex(credential)
    achievement = achievement_of(credential)
    issuer = _map(credential.get("issuer"))
    title = localized(achievement, "name", "en")[1] or localized(credential, "name", "en")[1]
    return Facts(
        **_common(credential),
        achievement_id=_str(achievement.get("id")),
        definition=definition,
        issuer_name=_text(issuer.get("name")),
        title=title.strip(),
        skills=annex.skills,
        eqf=annex.eqf,
        nqf_framework=annex.nqf_framework,
        nqf_level=annex.nqf_level,
        ects=annex.ects,
        hours=annex.hours,
        awarded_at=_when(credential.get("awardedDate"))
        or _when(credential.get("validFrom"))
        or _when(credential.get("issuanceDate")),
        grade=annex.grade,
        valid=valid,
        trusted_scopes=scopes,
        invalid_reason=reason,
        isced=annex.isced,
        assessment_types=annex.assessment_types[:_FEW],
        assessed=True if annex.assessment_types or annex.assessment_description else None,
        supervision=annex.supervision if annex.supervision in _SUPERVISION else "",
        participation=annex.participation_mode if annex.participation_mode in _PARTICIPATION else "",
        quality_assurance=annex.quality_assurance_types[:_FEW],
    )


def _elm(credential: Mapping[str, Any], valid: bool, scopes: tuple[Scope, ...], definition: str, reason: str) -> Facts:
    claim = _map(_first(subject_of(credential).get("hasClaim")))
    spec = _map(_first(claim.get("specifiedBy")))
    skills = [
        _id(skill)
        for outcome in _list(spec.get("learningOutcome"))
        for skill in _list(_map(outcome).get("relatedESCOSkill"))
    ]
    eqf = _EQF.match(_id(spec.get("eqfLevel")))
    isced = next((m.group(1) for m in (_ISCED.search(_id(a)) for a in _list(spec.get("thematicArea"))) if m), "")
    proof = _map(_first(claim.get("provenBy")))
    grade = _map(proof.get("grade"))
    awarded = _map(_first(claim.get("awardedBy")))
    proven = "LearningAssessment" in [t for t in _list(proof.get("type")) if isinstance(t, str)]
    return Facts(
        **_common(credential),
        achievement_id=_id(spec),
        definition=definition,
        issuer_name=_text(_map(credential.get("issuer")).get("legalName")),
        title=_text(spec.get("title")) or _text(claim.get("title")),
        skills=tuple(dict.fromkeys(s for s in skills if s.startswith(_ESCO))),
        eqf=int(eqf.group(1)) if eqf else None,
        ects=_ects(spec.get("creditPoint")),
        hours=Annex(volume=_str(spec.get("volumeOfLearning"))).hours,
        awarded_at=_when(awarded.get("awardingDate"))
        or _when(credential.get("validFrom"))
        or _when(credential.get("issuanceDate"))
        or _when(credential.get("issued")),
        grade=_text(grade.get("noteLiteral")) or _str(proof.get("grade")),
        valid=valid,
        trusted_scopes=scopes,
        invalid_reason=reason,
        isced=isced,
        assessed=True if proven else None,
        supervision=_elm_supervision(_text(_map(proof.get("idVerification")).get("prefLabel"))),
        participation=_elm_participation(_text(_map(spec.get("mode")).get("prefLabel"))),
    )


def _elm_supervision(label: str) -> str:
    """The Annex I supervision code of an ELM ``idVerification`` concept, read from its English label (the EU
    vocabulary's concepts are "Unsupervised with no identity verification", "Supervised with no identity
    verification", "Supervised online/onsite with identity verification"); '' when it cannot be told."""
    folded = " ".join(label.casefold().replace("-", " ").split())
    if not folded:
        return ""
    unchecked = "without" in folded or " no " in f" {folded} "
    if folded.startswith("unsupervised"):
        return "unsupervised-no-id" if unchecked else ""
    if folded.startswith("supervised"):
        return "supervised-no-id" if unchecked else "supervised-with-id" if "verification" in folded else ""
    return ""


def _elm_participation(label: str) -> str:
    """``online``, ``onsite`` or ``blended`` from an ELM learning ``mode`` concept's English label, else ''."""
    folded = label.casefold().replace("-", "").replace(" ", "")
    return next((code for code in ("blended", "online", "onsite") if folded == code), "")


def _ects(value: Any) -> float | None:
    """The ECTS credits of an ELM ``creditPoint`` (the first in the ECTS framework)."""
    for credit in map(_map, _list(value)):
        framework = _map(credit.get("framework"))
        label = _text(framework.get("prefLabel"))
        if _id(framework) == _ECTS_FRAMEWORK or "ECTS" in label or "European Credit Transfer" in label:
            found = _NUMBER.match(_str(credit.get("point")))
            if found:
                return float(found.group(1).replace(",", "."))
    return None


def facts_of_definition(
    definition: MicroCredentialDefinition,
    issuer_id: str,
    *,
    achievement_id: str = "",
    issuer_name: str = "",
    trusted_scopes: Sequence[Scope] = (),
    awarded_at: datetime | None = None,
    lang: str = "en",
) -> Facts:
    """The facts a credential of ``definition`` would have (no grade, not yet awarded unless ``awarded_at``):
    what a catalogue search for the micro-credentials that close a pathway's gap compares."""
    level = definition.level
    return Facts(
        credential_id=f"definition:{definition.id}",
        achievement_id=achievement_id,
        definition=definition.id,
        issuer_id=issuer_id,
        issuer_name=issuer_name,
        title=pick(definition.title, lang)[1],
        skills=tuple(dict.fromkeys(s for outcome in definition.learning_outcomes for s in outcome.esco_skills)),
        eqf=level.eqf,
        nqf_framework=level.nqf.framework if level.nqf else "",
        nqf_level=level.nqf.level if level.nqf else None,
        ects=definition.workload.ects,
        hours=float(definition.workload.hours) if definition.workload.hours is not None else None,
        awarded_at=awarded_at,
        valid=True,
        trusted_scopes=tuple(trusted_scopes),
        isced=definition.isced_f or "",
        assessment_types=definition.assessment.types,
        assessed=True,
        supervision=definition.supervision or "",
        participation=definition.participation.mode,
        quality_assurance=definition.quality_assurance.types,
    )
