"""What a pathway's leaves need, in words: ``the micro-credential SQL databases``, ``a credential at EQF level 5 or
higher, of at least 3 ECTS``, and the small pieces those sentences are made of."""

from __future__ import annotations

import math

from cairn.model.pathways.rules import AccreditedFor, Criteria, Rule
from cairn.model.types import pick
from cairn.phrases import Phrase

__all__ = ["describe", "name_of", "number", "scope_words", "skills_needed"]


def number(value: float) -> str:
    """``15`` for 15.0, ``7.5`` for 7.5: how ECTS and hours are written in sentences."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def skills_needed(criteria: Criteria) -> int:
    """How many of the criteria's skills one credential must cover."""
    return max(1, math.ceil(criteria.skills_coverage * len(criteria.skills) - 1e-9))


def scope_words(accredited: AccreditedFor) -> Phrase:
    """``ISCED-F 06``, ``EQF 5``, ``ISCED-F 06 at EQF 5``, or ``any level and field``."""
    if accredited.isced and accredited.eqf:
        return Phrase("ISCED-F %(field)s at EQF %(level)s", field=accredited.isced, level=str(accredited.eqf))
    if accredited.isced:
        return Phrase("ISCED-F %(field)s", field=accredited.isced)
    if accredited.eqf:
        return Phrase("EQF %(level)s", level=str(accredited.eqf))
    return Phrase("any level and field")


def name_of(rule: Rule, lang: str = "en") -> str:
    """A leaf's (or node's) name in ``lang``: its label, else the component's or criteria's title, else the
    definition's slug or the achievement's id; '' for a criteria leaf without a title."""
    for text in (
        rule.label,
        rule.component.title if rule.component else None,
        rule.criteria.title if rule.criteria else None,
    ):
        if text:
            return pick(text, lang)[1]
    if rule.component is not None:
        return rule.component.definition or rule.component.achievement or ""
    return ""


def _conditions(criteria: Criteria) -> list[Phrase]:
    out: list[Phrase] = []
    if criteria.skills:
        needed, count = skills_needed(criteria), len(criteria.skills)
        if needed == count:
            out.append(Phrase("covering the %(count)s ESCO skills listed", count=str(count)))
        else:
            out.append(
                Phrase(
                    "covering at least %(needed)s of the %(count)s ESCO skills listed",
                    needed=str(needed),
                    count=str(count),
                )
            )
    if criteria.eqf_at_least is not None:
        out.append(Phrase("at EQF level %(level)s or higher", level=str(criteria.eqf_at_least)))
    if (nqf := criteria.nqf_at_least) is not None:
        out.append(
            Phrase(
                "at level %(level)s or higher of the %(framework)s national framework",
                level=str(nqf.level),
                framework=nqf.framework,
            )
        )
    if criteria.ects_at_least is not None:
        out.append(Phrase("of at least %(ects)s ECTS", ects=number(criteria.ects_at_least)))
    if criteria.hours_at_least is not None:
        out.append(Phrase("of at least %(hours)s hours of learning", hours=number(criteria.hours_at_least)))
    if (accredited := criteria.accredited_for) is not None:
        if accredited.isced or accredited.eqf:
            out.append(Phrase("from an issuer accredited for %(scope)s", scope=scope_words(accredited)))
        else:
            out.append(Phrase("from an accredited issuer"))
    if (w := criteria.awarded_within) is not None:
        if w.months is not None:
            out.append(Phrase("awarded in the last %(months)s months", months=str(w.months)))
        elif w.after is not None and w.before is not None:
            out.append(
                Phrase(
                    "awarded on or after %(after)s and before %(before)s",
                    after=w.after.isoformat(),
                    before=w.before.isoformat(),
                )
            )
        elif w.after is not None:
            out.append(Phrase("awarded on or after %(after)s", after=w.after.isoformat()))
        elif w.before is not None:
            out.append(Phrase("awarded before %(before)s", before=w.before.isoformat()))
    if (g := criteria.min_grade) is not None:
        grade = number(g.value) if g.value is not None else g.at_least or ""
        out.append(Phrase("with a grade of at least %(grade)s", grade=grade))
    return out


def describe(rule: Rule) -> Phrase:
    """What a leaf needs, in words: ``the micro-credential SQL databases``, ``a credential at EQF level 5 or
    higher, of at least 3 ECTS``."""
    if rule.component is not None:
        name = name_of(rule)
        if rule.component.definition is not None:
            return Phrase("the micro-credential %(name)s", name=name)
        return Phrase("the credential %(name)s", name=name)
    assert rule.criteria is not None
    conditions = _conditions(rule.criteria)
    name = name_of(rule)
    if name:
        return Phrase("%(name)s (a credential %(conditions)s)", name=name, conditions=conditions)
    return Phrase("a credential %(conditions)s", conditions=conditions)
