"""What the analytics pages and the open-data API share: reading a query from the address, and a released table
turned into what a page shows (a chart, its data table, every figure in the reader's words).

A query's address: ``indicator``, ``by`` (up to twice), ``from`` and ``to`` (months, ``YYYY-MM``) and
``filter.NAME=VALUE`` for each filter (:data:`~cairn.services.analytics.indicators.FILTERS`). Values are written
the reader's way: counts as whole numbers, ratios as percentages, medians in days; a withheld cell is the word
"withheld" with its reason, never a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from markupsafe import Markup

from cairn.errors import InputError
from cairn.model.vocabularies import ISCED_F_BROAD, ORGANISATION_TYPES, PARTICIPATION_FORMS, Vocabulary
from cairn.services.analytics.engine import Cell, Query, Table
from cairn.services.analytics.indicators import DIMENSIONS, FILTERS, INDICATORS, Indicator
from cairn.web.analytics.charts import Bar, bars, columns
from cairn.web.i18n import number, translate

__all__ = ["MAX_VALUE", "Panel", "key_text", "make_panel", "month_of", "read_query", "reason_text", "value_text"]

MAX_VALUE: Final = 100
"""The longest filter value or month a query may give."""
_VOCABULARIES: Final[dict[str, Vocabulary]] = {
    "field": ISCED_F_BROAD,
    "issuer_type": ORGANISATION_TYPES,
    "mode": PARTICIPATION_FORMS,
}
_WORDS: Final = {
    ("collection", "digital"): "digital skills",
    ("collection", "green"): "green skills",
    ("collection", "transversal"): "transversal skills",
    ("collection", "other"): "other skills",
    ("decision", "full"): "recognised in full",
    ("decision", "partial"): "recognised in part",
    ("decision", "refused"): "refused",
    ("ects_band", "none"): "no ECTS credits",
    ("mode", "in-person"): "In person",
    ("language", "pl"): "Polish",
    ("language", "en"): "English",
    ("outcome", "verified"): "verified",
    ("outcome", "not verified"): "not verified",
    ("verifier_kind", "anonymous"): "anyone, not signed in",
    ("verifier_kind", "organisation"): "an organisation",
    ("verifier_kind", "registry"): "a registry",
    ("channel", "web"): "the verification page",
    ("channel", "api"): "the API",
    ("channel", "batch"): "a batch check",
    ("channel", "openid4vp"): "a wallet presentation",
    ("channel", "share-link"): "a share link",
    ("gender", "female"): "women",
    ("gender", "male"): "men",
    ("gender", "other"): "another gender",
    ("gender", "not-said"): "not said",
    ("employment", "employed"): "employed",
    ("employment", "self-employed"): "self-employed",
    ("employment", "unemployed"): "unemployed",
    ("employment", "student"): "in education or training",
    ("employment", "inactive"): "not working, not looking",
    ("employment", "not-said"): "not said",
}
"""Keys that are words: said in the reader's language (other keys, codes and months, are shown as they are)."""
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
REASON_WORDS: Final = {
    "small": "withheld: about fewer than %(k)s people",
    "complementary": "withheld: would reveal a small group",
    "ratio": "withheld: would reveal a small group",
}


def month_of(value: str | None) -> date | None:
    """A ``YYYY-MM`` month (the first of it), None when empty; InputError otherwise."""
    if not value:
        return None
    try:
        year, month = value[:MAX_VALUE].split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise InputError("%(value)s is not a month (YYYY-MM)", value=value[:20]) from None


def read_query(params: Any, indicator: str | None = None) -> Query:
    """The query an address asks for (``params``: the request's query parameters); InputError for one that is
    malformed or asks for what does not exist."""
    wanted = indicator if indicator is not None else str(params.get("indicator") or "")
    by = tuple(b for b in params.getlist("by")[:3] if b)
    filters: dict[str, str] = {}
    for name, value in params.multi_items():
        if name.startswith("filter.") and value:
            if len(filters) >= len(FILTERS) or len(value) > MAX_VALUE:
                raise InputError("too many filters, or a filter value that is too long")
            filters[name.removeprefix("filter.")[:40]] = value
    query = Query(wanted[:40], by, month_of(params.get("from")), month_of(params.get("to")), filters)
    query.check()
    return query


def key_text(dimension: str, key: str, lang: str) -> str:
    """A breakdown's key in ``lang``: a vocabulary's label, a word translated, or the key as it is ("" unknown)."""
    if key == "":
        return translate(lang, "not stated")
    vocabulary = _VOCABULARIES.get(dimension)
    term = vocabulary.get(key) if vocabulary is not None else None
    if term is not None:
        return f"{key} {term.label(lang)}" if dimension == "field" else term.label(lang)
    words = _WORDS.get((dimension, key))
    if words:
        return translate(lang, words)
    if dimension == "ects_band":  # "1-2.9": numbers the reader's way ("1–2,9" in Polish), a dash for the range
        return _NUMBER.sub(lambda found: number(float(found.group()), lang), key).replace("-", "–")
    return key


def value_text(indicator: Indicator, value: float | None, lang: str) -> str:
    """A released value the reader's way: "1,234", "31.6%", "3.5" (days)."""
    if value is None:
        return "–"
    if indicator.kind == "ratio":
        return f"{number(round(value * 100, 1), lang)}%"
    if indicator.kind == "median":
        return number(round(value, 1), lang)
    return number(round(value), lang)


def reason_text(reason: str | None, k: int, lang: str) -> str:
    """Why a cell is withheld, in words."""
    return translate(lang, REASON_WORDS.get(reason or "small", REASON_WORDS["small"]), k=k)


