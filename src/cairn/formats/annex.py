"""Read the EU Annex I elements back from a micro-credential, whichever shape Cairn issued it in.

Since issue #12 Cairn's awards use only the contexts every verifier bundles (VC 2.0, Open Badges 3.0): each
Annex I element Open Badges 3.0 has no term for is an ``Alignment`` of the achievement whose ``targetType`` names
the element (``ext:AssessmentType``, ...), its ``targetCode`` the code (``cairn.model.vocabularies``) and its
``targetDescription`` the free text (:data:`ELEMENTS`; docs/credentials.md). Awards issued before carry the
private context ``https://w3id.org/cairn/contexts/microcredential/v1`` and its terms (``learningOutcome``,
``eqfLevel``, ``ectsCredits``, ``assessmentType``, ``credentialSubject.grade``, ...): they are read too, so stored
awards keep displaying. :func:`read_annex` gives one :class:`Annex` for both; every consumer (the verify page,
the wallet, the PDF, careers, the trust scope check) reads through it.

Pure, and the credential is untrusted: only strings, numbers and lists of them are taken, anything else is
ignored; nothing here raises for bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "ELEMENTS",
    "Annex",
    "Awarder",
    "Outcome",
    "Target",
    "achievement_of",
    "alignments",
    "editions",
    "language_texts",
    "localized",
    "read_annex",
    "subject_of",
]

ESCO_SKILL: Final = "ext:ESCOSkill"
EQF_LEVEL: Final = "ext:EQFLevel"
ISCED_F: Final = "ext:ISCEDF"
LEARNING_OUTCOME: Final = "ext:LearningOutcome"
QF_EHEA_CYCLE: Final = "ext:QFEHEACycle"
NQF_LEVEL: Final = "ext:NQFLevel"
LEVEL_NOT_APPLICABLE: Final = "ext:LevelNotApplicable"
NOTIONAL_WORKLOAD: Final = "ext:NotionalWorkload"
ASSESSMENT_TYPE: Final = "ext:AssessmentType"
PARTICIPATION_MODE: Final = "ext:ParticipationMode"
PARTICIPATION_SCHEDULE: Final = "ext:ParticipationSchedule"
QUALITY_ASSURANCE: Final = "ext:QualityAssuranceType"
QUALITY_ASSURANCE_BODY: Final = "ext:QualityAssuranceBody"
ENTRY_REQUIREMENT: Final = "ext:EntryRequirement"
SUPERVISION: Final = "ext:SupervisionAndIdentityVerification"
STACKABILITY: Final = "ext:Stackability"
STACKS_TOWARDS: Final = "ext:StacksTowards"
FURTHER_INFORMATION: Final = "ext:FurtherInformation"
LANGUAGE_OF_INSTRUCTION: Final = "ext:LanguageOfInstruction"
AWARDING_BODY: Final = "ext:AwardingBody"
"""``identifierType`` of an ``achievement.otherIdentifier`` entry naming one of several awarding bodies, and the
``targetType`` of the alignment that gives a joint awarding body's name, website and country."""

