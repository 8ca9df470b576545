"""A pathway as its issuer writes it: the catalogue file ``kind: pathway`` and its rule tree.

Pure: no I/O. A pathway says which credentials (of any issuer) stack into a composite micro-credential that its
issuer awards (``target``, one of its definitions), optionally towards a qualification in a national register
(Poland's Integrated Qualifications Register, ZRK). Its ``rules`` are one tree: ``all``, ``any`` and ``n_of``
nodes over leaves, each leaf a ``component`` (a definition of this instance, or any issuer's achievement by id) or
``criteria`` (any credential meeting them: ESCO skills, EQF or national level, ECTS, hours, an accredited issuer,
an award date window, a minimum grade); ``totals`` add sums over the credentials counted. One credential counts
for one leaf at most (:mod:`cairn.model.pathways.engine` decides which).

Every rule node is one mapping with exactly one of ``all``, ``any``, ``n_of``, ``component``, ``criteria`` (and an
optional ``label``), so a validation error names the exact path: ``rules.all.1.n_of.n``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from cairn.model.definitions import NationalLevel
from cairn.model.types import CountryCode, EscoSkillUri, MultilingualText, ShortText, Slug, Url
from cairn.vc.values import nests_deeper_than

__all__ = [
    "KIND",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "REVIEWS",
    "AccreditedFor",
    "Component",
    "Criteria",
    "MinGrade",
    "NOf",
    "PathwayDefinition",
    "Qualification",
    "Rule",
    "RuleKind",
    "Totals",
    "Window",
    "content_hash",
    "leaves",
    "load_pathway",
    "walk",
]

KIND = "pathway"
"""The ``kind`` of a pathway document in a catalogue file."""
MAX_DEPTH = 8
"""The deepest rule tree accepted (the root is level 1)."""
MAX_LEAVES = 200
"""The most leaves (components and criteria) one pathway may have."""
REVIEWS = ("automatic", "issuer")
"""``automatic``: the composite is awarded as soon as the rules are met; ``issuer``: it waits for the issuer."""
_RAW_DEPTH = 48
"""Input nesting refused before validation (a tree of :data:`MAX_DEPTH` rules nests about 20 levels)."""

RuleKind = Literal["all", "any", "n_of", "component", "criteria"]
_KINDS: tuple[RuleKind, ...] = ("all", "any", "n_of", "component", "criteria")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _iri(value: str) -> str:
    if len(value) > 2000 or not _IRI.match(value):
        raise ValueError(f"'{value[:80]}' is not an identifier (expected https://... or urn:...)")
    return value


Iri = Annotated[StrictStr, AfterValidator(_iri)]
"""An absolute identifier: an http(s) URL, a ``urn:``, a DID."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Qualification(_Model):
    """A qualification in a national register the pathway leads to (for Poland: ZRK)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, validate_by_name=True, serialize_by_alias=True
    )

    register_: Annotated[StrictStr, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")] = Field(
        alias="register", description="the register's short code, for example ZRK"
    )
    country: CountryCode
    code: ShortText = Field(description="the qualification's code in the register")
    level: StrictInt | None = Field(None, ge=1, le=8, description="its national qualifications framework level")
    url: Url | None = None
    title: MultilingualText | None = None


class Component(_Model):
    """One named credential: a definition of this instance (by slug) or any issuer's achievement (by id)."""

    definition: Slug | None = None
    achievement: Iri | None = Field(None, description="an Open Badges achievement id, or an ELM specifiedBy id")
    title: MultilingualText | None = Field(None, description="how to name it where it is not known here")

    @model_validator(mode="after")
    def _one(self) -> Component:
        if (self.definition is None) == (self.achievement is None):
            raise ValueError("name the component by definition (a slug) or by achievement (its id), one of them")
        return self

    @property
    def key(self) -> str:
        """``definition:<slug>`` or ``achievement:<id>``: equal keys name the same component."""
        return f"definition:{self.definition}" if self.definition else f"achievement:{self.achievement}"


class AccreditedFor(_Model):
    """The issuer is accredited, through a chain this instance trusts, for a field (ISCED-F) and/or an EQF level;
    with neither, any accreditation will do."""

    isced: Annotated[StrictStr, Field(pattern=r"^\d{2,4}$")] | None = Field(
        None, description="an ISCED-F 2013 code: 06 (broad), 061 (narrow) or 0613 (detailed)"
    )
    eqf: StrictInt | None = Field(None, ge=1, le=8)


