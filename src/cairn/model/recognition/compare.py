"""The course against the credentials compared, in words: each condition met or not, the substantial differences
a reviewer states, and the side-by-side rows (level, workload, learning outcomes, assessment, identity, quality
assurance, issuer trust)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from cairn.formats.facts import Facts
from cairn.model.pathways.words import number, scope_words
from cairn.model.recognition.conditions import Bundle, CredentialCheck, Tier, threshold_needs
from cairn.model.recognition.results import Aspect, ConditionResult, Difference, Side
from cairn.model.recognition.rules import Conditions, Course, RecognitionRules
from cairn.model.vocabularies import ASSESSMENT_TYPES, QUALITY_ASSURANCE_TYPES, SUPERVISION
from cairn.phrases import Phrase

__all__ = ["comparison", "condition_results", "differences", "title_of"]

_ORDER = tuple(Conditions.model_fields)
"""Conditions are listed in the order the rules document declares them."""
_SHOWN = 200
"""Characters of a credential's title in a sentence."""

_DIFFERENCE: dict[Aspect, Phrase] = {
    "issuer": Phrase("the issuer is not accredited as the rules ask"),
    "level": Phrase("a lower level"),
    "workload": Phrase("a smaller workload"),
    "outcomes": Phrase("learning outcomes of the course not covered"),
    "assessment": Phrase("no assessment stated"),
    "identity": Phrase("no verification of the learner's identity"),
    "quality": Phrase("no quality assurance as the rules ask"),
    "date": Phrase("awarded outside the period the rules accept"),
    "grade": Phrase("a lower grade"),
    "accepted": Phrase("not a credential these rules accept"),
}
"""How each sort of substantial difference is named."""


def title_of(facts: Facts) -> str:
    """How a credential is named in sentences: its title, else its achievement's or its own id."""
    return (facts.title or facts.achievement_id or facts.credential_id)[:_SHOWN]


def _per_credential(
    check: CredentialCheck, compared: Sequence[Facts], now: datetime
) -> tuple[bool, Phrase, tuple[str, ...]]:
    """Whether every credential compared meets ``check``, in words, and the ids of those that do not."""
    if not compared:
        return False, Phrase("no credential to compare"), ()
    failing = [(f, why) for f in compared if (why := check.test(f, now)) is not None]
    if not failing:
        return True, Phrase("met by %(titles)s", titles=", ".join(title_of(f) for f in compared)), ()
    reasons = [Phrase("%(title)s: %(why)s", title=title_of(f), why=why) for f, why in failing]
    return False, Phrase("not met: %(reasons)s", reasons=reasons), tuple(f.credential_id for f, _ in failing)


def condition_results(
    rules: RecognitionRules,
    checks: Sequence[CredentialCheck],
    full: Tier,
    bundle: Bundle,
    compared: Sequence[Facts],
    now: datetime,
) -> tuple[ConditionResult, ...]:
    """Every condition of the rules (the full outcome's thresholds), for the credentials compared."""
    out: list[ConditionResult] = []
    for check in checks:
        met, explanation, _ = _per_credential(check, compared, now)
        out.append(ConditionResult(check.key, check.path, check.aspect, check.needs, met, explanation))
    for threshold in full.thresholds:
        met = bool(compared) and not bundle.fails(threshold)
        have = bundle.have(threshold.key)
        if not compared:
            explanation = Phrase("no credential to compare")
        else:
            explanation = Phrase("met: %(have)s", have=have) if met else Phrase("not met: %(have)s", have=have)
        needs = threshold_needs(threshold, rules.outcome.combine)
        out.append(ConditionResult(threshold.key, threshold.path, threshold.aspect, needs, met, explanation))
    return tuple(sorted(out, key=lambda c: _ORDER.index(c.key)))


def differences(
    conditions: Sequence[ConditionResult],
    bundle: Bundle,
    compared: Sequence[Facts],
    checks: Sequence[CredentialCheck],
    now: datetime,
) -> tuple[Difference, ...]:
    """The substantial differences: one for each condition not met by the credentials compared (none when there are
    no credentials to compare: nothing was compared, so nothing differs)."""
    if not compared:
        return ()
    by_key = {check.key: check for check in checks}
    everyone = tuple(f.credential_id for f in compared)
    out: list[Difference] = []
    for condition in conditions:
        if condition.met:
            continue
        lead = _DIFFERENCE[condition.aspect]
        check = by_key.get(condition.key)
        failing = _per_credential(check, compared, now)[2] if check is not None else everyone
        detail = condition.explanation
        missing = tuple(s for s in bundle.course if s not in bundle.covered) if condition.aspect == "outcomes" else ()
        explanation = Phrase("%(difference)s (%(detail)s)", difference=lead, detail=detail)
        out.append(Difference(condition.aspect, condition.path, lead, explanation, failing, missing))
    return tuple(out)