ELEMENTS: Final = {
    LEARNING_OUTCOME: "Learning outcome (targetDescription: the statement)",
    ESCO_SKILL: "ESCO skill (targetUrl: the concept URI; targetDescription: its learning outcome's statement)",
    EQF_LEVEL: "EQF level (targetUrl: http://data.europa.eu/snb/eqf/N)",
    QF_EHEA_CYCLE: "QF-EHEA cycle (targetCode: short, first, second, third)",
    NQF_LEVEL: "National qualifications framework level (targetFramework: 'NQF' and the country; targetCode: level)",
    ISCED_F: "ISCED-F 2013 field (targetUrl: http://data.europa.eu/snb/isced-f/NNNN)",
    LEVEL_NOT_APPLICABLE: "No level applies (the definition says so)",
    NOTIONAL_WORKLOAD: "Notional workload in hours (targetCode: ISO 8601 duration, PT125H)",
    ASSESSMENT_TYPE: "Type of assessment (targetCode; the first carries the description)",
    PARTICIPATION_MODE: "Form of participation (targetCode; targetDescription: the description)",
    PARTICIPATION_SCHEDULE: "Participation schedule (targetCode)",
    QUALITY_ASSURANCE: "Type of quality assurance (targetCode)",
    QUALITY_ASSURANCE_BODY: "Quality assurance body (targetName; targetDescription; targetUrl: its page)",
    ENTRY_REQUIREMENT: "Prerequisites (targetDescription)",
    SUPERVISION: "Supervision and identity verification (targetCode)",
    STACKABILITY: "Integration / stackability (targetCode: stand-alone, stackable)",
    STACKS_TOWARDS: "What it stacks towards (targetName: title; targetCode: identifier; targetUrl: page)",
    FURTHER_INFORMATION: "Further information (targetDescription)",
    LANGUAGE_OF_INSTRUCTION: "Language of instruction (targetCode: BCP 47 tag)",
    AWARDING_BODY: (
        "A joint awarding body (targetCode: its identifier, a DID; targetName: its legal name; targetUrl: its website; "
        "targetDescription: its country, an ISO 3166-1 code, or its region, an ISO 3166-2 code)"
    ),
}
"""The ``targetType`` of each Annex I element carried as an ``Alignment``, and what its fields hold."""

_EQF = re.compile(r"^https?://data\.europa\.eu/snb/eqf/([1-8])/?$")
_ISCED = re.compile(r"/isced-f/(\d{2,4})/?$")
_HOURS = re.compile(r"^PT(\d+(?:\.\d+)?)H$")
_MAX_ITEMS = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    """A learning outcome: its statement and the ESCO skill URIs it relates to."""

    statement: str
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Awarder:
    """A joint awarding body as the credential describes it (display only: a name proves nothing)."""

    id: str
    name: str = ""
    url: str = ""
    place: str = ""
    """Its country (ISO 3166-1 alpha-2) or region (ISO 3166-2), as stated."""


@dataclass(frozen=True, slots=True)
class Target:
    """A credential the micro-credential stacks towards."""

    title: str
    identifier: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Annex:
    """The Annex I elements a credential states beyond the Open Badges core (learner, title, issuer, dates)."""

    outcomes: tuple[Outcome, ...] = ()
    skills: tuple[str, ...] = ()
    ects: float | None = None
    volume: str = ""
    eqf: int | None = None
    eqf_uri: str = ""
    qf_ehea: str = ""
    nqf_framework: str = ""
    nqf_level: int | None = None
    level_not_applicable: bool = False
    assessment_types: tuple[str, ...] = ()
    assessment_description: str = ""
    participation_mode: str = ""
    participation_schedule: str = ""
    participation_description: str = ""
    quality_assurance_types: tuple[str, ...] = ()
    quality_assurance_body: str = ""
    quality_assurance_description: str = ""
    quality_assurance_url: str = ""
    prerequisites: str = ""
    supervision: str = ""
    grade: str = ""
    grading_scheme: str = ""
    stackability: str = ""
    towards: tuple[Target, ...] = ()
    further_information: str = ""
    awarding_bodies: tuple[str, ...] = ()
    awarders: tuple[Awarder, ...] = ()
    """The joint awarding bodies the credential describes (name, website, country), by identifier."""
    languages: tuple[str, ...] = ()
    isced: str = ""

    @property
    def hours(self) -> float | None:
        """The notional hours of a ``PT<n>H`` volume of learning, else None."""
        found = _HOURS.match(self.volume)
        return float(found.group(1)) if found else None

    @property
    def nqf(self) -> str:
        """The national level as the trust scopes write it (``PL-6``), or ''."""
        if self.nqf_level is None:
            return ""
        return f"{self.nqf_framework}-{self.nqf_level}" if self.nqf_framework else str(self.nqf_level)


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value[:_MAX_ITEMS]
    return [] if value is None else [value]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in (_str(v) for v in _list(value)) if s))


