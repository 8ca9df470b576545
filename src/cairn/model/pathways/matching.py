"""Whether one held credential meets one leaf of a pathway, and why not, in words; and the holder's credentials
indexed once (:class:`Held`) so a leaf's candidates are found without reading every credential again.

A criteria leaf is a conjunction of checks (skills covered, EQF level, ECTS, ...). Each check is a pure function
of one credential's :class:`Facts` (and the time of evaluation); :class:`Held` caches, per distinct check, the set
of credentials that pass it, so a catalogue of pathways that ask the same things reads each credential once.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cairn.formats.facts import Facts
from cairn.model.pathways.rules import AccreditedFor, Criteria, MinGrade, Rule, Window
from cairn.model.pathways.words import describe, number, scope_words, skills_needed
from cairn.model.trust import Scope
from cairn.phrases import Phrase

__all__ = [
    "Check",
    "Held",
    "checks_of",
    "group_key",
    "leaf_key",
    "leaf_matches",
    "usable",
]

_GRADE = re.compile(r"^\s*(\d{1,4}(?:[.,]\d+)?)")

Why = Phrase | None
"""None: passes; else the reason it does not."""


def _day(value: datetime) -> str:
    return value.date().isoformat()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def months_before(now: datetime, months: int) -> datetime:
    """``now`` moved back ``months`` calendar months (the day clamped to the month's length)."""
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


# -- the checks of a criteria leaf -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """One criterion of a criteria leaf: ``key`` names it (equal keys, equal outcomes), ``test`` applies it."""

    key: tuple[Any, ...]
    test: Callable[[Facts, datetime, bool], Why]
    ok: Callable[[Facts, datetime], bool] | None = None
    """A faster ``test(facts, now, False) is None`` that says no reason (indexing a wallet needs no words)."""
    skills: tuple[str, ...] = ()
    """For the skills check: the skills asked (the index finds candidates through them)."""
    needed: int = 0
    """For the skills check: how many of them one credential must cover."""

    name: str = field(init=False, default="")
    """The key as text: its hash is kept, so a wallet's caches look checks up by it quickly."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", repr(self.key))


def _skills(skills: tuple[str, ...], needed: int) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        have = set(facts.skills)
        covered = sum(skill in have for skill in skills)
        if covered >= needed:
            return None
        return Phrase(
            "it covers %(covered)s of the %(count)s ESCO skills asked, %(needed)s needed",
            covered=str(covered),
            count=str(len(skills)),
            needed=str(needed),
        )

    return test


def _eqf(level: int) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        if facts.eqf is None:
            return Phrase("it states no EQF level")
        if facts.eqf < level:
            return Phrase("it is at EQF level %(level)s, below %(needed)s", level=str(facts.eqf), needed=str(level))
        return None

    return test


def _nqf(framework: str, level: int) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        if facts.nqf_level is None or facts.nqf_framework != framework:
            return Phrase("it states no level of the %(framework)s national framework", framework=framework)
        if facts.nqf_level < level:
            return Phrase(
                "it is at level %(level)s of the %(framework)s national framework, below %(needed)s",
                level=str(facts.nqf_level),
                framework=framework,
                needed=str(level),
            )
        return None

    return test


def _ects(ects: float) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        if facts.ects is None:
            return Phrase("it states no ECTS credits")
        if facts.ects < ects:
            return Phrase(
                "it carries %(ects)s ECTS, fewer than %(needed)s", ects=number(facts.ects), needed=number(ects)
            )
        return None

    return test


def _hours(hours: float) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        if facts.hours is None:
            return Phrase("it states no workload in hours")
        if facts.hours < hours:
            return Phrase(
                "it stands for %(hours)s hours of learning, fewer than %(needed)s",
                hours=number(facts.hours),
                needed=number(hours),
            )
        return None

    return test


def _scope_fits(scopes: Sequence[Scope], field: str | None, level: int | None) -> bool:
    """Whether one of ``scopes`` covers the field (a broader or narrower ISCED-F code) and the EQF level asked."""
    for scope in scopes:
        if field and scope.isced and not any(c.startswith(field) or field.startswith(c) for c in scope.isced):
            continue
        if level and scope.eqf and level not in scope.eqf:
            continue
        return True
    return False


def _accredited(accredited: AccreditedFor) -> Callable[[Facts, datetime, bool], Why]:
    field, level = accredited.isced, accredited.eqf

    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        if not facts.trusted_scopes:
            return Phrase("its issuer is not accredited by anyone this instance trusts")
        if _scope_fits(facts.trusted_scopes, field, level):
            return None
        return Phrase("its issuer is accredited, but not for %(scope)s", scope=scope_words(accredited))

    return test


def _in_window(awarded: datetime, now: datetime, window: Window) -> bool:
    awarded = _aware(awarded)
    if window.months is not None and awarded < months_before(_aware(now), window.months):
        return False
    if window.after is not None and awarded.date() < window.after:
        return False
    return window.before is None or awarded.date() < window.before


def _window(window: Window) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        awarded = now if hypothetical and facts.awarded_at is None else facts.awarded_at
        if awarded is None:
            return Phrase("it states no date of award")
        if _in_window(awarded, now, window):
            return None
        day = _day(_aware(awarded))
        if window.months is not None:
            return Phrase(
                "it was awarded on %(day)s, more than %(months)s months ago", day=day, months=str(window.months)
            )
        if window.after is not None and _aware(awarded).date() < window.after:
            return Phrase("it was awarded on %(day)s, before %(after)s", day=day, after=window.after.isoformat())
        before = window.before.isoformat() if window.before else ""
        return Phrase("it was awarded on %(day)s, not before %(before)s", day=day, before=before)

    return test


def grade_value(grade: str) -> float | None:
    """The number a grade starts with (``4,5``, ``4.5/5``, ``85 %``), else None."""
    found = _GRADE.match(grade)
    return float(found.group(1).replace(",", ".")) if found else None


def _grade_ok(grade: str, minimum: MinGrade) -> bool:
    grade = grade.strip()
    if minimum.value is not None:
        value = grade_value(grade)
        return value is not None and value >= minimum.value
    scale = [g.casefold() for g in minimum.scale or ()]
    folded = grade.casefold()
    return folded in scale and scale.index(folded) <= scale.index((minimum.at_least or "").casefold())


def _grade(minimum: MinGrade) -> Callable[[Facts, datetime, bool], Why]:
    def test(facts: Facts, now: datetime, hypothetical: bool) -> Why:
        if hypothetical or _grade_ok(facts.grade, minimum):
            return None  # a credential not yet awarded may get any grade
        grade = facts.grade.strip()[:40]
        if not grade:
            return Phrase("it states no grade")
        if minimum.value is not None:
            if grade_value(grade) is None:
                return Phrase("its grade %(grade)s is not a number", grade=grade)
            return Phrase("its grade %(grade)s is below %(needed)s", grade=grade, needed=number(minimum.value))
        if grade.casefold() not in [g.casefold() for g in minimum.scale or ()]:
            return Phrase(
                "its grade %(grade)s is not on the scale %(scale)s", grade=grade, scale=", ".join(minimum.scale or ())
            )
        return Phrase("its grade %(grade)s is below %(needed)s", grade=grade, needed=minimum.at_least or "")

    return test


def checks_of(criteria: Criteria) -> tuple[Check, ...]:
    """The checks of a criteria leaf, the skills check (the most selective, found through the index) first."""
    out: list[Check] = []
    if criteria.skills:
        needed = skills_needed(criteria)
        skills = tuple(criteria.skills)
        out.append(Check(("skills", skills, needed), _skills(skills, needed), None, skills, needed))
    if (eqf := criteria.eqf_at_least) is not None:
        out.append(Check(("eqf", eqf), _eqf(eqf), lambda f, now: f.eqf is not None and f.eqf >= eqf))
    if (nqf := criteria.nqf_at_least) is not None:
        framework, national = nqf.framework, nqf.level
        out.append(
            Check(
                ("nqf", framework, national),
                _nqf(framework, national),
                lambda f, now: f.nqf_framework == framework and f.nqf_level is not None and f.nqf_level >= national,
            )
        )
    if (ects := criteria.ects_at_least) is not None:
        out.append(Check(("ects", ects), _ects(ects), lambda f, now: f.ects is not None and f.ects >= ects))
    if (hours := criteria.hours_at_least) is not None:
        out.append(Check(("hours", hours), _hours(hours), lambda f, now: f.hours is not None and f.hours >= hours))
    if (a := criteria.accredited_for) is not None:
        field, scope_eqf = a.isced, a.eqf
        out.append(
            Check(
                ("accredited", field, scope_eqf),
                _accredited(a),
                lambda f, now: _scope_fits(f.trusted_scopes, field, scope_eqf),
            )
        )
    if (w := criteria.awarded_within) is not None:
        out.append(
            Check(
                ("window", w.months, w.after, w.before),
                _window(w),
                lambda f, now: f.awarded_at is not None and _in_window(f.awarded_at, now, w),
            )
        )
    if (g := criteria.min_grade) is not None:
        out.append(Check(("grade", g.value, g.scale, g.at_least), _grade(g), lambda f, now: _grade_ok(f.grade, g)))
    return tuple(out)


# -- validity and identity ---------------------------------------------------------------------------------------


def usable(facts: Facts, now: datetime) -> Why:
    """None when the credential may count: it verified and has not expired at ``now``; else why not."""
    if not facts.valid:
        reason = facts.invalid_reason
        if isinstance(reason, Phrase):
            return Phrase("it is not valid: %(why)s", why=reason)
        if reason.strip():
            return Phrase("it is not valid: %(why)s", why=reason.strip()[:200])
        return Phrase("it did not verify")
    if facts.valid_until is not None and _aware(facts.valid_until) < _aware(now):
        return Phrase("it expired on %(day)s", day=_day(_aware(facts.valid_until)))
    return None


def _identity(rule: Rule, facts: Facts) -> Why:
    component = rule.component
    if component is None:
        return None
    if component.definition is not None and facts.definition == component.definition:
        return None
    if component.achievement is not None and _same_id(facts.achievement_id, component.achievement):
        return None
    return Phrase("it is not %(component)s", component=describe(rule))


def _same_id(a: str, b: str) -> bool:
    return bool(a) and a.rstrip("/") == b.rstrip("/")


def leaf_matches(leaf: Rule, facts: Facts, now: datetime, *, hypothetical: bool = False) -> Phrase | None:
    """None when ``facts`` meets ``leaf`` (a component or criteria), else why not, in words.

    ``hypothetical``: ``facts`` describes a credential not yet held (:func:`cairn.formats.facts.facts_of_definition`,
    for finding what would close a gap): its validity is not asked, a missing award date is taken as ``now`` and
    any grade as possible."""
    if not leaf.is_leaf:
        raise ValueError("leaf_matches takes a component or criteria rule")
    why = _identity(leaf, facts)
    if why is None and leaf.criteria is not None:
        why = next((w for c in checks_of(leaf.criteria) if (w := c.test(facts, now, hypothetical)) is not None), None)
    if why is None and not hypothetical:
        why = usable(facts, now)
    return why


# -- the holder's credentials, indexed ---------------------------------------------------------------------------


def leaf_key(leaf: Rule, checks: Sequence[Check] | None = None) -> tuple[Any, ...]:
    """Equal for leaves that any credential meets alike: the same component, or the same criteria (titles aside)."""
    component = leaf.component
    if component is not None:
        if component.definition is not None:
            return ("definition", component.definition)
        return ("achievement", (component.achievement or "").rstrip("/"))
    assert leaf.criteria is not None
    return ("criteria", *(c.key for c in checks or checks_of(leaf.criteria)))


def group_key(facts: Facts) -> str:
    """Credentials of the same definition (any version) or the same achievement count once."""
    if facts.definition:
        return f"definition:{facts.definition}"
    if facts.achievement_id:
        return f"achievement:{facts.achievement_id.rstrip('/')}"
    return f"credential:{facts.credential_id}"


class Held:
    """A holder's credentials indexed once for evaluating many pathways at ``now``: by definition, achievement
    and skill; which may count (valid, not expired); each criteria check's passing set, cached."""

    __slots__ = ("_passing", "_related", "by_skill", "cache", "facts", "group", "named", "now", "unusable")

    def __init__(self, held: Sequence[Facts], *, now: datetime) -> None:
        self.facts: tuple[Facts, ...] = tuple(held)
        self.now = now
        self.named: dict[tuple[Any, ...], list[int]] = {}
        """The credentials a component names, by :func:`leaf_key` (``("definition", slug)``, ``("achievement",
        id)``)."""
        self.by_skill: dict[str, list[int]] = {}
        self.unusable: dict[int, Phrase] = {}
        groups: dict[str, int] = {}
        self.group: list[int] = []
        for i, facts in enumerate(self.facts):
            self.group.append(groups.setdefault(group_key(facts), len(groups)))
            if facts.definition:
                self.named.setdefault(("definition", facts.definition), []).append(i)
            if facts.achievement_id:
                self.named.setdefault(("achievement", facts.achievement_id.rstrip("/")), []).append(i)
            for skill in dict.fromkeys(facts.skills):
                self.by_skill.setdefault(skill, []).append(i)
            why = usable(facts, now)
            if why is not None:
                self.unusable[i] = why
        self._passing: dict[str, frozenset[int]] = {}
        self._related: dict[tuple[Any, ...], tuple[list[int], list[int]]] = {}
        self.cache: dict[Any, Any] = {}
        """What the engine works out once per holder (leaves' options, sentences about a credential)."""

    def passing(self, check: Check) -> frozenset[int]:
        """The credentials (by index) that pass ``check``, whatever their validity."""
        found = self._passing.get(check.name)
        if found is None:
            by_skill, now = self.by_skill, self.now
            if len(check.skills) == 1:
                found = frozenset(by_skill.get(check.skills[0], ()))
            elif check.skills and check.needed == 1:
                found = frozenset(i for skill in check.skills for i in by_skill.get(skill, ()))
            elif check.skills:
                counts: dict[int, int] = {}
                for skill in check.skills:
                    for i in by_skill.get(skill, ()):
                        counts[i] = counts.get(i, 0) + 1
                found = frozenset(i for i, n in counts.items() if n >= check.needed)
            elif check.ok is not None:
                ok = check.ok
                found = frozenset(i for i, f in enumerate(self.facts) if ok(f, now))
            else:
                test = check.test
                found = frozenset(i for i, f in enumerate(self.facts) if test(f, now, False) is None)
            self._passing[check.name] = found
        return found

    def related(
        self, leaf: Rule, checks: Sequence[Check] | None = None, key: tuple[Any, ...] | None = None
    ) -> tuple[list[int], list[int]]:
        """``(candidates, near)``: the credentials that meet ``leaf`` and may count, and those that would have
        (the named component, or the skills asked, or all checks but one) but do not: invalid, expired, or failing
        one criterion. Both in the holder's order. ``checks`` and ``key``: the leaf's :func:`checks_of` and
        :func:`leaf_key`, when known. Equal leaves are worked out once."""
        key = key or leaf_key(leaf, checks)
        found: tuple[list[int], list[int]] | None = self._related.get(key)
        if found is None:
            found = self._related[key] = self.find(leaf, checks)
        return found

    def find(self, leaf: Rule, checks: Sequence[Check] | None = None) -> tuple[list[int], list[int]]:
        """:meth:`related`, worked out again (no cache)."""
        if leaf.component is not None:
            named = self.named.get(leaf_key(leaf), [])
            unusable = self.unusable
            return [i for i in named if i not in unusable], [i for i in named if i in unusable]
        assert leaf.criteria is not None
        checks = checks or checks_of(leaf.criteria)
        if checks[0].skills and not self.passing(checks[0]):
            return [], []  # nobody has the skills: the commonest case, found without the other checks
        sets = [self.passing(c) for c in checks]
        every = sets[0] if len(sets) == 1 else frozenset.intersection(*sets)
        candidates = sorted(i for i in every if i not in self.unusable)
        if checks[0].skills:
            near = sorted(i for i in sets[0] if i not in every or i in self.unusable)
        else:
            failures: dict[int, int] = {}
            for passing in sets:
                for i in passing:
                    failures[i] = failures.get(i, 0) + 1
            wanted = len(sets) - 1
            near = sorted(
                i
                for i, n in failures.items()
                if (n == wanted and i not in self.unusable) or (n == len(sets) and i in self.unusable)
            )
        return candidates, near