class Window(_Model):
    """When the credential was awarded: within the last ``months``, or ``after`` and/or ``before`` a day."""

    months: StrictInt | None = Field(None, ge=1, le=1200)
    after: date | None = Field(None, description="on or after this day")
    before: date | None = Field(None, description="before this day")

    @model_validator(mode="after")
    def _some(self) -> Window:
        if self.months is None and self.after is None and self.before is None:
            raise ValueError("give months, or after and/or before (YYYY-MM-DD)")
        if self.months is not None and (self.after is not None or self.before is not None):
            raise ValueError("give either months or after/before, not both")
        return self


class MinGrade(_Model):
    """A minimum grade: a number (higher is better) or a place on a scale written best first."""

    value: StrictFloat | StrictInt | None = Field(None, allow_inf_nan=False)
    scale: tuple[Annotated[StrictStr, Field(min_length=1, max_length=40)], ...] | None = Field(
        None, min_length=2, max_length=30, description="the grades, best first: [A, B, C, D, E]"
    )
    at_least: Annotated[StrictStr, Field(min_length=1, max_length=40)] | None = None

    @model_validator(mode="after")
    def _form(self) -> MinGrade:
        if self.value is not None:
            if self.scale is not None or self.at_least is not None:
                raise ValueError("give either value (a number) or scale with at_least, not both")
            return self
        if self.scale is None or self.at_least is None:
            raise ValueError("give value (a number), or scale (best first) with at_least")
        folded = [grade.casefold() for grade in self.scale]
        if len(set(folded)) != len(folded):
            raise ValueError("a grade appears twice in the scale")
        if self.at_least.casefold() not in folded:
            raise ValueError(f"'{self.at_least}' is not on the scale {', '.join(self.scale)}")
        return self


class Criteria(_Model):
    """Any one credential that meets every criterion given (at least one)."""

    skills: tuple[EscoSkillUri, ...] = Field((), max_length=100, description="ESCO skills the credential covers")
    skills_coverage: float = Field(
        1.0, gt=0, le=1, allow_inf_nan=False, description="the share of the skills one credential must cover"
    )
    eqf_at_least: StrictInt | None = Field(None, ge=1, le=8)
    nqf_at_least: NationalLevel | None = None
    ects_at_least: float | None = Field(None, gt=0, le=300, allow_inf_nan=False)
    hours_at_least: float | None = Field(None, gt=0, le=20_000, allow_inf_nan=False)
    accredited_for: AccreditedFor | None = None
    awarded_within: Window | None = None
    min_grade: MinGrade | None = None
    title: MultilingualText | None = Field(None, description="how the part is named where it is shown")

    @model_validator(mode="after")
    def _something(self) -> Criteria:
        given = [name for name in type(self).model_fields if name not in ("title", "skills_coverage")]
        if not any(getattr(self, name) not in (None, ()) for name in given):
            raise ValueError(f"give at least one criterion: {', '.join(given)}")
        if self.skills_coverage != 1.0 and not self.skills:
            raise ValueError("skills_coverage needs skills")
        if len(set(self.skills)) != len(self.skills):
            raise ValueError("a skill is listed twice")
        return self


class NOf(_Model):
    """At least ``n`` of the rules ``of``."""

    n: StrictInt = Field(ge=1)
    of: tuple[Rule, ...] = Field(min_length=1, max_length=MAX_LEAVES)

    @model_validator(mode="after")
    def _n(self) -> NOf:
        if self.n > len(self.of):
            raise ValueError(f"n is {self.n} but there are only {len(self.of)} rules to choose from")
        return self


class Rule(_Model):
    """One node of the rule tree: exactly one of ``all``, ``any``, ``n_of``, ``component``, ``criteria``."""

    all: tuple[Rule, ...] | None = Field(None, min_length=1, max_length=MAX_LEAVES)
    any: tuple[Rule, ...] | None = Field(None, min_length=1, max_length=MAX_LEAVES)
    n_of: NOf | None = None
    component: Component | None = None
    criteria: Criteria | None = None
    label: MultilingualText | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            given = [kind for kind in _KINDS if data.get(kind) is not None]
            if len(given) != 1:
                raise PydanticCustomError(
                    "rule_kind",
                    "a rule is exactly one of all, any, n_of, component, criteria (got {given})",
                    {"given": ", ".join(given) or "none"},
                )
        return data

    @property
    def kind(self) -> RuleKind:
        """Which of the five this node is."""
        return next(kind for kind in _KINDS if getattr(self, kind) is not None)

    @property
    def children(self) -> tuple[Rule, ...]:
        """The rules under an ``all``, ``any`` or ``n_of``; () for a leaf."""
        if self.n_of is not None:
            return self.n_of.of
        return self.all or self.any or ()

    @property
    def is_leaf(self) -> bool:
        """A component or criteria."""
        return self.component is not None or self.criteria is not None


