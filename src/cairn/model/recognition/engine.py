"""Assessing an application: which presented credentials count towards a course under recognition rules, the
decision proposed, and why, in words.

A presented credential counts when it verified and has not expired (the pathways' :func:`usable`), is the
applicant's, is not a second credential of the same micro-credential (the pathways' :func:`group_key`), and meets
every per-credential condition. Then the thresholds (skills share, ECTS, hours) decide the tier: the full outcome,
a partial tier, or none. Combined, the credentials that count are chosen greedily (most new course skills first,
then most ECTS) and only as many as reach the best tier reachable; not combined, the single best credential counts.

When nothing counts, the conditions and the comparison are worked out for the credentials a reviewer would compare
(those that would count but for a condition), so a refusal lists the substantial differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from cairn.formats.facts import Facts
from cairn.model.pathways import group_key
from cairn.model.pathways.matching import usable
from cairn.model.pathways.words import number
from cairn.model.recognition.compare import comparison, condition_results, differences, title_of
from cairn.model.recognition.conditions import Bundle, CredentialCheck, Tier, credential_checks, tiers
from cairn.model.recognition.precedent import course_digest
from cairn.model.recognition.results import Assessment, CredentialResult, Decision, Evidence, SkillsOverlap
from cairn.model.recognition.rules import Course, RecognitionRules
from cairn.model.trust import Scope
from cairn.model.types import pick
from cairn.phrases import Phrase

__all__ = ["MAX_PRESENTED", "MAX_SKILLS", "assess"]

MAX_PRESENTED = 50
"""Credentials looked at in one application; more are counted as ignored."""
MAX_SKILLS = 500
"""Skills of one credential looked at."""


@dataclass(slots=True)
class _Seen:
    """One presented credential as the engine goes: its facts, course skills, why it does not count."""

    facts: Facts
    skills: frozenset[str]
    reasons: list[Phrase]
    failing: list[tuple[CredentialCheck, Phrase]]
    candidate: bool
    """Usable, the applicant's, and the first of its micro-credential: only conditions may stop it."""


def _number_ok(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value))


def _readable(facts: Any) -> bool:
    """Whether ``facts`` is a :class:`Facts` whose fields have the types the engine reads (a caller may have built
    it from anything)."""
    if not isinstance(facts, Facts):
        return False
    texts = (facts.credential_id, facts.achievement_id, facts.definition, facts.issuer_id, facts.issuer_name)
    more = (facts.title, facts.grade, facts.holder, facts.nqf_framework, facts.supervision, facts.isced)
    return (
        all(isinstance(t, str) for t in (*texts, *more))
        and isinstance(facts.skills, tuple)
        and all(isinstance(s, str) for s in facts.skills[:MAX_SKILLS])
        and isinstance(facts.quality_assurance, tuple)
        and all(isinstance(q, str) for q in facts.quality_assurance[:50])
        and isinstance(facts.trusted_scopes, tuple)
        and all(isinstance(s, Scope) for s in facts.trusted_scopes[:50])
        and all(_number_ok(v) for v in (facts.ects, facts.hours))
        and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (facts.eqf, facts.nqf_level))
        and all(v is None or isinstance(v, datetime) for v in (facts.awarded_at, facts.valid_until))
        and isinstance(facts.valid, bool)
        and (facts.assessed is None or isinstance(facts.assessed, bool))
        and isinstance(facts.invalid_reason, str)
    )


def _applicant(presented: Sequence[Any], holder: str) -> str:
    """The applicant: ``holder``, else the holder the first readable credential names ('' when none does)."""
    if holder:
        return holder
    return next((f.holder for f in presented if _readable(f) and f.holder), "")


