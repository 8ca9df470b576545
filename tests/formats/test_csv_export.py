"""Every CSV the app writes is safe to open in a spreadsheet, whichever separator the reader's locale splits on."""

from __future__ import annotations

import csv
import io

import pytest

from cairn.formats.csv_export import csv_text, inert
from cairn.services.verification.batch import rows_to_csv
from cairn.web.issuing.bulk import RowResult, report_csv

FORMULA: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")
HOSTILE = (
    'x;=HYPERLINK("http://evil")',
    "a,=1+1",
    "b\t@SUM(1)",
    'q";-2+3',
    "line\n=cmd|' /C calc'!A0",
    "=1+1",
    " +1",
)


def _cells(text: str) -> list[str]:
    """Every cell a spreadsheet could make of ``text``: split on comma, semicolon or tab, as locales do, with
    quotes honoured or not (then a line break inside a value starts a row too)."""
    cells: list[str] = []
    for delimiter in (",", ";", "\t"):
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting):
                cells.extend(row)
    return cells


@pytest.mark.parametrize(
    "export",
    [
        pytest.param(lambda v: csv_text(["value"], [[v]]), id="csv_text"),
        pytest.param(lambda v: rows_to_csv([{"source": v, "issuer": v, "reason": v}]), id="verify-batch"),
        pytest.param(lambda v: report_csv([RowResult(2, "created", "id", v, "", v, v, "")]), id="bulk-report"),
    ],
)
def test_no_cell_starts_a_formula_whatever_the_separator(export: object) -> None:
    for value in HOSTILE:
        text = export(value)  # type: ignore[operator]
        for cell in _cells(text):
            assert not cell.lstrip(' "').startswith(FORMULA), (value, cell, text)


def test_plain_values_read_back_unchanged_and_formulas_as_text() -> None:
    text = csv_text(["a", "b"], [["Ada Lovelace, PhD", "2026-05-04T09:30:00+00:00"], ["-2", "=1+1"]])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["a", "b"],
        ["Ada Lovelace, PhD", "2026-05-04T09:30:00+00:00"],
        ["'-2", "'=1+1"],
    ]
    assert inert('x;=HYPERLINK("u")') == 'x;\'=HYPERLINK("u")'
