"""Read and check bulk award files (CSV or XLSX), row by row, before anything is awarded.

Columns (header names in any case, in any order): ``email``, ``did``, ``name``, ``external_id``,
``grade``, ``evidence`` (a URL of the learner's work), ``evidence_narrative`` (what that evidence shows),
``narrative`` (what this learner did, into the credential's ``credentialSubject.narrative``); every row needs an
email or a DID. The two narratives may hold line breaks; the evidence cells become one Open Badges 3.0
``Evidence`` entry. :func:`check_file` streams the whole file and reports
every problem with its row number (the header is row 1, as a spreadsheet shows it): unknown, missing or
repeated columns, invalid emails and DIDs, the same recipient twice, cells that look like spreadsheet
formulas (``=cmd()``, ``@SUM``, ``+1+2``: refused, so they never reach a credential or a spreadsheet
again), control characters, text that is not UTF-8, a file over the size limit, too many rows.
:func:`read_rows` then yields the checked rows, in order, for awarding.

CSV may be comma-, semicolon- or tab-separated (the header line decides) with or without a UTF-8 BOM.
XLSX is read with openpyxl in read-only mode (first sheet), so memory stays flat.

A small file must not cost minutes of CPU, so nothing the file declares about itself is trusted (an XLSX
sheet's ``<dimension>`` may claim all 17 billion cells Excel allows): rows are numbered as the file numbers them
and every row up to the last one counts against ``max_rows``, empty ones included (the file is refused past row
``max_rows + 1``, without reading further); a value past column ``MAX_COLUMNS`` refuses the file; an XLSX part
may expand at most ``MAX_RATIO`` times and all of them to ``MAX_UNZIPPED`` bytes (a zip bomb is refused before
it is opened); CSV fields are capped by the ``csv`` module (128 KiB); and reading stops with a problem after
``MAX_SECONDS``. Each refusal names its limit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

from pydantic import ValidationError

from cairn.model.awards import MAX_NARRATIVE, Evidence, Recipient

__all__ = [
    "COLUMNS",
    "DEFAULT_MAX_ROWS",
    "MAX_REPORTED",
    "BulkRow",
    "FileCheck",
    "RowProblem",
    "check_file",
    "read_rows",
]

COLUMNS: Final = ("email", "did", "name", "external_id", "grade", "evidence", "evidence_narrative", "narrative")
DEFAULT_MAX_ROWS: Final = 1_000_000
MAX_REPORTED: Final = 1000
"""Problems listed in a report (all are counted)."""
MAX_COLUMNS: Final = 64
"""A value past this column refuses the file (eight columns are read; the rest leave room for notes)."""
MAX_RATIO: Final = 100
"""How many times a part of an XLSX file may expand (a zip bomb expands a thousand times)."""
MAX_UNZIPPED: Final = 256 * 1024 * 1024
"""How many bytes all the parts of an XLSX file may expand to together."""
MAX_SECONDS: Final = 120.0
"""How long reading a file may take before it is refused."""
MAX_CELL: Final = {
    "email": 320,
    "did": 2000,
    "name": 500,
    "external_id": 500,
    "grade": 500,
    "evidence": 2000,
    "evidence_narrative": MAX_NARRATIVE,
    "narrative": MAX_NARRATIVE,
}
_MULTILINE: Final = frozenset({"evidence_narrative", "narrative"})
"""Columns whose text may hold line breaks (a paragraph of narrative)."""
_FORMULA_START: Final = ("=", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_XLSX_MAGIC: Final = b"PK\x03\x04"
_BY_KEY: Final = {column.replace("_", ""): column for column in COLUMNS}
"""Header names compare without case, spaces, dashes or underscores (``E-Mail``, ``External ID``)."""

Source = Path | bytes


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem: the row (None for the whole file), the column if any, and what is wrong."""

    row: int | None
    column: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"{where}{f' ({self.column})' if self.column else ''}: {self.message}"


@dataclass(frozen=True, slots=True)
class BulkRow:
    """A checked row."""

    row: int
    recipient: Recipient
    external_id: str | None
    grade: str | None
    evidence: tuple[Evidence, ...] = ()
    narrative: str | None = None


@dataclass
class FileCheck:
    """The result of checking a file: its identity, its columns, how many rows, and every problem."""

    filename: str
    sha256: str
    size: int
    kind: str
    columns: list[str] = field(default_factory=list)
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        """True when there is no problem at all."""
        return self.problem_count == 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        """Record a problem (listing at most MAX_REPORTED)."""
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(RowProblem(row, column, message))

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ok": self.ok,
            "filename": self.filename,
            "file_sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "columns": self.columns,
            "rows": self.rows,
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
        }


class _FileError(Exception):
    """The file cannot be read any further."""