# -- the side-by-side ---------------------------------------------------------------------------------------------


def _each(compared: Sequence[Facts], value: Callable[[Facts], Phrase]) -> Phrase:
    """``title: value`` for every credential compared, or that there is none."""
    if not compared:
        return Phrase("no credential to compare")
    return Phrase(
        "%(each)s", each=[Phrase("%(title)s: %(value)s", title=title_of(f), value=value(f)) for f in compared]
    )


def _level(eqf: int | None, framework: str, national: int | None) -> Phrase:
    parts = []
    if eqf is not None:
        parts.append(Phrase("EQF %(level)s", level=str(eqf)))
    if national is not None:
        parts.append(Phrase("level %(level)s of the %(framework)s framework", level=str(national), framework=framework))
    return Phrase("%(parts)s", parts=parts) if parts else Phrase("no level stated")


def _workload(ects: float | None, hours: float | None) -> Phrase:
    parts = []
    if ects is not None:
        parts.append(Phrase("%(ects)s ECTS", ects=number(ects)))
    if hours is not None:
        parts.append(Phrase("%(hours)s hours", hours=number(hours)))
    return Phrase("%(parts)s", parts=parts) if parts else Phrase("no workload stated")


def _codes(codes: Sequence[str], label: Callable[[str], str]) -> Phrase:
    if not codes:
        return Phrase("not stated")
    return Phrase("%(items)s", items=[Phrase(label(code)) for code in codes[:10]])


def _trust(facts: Facts) -> Phrase:
    if not facts.trusted_scopes:
        return Phrase("not accredited by anyone this instance trusts")
    return Phrase("accredited for %(scopes)s", scopes=[scope.describe() for scope in facts.trusted_scopes[:10]])


def _asked(conditions: Sequence[ConditionResult], aspect: Aspect) -> bool | None:
    found = [c.met for c in conditions if c.aspect == aspect]
    return all(found) if found else None


def _needs(conditions: Sequence[ConditionResult], aspect: Aspect) -> Phrase:
    found = [c.needs for c in conditions if c.aspect == aspect]
    return Phrase("asked: %(needs)s", needs=found) if found else Phrase("not asked")


def comparison(
    rules: RecognitionRules,
    course: Course,
    conditions: Sequence[ConditionResult],
    bundle: Bundle,
    compared: Sequence[Facts],
) -> tuple[Side, ...]:
    """The reviewer's side-by-side: for each aspect, the course's value (or what the rules ask, where a course
    states none) against each credential compared."""
    field = Phrase("ISCED-F %(field)s", field=course.isced_f) if course.isced_f else Phrase("no field stated")
    if rules.conditions.accredited_for is not None:
        scope = scope_words(rules.conditions.accredited_for)
        field = Phrase("%(field)s; asked: an issuer accredited for %(scope)s", field=field, scope=scope)
    presented_skills = Phrase(
        "%(have)s; %(missing)s missing",
        have=bundle.have("skills_coverage"),
        missing=str(len(bundle.course) - len(bundle.covered)),
    )
    nqf = course.nqf
    return (
        Side("level", _level(course.eqf, nqf.framework if nqf else "", nqf.level if nqf else None),
             _each(compared, lambda f: _level(f.eqf, f.nqf_framework, f.nqf_level)), _asked(conditions, "level")),
        Side("workload", _workload(course.ects, course.hours), _each(compared, lambda f: _workload(f.ects, f.hours)),
             _asked(conditions, "workload")),
        Side("outcomes", Phrase("%(count)s ESCO skills", count=str(len(course.skills))), presented_skills,
             _asked(conditions, "outcomes")),
        Side("assessment", _codes(course.assessment, ASSESSMENT_TYPES.label),
             _each(compared, lambda f: _codes(f.assessment_types, ASSESSMENT_TYPES.label)),
             _asked(conditions, "assessment")),
        Side("identity", _needs(conditions, "identity"),
             _each(compared, lambda f: _codes((f.supervision,) if f.supervision else (), SUPERVISION.label)),
             _asked(conditions, "identity")),
        Side("quality", _needs(conditions, "quality"),
             _each(compared, lambda f: _codes(f.quality_assurance, QUALITY_ASSURANCE_TYPES.label)),
             _asked(conditions, "quality")),
        Side("issuer", field, _each(compared, _trust), _asked(conditions, "issuer")),
    )  # fmt: skip
