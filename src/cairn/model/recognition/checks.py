"""Static checks of recognition rules against their course, before anyone applies: the rules name the course, the
institution publishes rules for its own courses, and the ECTS and thresholds can mean something for this course."""

from __future__ import annotations

import math

from cairn.errors import Problem
from cairn.model.pathways.words import number
from cairn.model.recognition.rules import Course, RecognitionRules
from cairn.phrases import Phrase

__all__ = ["check_recognition"]


def _needed(share: float, count: int) -> int:
    return max(1, math.ceil(share * count - 1e-9))


def check_recognition(rules: RecognitionRules, course: Course, *, source: str = "") -> list[Problem]:
    """Every problem of ``rules`` with ``course``, each a :class:`cairn.errors.Problem` whose path says where
    (``outcome.partial[0].ects``) and whose message is a :class:`cairn.phrases.Phrase`. ``source``: how the
    problems name the rules (default: their id)."""
    source = source or rules.id
    out: list[Problem] = []
    if rules.course != course.id:
        out.append(
            Problem(
                source,
                "course",
                Phrase("the rules name %(rules)s, not %(course)s", rules=rules.course, course=course.id),
            )
        )
    if rules.institution != course.institution:
        out.append(
            Problem(
                source,
                "institution",
                Phrase(
                    "%(course)s is taught by %(owner)s: only %(owner)s publishes rules for it",
                    course=course.id,
                    owner=course.institution,
                ),
            )
        )
    full = rules.outcome.ects if rules.outcome.ects is not None else course.ects
    if rules.outcome.ects is not None and course.ects is not None and rules.outcome.ects > course.ects:
        out.append(
            Problem(
                source,
                "outcome.ects",
                Phrase("more than the course's %(ects)s ECTS", ects=number(course.ects)),
            )
        )
    if rules.outcome.partial and full is None:
        out.append(Problem(source, "outcome.partial", Phrase("partial tiers need the ECTS of the full outcome")))
    count = len(course.skills)
    asked = rules.conditions.skills_coverage
    for i, tier in enumerate(rules.outcome.partial):
        if rules.outcome.ects is None and course.ects is not None and tier.ects >= course.ects:
            # (against the outcome's own ECTS, load_recognition checks it)
            message = Phrase("a partial tier recognises fewer than %(full)s ECTS", full=number(course.ects))
            out.append(Problem(source, f"outcome.partial[{i}].ects", message))
        if (
            tier.skills_coverage is not None
            and asked is not None
            and _needed(tier.skills_coverage, count) == _needed(asked, count)
        ):
            message = Phrase(
                "with the course's %(count)s ESCO skills this tier needs as many skills as the full outcome (%(n)s)",
                count=str(count),
                n=str(_needed(asked, count)),
            )
            out.append(Problem(source, f"outcome.partial[{i}].skills_coverage", message))
    return out