def _look(
    presented: Sequence[Any], course: frozenset[str], checks: Sequence[CredentialCheck], holder: str, now: datetime
) -> list[_Seen]:
    seen: list[_Seen] = []
    groups: dict[str, str] = {}
    for facts in presented:
        if not _readable(facts):
            blank = Facts(credential_id="")
            seen.append(_Seen(blank, frozenset(), [Phrase("what it states cannot be read")], [], False))
            continue
        reasons: list[Phrase] = []
        why = usable(facts, now)
        if why is not None:
            reasons.append(why)
        if holder and facts.holder != holder:
            reasons.append(Phrase("it names no holder") if not facts.holder else Phrase("it is about someone else"))
        if not reasons:
            key = group_key(facts)
            if key in groups:
                reasons.append(
                    Phrase("another credential of the same micro-credential is %(title)s", title=groups[key])
                )
            else:
                groups[key] = title_of(facts)
        failing = [(c, w) for c in checks if (w := c.test(facts, now)) is not None]
        skills = frozenset(facts.skills[:MAX_SKILLS]) & course
        seen.append(_Seen(facts, skills, reasons, failing, not reasons))
    return seen


def _tier_of(bundle: Bundle, all_tiers: Sequence[Tier]) -> int | None:
    return next((i for i, tier in enumerate(all_tiers) if bundle.reaches(tier)), None)


def _greedy(seen: list[_Seen], indexes: list[int], limit: int) -> list[int]:
    """``indexes`` in the order a combination takes them: most new course skills first, then most ECTS, hours."""
    chosen: list[int] = []
    covered: frozenset[str] = frozenset()
    left = list(indexes)
    while left and len(chosen) < limit:
        best = max(
            left,
            key=lambda i: (len(seen[i].skills - covered), seen[i].facts.ects or 0.0, seen[i].facts.hours or 0.0, -i),
        )
        chosen.append(best)
        left.remove(best)
        covered |= seen[best].skills
    return chosen


def _bundle(course: tuple[str, ...], seen: list[_Seen], indexes: Sequence[int]) -> Bundle:
    return Bundle.of(course, [seen[i].facts for i in indexes], [seen[i].skills for i in indexes])


def _choose(
    rules: RecognitionRules, course: tuple[str, ...], seen: list[_Seen], all_tiers: Sequence[Tier]
) -> tuple[list[int], int | None, list[int]]:
    """``(counted, tier, compared)``: the credentials that count and the tier they reach (None: no tier), and the
    credentials the conditions and the comparison are worked out for."""
    eligible = [i for i, s in enumerate(seen) if s.candidate and not s.failing]
    candidates = [i for i, s in enumerate(seen) if s.candidate]
    limit = rules.outcome.max_credentials
    if rules.outcome.combine:
        order = _greedy(seen, eligible, limit)
        best: tuple[int, int] | None = None  # (tier, how many)
        for k in range(1, len(order) + 1):
            tier = _tier_of(_bundle(course, seen, order[:k]), all_tiers)
            if tier is not None and (best is None or tier < best[0]):
                best = (tier, k)
        if best is not None:
            counted = order[: best[1]]
            return counted, best[0], counted
        return [], None, order or _greedy(seen, candidates, limit)

    def rank(i: int) -> tuple[int, int, float, float, int]:
        bundle = _bundle(course, seen, [i])
        tier = _tier_of(bundle, all_tiers) if not seen[i].failing else None
        return (len(all_tiers) if tier is None else tier, len(seen[i].failing), -bundle.share, -(bundle.ects or 0), i)

    if not candidates:
        return [], None, []
    best_one = min(candidates, key=rank)
    found = rank(best_one)[0]
    if found < len(all_tiers):
        return [best_one], found, [best_one]
    return [], None, [best_one]


def _summary(
    decision: Decision, ects: float, full: float, course: str, automatic: bool, lacking: list[Phrase]
) -> Phrase:
    if decision == "full":
        said = (
            Phrase("recognised: %(ects)s ECTS towards %(course)s", ects=number(ects), course=course)
            if ects
            else Phrase("recognised towards %(course)s", course=course)
        )
    elif decision == "partial":
        said = Phrase(
            "partly recognised: %(ects)s of %(full)s ECTS towards %(course)s",
            ects=number(ects),
            full=number(full),
            course=course,
        )
    elif lacking:
        said = Phrase("not recognised towards %(course)s: %(lacking)s", course=course, lacking=lacking)
    else:
        said = Phrase("not recognised towards %(course)s: none of the credentials presented counts", course=course)
    review = Phrase("decided by the rules") if automatic else Phrase("for a reviewer to decide")
    return Phrase("%(outcome)s (%(review)s)", outcome=said, review=review)