def _open(source: Source) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _kind(source: Source, filename: str) -> str:
    with _open(source) as fh:
        head = fh.read(4)
    return "xlsx" if head == _XLSX_MAGIC or filename.lower().endswith((".xlsx", ".xlsm")) else "csv"


def _csv_records(fh: BinaryIO, bad: list[int]) -> Iterator[tuple[int, list[str]]]:
    """CSV records; ``bad`` collects the record numbers (1-based) that held text that is not UTF-8."""
    state = {"bad": False}

    def lines() -> Iterator[str]:
        first = True
        for raw in fh:
            if first:
                raw, first = raw.removeprefix(b"\xef\xbb\xbf"), False
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                state["bad"] = True
                yield raw.decode("utf-8", "replace")

    source = lines()
    header = next(source, None)
    if header is None:
        return
    delimiter = max((",", ";", "\t"), key=header.count) if any(d in header for d in ",;\t") else ","
    reader = csv.reader(_chain(header, source), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, 1):
            if state["bad"]:
                bad.append(number)
                state["bad"] = False
            if len(record) > MAX_COLUMNS and any(v.strip() for v in record[MAX_COLUMNS:]):
                raise _FileError(_too_wide(number))
            yield number, record[:MAX_COLUMNS]
    except csv.Error as exc:
        raise _FileError(f"not a readable CSV file near line {reader.line_num}: {exc}") from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _too_wide(row: int) -> str:
    return f"row {row} has a value past column {MAX_COLUMNS}; the limit is {MAX_COLUMNS} columns"


def _unzipped_size(fh: BinaryIO) -> None:
    """Refuse a zip bomb from the sizes its directory declares (reading never yields more than those)."""
    try:
        with zipfile.ZipFile(fh) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _FileError(f"not a readable XLSX file ({type(exc).__name__})") from None
    for part in parts:
        if part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise _FileError(f"a part of the XLSX file expands more than {MAX_RATIO} times, the limit (a zip bomb?)")
    if sum(part.file_size for part in parts) > MAX_UNZIPPED:
        raise _FileError(f"the XLSX file expands to more than {MAX_UNZIPPED:,} bytes, the limit")
    fh.seek(0)


