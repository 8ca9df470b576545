"""A recognition decision as an Open Badges 3.0 credential: what was recognised, for what, by whom, under which rules.

Pure (no database, no clock): :func:`decision_credential` builds the unsigned ``OpenBadgeCredential`` an institution
signs for the learner when it recognises credentials fully or partly, in terms of the VC 2.0 and OB 3.0.3 contexts
only (no private context):

- ``credentialSubject``: the learner's DID; ``creditsEarned``, the ECTS recognised; one ``Result`` whose value is
  ``full`` or ``partial`` (its ``ResultDescription`` is in the achievement); a partial decision's substantial
  differences as the subject's ``narrative``;
- ``achievement``: ``achievementType`` ``ext:Recognition``, named after the course, ``creditsAvailable`` the ECTS
  of a full recognition, ``criteria.narrative`` saying who recognised under which rules, and two ``Alignment``\\ s:
  the course (``ext:Course``, ``targetCode`` its id) and the rules (``ext:RecognitionRules``, ``targetCode``
  ``<rules id>@<version>``);
- ``evidence``: one OB 3.0 ``Evidence`` per credential counted, its ``id`` the credential's id; and
  ``relatedResource`` (VC 2.0) ``{id, digestSRI, mediaType}`` for each, so the signed decision pins the exact
  credentials it was taken on (:func:`cairn.formats.composite.component_digest`).

Its texts are written in the learner's language (:data:`LANGUAGES`: English or Polish), said in the achievement's
``inLanguage``; the course and rules titles and the institution's name are given in that language by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cairn.formats.ob3 import CONTEXTS
from cairn.model.pathways.words import number

__all__ = ["COURSE", "LANGUAGES", "RECOGNITION", "RULES", "Counted", "decision_credential"]

RECOGNITION: Final = "ext:Recognition"
"""The decision's ``achievementType``."""
COURSE: Final = "ext:Course"
"""``targetType`` of the alignment naming the course (``targetCode``: its id)."""
RULES: Final = "ext:RecognitionRules"
"""``targetType`` of the alignment naming the rules (``targetCode``: id@version)."""


_TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "towards": "{ects} ECTS towards {course}, recognised by {institution}",
        "course": "{course}, recognised by {institution}",
        "full": "Recognised fully by {institution} under its recognition rules “{rules}” ({rules_id}, version "
        "{version}), on the credentials named as evidence.",
        "partial": "Recognised in part by {institution} under its recognition rules “{rules}” ({rules_id}, version "
        "{version}), on the credentials named as evidence.",
        "name": "Recognition: {what}",
        "framework": "Recognition rules",
        "result": "Recognition decision",
        "differences": "Substantial differences: {items}",
        "evidence": "{name}, awarded by {issuer}: counted towards {course}.",
    },
    "pl": {
        "towards": "{ects} ECTS na poczet: {course}, uznane przez: {institution}",
        "course": "{course}, uznane przez: {institution}",
        "full": "Uznane w całości przez: {institution}, według zasad uznawania „{rules}” ({rules_id}, wersja "
        "{version}), na podstawie poświadczeń wskazanych jako dowody.",
        "partial": "Uznane częściowo przez: {institution}, według zasad uznawania „{rules}” ({rules_id}, wersja "
        "{version}), na podstawie poświadczeń wskazanych jako dowody.",
        "name": "Uznanie: {what}",
        "framework": "Zasady uznawania",
        "result": "Decyzja o uznaniu",
        "differences": "Istotne różnice: {items}",
        "evidence": "{name}, nadane przez: {issuer}: zaliczone na poczet: {course}.",
    },
}
LANGUAGES: Final = tuple(_TEXTS)
"""The languages a decision credential is written in (another falls back to English)."""


def _ects(value: float, language: str) -> str:
    written = number(value)
    return written.replace(".", ",") if language == "pl" else written


@dataclass(frozen=True, slots=True)
class Counted:
    """One credential a decision counted."""

    credential_id: str
    name: str
    issuer: str
    digest: str
    """Its ``digestSRI`` (``sha384-...``)."""
    media_type: str = "application/vc"


def _stamp(moment: Any) -> str:
    return str(moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"))


def decision_credential(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    holder: str,
    decision: str,
    ects: float,
    full_ects: float,
    course_id: str,
    course_title: str,
    course_url: str,
    rules_id: str,
    rules_version: int,
    rules_title: str,
    rules_url: str,
    counted: Sequence[Counted],
    issued: Any,
    differences: Sequence[str] = (),
    language: str = "en",
) -> dict[str, Any]:
    """The unsigned decision credential (see the module's text). ``issuer``: the institution's OB 3.0 ``Profile``
    (``id``, ``name``); ``holder``: the learner's DID; ``decision``: ``full`` or ``partial``; ``issued``: an aware
    datetime; ``language``: the learner's (one of :data:`LANGUAGES`, else English)."""
    if decision not in ("full", "partial"):
        raise ValueError("only a full or partial recognition is issued as a credential")
    language = language if language in _TEXTS else "en"
    texts = _TEXTS[language]
    institution = str(issuer.get("name") or issuer.get("id"))
    achievement_id = rules_url
    recognised = (
        texts["towards"].format(ects=_ects(ects, language), course=course_title, institution=institution)
        if ects
        else texts["course"].format(course=course_title, institution=institution)
    )
    narrative = texts[decision].format(
        institution=institution, rules=rules_title, rules_id=rules_id, version=rules_version
    )
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": RECOGNITION,
        "name": texts["name"].format(what=course_title),
        "description": recognised + ".",
        "criteria": {"narrative": narrative},
        "inLanguage": language,
        "creator": dict(issuer),
        "alignment": [
            {
                "type": ["Alignment"],
                "targetType": COURSE,
                "targetName": course_title,
                "targetUrl": course_url,
                "targetCode": course_id,
                "targetFramework": institution,
            },
            {
                "type": ["Alignment"],
                "targetType": RULES,
                "targetName": rules_title,
                "targetUrl": rules_url,
                "targetCode": f"{rules_id}@{rules_version}",
                "targetFramework": texts["framework"],
            },
        ],
        "resultDescription": [
            {
                "id": f"{achievement_id}#decision",
                "type": ["ResultDescription"],
                "name": texts["result"],
                "resultType": "Status",
                "allowedValue": ["full", "partial"],
            }
        ],
    }
    if full_ects:
        achievement["creditsAvailable"] = full_ects
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "id": holder,
        "achievement": achievement,
        "result": [{"type": ["Result"], "resultDescription": f"{achievement_id}#decision", "value": decision}],
    }
    if ects:
        subject["creditsEarned"] = ects
    if differences:
        subject["narrative"] = texts["differences"].format(items="; ".join(differences))
    issued_at = _stamp(issued)
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": texts["name"].format(what=recognised),
        "issuer": dict(issuer),
        "validFrom": issued_at,
        "awardedDate": issued_at,
        "credentialSubject": subject,
    }
    if counted:
        credential["evidence"] = [
            {
                "id": c.credential_id,
                "type": ["Evidence"],
                "name": c.name,
                "description": texts["evidence"].format(name=c.name, issuer=c.issuer, course=course_title),
            }
            for c in counted
        ]
        credential["relatedResource"] = [
            {"id": c.credential_id, "digestSRI": c.digest, "mediaType": c.media_type} for c in counted
        ]
    return credential
