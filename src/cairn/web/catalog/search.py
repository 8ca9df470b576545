"""What the catalogue's search form shows: each filter's choices with how many micro-credentials each finds, and a
one-line summary of each micro-credential found (level, credits, form, languages), in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from cairn.model.catalog import CatalogueQuery
from cairn.model.types import pick
from cairn.model.vocabularies import EQF_LEVELS, ISCED_F_BROAD, PARTICIPATION_FORMS
from cairn.services.catalog.service import CatalogEntry, Search
from cairn.web.i18n import BABEL_LOCALES, translate

__all__ = ["Choice", "filter_choices", "language_name", "summary"]


@dataclass(frozen=True, slots=True)
class Choice:
    """One value of a filter: its code, its label and how many micro-credentials it finds with the rest kept."""

    value: str
    label: str
    count: int
    chosen: bool


def language_name(code: str, reader: str) -> str:
    """``pl`` as the reader calls it: "Polish", "polski"; the code itself when Babel does not know it."""
    try:
        name = Locale.parse(code).get_display_name(BABEL_LOCALES.get(reader, "en_GB"))
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return str(name) if name else code


def filter_choices(found: Search, query: CatalogueQuery, reader: str) -> dict[str, list[Choice]]:
    """Each filter's choices (a chosen value always listed, even when it finds nothing)."""
    counts = found.counts

    def listed(name: str, chosen: str, labels: dict[str, str]) -> list[Choice]:
        codes = [c for c in labels if counts[name].get(c) or c == chosen]
        return [Choice(c, labels[c], counts[name].get(c, 0), c == chosen) for c in codes]

    issuers = {o.id: pick(o.legal_name, reader)[1] for o in found.organisations}
    fields = {t.code: t.label(reader) for t in ISCED_F_BROAD}
    if query.field and query.field not in fields:
        fields[query.field] = f"ISCED-F {query.field}"
    levels = {t.code: t.label(reader) for t in EQF_LEVELS}
    languages = {c: language_name(c, reader) for c in sorted(set(counts["language"]) | {query.language} - {""})}
    modes = {t.code: t.label(reader) for t in PARTICIPATION_FORMS}
    return {
        "issuer": sorted(listed("issuer", query.issuer, issuers), key=lambda c: c.label.casefold()),
        "field": listed("field", query.field, fields),
        "eqf": listed("eqf", str(query.eqf or ""), levels),
        "language": sorted(listed("language", query.language, languages), key=lambda c: c.label.casefold()),
        "mode": listed("mode", query.mode, modes),
    }


def summary(entry: CatalogEntry, reader: str) -> list[str]:
    """Level, credits, form of participation and languages of instruction, each a short phrase in ``reader``."""
    d = entry.definition
    locale = BABEL_LOCALES.get(reader, "en_GB")
    facts = []
    if d.level.eqf is not None:
        facts.append(EQF_LEVELS.label(str(d.level.eqf), reader))
    if d.workload.ects is not None:
        facts.append(translate(reader, "%(n)s ECTS", n=format_decimal(d.workload.ects, locale=locale)))
    elif d.workload.hours is not None:
        facts.append(translate(reader, "%(n)s hours", n=format_decimal(d.workload.hours, locale=locale)))
    facts.append(PARTICIPATION_FORMS.label(d.participation.mode, reader))
    if d.isced_f:
        facts.append(ISCED_F_BROAD.label(d.isced_f[:2], reader))
    if d.languages:
        facts.append(", ".join(language_name(t.split("-")[0], reader) for t in d.languages))
    return facts