def subject_of(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    """The (first) credential subject, or {}."""
    return _map(next(iter(_list(credential.get("credentialSubject"))), None))


def achievement_of(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    """The subject's Open Badges achievement, or {}."""
    return _map(subject_of(credential).get("achievement"))


def alignments(achievement: Mapping[str, Any], target_type: str) -> list[Mapping[str, Any]]:
    """The achievement's alignments of ``target_type`` (``ext:EQFLevel``, ...), in order."""
    return [a for a in map(_map, _list(achievement.get("alignment"))) if a.get("targetType") == target_type]


def _first(achievement: Mapping[str, Any], target_type: str, field: str) -> str:
    return next((_str(a.get(field)) for a in alignments(achievement, target_type) if _str(a.get(field))), "")


def _codes(achievement: Mapping[str, Any], target_type: str) -> tuple[str, ...]:
    return _strings([a.get("targetCode") for a in alignments(achievement, target_type)])


def _outcomes(a: Mapping[str, Any]) -> tuple[tuple[Outcome, ...], tuple[str, ...]]:
    """The learning outcomes (each with its skills) and every ESCO skill, from either shape."""
    esco = [x for x in alignments(a, ESCO_SKILL) if _str(x.get("targetUrl"))]
    by_statement: dict[str, list[str]] = {}
    for x in esco:
        by_statement.setdefault(_str(x.get("targetDescription")), []).append(_str(x.get("targetUrl")))
    outcomes = [
        Outcome(s, tuple(dict.fromkeys(by_statement.get(s, ()))))
        for s in (
            _str(x.get("targetDescription")) or _str(x.get("targetName")) for x in alignments(a, LEARNING_OUTCOME)
        )
        if s
    ]
    for old in map(_map, _list(a.get("learningOutcome"))):  # awards before issue #12
        statement, related = _str(old.get("outcomeStatement")), _strings(old.get("relatedESCOSkill"))
        if statement or related:
            outcomes.append(Outcome(statement, related))
    skills = [_str(x.get("targetUrl")) for x in esco] + [s for o in outcomes for s in o.skills]
    return tuple(outcomes), tuple(dict.fromkeys(skills))


def _eqf(a: Mapping[str, Any]) -> tuple[int | None, str]:
    old = _str(a.get("eqfLevel"))
    candidates = [old] + [_str(x.get("targetUrl")) for x in _list(a.get("alignment")) if isinstance(x, Mapping)]
    for uri in candidates:
        if found := _EQF.match(uri):
            return int(found.group(1)), uri
    return None, ""


def _isced(a: Mapping[str, Any]) -> str:
    old = _str(a.get("iscedFieldCode"))
    if old.isdigit():
        return old
    for x in alignments(a, ISCED_F):
        code = _str(x.get("targetCode"))
        if code.isdigit():
            return code
        if found := _ISCED.search(_str(x.get("targetUrl"))):
            return found.group(1)
    return ""


def _nqf(a: Mapping[str, Any]) -> tuple[str, int | None]:
    old = _map(a.get("nqfLevel"))
    number = old.get("nqfLevelNumber")
    if isinstance(number, int) and not isinstance(number, bool):
        return _str(old.get("nqfFramework")), number
    for x in alignments(a, NQF_LEVEL):
        code = _str(x.get("targetCode"))
        if code.isdigit():
            return _str(x.get("targetFramework")).removeprefix("NQF").strip(), int(code)
    return "", None


def _grade(subject: Mapping[str, Any], a: Mapping[str, Any]) -> tuple[str, str]:
    """The grade achieved and the grading scheme (Open Badges result / resultDescription, or the old terms)."""
    descriptions = [_map(d) for d in _list(a.get("resultDescription"))]
    results = [_map(r) for r in _list(subject.get("result"))]
    grade = next((_str(r.get("value")) for r in results if _str(r.get("value"))), "") or _str(subject.get("grade"))
    wanted = next((_str(r.get("resultDescription")) for r in results if _str(r.get("resultDescription"))), "")
    scheme = next((_str(d.get("name")) for d in descriptions if wanted and _str(d.get("id")) == wanted), "")
    scheme = scheme or next((_str(d.get("name")) for d in descriptions if _str(d.get("name"))), "")
    return grade, scheme or _str(a.get("gradingScheme"))


def _page(a: Mapping[str, Any], alignment: Mapping[str, Any]) -> str:
    """An alignment's ``targetUrl`` unless it only points into the achievement's own page (where an element has no
    page of its own, Cairn points there because Open Badges requires a URL)."""
    url, own = _str(alignment.get("targetUrl")), _str(a.get("id"))
    return "" if own and url.startswith(own + "#") else url


def _quality(a: Mapping[str, Any]) -> tuple[tuple[str, ...], str, str, str]:
    old = _map(a.get("qualityAssurance"))
    body = alignments(a, QUALITY_ASSURANCE_BODY)
    first = body[0] if body else {}
    return (
        _codes(a, QUALITY_ASSURANCE) or _strings(old.get("qualityAssuranceType")),
        _str(first.get("targetName")) or _str(old.get("qualityAssuranceBody")),
        _str(first.get("targetDescription")) or _str(old.get("qualityAssuranceDescription")),
        _page(a, first) or _str(old.get("qualityAssuranceUrl")),
    )


def _towards(a: Mapping[str, Any]) -> tuple[Target, ...]:
    new = [
        Target(_str(x.get("targetName")), _str(x.get("targetCode")), _page(a, x)) for x in alignments(a, STACKS_TOWARDS)
    ]
    old = [
        Target(_str(t.get("targetTitle")), _str(t.get("targetIdentifier")), _str(t.get("targetPage")))
        for t in map(_map, _list(a.get("stacksTowards")))
    ]
    return tuple(t for t in new + old if t.title or t.identifier)


def _awarding_bodies(credential: Mapping[str, Any], a: Mapping[str, Any]) -> tuple[str, ...]:
    issuer = credential.get("issuer")
    lead = _str(_map(issuer).get("id")) or _str(issuer)
    joint = [
        _map(e).get("identifier")
        for e in _list(a.get("otherIdentifier"))
        if _map(e).get("identifierType") == AWARDING_BODY
    ]
    return _strings([lead, *joint, *_list(a.get("awardingBody"))])


_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def language_texts(value: Any, default: str = "") -> dict[str, str]:
    """Every ``language -> text`` a property states, whatever its form: a plain string (in ``default``, the node's
    ``inLanguage``), a VCDM 2.0 language value object (``{"@value", "@language"}``) or a list of them, or a
    language map (ELM's ``{"en": ..., "pl": ...}``, whose values may be lists). The first text of a language
    wins; anything else is ignored."""
    out: dict[str, str] = {}
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            if item.strip():
                out.setdefault(default, item)
        elif isinstance(item, Mapping) and "@value" in item:
            text, tag = item.get("@value"), item.get("@language")
            if isinstance(text, str) and text.strip():
                out.setdefault(tag if isinstance(tag, str) and _TAG.match(tag) else default, text)
        elif isinstance(item, Mapping):
            for tag, text in item.items():
                first = next((t for t in _list(text) if isinstance(t, str) and t.strip()), None)
                if isinstance(tag, str) and _TAG.match(tag) and first:
                    out.setdefault(tag, first)
    return out


def editions(node: Mapping[str, Any], field: str) -> dict[str, str]:
    """``field`` (``name``, ``description``) of an achievement (or a credential) in every language it gives: its
    own value, in its ``inLanguage``, and those of the ``related`` editions in other languages (how Cairn writes
    the other languages, docs/credentials.md)."""
    own = _str(node.get("inLanguage"))
    texts = language_texts(node.get(field), own if _TAG.match(own) else "")
    for edition in _list(node.get("related")):
        edition = _map(edition)
        tag = _str(edition.get("inLanguage"))
        for lang, text in language_texts(edition.get(field), tag if _TAG.match(tag) else "").items():
            texts.setdefault(lang, text)
    return texts


def localized(node: Mapping[str, Any], field: str, lang: str) -> tuple[str, str]:
    """The best ``(language, text)`` of ``field`` for a reader of ``lang`` (:func:`editions`): that language,
    the same base language, the node's own, English, then any; ``("", "")`` when it has none. The language is
    ``""`` when the credential does not say it."""
    texts = editions(node, field)
    if not texts:
        return "", ""
    base = lang.split("-")[0].lower()
    own = _str(node.get("inLanguage"))
    for wanted in (
        lambda t: t == lang,
        lambda t: t.split("-")[0].lower() == base,
        lambda t: t == own,
        lambda t: t == "en",
        lambda t: True,
    ):
        tag = next((t for t in texts if wanted(t)), None)
        if tag is not None:
            return tag, texts[tag]
    return "", ""  # pragma: no cover (the last test takes any)


def read_annex(credential: Mapping[str, Any]) -> Annex:
    """The Annex I elements ``credential`` states, from the current shape or the one before issue #12."""
    if not isinstance(credential, Mapping):
        return Annex()
    subject = subject_of(credential)
    a = achievement_of(credential)
    outcomes, skills = _outcomes(a)
    eqf, eqf_uri = _eqf(a)
    nqf_framework, nqf_level = _nqf(a)
    grade, scheme = _grade(subject, a)
    qa_types, qa_body, qa_description, qa_url = _quality(a)
    ects = _number(a.get("ectsCredits"))
    ects = ects if ects is not None else _number(a.get("creditsAvailable"))
    qf_ehea = next(iter(_codes(a, QF_EHEA_CYCLE)), "") or _str(a.get("qfEheaCycle"))
    return Annex(
        outcomes=outcomes,
        skills=skills,
        ects=ects,
        volume=next(iter(_codes(a, NOTIONAL_WORKLOAD)), "") or _str(a.get("volumeOfLearning")),
        eqf=eqf,
        eqf_uri=eqf_uri,
        qf_ehea=qf_ehea,
        nqf_framework=nqf_framework,
        nqf_level=nqf_level,
        level_not_applicable=a.get("levelNotApplicable") is True or bool(alignments(a, LEVEL_NOT_APPLICABLE)),
        assessment_types=_codes(a, ASSESSMENT_TYPE) or _strings(a.get("assessmentType")),
        assessment_description=_first(a, ASSESSMENT_TYPE, "targetDescription") or _str(a.get("assessmentDescription")),
        participation_mode=_first(a, PARTICIPATION_MODE, "targetCode") or _str(a.get("participationMode")),
        participation_schedule=_first(a, PARTICIPATION_SCHEDULE, "targetCode") or _str(a.get("participationSchedule")),
        participation_description=_first(a, PARTICIPATION_MODE, "targetDescription")
        or _str(a.get("participationDescription")),
        quality_assurance_types=qa_types,
        quality_assurance_body=qa_body,
        quality_assurance_description=qa_description,
        quality_assurance_url=qa_url,
        prerequisites=_first(a, ENTRY_REQUIREMENT, "targetDescription") or _str(a.get("entryRequirement")),
        supervision=_first(a, SUPERVISION, "targetCode") or _str(a.get("supervisionAndIdentityVerification")),
        grade=grade,
        grading_scheme=scheme,
        stackability=_first(a, STACKABILITY, "targetCode") or _str(a.get("stackability")),
        towards=_towards(a),
        further_information=_first(a, FURTHER_INFORMATION, "targetDescription") or _str(a.get("furtherInformation")),
        awarding_bodies=_awarding_bodies(credential, a),
        awarders=tuple(
            Awarder(
                _str(x.get("targetCode")),
                _str(x.get("targetName")),
                _str(x.get("targetUrl")),
                _str(x.get("targetDescription"))[:10],
            )
            for x in alignments(a, AWARDING_BODY)[:20]
            if _str(x.get("targetCode"))
        ),
        languages=_codes(a, LANGUAGE_OF_INSTRUCTION) or _strings(a.get("languageOfInstruction")),
        isced=_isced(a),
    )
