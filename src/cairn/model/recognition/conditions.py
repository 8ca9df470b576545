"""The conditions of recognition rules as checks, each with what it needs and why a credential fails it, in words.

Two sorts. **Per-credential** conditions (an accredited issuer, a level, assessed, identity verified, quality
assured, awarded recently, a minimum grade, an accepted credential) hold for each credential that counts; those the
pathways also ask are the pathways' own checks (:func:`cairn.model.pathways.matching.checks_of`), so a credential
fails the EQF level here for the same reason, in the same words, as in a pathway. **Thresholds** (the share of the
course's ESCO skills covered, ECTS, hours) hold for the credentials counted together when the rules combine them,
else for the one credential; a partial tier lowers them (:class:`Tier`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cairn.formats.facts import Facts
from cairn.model.pathways import Criteria, Rule, describe
from cairn.model.pathways.matching import checks_of
from cairn.model.pathways.words import number
from cairn.model.recognition.results import Aspect
from cairn.model.recognition.rules import Conditions, Course, RecognitionRules
from cairn.model.vocabularies import QUALITY_ASSURANCE_TYPES
from cairn.phrases import Phrase

__all__ = ["Bundle", "CredentialCheck", "Threshold", "Tier", "credential_checks", "percent", "threshold_needs", "tiers"]

Test = Callable[[Facts, datetime], Phrase | None]
"""None: the credential passes; else why not."""


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """A per-credential condition."""

    key: str
    aspect: Aspect
    needs: Phrase
    test: Test

    @property
    def path(self) -> str:
        """Where the condition is in the rules document."""
        return f"conditions.{self.key}"


def percent(share: float) -> str:
    """``80%`` for 0.8: how a share of skills is written."""
    return f"{number(round(share * 100, 1))}%"


def _pathway_check(key: str, aspect: Aspect, criterion: dict[str, Any]) -> CredentialCheck:
    """The pathways' check of one criterion, with the pathways' words for what it needs."""
    criteria = Criteria.model_validate(criterion)
    (check,) = checks_of(criteria)
    test = check.test
    return CredentialCheck(key, aspect, describe(Rule(criteria=criteria)), lambda facts, now: test(facts, now, False))


def _assessed(facts: Facts, now: datetime) -> Phrase | None:
    return None if facts.assessed else Phrase("it does not state how the learning was assessed")


def _identity(facts: Facts, now: datetime) -> Phrase | None:
    checked = facts.identity_checked
    if checked:
        return None
    if checked is None:
        return Phrase("it does not state whether the learner's identity was verified at the assessment")
    return Phrase("the learner's identity was not verified at the assessment")


def _quality(asked: tuple[str, ...]) -> Test:
    def test(facts: Facts, now: datetime) -> Phrase | None:
        stated = facts.quality_assurance
        if not stated:
            return Phrase("it states no quality assurance")
        if "any" in asked or set(stated) & set(asked):
            return None
        return Phrase("its quality assurance (%(types)s) is not one of those asked", types=", ".join(stated[:5]))

    return test


def _accepted(definitions: frozenset[str], achievements: frozenset[str], issuers: frozenset[str]) -> Test:
    def test(facts: Facts, now: datetime) -> Phrase | None:
        if (
            (facts.definition and facts.definition in definitions)
            or (facts.achievement_id and facts.achievement_id.rstrip("/") in achievements)
            or (facts.issuer_id and facts.issuer_id in issuers)
        ):
            return None
        return Phrase("it is not one of the credentials these rules accept")

    return test


def credential_checks(conditions: Conditions) -> tuple[CredentialCheck, ...]:
    """The per-credential conditions the rules ask, in the order the rules document lists them."""
    out: list[CredentialCheck] = []
    if conditions.accredited_for is not None:
        out.append(_pathway_check("accredited_for", "issuer", {"accredited_for": conditions.accredited_for}))
    if conditions.eqf_at_least is not None:
        out.append(_pathway_check("eqf_at_least", "level", {"eqf_at_least": conditions.eqf_at_least}))
    if conditions.nqf_at_least is not None:
        out.append(_pathway_check("nqf_at_least", "level", {"nqf_at_least": conditions.nqf_at_least}))
    if conditions.assessed:
        out.append(
            CredentialCheck("assessed", "assessment", Phrase("a credential stating how it was assessed"), _assessed)
        )
    if conditions.identity_verified:
        needs = Phrase("a credential assessed with the learner's identity verified")
        out.append(CredentialCheck("identity_verified", "identity", needs, _identity))
    if (quality := conditions.quality_assurance) is not None:
        if "any" in quality:
            needs = Phrase("a credential stating its quality assurance")
        else:
            types = [Phrase(QUALITY_ASSURANCE_TYPES.label(code)) for code in quality]
            needs = Phrase("a credential under %(types)s", types=types)
        out.append(CredentialCheck("quality_assurance", "quality", needs, _quality(quality)))
    if conditions.awarded_within is not None:
        out.append(_pathway_check("awarded_within", "date", {"awarded_within": conditions.awarded_within}))
    if conditions.min_grade is not None:
        out.append(_pathway_check("min_grade", "grade", {"min_grade": conditions.min_grade}))
    if (accepted := conditions.accepted) is not None:
        test = _accepted(
            frozenset(accepted.definitions),
            frozenset(a.rstrip("/") for a in accepted.achievements),
            frozenset(accepted.issuers),
        )
        out.append(CredentialCheck("accepted", "accepted", Phrase("one of the credentials these rules accept"), test))
    return tuple(out)


# -- thresholds ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    """One threshold of a tier: ``skills_coverage``, ``ects_at_least`` or ``hours_at_least`` and its value."""

    key: str
    aspect: Aspect
    value: float

    @property
    def path(self) -> str:
        """Where the condition is in the rules document."""
        return f"conditions.{self.key}"


@dataclass(frozen=True, slots=True)
class Tier:
    """The full outcome (``partial`` False) or a partial tier: the ECTS recognised and the thresholds to reach."""

    ects: float
    thresholds: tuple[Threshold, ...]
    partial: bool


def _thresholds(conditions: Conditions, tier: Any = None) -> tuple[Threshold, ...]:
    out = []
    measures: tuple[tuple[str, Aspect], ...] = (
        ("skills_coverage", "outcomes"),
        ("ects_at_least", "workload"),
        ("hours_at_least", "workload"),
    )
    for key, aspect in measures:
        value = getattr(tier, key, None) if tier is not None else None
        value = value if value is not None else getattr(conditions, key)
        if value is not None:
            out.append(Threshold(key, aspect, float(value)))
    return tuple(out)


def tiers(rules: RecognitionRules, course: Course) -> tuple[Tier, ...]:
    """The full outcome first, then the partial tiers, most ECTS first."""
    full = rules.outcome.ects if rules.outcome.ects is not None else course.ects or 0.0
    partial = sorted(rules.outcome.partial, key=lambda t: -t.ects)
    return (
        Tier(float(full), _thresholds(rules.conditions), False),
        *(Tier(float(t.ects), _thresholds(rules.conditions, t), True) for t in partial),
    )


@dataclass(frozen=True, slots=True)
class Bundle:
    """Credentials taken together: the course skills they cover, their ECTS and hours (None where none states
    any)."""

    course: tuple[str, ...]
    covered: frozenset[str]
    ects: float | None
    hours: float | None

    @classmethod
    def of(cls, course: tuple[str, ...], facts: Sequence[Facts], skills: Sequence[frozenset[str]]) -> Bundle:
        """The bundle of ``facts``, whose course skills are ``skills`` (one set each)."""
        ects = [f.ects for f in facts if f.ects is not None]
        hours = [f.hours for f in facts if f.hours is not None]
        covered = frozenset().union(*skills) if skills else frozenset()
        return cls(course, covered, float(sum(ects)) if ects else None, float(sum(hours)) if hours else None)

    @property
    def share(self) -> float:
        """The share of the course's skills covered."""
        return len(self.covered) / len(self.course) if self.course else 0.0

    def have(self, key: str) -> Phrase:
        """What the bundle has of a threshold's measure (``skills_coverage``, ``ects_at_least``,
        ``hours_at_least``), in words."""
        if key == "skills_coverage":
            return Phrase(
                "%(covered)s of the course's %(count)s ESCO skills covered (%(share)s)",
                covered=str(len(self.covered)),
                count=str(len(self.course)),
                share=percent(self.share),
            )
        if key == "ects_at_least":
            return (
                Phrase("%(ects)s ECTS", ects=number(self.ects)) if self.ects is not None else Phrase("no ECTS stated")
            )
        if self.hours is not None:
            return Phrase("%(hours)s hours of learning", hours=number(self.hours))
        return Phrase("no workload in hours stated")

    def fails(self, threshold: Threshold) -> bool:
        """Whether the bundle falls short of ``threshold``."""
        if threshold.key == "skills_coverage":
            have: float | None = self.share
        else:
            have = self.ects if threshold.key == "ects_at_least" else self.hours
        return have is None or have + 1e-9 < threshold.value

    def reaches(self, tier: Tier) -> bool:
        """Whether every threshold of ``tier`` is reached."""
        return not any(self.fails(t) for t in tier.thresholds)


def threshold_needs(threshold: Threshold, combine: bool) -> Phrase:
    """What a threshold needs, in words."""
    if threshold.key == "skills_coverage":
        if combine:
            return Phrase(
                "credentials covering together %(share)s of the course's ESCO skills", share=percent(threshold.value)
            )
        return Phrase("a credential covering %(share)s of the course's ESCO skills", share=percent(threshold.value))
    if threshold.key == "ects_at_least":
        if combine:
            return Phrase("credentials of at least %(ects)s ECTS together", ects=number(threshold.value))
        return Phrase("a credential of at least %(ects)s ECTS", ects=number(threshold.value))
    if combine:
        return Phrase("credentials of at least %(hours)s hours of learning together", hours=number(threshold.value))
    return Phrase("a credential of at least %(hours)s hours of learning", hours=number(threshold.value))
