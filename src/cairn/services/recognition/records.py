"""What the recognition services keep and show of an application: its states, the view of one, the assessment as
JSON, and the precedent key of a decision taken on a stored assessment."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cairn.model.recognition import Assessment, Decision, Evidence, SkillsOverlap, precedent_key
from cairn.phrases import Phrase
from cairn.store.tables import RecognitionApplicationRow

__all__ = [
    "APPEALED",
    "AUTOMATIC",
    "DECIDED",
    "DECISIONS",
    "MORE_INFO",
    "OPEN",
    "REVIEW",
    "ApplicationView",
    "PresentedView",
    "assessment_json",
    "decision_key",
    "view_of",
]

AUTOMATIC: Final = "automatic-decided"
"""Decided at once: by the rules (``review: automatic``) or by a precedent."""
REVIEW: Final = "review"
MORE_INFO: Final = "more-info-requested"
DECIDED: Final = "decided"
APPEALED: Final = "appealed"
OPEN: Final = (REVIEW, MORE_INFO, APPEALED)
"""The states of an application in the institution's queue."""
DECISIONS: Final = ("full", "partial", "refused")


@dataclass(frozen=True, slots=True)
class PresentedView:
    """One credential presented with an application."""

    id: str
    title: str
    issuer: str
    digest: str
    status: str
    counted: bool
    trusted: bool = False
    """Its issuer is vouched for (by the trust network, or one of this instance's organisations)."""


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """An application for recognition, as the learner and the reviewer see it."""

    public_id: str
    rules: str
    rules_version: int
    course: str
    institution: str
    holder: str
    state: str
    decision: str | None
    """``full``, ``partial``, ``refused``; None while nobody has decided."""
    ects: float | None
    full_ects: float
    automatic: bool
    deadline: datetime | None
    reviewer: str | None
    differences: tuple[str, ...]
    reason: str | None
    messages: tuple[Mapping[str, Any], ...]
    award_id: str | None
    precedent_of: str | None
    appeals: int
    created_at: datetime
    decided_at: datetime | None
    explanation: Mapping[str, Any]
    """The engine's sentence as a stored :class:`~cairn.phrases.Phrase` (``say`` turns it into words)."""
    presented: tuple[PresentedView, ...]
    assessment: Mapping[str, Any]
    """What the engine found, as JSON (conditions, skills, the side-by-side, the substantial differences)."""
    language: str | None = None
    """The applicant's language (``en``, ``pl``) when they gave one."""
    access_key: str | None = field(default=None, repr=False)
    """The applicant's access key, only on the view :meth:`RecognitionService.apply_with_presentation` answers
    (once: only its SHA-256 is kept); None on every other view."""


def _json(value: Any) -> Any:
    if isinstance(value, Phrase):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def assessment_json(assessment: Assessment) -> dict[str, Any]:
    """``assessment`` as JSON: every field, phrases as ``{"msgid", "args"}``."""
    data = _json(assessment)
    assert isinstance(data, dict)
    return data


def decision_key(stored: Mapping[str, Any], *, version: int, decision: str, ects: float) -> str:
    """The :func:`~cairn.model.recognition.precedent_key` of ``decision`` (``refused`` is the engine's ``none``)
    taken on the stored assessment ``stored`` under rules version ``version``."""
    evidence = tuple(
        Evidence(
            str(e.get("credential_id") or ""),
            str(e.get("achievement_id") or ""),
            str(e.get("definition") or ""),
            str(e.get("issuer_id") or ""),
        )
        for e in stored.get("evidence") or ()
        if isinstance(e, Mapping)
    )
    keyed = Assessment(
        rules=str(stored.get("rules")),
        course=str(stored.get("course")),
        decision="none",
        ects=0.0,
        full_ects=0.0,
        automatic=False,
        explanation=Phrase("decided"),
        counted=(),
        credentials=(),
        conditions=(),
        skills=SkillsOverlap((), (), (), 0.0),
        comparison=(),
        differences=(),
        evidence=evidence,
        course_digest=str(stored.get("course_digest")),
    )
    taken: Decision = "none" if decision == "refused" else "full" if decision == "full" else "partial"
    digests = {str(k): str(v) for k, v in (stored.get("digests") or {}).items()}
    return precedent_key(keyed, version=version, decision=taken, ects=ects, digests=digests)


def _items(row: RecognitionApplicationRow) -> Sequence[Mapping[str, Any]]:
    return [i for i in (row.presented.get("items") or []) if isinstance(i, Mapping)]


def view_of(row: RecognitionApplicationRow, slugs: tuple[str, str, str]) -> ApplicationView:
    """The view of ``row``; ``slugs``: its rules', course's and institution's."""
    assessment = dict(row.assessment)
    return ApplicationView(
        public_id=row.public_id,
        rules=slugs[0],
        rules_version=row.rules_version,
        course=slugs[1],
        institution=slugs[2],
        holder=row.holder,
        state=row.state,
        decision=row.decision,
        ects=row.ects,
        full_ects=float(assessment.get("full_ects") or 0.0),
        automatic=row.automatic,
        deadline=row.deadline,
        reviewer=row.reviewer,
        differences=tuple(str(d) for d in row.differences.get("items") or ()),
        reason=row.reason,
        messages=tuple(m for m in row.messages.get("items") or () if isinstance(m, Mapping)),
        award_id=row.award_id,
        precedent_of=row.precedent_of,
        appeals=row.appeals,
        created_at=row.created_at,
        decided_at=row.decided_at,
        explanation=assessment.get("explanation") or {},
        presented=tuple(
            PresentedView(
                str(i.get("id")),
                str(i.get("title") or ""),
                str(i.get("issuer") or ""),
                str(i.get("digest") or ""),
                str(i.get("status") or ""),
                bool(i.get("counted")),
                bool(i.get("trusted")),
            )
            for i in _items(row)
        ),
        assessment=assessment,
        language=row.language,
    )
