"""What pages show of a micro-credential: every Annex I element as rows of plain, language-tagged text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pycountry
from babel import Locale
from fastapi import Request

from cairn.model.definitions import ANNEX_I, MicroCredentialDefinition, Organisation
from cairn.model.types import pick
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    EQF_LEVELS,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)
from cairn.phrases import Phrase
from cairn.services.catalog.service import CatalogEntry
from cairn.web.careers.names import SkillNames, labelled, page_names
from cairn.web.i18n import BABEL_LOCALES, number

__all__ = [
    "Item",
    "Row",
    "annex_rows",
    "country_name",
    "definition_skills",
    "ects_text",
    "entry_rows",
    "hours_text",
    "nqf_text",
]


@dataclass(frozen=True, slots=True)
class Item:
    """One piece of text, in a language, optionally a link or a note. Only a :class:`~cairn.phrases.Phrase` is
    Cairn's own sentence, said in the reader's language; any other text is shown as it is (someone's words, or
    words already in the page's language), so that a name or an outcome is never taken for a sentence of Cairn's
    that happens to read the same."""

    text: str
    lang: str = ""
    href: str = ""
    note: str = ""
    links: tuple[tuple[str, str, str], ...] = ()
    """ESCO skills: (label, URI, the label's language)."""
    data: bool = False
    """Text people wrote in a language not stated (a body's name): marked ``lang=""``; without it, an item with
    no ``lang`` is in the page's language."""


@dataclass(frozen=True, slots=True)
class Row:
    """An Annex I element and what the credential says for it."""

    number: int
    name: str
    items: list[Item] = field(default_factory=list)
    mandatory: bool = True


def country_name(country: str, region: str | None = None, lang: str = "en") -> str:
    """``Poland (Mazowieckie)`` for ``PL``, ``PL-14`` (``Polska (Mazowieckie)`` in Polish: Babel's country names;
    the region as ISO 3166-2 names it, in its own language)."""
    c = pycountry.countries.get(alpha_2=country)
    name = getattr(c, "common_name", None) or (c.name if c else country)
    if lang != "en" and c is not None:
        name = Locale.parse(BABEL_LOCALES.get(lang, "en_GB")).territories.get(c.alpha_2, name)
    if region:
        sub = pycountry.subdivisions.get(code=region)  # type: ignore[no-untyped-call]
        return f"{name} ({sub.name if sub else region})"
    return str(name)


def ects_text(ects: float, lang: str) -> Phrase:
    """``5 ECTS credits`` (``5 pkt ECTS``; ``1,5`` in Polish)."""
    return Phrase("%(n)s ECTS credits", n=number(ects, lang))


def hours_text(hours: float, lang: str) -> Phrase:
    """``125 hours of learning``."""
    return Phrase("%(n)s hours of learning", n=number(hours, lang))


def nqf_text(framework: str, level: int | str) -> Phrase:
    """``National framework (PL): level 6``."""
    return Phrase("National framework (%(framework)s): level %(level)s", framework=framework, level=str(level))


def _text(value: dict[str, str] | None, lang: str, note: str = "") -> list[Item]:
    if not value:
        return []
    tag, text = pick(value, lang)
    return [Item(text, tag, note=note)]


def _name(n: int) -> str:
    return next(e.name for e in ANNEX_I if e.number == n)


def _optional(name: str) -> str:
    return next(e.name for e in ANNEX_I if not e.mandatory and e.name.startswith(name))


def definition_skills(entries: Iterable[CatalogEntry]) -> list[str]:
    """The ESCO skills of the entries' learning outcomes, to look their labels up at once
    (:func:`cairn.web.careers.names.page_names`)."""
    return [uri for e in entries for outcome in e.definition.learning_outcomes for uri in outcome.esco_skills]


def entry_rows(request: Request, entry: CatalogEntry, lang: str) -> list[Row]:
    """:func:`annex_rows` of one entry for a page, its skills labelled as the careers pages label them."""
    return annex_rows(entry, lang, page_names(request, definition_skills([entry]), lang))


def annex_rows(entry: CatalogEntry, lang: str, names: SkillNames | None = None) -> list[Row]:
    """Every Annex I element of ``entry`` as rows for a page, in the reader's language where given; its skills
    labelled from the page's ``names`` (:func:`definition_skills`, :func:`cairn.web.careers.names.page_names`)."""
    d: MicroCredentialDefinition = entry.definition
    orgs: tuple[Organisation, ...] = entry.organisations
    rows = [
        Row(1, _name(1), [Item(Phrase("Given on each award: the learner's name, and an email address or a DID."))]),
        Row(2, _name(2), _text(d.title, lang)),
        Row(3, _name(3), [Item(country_name(o.country, o.region, lang)) for o in orgs]),
        Row(
            4,
            _name(4),
            [Item(pick(o.legal_name, lang)[1], pick(o.legal_name, lang)[0], f"/orgs/{o.id}") for o in orgs],
        ),
        Row(5, _name(5), [Item(Phrase("Given on each award: the date the credential is issued."))]),
    ]
    outcomes = []
    for outcome in d.learning_outcomes:
        tag, text = pick(outcome.text, lang)
        links = labelled(outcome.esco_skills, lang, names)
        outcomes.append(Item(text, tag, links=links))
    rows.append(Row(6, _name(6), outcomes))
    workload = []
    if d.workload.ects is not None:
        workload.append(Item(ects_text(d.workload.ects, lang)))
    if d.workload.hours is not None:
        workload.append(Item(hours_text(d.workload.hours, lang)))
    rows.append(Row(7, _name(7), workload))
    level = []
    if d.level.not_applicable:
        level.append(Item(Phrase("Not applicable")))
    if d.level.eqf is not None:
        level.append(Item(EQF_LEVELS.label(str(d.level.eqf), lang)))
    if d.level.qf_ehea:
        level.append(Item(f"QF-EHEA: {QF_EHEA_CYCLES.label(d.level.qf_ehea, lang)}"))
    if d.level.nqf:
        level.append(Item(nqf_text(d.level.nqf.framework, d.level.nqf.level)))
    rows.append(Row(8, _name(8), level))
    rows.append(
        Row(
            9,
            _name(9),
            [Item(ASSESSMENT_TYPES.label(t, lang)) for t in d.assessment.types] + _text(d.assessment.description, lang),
        )
    )
    participation = [Item(PARTICIPATION_FORMS.label(d.participation.mode, lang))]
    if d.participation.schedule:
        participation.append(Item(SCHEDULES.label(d.participation.schedule, lang)))
    rows.append(Row(10, _name(10), participation + _text(d.participation.description, lang)))
    qa = [Item(QUALITY_ASSURANCE_TYPES.label(t, lang)) for t in d.quality_assurance.types]
    if d.quality_assurance.body:
        qa.append(Item(d.quality_assurance.body, href=d.quality_assurance.url or "", data=True))
    rows.append(Row(11, _name(11), qa + _text(d.quality_assurance.description, lang)))
    rows.append(Row(0, _optional("Prerequisites"), _text(d.prerequisites, lang), mandatory=False))
    supervision = [Item(SUPERVISION.label(d.supervision, lang))] if d.supervision else []
    rows.append(Row(0, _optional("Supervision"), supervision, mandatory=False))
    rows.append(Row(0, _optional("Grade"), _text(d.grading, lang), mandatory=False))
    stack = [Item(STACKABILITY.label(d.integration.stackability, lang))]
    for target in d.integration.towards:
        tag, text = pick(target.title, lang)
        stack.append(Item(Phrase("Stacks towards: %(title)s", title=text), tag, target.url or ""))
    rows.append(Row(0, _optional("Integration"), stack, mandatory=False))
    further = _text(d.further_information, lang)
    if d.url:
        further.append(Item(d.url, href=d.url))
    rows.append(Row(0, _optional("Further information"), further, mandatory=False))
    return rows