def unit_text(indicator: Indicator, lang: str) -> str:
    """What a value column holds: a number, a percentage, days."""
    return translate(lang, {"ratio": "Percentage", "median": "Days (median)"}.get(indicator.kind, "Number"))


def label_of(indicator: Indicator, lang: str) -> str:
    return translate(lang, indicator.label)


def dimension_label(name: str, lang: str) -> str:
    return translate(lang, DIMENSIONS[name].label)


def _inline(label: str) -> str:
    """A label inside a sentence: "Month" -> "month", "EQF level" and "ESCO skill" as they are."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def title_of(indicator: Indicator, by: Sequence[str], lang: str) -> str:
    """The table's name: "Awards by month"."""
    label = label_of(indicator, lang)
    if len(by) == 2:
        first, second = (_inline(dimension_label(b, lang)) for b in by)
        return translate(lang, "%(indicator)s by %(first)s and %(second)s", indicator=label, first=first,
                         second=second)  # fmt: skip
    if by:
        return translate(lang, "%(indicator)s by %(dimension)s", indicator=label,
                         dimension=_inline(dimension_label(by[0], lang)))  # fmt: skip
    return label


@dataclass(slots=True)
class Figure:
    """One figure of a data table: its text, and whether it is withheld (then ``text`` says why)."""

    text: str
    withheld: bool = False


@dataclass(slots=True)
class Panel:
    """A table as a page shows it: ``title``, the chart (None: table only), the column heads and the rows (the
    first item of each row is its head), and the query's address for its downloads."""

    title: str
    chart: Markup | None
    heads: list[str]
    rows: list[tuple[str, list[Figure]]]
    total: Figure
    unit: str
    indicator: Indicator
    by: tuple[str, ...]
    address: str = ""
    notes: list[str] = field(default_factory=list)


def _figure(table: Table, cell: Cell | None, k: int, lang: str) -> Figure:
    if cell is None:
        return Figure("0" if table.indicator.kind == "count" else "–")
    if cell.suppressed:
        return Figure(reason_text(cell.reason, k, lang), withheld=True)
    return Figure(value_text(table.indicator, cell.value, lang))


def make_panel(table: Table, k: int, lang: str, address: str = "") -> Panel:
    """The page's view of ``table``: a chart for a one-way breakdown (columns by month, else bars), none for a
    single figure or a two-way table; the data table with every cell, margin and the total."""
    indicator, by = table.indicator, table.by
    title = title_of(indicator, by, lang)
    unit = unit_text(indicator, lang)
    total = _figure(table, table.total, k, lang)
    if not by:
        return Panel(title, None, [unit], [], total, unit, indicator, by, address)
    if len(by) == 1:
        rows = [(key_text(by[0], c.keys[0], lang), [_figure(table, c, k, lang)]) for c in table.cells]
        items = [Bar(head, None if f.withheld else c.value, translate(lang, "withheld") if f.withheld else f.text)
                 for (head, [f]), c in zip(rows, table.cells, strict=True)]  # fmt: skip
        summary = translate(lang, "%(title)s: a chart; the figures are in the table after it", title=title)
        drawn = any(item.value is not None for item in items)  # all withheld: no chart, the table says why
        chart = (columns if by[0] == "month" else bars)(items, summary) if drawn else None
        return Panel(title, chart, [dimension_label(by[0], lang), unit], rows, total, unit, indicator, by, address)
    firsts = sorted({c.keys[0] for c in table.cells})
    seconds = sorted({c.keys[1] for c in table.cells})
    found = {c.keys: c for c in table.cells}
    rows = []
    for first in firsts:
        figures = [_figure(table, found.get((first, second)), k, lang) for second in seconds]
        figures.append(_figure(table, table.margins.get((0, first)), k, lang))
        rows.append((key_text(by[0], first, lang), figures))
    heads = [f"{dimension_label(by[0], lang)} / {dimension_label(by[1], lang)}"]
    heads += [key_text(by[1], s, lang) for s in seconds] + [translate(lang, "Total")]
    last = [_figure(table, table.margins.get((1, second)), k, lang) for second in seconds] + [total]
    rows.append((translate(lang, "Total"), last))
    return Panel(title, None, heads, rows, total, unit, indicator, by, address)


def choices(lang: str) -> dict[str, list[tuple[str, str]]]:
    """The form's choices: indicators and breakdowns, by name, in ``lang``."""
    return {
        "indicators": [(i.id, label_of(i, lang)) for i in INDICATORS.values()],
        "dimensions": [(d.name, dimension_label(d.name, lang)) for d in DIMENSIONS.values()],
    }


def query_address(query: Query) -> str:
    """The query as an address's parameters (without the scope)."""
    from urllib.parse import urlencode

    pairs: list[tuple[str, str]] = [("indicator", query.indicator), *(("by", b) for b in query.by)]
    if query.start:
        pairs.append(("from", query.start.strftime("%Y-%m")))
    if query.end:
        pairs.append(("to", query.end.strftime("%Y-%m")))
    pairs += [(f"filter.{name}", value) for name, value in sorted(query.filters.items())]
    return urlencode(pairs)


def query_json(query: Query) -> Mapping[str, Any]:
    """The query as the API states it back."""
    return {
        "indicator": query.indicator,
        "by": list(query.by),
        "from": query.start.strftime("%Y-%m") if query.start else None,
        "to": query.end.strftime("%Y-%m") if query.end else None,
        "filters": dict(query.filters),
    }