def _short(rules: RecognitionRules, lowest: Tier, bundle: Bundle) -> Phrase:
    """Why a credential meeting every condition still does not count: the lowest tier's thresholds not reached."""
    have = [bundle.have(t.key) for t in lowest.thresholds if bundle.fails(t)]
    if rules.outcome.combine:
        return Phrase("the credentials together fall short: %(have)s", have=have)
    return Phrase("it falls short: %(have)s", have=have)


def _credential_result(item: _Seen, counted: bool, reasons: list[Phrase]) -> CredentialResult:
    facts = item.facts
    covers = tuple(sorted(item.skills))
    if counted:
        explanation = Phrase("counts")
    elif reasons:
        explanation = Phrase("does not count: %(reasons)s", reasons=reasons)
    else:
        explanation = Phrase("not needed: the credentials counted reach the outcome without it")
    return CredentialResult(
        facts.credential_id, title_of(facts), facts.issuer_name or facts.issuer_id, counted, explanation,
        tuple(reasons), covers,
    )  # fmt: skip


def assess(
    rules: RecognitionRules, course: Course, facts: Sequence[Facts], now: datetime, *, holder: str = ""
) -> Assessment:
    """Assess the credentials an applicant presents against ``rules`` for ``course`` at ``now``.

    ``holder``: the applicant (the DID their presentation proved); every credential must name it. When it is not
    given, the holder named by the first credential that names one is taken, so credentials of different people
    are never combined. At most :data:`MAX_PRESENTED` credentials are looked at. Bad facts never raise: a credential
    whose facts cannot be read does not count. ``course`` must be the rules' course (else ValueError: the caller
    picked the wrong one)."""
    if course.id != rules.course:
        raise ValueError(f"the rules {rules.id} are for the course {rules.course}, not {course.id}")
    presented = list(islice(facts, MAX_PRESENTED))
    ignored = max(0, len(facts) - MAX_PRESENTED)
    course_skills = course.skills
    checks = credential_checks(rules.conditions)
    seen = _look(presented, frozenset(course_skills), checks, _applicant(presented, holder), now)
    all_tiers = tiers(rules, course)
    counted, tier, compared = _choose(rules, course_skills, seen, all_tiers)
    bundle = _bundle(course_skills, seen, compared)
    conditions = condition_results(rules, checks, all_tiers[0], bundle, [seen[i].facts for i in compared], now)
    found = differences(conditions, bundle, [seen[i].facts for i in compared], checks, now)
    decision: Decision = "none" if tier is None else "partial" if all_tiers[tier].partial else "full"
    ects = all_tiers[tier].ects if tier is not None else 0.0
    automatic = decision != "none" and rules.outcome.review == "automatic"
    course_title = pick(course.title, "en")[1]
    lacking = [d.name for d in found] if decision == "none" else []
    results = []
    for i, item in enumerate(seen):
        reasons = item.reasons + [why for _, why in item.failing]
        if not reasons and decision == "none":
            reasons = [
                _short(rules, all_tiers[-1], bundle if rules.outcome.combine else _bundle(course_skills, seen, [i]))
            ]
        results.append(_credential_result(item, i in counted, reasons))
    return Assessment(
        rules=rules.id,
        course=course.id,
        decision=decision,
        ects=ects,
        full_ects=all_tiers[0].ects,
        automatic=automatic,
        explanation=_summary(decision, ects, all_tiers[0].ects, course_title, automatic, lacking),
        counted=tuple(seen[i].facts.credential_id for i in counted),
        credentials=tuple(results),
        conditions=conditions,
        skills=SkillsOverlap(
            course=course_skills,
            covered=tuple(s for s in course_skills if s in bundle.covered),
            missing=tuple(s for s in course_skills if s not in bundle.covered),
            share=bundle.share,
            by_credential=tuple((seen[i].facts.credential_id, tuple(sorted(seen[i].skills))) for i in compared),
        ),
        comparison=comparison(rules, course, conditions, bundle, [seen[i].facts for i in compared]),
        differences=found,
        evidence=tuple(
            Evidence(f.credential_id, f.achievement_id, f.definition, f.issuer_id)
            for f in (seen[i].facts for i in compared)
        ),
        course_digest=course_digest(course),
        ignored=ignored,
    )
