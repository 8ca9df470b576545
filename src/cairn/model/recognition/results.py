"""What assessing an application against recognition rules gives: the decision proposed, every credential and
condition with its words, the skills overlap, the side-by-side comparison a reviewer reads, and the substantial
differences a refusal or a partial decision states.

Every sentence is a :class:`cairn.phrases.Phrase` (plain English msgids, said in the reader's language by pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cairn.phrases import Phrase

__all__ = [
    "Aspect",
    "Assessment",
    "ConditionResult",
    "CredentialResult",
    "Decision",
    "Difference",
    "Evidence",
    "Side",
    "SkillsOverlap",
]

Decision = Literal["full", "partial", "none"]
"""Recognised fully (the outcome's ECTS), partially (a lower tier's ECTS), or not."""
Aspect = Literal[
    "issuer", "level", "workload", "outcomes", "assessment", "identity", "quality", "date", "grade", "accepted"
]
"""What a condition, a comparison row or a difference is about (the ETF guide's criteria of recognition offices:
quality assurance, level, learning outcomes, workload, assessment, identity; plus the rules' own date, grade and
accepted credentials)."""


@dataclass(frozen=True, slots=True)
class CredentialResult:
    """One presented credential: whether it counts, and why not."""

    credential_id: str
    title: str
    issuer: str
    """The issuer's name as the credential states it (display only), else its id."""
    counted: bool
    explanation: Phrase
    reasons: tuple[Phrase, ...] = ()
    """Why it does not count (invalid, expired, someone else's, a condition not met, counted already)."""
    covers: tuple[str, ...] = ()
    """The course's ESCO skills it covers."""


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """One condition of the rules, evaluated against the credentials compared (those counted, or when none counts,
    those a reviewer would compare)."""

    key: str
    """The condition's name in the rules: ``eqf_at_least``, ``skills_coverage``, ..."""
    path: str
    """Where it is in the rules document: ``conditions.eqf_at_least``."""
    aspect: Aspect
    needs: Phrase
    met: bool
    explanation: Phrase


@dataclass(frozen=True, slots=True)
class SkillsOverlap:
    """The course's ESCO skills against the credentials' (compared together when the rules combine them)."""

    course: tuple[str, ...]
    covered: tuple[str, ...]
    missing: tuple[str, ...]
    share: float
    """0..1: ``len(covered) / len(course)``."""
    by_credential: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(credential id, the course skills it covers)`` for each credential compared."""


@dataclass(frozen=True, slots=True)
class Side:
    """One row of the reviewer's side-by-side: the course's value and the credentials' values of an aspect."""

    aspect: Aspect
    course: Phrase
    presented: Phrase
    met: bool | None
    """Whether the rules' condition on this aspect is met; None when the rules ask nothing of it."""


@dataclass(frozen=True, slots=True)
class Difference:
    """A substantial difference (Lisbon Recognition Convention, art. VI.1) between the course and the credentials,
    as the rules define it: what a reviewer states in a refusal or a partial decision."""

    aspect: Aspect
    path: str
    """The condition of the rules it comes from (``conditions.skills_coverage``)."""
    name: Phrase
    """The difference named shortly: ``a lower level``."""
    explanation: Phrase
    """The difference with what was found: ``a lower level (not met: Data analysis: it is at EQF level 4, below 5)``."""
    credentials: tuple[str, ...] = ()
    """The credentials it concerns (those failing a per-credential condition; all compared for a total)."""
    skills: tuple[str, ...] = ()
    """For ``outcomes``: the course's ESCO skills not covered."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What identifies one counted (or compared) credential in a precedent: see
    :func:`cairn.model.recognition.precedent_key`."""

    credential_id: str
    achievement_id: str
    definition: str
    issuer_id: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """An application assessed against recognition rules at one moment."""

    rules: str
    course: str
    decision: Decision
    ects: float
    """The ECTS proposed (0 when not recognised, and for a course or job profile without ECTS)."""
    full_ects: float
    """The ECTS of a full recognition (the outcome's, else the course's, else 0)."""
    automatic: bool
    """True when the decision may be taken without a person: the rules say ``review: automatic`` and the
    credentials are recognised (fully or partially). A refusal always goes to a reviewer, who states the
    substantial differences."""
    explanation: Phrase
    counted: tuple[str, ...]
    """The credential ids counted."""
    credentials: tuple[CredentialResult, ...]
    """Every presented credential (up to the limit), in the order presented."""
    conditions: tuple[ConditionResult, ...]
    skills: SkillsOverlap
    comparison: tuple[Side, ...]
    differences: tuple[Difference, ...]
    """The full conditions not met (empty for a full recognition)."""
    evidence: tuple[Evidence, ...]
    """The credentials counted, or when none counts those compared: what a precedent is keyed on."""
    course_digest: str
    """SHA-256 (hex) of what of the course a decision depends on (its id, skills, ECTS, hours, levels, field)."""
    ignored: int = 0
    """Credentials presented beyond the limit, not looked at."""
