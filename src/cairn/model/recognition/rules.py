"""What an institution publishes for recognition: the course (or an employer's job profile) credentials are
recognised towards, and the rules under which they are (catalogue documents ``kind: course`` and
``kind: recognition``).

Pure: no I/O. A **course** is described like a micro-credential definition: its institution, ECTS, EQF (and national)
level, ISCED-F field, and learning outcomes aligned to ESCO skills (the skills are what presented credentials are
compared with). **Recognition rules** name one course and say which credentials count (``conditions``: an issuer
accredited for a field, a level, a workload, assessed, identity verified, quality assured, a share of the course's
ESCO skills covered, awarded recently, a minimum grade, from accepted issuers or definitions) and what follows
(``outcome``: counts as N ECTS towards the course, or fewer in a ``partial`` tier; decided automatically or by a
reviewer; several credentials combined or one). The caller versions the rules.

Loading never raises for bad input: :func:`load_course` and :func:`load_recognition` give the document or every
problem found, each with its path (``conditions.skills_coverage``, ``outcome.partial[0].ects``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from cairn.errors import Problem
from cairn.model.catalog import validation_problems
from cairn.model.definitions import LearningOutcome, NationalLevel
from cairn.model.pathways import AccreditedFor, MinGrade, Window
from cairn.model.pathways.words import number
from cairn.model.types import MultilingualText, Slug, Url, code_of
from cairn.model.vocabularies import ASSESSMENT_TYPES, QUALITY_ASSURANCE_TYPES
from cairn.phrases import Phrase
from cairn.vc.values import nests_deeper_than

__all__ = [
    "COURSE_KIND",
    "KIND",
    "MAX_LIST",
    "REVIEWS",
    "Accepted",
    "Conditions",
    "Course",
    "Outcome",
    "Partial",
    "RecognitionRules",
    "load_course",
    "load_recognition",
]

KIND = "recognition"
"""The ``kind`` of a recognition rules document."""
COURSE_KIND = "course"
"""The ``kind`` of a course (or job profile) document."""
REVIEWS = ("automatic", "reviewer")
"""``automatic``: a positive outcome is decided by the rules at once; ``reviewer``: a person decides every one."""
MAX_LIST = 200
"""The longest list accepted anywhere in a document (checked before validation, so a huge list costs nothing)."""
_MAX_PROBLEMS = 50
"""Problems reported for one document at most (the rest would repeat them)."""
_RAW_DEPTH = 12
"""Input nesting refused before validation (a valid document nests 5 levels)."""
_ISCED = r"^\d{2,4}$"

Code = Annotated[StrictStr, Field(min_length=1, max_length=80)]
Iri = Annotated[StrictStr, Field(min_length=3, max_length=2000, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")]
"""An absolute identifier: an http(s) URL, a ``urn:``, a DID."""
Ects = Annotated[float, Field(gt=0, le=300, allow_inf_nan=False)]
Hours = Annotated[float, Field(gt=0, le=20_000, allow_inf_nan=False)]
QualityCode = Annotated[
    StrictStr, AfterValidator(lambda code: code if code == "any" else code_of(QUALITY_ASSURANCE_TYPES)(code))
]
"""A type of quality assurance (``external``, ...), or ``any``."""
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, description="a share of the course's ESCO skills")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Course(_Model):
    """A course of the institution (or a job profile of an employer): what credentials are recognised towards."""

    id: Slug
    title: MultilingualText
    description: MultilingualText | None = None
    institution: Slug = Field(description="the organisation (a faculty, a school, an employer) that teaches it")
    type: Literal["course", "job-profile"] = "course"
    ects: Ects | None = Field(None, description="its ECTS credits (a job profile may have none)")
    hours: Hours | None = Field(None, description="its notional workload in hours")
    eqf: StrictInt | None = Field(None, ge=1, le=8)
    nqf: NationalLevel | None = None
    isced_f: Annotated[StrictStr, Field(pattern=_ISCED)] | None = Field(None, description="its ISCED-F 2013 field")
    learning_outcomes: tuple[LearningOutcome, ...] = Field(min_length=1, max_length=100)
    assessment: tuple[Annotated[str, AfterValidator(code_of(ASSESSMENT_TYPES))], ...] = Field((), max_length=20)
    url: Url | None = None

    @model_validator(mode="after")
    def _skills(self) -> Course:
        if not self.skills:
            raise ValueError("the learning outcomes name no ESCO skill: recognition compares skills")
        return self

    @property
    def skills(self) -> tuple[str, ...]:
        """Every ESCO skill of its learning outcomes, once, in order."""
        return tuple(dict.fromkeys(skill for outcome in self.learning_outcomes for skill in outcome.esco_skills))


class Accepted(_Model):
    """Which credentials may count at all: of these definitions (of this instance), achievements (any issuer's
    Open Badges achievement or ELM specification id), or from these issuers (their DIDs). One match is enough."""

    definitions: tuple[Slug, ...] = Field((), max_length=MAX_LIST)
    achievements: tuple[Iri, ...] = Field((), max_length=MAX_LIST)
    issuers: tuple[Iri, ...] = Field((), max_length=MAX_LIST)

    @model_validator(mode="after")
    def _some(self) -> Accepted:
        if not (self.definitions or self.achievements or self.issuers):
            raise ValueError("give definitions, achievements or issuers (or leave accepted out: any credential)")
        return self


class Conditions(_Model):
    """What a credential (or, when combined, the credentials together) must meet to count. Each is optional."""

    accredited_for: AccreditedFor | None = Field(None, description="the issuer is accredited, through a trusted chain")
    eqf_at_least: StrictInt | None = Field(None, ge=1, le=8)
    nqf_at_least: NationalLevel | None = None
    ects_at_least: Ects | None = Field(None, description="ECTS, summed when credentials are combined")
    hours_at_least: Hours | None = Field(None, description="hours of learning, summed when combined")
    assessed: StrictBool = Field(False, description="it states a type of assessment")
    identity_verified: StrictBool = Field(False, description="the assessment was supervised with identity verification")
    quality_assurance: tuple[QualityCode, ...] | None = Field(
        None, max_length=20, description="it states a type of quality assurance: any, or one of those listed"
    )
    skills_coverage: Share | None = Field(None, description="the share of the course's ESCO skills covered")
    awarded_within: Window | None = None
    min_grade: MinGrade | None = None
    accepted: Accepted | None = None

    @field_validator("quality_assurance", mode="before")
    @classmethod
    def _any(cls, value: Any) -> Any:
        return ("any",) if value == "any" else value

    @model_validator(mode="after")
    def _quality(self) -> Conditions:
        if self.quality_assurance == ():
            raise ValueError("quality_assurance: give 'any' or at least one type")
        return self


class Partial(_Model):
    """A lower tier: fewer ECTS when the credentials meet these thresholds instead of the full ones (a threshold not
    given here is the full one; every other condition still holds)."""

    ects: Ects = Field(description="the ECTS recognised in this tier")
    skills_coverage: Share | None = None
    ects_at_least: Ects | None = None
    hours_at_least: Hours | None = None

    @model_validator(mode="after")
    def _some(self) -> Partial:
        if self.skills_coverage is None and self.ects_at_least is None and self.hours_at_least is None:
            raise ValueError("give the lower skills_coverage, ects_at_least or hours_at_least of this tier")
        return self


class Outcome(_Model):
    """What follows when the conditions are met."""

    ects: Ects | None = Field(None, description="ECTS recognised towards the course (default: all of the course's)")
    review: Literal["automatic", "reviewer"] = "reviewer"
    combine: StrictBool = Field(False, description="several credentials may count together (skills and ECTS summed)")
    max_credentials: StrictInt = Field(5, ge=1, le=20, description="the most credentials combined")
    partial: tuple[Partial, ...] = Field((), max_length=10, description="lower tiers, each with fewer ECTS")


class RecognitionRules(_Model):
    """Rules published by ``institution`` under which credentials are recognised towards its ``course``."""

    id: Slug
    title: MultilingualText
    description: MultilingualText | None = None
    institution: Slug = Field(description="the organisation that publishes the rules and decides")
    course: Slug = Field(description="the course (or job profile) credentials are recognised towards")
    conditions: Conditions
    outcome: Outcome = Outcome()


def _tier_problems(rules: RecognitionRules, source: str) -> list[Problem]:
    """Each partial tier recognises fewer ECTS than the full outcome and lowers at least one threshold the
    conditions ask (raising none)."""
    out: list[Problem] = []
    full, conditions = rules.outcome.ects, rules.conditions
    for i, tier in enumerate(rules.outcome.partial):
        path = f"outcome.partial[{i}]"
        if full is not None and tier.ects >= full:
            out.append(
                Problem(
                    source,
                    f"{path}.ects",
                    Phrase("a partial tier recognises fewer than %(full)s ECTS", full=number(full)),
                )
            )
        lower = False
        for name in ("skills_coverage", "ects_at_least", "hours_at_least"):
            value, asked = getattr(tier, name), getattr(conditions, name)
            if value is None:
                continue
            if asked is None:
                out.append(Problem(source, f"{path}.{name}", Phrase("the conditions ask no %(name)s", name=name)))
            elif value > asked:
                message = Phrase(
                    "%(value)s is above the full condition, %(asked)s", value=number(value), asked=number(asked)
                )
                out.append(Problem(source, f"{path}.{name}", message))
            lower = lower or (asked is not None and value < asked)
        if not lower:
            out.append(Problem(source, path, Phrase("a partial tier must ask less than the full conditions")))
    return out


def _too_big(value: Any, path: str = "") -> str | None:
    """The path of the first list or mapping longer than :data:`MAX_LIST`, or None (walked before validation; the
    input nests :data:`_RAW_DEPTH` levels at most, checked first)."""
    if isinstance(value, Mapping | list | tuple) and len(value) > MAX_LIST:
        return path or "(document)"
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found = _too_big(child, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


_Document = TypeVar("_Document", Course, RecognitionRules)


def _load(data: Any, model: type[_Document], kind: str, source: str) -> tuple[_Document | None, list[Problem]]:
    if not isinstance(data, Mapping):
        return None, [Problem(source, "", Phrase("expected a mapping of fields (kind: %(kind)s)", kind=kind))]
    body = {k: v for k, v in data.items() if k not in ("kind", "state")}
    given = data.get("kind", kind)
    if given != kind:
        message = Phrase("this document says kind: %(kind)s (got %(given)s)", kind=kind, given=str(given)[:40])
        return None, [Problem(source, "kind", message)]
    if nests_deeper_than(body, _RAW_DEPTH):
        return None, [Problem(source, "", Phrase("the document nests deeper than %(n)s levels", n=str(_RAW_DEPTH)))]
    if (path := _too_big(body)) is not None:
        message = Phrase("more than %(n)s items: a list this long is never needed", n=str(MAX_LIST))
        return None, [Problem(source, path, message)]
    try:
        document = model.model_validate(body)
    except ValidationError as exc:
        return None, validation_problems(source, model, exc)[:_MAX_PROBLEMS]
    problems: list[Problem] = _tier_problems(document, source) if isinstance(document, RecognitionRules) else []
    return (None, problems) if problems else (document, [])


def load_course(data: Any, *, source: str = "course") -> tuple[Course | None, list[Problem]]:
    """A course document (``kind: course`` may be given) and no problems, or None and every problem, by path."""
    return _load(data, Course, COURSE_KIND, source)


def load_recognition(data: Any, *, source: str = "recognition") -> tuple[RecognitionRules | None, list[Problem]]:
    """Recognition rules (``kind: recognition`` may be given) and no problems, or None and every problem, by
    path. Whether the rules fit their course is :func:`cairn.model.recognition.check_recognition`'s."""
    return _load(data, RecognitionRules, KIND, source)