NOf.model_rebuild()


class Totals(_Model):
    """Sums over the credentials counted for the rules."""

    ects_at_least: float | None = Field(None, gt=0, le=1000, allow_inf_nan=False)
    hours_at_least: float | None = Field(None, gt=0, le=50_000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _something(self) -> Totals:
        if self.ects_at_least is None and self.hours_at_least is None:
            raise ValueError("give ects_at_least, hours_at_least or both")
        return self


def _path_of(path: str, kind: str, index: int | None = None) -> str:
    return f"{path}.{kind}[{index}]" if index is not None else f"{path}.{kind}"


def walk(rule: Rule, path: str = "rules") -> Iterator[tuple[str, Rule, int]]:
    """Every node under (and with) ``rule``, depth first in order: ``(path, node, depth)``; paths read
    ``rules.all[1].n_of.of[0]``, the root is depth 1."""
    stack: list[tuple[str, Rule, int]] = [(path, rule, 1)]
    while stack:
        here, node, depth = stack.pop()
        yield here, node, depth
        kind = node.kind
        if kind in ("all", "any"):
            stack.extend(
                (f"{here}.{kind}[{i}]", child, depth + 1) for i, child in reversed(list(enumerate(node.children)))
            )
        elif kind == "n_of":
            stack.extend(
                (f"{here}.n_of.of[{i}]", child, depth + 1) for i, child in reversed(list(enumerate(node.children)))
            )


def leaves(rule: Rule, path: str = "rules") -> list[tuple[str, Rule]]:
    """The components and criteria under ``rule``, in order, with their paths."""
    return [(here, node) for here, node, _ in walk(rule, path) if node.is_leaf]


class PathwayDefinition(_Model):
    """A pathway: the rules under which ``issuer`` awards its definition ``target`` as a composite credential."""

    id: Slug
    title: MultilingualText
    description: MultilingualText | None = None
    issuer: Slug = Field(description="the organisation that awards the target")
    target: Slug = Field(description="the issuer's definition awarded when the rules are met")
    qualification: Qualification | None = None
    review: Literal["automatic", "issuer"] = "issuer"
    rules: Rule
    totals: Totals | None = None

    @field_validator("rules")
    @classmethod
    def _limits(cls, rules: Rule) -> Rule:
        count = 0
        for path, node, depth in walk(rules):
            if depth > MAX_DEPTH:
                raise ValueError(f"the rules nest deeper than {MAX_DEPTH} levels (at {path})")
            count += node.is_leaf
        if count > MAX_LEAVES:
            raise ValueError(f"the rules have {count} components and criteria; at most {MAX_LEAVES}")
        return rules


def load_pathway(data: Mapping[str, Any]) -> PathwayDefinition:
    """Validate a pathway document (``kind: pathway`` may be given); raises pydantic's ValidationError, each error
    with its field path (``rules.all.1.n_of.n``)."""
    body = dict(data)
    kind = body.pop("kind", KIND)
    if kind != KIND:
        raise ValidationError.from_exception_data(
            "PathwayDefinition",
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "kind", "a pathway document says kind: pathway (got {kind})", {"kind": str(kind)[:40]}
                    ),
                    loc=("kind",),
                    input=kind,
                )
            ],
        )
    if nests_deeper_than(body, _RAW_DEPTH):
        raise ValidationError.from_exception_data(
            "PathwayDefinition",
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "too_deep", "the rules nest deeper than {limit} levels", {"limit": MAX_DEPTH}
                    ),
                    loc=("rules",),
                    input="...",
                )
            ],
        )
    return PathwayDefinition.model_validate(body)


def content_hash(pathway: PathwayDefinition) -> str:
    """SHA-256 (hex) of the pathway's canonical JSON: equal content, equal hash."""
    data = pathway.model_dump(mode="json", exclude_none=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