def _xlsx_records(fh: BinaryIO) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows as the file numbers them, each with the values up to its last one (empty rows
    the file leaves out are not made up; the declared dimension is never read)."""
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    _unzipped_size(fh)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
            book = load_workbook(fh, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _FileError(f"not a readable XLSX file ({type(exc).__name__})") from None
    try:
        if not book.worksheets:
            return
        sheet: Any = book.worksheets[0]  # a ReadOnlyWorksheet: its source and strings are not in the stubs
        with warnings.catch_warnings(), sheet._get_source() as source:
            warnings.simplefilter("ignore")
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=False,
                epoch=book.epoch,
                date_formats=book._date_formats,  # type: ignore[attr-defined]
                timedelta_formats=book._timedelta_formats,  # type: ignore[attr-defined]
            )
            last = 0
            for number, cells in parser.parse():
                if number <= last:
                    raise _FileError(f"row {number} comes after row {last}; save the sheet again")
                last = number
                values: list[Any] = []
                for cell in cells:
                    if cell["value"] is None:
                        continue
                    if cell["column"] > MAX_COLUMNS:
                        raise _FileError(_too_wide(number))
                    values.extend([None] * (cell["column"] - len(values)))
                    values[cell["column"] - 1] = cell["value"]
                yield number, values
    except _FileError:
        raise
    except Exception as exc:
        raise _FileError(f"the XLSX file cannot be read to the end ({type(exc).__name__})") from None
    finally:
        book.close()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def _records(source: Source, kind: str, bad: list[int]) -> Iterator[tuple[int, list[str | None]]]:
    """(row number, values) of each record the file holds; refused once reading takes over ``MAX_SECONDS``."""
    deadline = time.monotonic() + MAX_SECONDS
    with _open(source) as fh:
        raw: Iterator[tuple[int, list[Any]]] = _xlsx_records(fh) if kind == "xlsx" else _csv_records(fh, bad)
        for number, record in raw:
            if time.monotonic() > deadline:
                raise _FileError(f"reading the file took over {MAX_SECONDS:.0f} seconds, the limit; split the file")
            yield number, [_text(v) for v in record]


def _header(record: list[str | None], check: FileCheck) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for position, cell in enumerate(record):
        if cell is None:
            continue
        name = _BY_KEY.get(re.sub(r"[^a-z0-9]", "", cell.lower()), "")
        if not name:
            check.add(1, cell[:60], f"unknown column {cell[:60]!r}; the columns are {', '.join(COLUMNS)}")
        elif name in mapping.values():
            check.add(1, name, f"the column {name!r} appears twice")
        else:
            mapping[position] = name
    check.columns = [mapping[p] for p in sorted(mapping)]
    if "email" not in check.columns and "did" not in check.columns:
        check.add(1, None, "the file needs an 'email' or a 'did' column (or both) to identify learners")
    return mapping


def _cell_problem(column: str, value: str) -> str | None:
    if value.startswith(_FORMULA_START) or (value[0] in "+-" and not _NUMBER.match(value)):
        return "looks like a spreadsheet formula (starts with = + - or @); refused"
    if (_CONTROL_BUT_LINES if column in _MULTILINE else _CONTROL).search(value):
        return "contains control characters"
    if len(value) > MAX_CELL[column]:
        return f"is longer than {MAX_CELL[column]} characters"
    return None


def _row(number: int, record: list[str | None], mapping: dict[int, str], check: FileCheck | None) -> BulkRow | None:
    values: dict[str, str | None] = dict.fromkeys(COLUMNS)
    failed = False
    for position, cell in enumerate(record):
        if cell is None:
            continue
        column = mapping.get(position)
        if column is None:
            if check is not None:
                check.add(number, None, "a value in a column without a known header")
            failed = True
            continue
        if column in _MULTILINE:
            cell = cell.replace("\r\n", "\n").replace("\r", "\n")
        problem = _cell_problem(column, cell)
        if problem:
            if check is not None:
                check.add(number, column, problem)
            failed = True
        values[column] = cell
    if failed:
        return None
    try:
        recipient = Recipient(name=values["name"], email=values["email"], did=values["did"])
    except ValidationError as exc:
        if check is not None:
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else None
                message = str(error["msg"]).removeprefix("Value error, ")
                if column == "did":
                    message = "is not a DID (did:METHOD:...)"
                check.add(number, column, message)
        return None
    evidence: tuple[Evidence, ...] = ()
    if values["evidence"] or values["evidence_narrative"]:
        try:
            evidence = (Evidence(id=values["evidence"], narrative=values["evidence_narrative"]),)
        except ValidationError:
            if check is not None:
                check.add(number, "evidence", "is not a web address (https://...)")
            return None
    return BulkRow(number, recipient, values["external_id"], values["grade"], evidence, values["narrative"])


def _sha256(source: Source) -> tuple[str, int]:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest(), len(source)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_file(source: Source, *, filename: str, max_bytes: int, max_rows: int = DEFAULT_MAX_ROWS) -> FileCheck:
    """Check every row of a CSV or XLSX file (a path or the uploaded bytes); nothing is written."""
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > max_bytes:
        check = FileCheck(filename, "", size, "unknown")
        check.add(None, None, f"the file is {size:,} bytes; the limit is {max_bytes:,} (CAIRN_MAX_UPLOAD_BYTES)")
        return check
    digest, size = _sha256(source)
    check = FileCheck(filename, digest, size, _kind(source, filename))
    bad: list[int] = []
    seen: dict[bytes, int] = {}
    mapping: dict[int, str] | None = None
    try:
        for number, record in _records(source, check.kind, bad):
            if mapping is None:
                mapping = _header(record, check)
                continue
            if number > max_rows + 1:  # empty rows count: a million of them cost time too
                limit = f"the limit is {max_rows:,} rows after the header (empty rows count)"
                check.add(number, None, f"the file goes on past row {max_rows + 1:,}; {limit}; split the file")
                break
            if all(v is None for v in record):
                continue
            check.rows += 1
            row = _row(number, record, mapping, check)
            if bad and bad[-1] == number:
                check.add(number, None, "holds text that is not UTF-8; save the file as CSV UTF-8")
            if row is None:
                continue
            r = row.recipient
            key = hashlib.blake2b(f"{r.email}\x1f{r.did}\x1f{row.external_id}".encode(), digest_size=16).digest()
            if key in seen:
                check.add(number, None, f"the same learner (and external id) as row {seen[key]}")
            else:
                seen[key] = number
    except _FileError as exc:
        check.add(None, None, str(exc))
    if mapping is None and check.problem_count == 0:
        check.add(None, None, "the file is empty; the first row must name the columns")
    elif check.rows == 0 and check.problem_count == 0:
        check.add(None, None, "the file has a header but no rows")
    return check


def read_rows(source: Source, *, kind: str) -> Iterator[BulkRow]:
    """The rows of a file that :func:`check_file` passed, in order (empty rows skipped)."""
    mapping: dict[int, str] | None = None
    for number, record in _records(source, kind, []):
        if mapping is None:
            mapping = _header(record, FileCheck("", "", 0, kind))
            continue
        if all(v is None for v in record):
            continue
        row = _row(number, record, mapping, None)
        if row is None:
            raise ValueError(f"row {number} does not pass the checks; check the file first")
        yield row
