"""The micro-credential definition: every Annex I element of Council Recommendation 2022/C 243/02.

Pure: no I/O. A definition is what an issuer describes once and awards many times. The two
elements that belong to each award (identification of the learner, date of issuing) live in
:mod:`cairn.model.awards`; the issuer's country and region come from its :class:`Organisation`.

Every field that carries an Annex I element says so in its ``json_schema_extra`` (``annex1``), so
validation messages, pages and exports name the element exactly as the Recommendation does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from cairn.model.types import (
    CountryCode,
    EscoSkillUri,
    LanguageTag,
    MultilingualText,
    ShortText,
    Slug,
    Url,
    code_of,
)
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    ORGANISATION_TYPES,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)

__all__ = [
    "ANNEX_I",
    "BADGE_COLOURS",
    "BADGE_SHAPES",
    "DRAFT",
    "MAX_VALIDITY_MONTHS",
    "PUBLISHED",
    "STATES",
    "Assessment",
    "Badge",
    "Element",
    "Integration",
    "LearningOutcome",
    "Level",
    "MicroCredentialDefinition",
    "NationalLevel",
    "Organisation",
    "Participation",
    "QualityAssurance",
    "Registration",
    "SaveAction",
    "StackingTarget",
    "Workload",
    "content_hash",
    "plan_save",
]


@dataclass(frozen=True, slots=True)
class Element:
    """An element of Annex I: its number (1-11 mandatory, 0 for optional ones) and exact name."""

    number: int
    name: str
    mandatory: bool


ANNEX_I: tuple[Element, ...] = (
    Element(1, "Identification of the learner", True),
    Element(2, "Title of the micro-credential", True),
    Element(3, "Country(ies)/Region(s) of the issuer", True),
    Element(4, "Awarding body(ies)", True),
    Element(5, "Date of issuing", True),
    Element(6, "Learning outcomes", True),
    Element(7, "Notional workload needed to achieve the learning outcomes", True),
    Element(8, "Level (and cycle, if applicable) of the learning experience leading to the micro-credential", True),
    Element(9, "Type of assessment", True),
    Element(10, "Form of participation in the learning activity", True),
    Element(11, "Type of quality assurance used to underpin the micro-credential", True),
    Element(0, "Prerequisites needed to enrol in the learning activity", False),
    Element(0, "Supervision and identity verification during assessment", False),
    Element(0, "Grade achieved", False),
    Element(0, "Integration/stackability options", False),
    Element(0, "Further information", False),
)
"""The elements in the Recommendation's order; short names used in messages are their first words."""


BadgeColour = Literal["teal", "blue", "indigo", "purple", "crimson", "rust", "forest", "slate"]
BadgeShape = Literal["circle", "hexagon", "shield", "rosette"]
BADGE_COLOURS: tuple[str, ...] = get_args(BadgeColour)
"""The colours a generated badge may take (their values are in :data:`cairn.formats.badges.PALETTE`)."""
BADGE_SHAPES: tuple[str, ...] = get_args(BadgeShape)
"""The shapes a generated badge may take."""

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="an image's SHA-256, in lower-case hex")]
DRAFT = "draft"
PUBLISHED = "published"
STATES = (DRAFT, PUBLISHED)
"""A definition's states (``definitions.state``): a draft is seen by its organisations' members only and cannot be
awarded; a published one is in the public catalogue. The state belongs to the definition, not to a version, so
it is no part of the content hash."""

MAX_VALIDITY_MONTHS = 600
"""The longest validity period a definition may give (50 years)."""


def _annex(name: str) -> dict[str, Any]:
    return {"annex1": name}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Registration(_Model):
    """The issuer's legal registration: an identifier and the register that gave it."""

    identifier: ShortText
    scheme: ShortText | None = Field(None, description="the register, for example KRS, REGON, RSPO, VAT")


