"""Hostile bulk award files: a tiny XLSX that declares a huge sheet, or holds many empty rows, is refused in
a second or two, and empty rows count against the row limit in CSV too."""

from __future__ import annotations

import io
import signal
import time
import zipfile
from collections.abc import Iterator
from types import FrameType

import pytest

from cairn.services.issuing.bulk_files import FileCheck, check_file

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook {_NS} xmlns:r="{_REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>",
    "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def _xlsx(rows: str) -> bytes:
    """A minimal workbook whose one sheet declares A1:XFD1048576 (every cell Excel allows) around ``rows``."""
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
    sheet = f'<worksheet {_NS}><dimension ref="A1:XFD1048576"/><sheetData>{header}{rows}</sheetData></worksheet>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in {**_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.fixture
def deadline() -> Iterator[None]:
    """Interrupt a check still running after 5 seconds (before the fix one took minutes)."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("still reading the file after 5 seconds")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _checked(data: bytes, filename: str, max_rows: int = 1_000_000) -> tuple[FileCheck, float]:
    started = time.monotonic()
    check = check_file(data, filename=filename, max_bytes=10_000_000, max_rows=max_rows)
    return check, time.monotonic() - started


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>', id="last-cell"),
        pytest.param(
            '<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row><row r="900000"><c r="XFD900000"/></row>',
            id="far-cells",
        ),
        pytest.param("<row/>" * 300_000, id="empty-rows"),
    ],
)
def test_an_xlsx_bomb_is_refused_at_once(deadline: None, rows: str) -> None:
    data = _xlsx(rows)
    assert len(data) < 5000  # the four parts any workbook needs, and a sheet of a few hundred bytes
    check, seconds = _checked(data, "bomb.xlsx")
    assert not check.ok
    assert seconds < 2
    assert any("limit" in p.message for p in check.problems), check.problems


def test_empty_rows_count_against_the_row_limit(deadline: None) -> None:
    csv_file = b"email\r\n" + b",\r\n" * 10 + b"a@example.org\r\n"
    check, _ = _checked(csv_file, "rows.csv", max_rows=5)
    assert [p.message for p in check.problems] == [
        "the file goes on past row 6; the limit is 5 rows after the header (empty rows count); split the file"
    ]
    xlsx = _xlsx("<row/>" * 10 + '<row r="12"><c r="A12" t="inlineStr"><is><t>a@example.org</t></is></c></row>')
    check, _ = _checked(xlsx, "rows.xlsx", max_rows=5)
    assert [p.message for p in check.problems] == [
        "the file goes on past row 6; the limit is 5 rows after the header (empty rows count); split the file"
    ]