class Organisation(_Model):
    """An issuing organisation (awarding body)."""

    id: Slug
    legal_name: MultilingualText = Field(json_schema_extra=_annex("Awarding body(ies)"))
    type: Annotated[str, AfterValidator(code_of(ORGANISATION_TYPES))]
    country: CountryCode = Field(json_schema_extra=_annex("Country(ies)/Region(s) of the issuer"))
    region: ShortText | None = Field(
        None,
        description="ISO 3166-2 subdivision code, for example PL-MZ",
        json_schema_extra=_annex("Country(ies)/Region(s) of the issuer"),
    )
    registration: Registration
    website: Url
    description: MultilingualText | None = None
    logo: Sha256 | None = Field(None, description="the SHA-256 of the organisation's uploaded logo image")

    @model_validator(mode="after")
    def _region_in_country(self) -> Organisation:
        if self.region is not None:
            sub = pycountry.subdivisions.get(code=self.region)  # type: ignore[no-untyped-call]
            if sub is None or sub.country_code != self.country:
                raise ValueError(
                    f"region '{self.region}' is not an ISO 3166-2 subdivision of {self.country} "
                    f"(for example {self.country}-...)"
                )
        return self


class LearningOutcome(_Model):
    """One learning outcome, optionally aligned to ESCO skills."""

    text: MultilingualText
    esco_skills: tuple[EscoSkillUri, ...] = Field((), max_length=50)


class Workload(_Model):
    """Notional workload: ECTS credits and/or hours of learning."""

    ects: float | None = Field(None, gt=0, le=120, allow_inf_nan=False)
    hours: StrictInt | None = Field(None, gt=0, le=5000)

    @model_validator(mode="after")
    def _one_measure(self) -> Workload:
        if self.ects is None and self.hours is None:
            raise ValueError("give the workload as ECTS credits (ects), notional hours (hours), or both")
        return self


class NationalLevel(_Model):
    """A level in a national qualifications framework, for example the Polish PRK."""

    framework: CountryCode
    level: StrictInt = Field(ge=1, le=10)


class Level(_Model):
    """The level (and cycle) of the learning experience, or an explicit statement that none applies."""

    eqf: StrictInt | None = Field(None, ge=1, le=8, description="European Qualifications Framework level")
    qf_ehea: Annotated[str, AfterValidator(code_of(QF_EHEA_CYCLES))] | None = None
    nqf: NationalLevel | None = None
    not_applicable: StrictBool = False

    @model_validator(mode="after")
    def _stated(self) -> Level:
        given = self.eqf is not None or self.qf_ehea is not None or self.nqf is not None
        if self.not_applicable and given:
            raise ValueError("a level marked not_applicable cannot also give eqf, qf_ehea or nqf")
        if not self.not_applicable and not given:
            raise ValueError("give eqf, qf_ehea or nqf, or say not_applicable: true")
        return self


class Assessment(_Model):
    """How the learning outcomes are assessed."""

    types: tuple[Annotated[str, AfterValidator(code_of(ASSESSMENT_TYPES))], ...] = Field(min_length=1)
    description: MultilingualText | None = None


class Participation(_Model):
    """The form of participation in the learning activity."""

    mode: Annotated[str, AfterValidator(code_of(PARTICIPATION_FORMS))]
    schedule: Annotated[str, AfterValidator(code_of(SCHEDULES))] | None = None
    description: MultilingualText | None = None


class QualityAssurance(_Model):
    """The quality assurance that underpins the micro-credential."""

    types: tuple[Annotated[str, AfterValidator(code_of(QUALITY_ASSURANCE_TYPES))], ...] = Field(min_length=1)
    body: ShortText | None = Field(None, description="the quality assurance or accreditation body")
    description: MultilingualText | None = None
    url: Url | None = None


class StackingTarget(_Model):
    """A larger credential that this micro-credential counts towards."""

    title: MultilingualText
    identifier: ShortText | None = None
    url: Url | None = None


class Integration(_Model):
    """Whether the micro-credential stands alone or stacks towards named credentials."""

    stackability: Annotated[str, AfterValidator(code_of(STACKABILITY))] = "stand-alone"
    towards: tuple[StackingTarget, ...] = ()

    @model_validator(mode="after")
    def _targets(self) -> Integration:
        if self.stackability == "stackable" and not self.towards:
            raise ValueError("a stackable micro-credential names what it stacks towards (towards: [...])")
        if self.stackability == "stand-alone" and self.towards:
            raise ValueError("a stand-alone micro-credential has no 'towards'; use stackability: stackable")
        return self


class Badge(_Model):
    """A definition's badge image: generated by Cairn in a ``colour`` and ``shape``, or an uploaded ``image``
    (its SHA-256; the image itself is stored apart, checked and sanitised)."""

    colour: BadgeColour | None = None
    shape: BadgeShape | None = None
    image: Sha256 | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Badge:
        if self.image is not None and (self.colour is not None or self.shape is not None):
            raise ValueError("a badge is either an uploaded image or a generated colour and shape, not both")
        return self


class MicroCredentialDefinition(_Model):
    """A micro-credential as its issuer describes it: Annex I elements 2-4 and 6-11, plus the optional ones."""

    id: Slug
    title: MultilingualText = Field(json_schema_extra=_annex("Title of the micro-credential"))
    awarding_bodies: tuple[Slug, ...] = Field(
        min_length=1, max_length=20, json_schema_extra=_annex("Awarding body(ies)")
    )
    description: MultilingualText | None = None
    learning_outcomes: tuple[LearningOutcome, ...] = Field(
        min_length=1, max_length=100, json_schema_extra=_annex("Learning outcomes")
    )
    workload: Workload = Field(json_schema_extra=_annex("Notional workload"))
    level: Level = Field(json_schema_extra=_annex("Level of the learning experience"))
    assessment: Assessment = Field(json_schema_extra=_annex("Type of assessment"))
    participation: Participation = Field(json_schema_extra=_annex("Form of participation in the learning activity"))
    quality_assurance: QualityAssurance = Field(json_schema_extra=_annex("Type of quality assurance used"))
    prerequisites: MultilingualText | None = Field(None, json_schema_extra=_annex("Prerequisites"))
    supervision: Annotated[str, AfterValidator(code_of(SUPERVISION))] | None = Field(
        None, json_schema_extra=_annex("Supervision and identity verification")
    )
    grading: MultilingualText | None = Field(
        None, description="the grading scheme", json_schema_extra=_annex("Grade achieved")
    )
    integration: Integration = Field(
        default_factory=Integration, json_schema_extra=_annex("Integration/stackability options")
    )
    further_information: MultilingualText | None = Field(None, json_schema_extra=_annex("Further information"))
    url: Url | None = Field(None, description="a page about the learning opportunity")
    languages: tuple[LanguageTag, ...] = Field((), max_length=30, description="languages of instruction")
    isced_f: Annotated[str, Field(pattern=r"^\d{4}$")] | None = Field(
        None, description="ISCED-F 2013 detailed field code, for example 0613"
    )
    badge: Badge | None = Field(None, description="the badge image: generated (colour, shape) or uploaded (image)")
    validity_months: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_VALIDITY_MONTHS,
        description="how long an award stays valid, in months (credentials get validUntil); none: no expiry",
    )

    @classmethod
    def annex_element(cls, field: str) -> str | None:
        """The Annex I element a top-level field carries, or None."""
        info = cls.model_fields.get(field)
        extra = info.json_schema_extra if info else None
        return str(extra["annex1"]) if isinstance(extra, dict) and "annex1" in extra else None


def content_hash(definition: MicroCredentialDefinition) -> str:
    """SHA-256 (hex) of the definition's canonical JSON: equal content, equal hash."""
    data = definition.model_dump(mode="json", exclude_none=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class SaveAction(StrEnum):
    """What storing a definition does to its versions."""

    CREATE = "create"
    UNCHANGED = "unchanged"
    REPLACE = "replace"
    NEW_VERSION = "new-version"


def plan_save(*, latest_hash: str | None, latest_awarded: bool, new_hash: str) -> SaveAction:
    """Decide how to store a definition whose latest stored version has ``latest_hash``.

    A version that has been awarded is immutable: a change to it becomes a new version, and awards
    keep pointing at theirs. A version never awarded may be corrected in place.
    """
    if latest_hash is None:
        return SaveAction.CREATE
    if latest_hash == new_hash:
        return SaveAction.UNCHANGED
    return SaveAction.NEW_VERSION if latest_awarded else SaveAction.REPLACE
